#include "aws/endpoint.hpp"
#include "aws/text.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace lt::aws {

namespace {

using detail::lower;

std::string default_port(const std::string& scheme) { return scheme == "https" ? "443" : "80"; }

bool loopback(const std::string& host) {
    if (lower(host) == "localhost")
        return true;
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(host, ec);
    if (ec)
        return false;
    if (addr.is_v6() && addr.to_v6().is_v4_mapped())
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6()).is_loopback();
    return addr.is_loopback();
}

std::string bracketed(const std::string& host) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

core::result<endpoint> parse(std::string_view url) {
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        return core::make_error("missing scheme: start with https:// or http://");
    endpoint ep;
    ep.scheme = lower(url.substr(0, scheme_end));
    if (ep.scheme != "https" && ep.scheme != "http")
        return core::make_error("unsupported scheme '" + ep.scheme + "': use https or http");
    std::string_view rest = url.substr(scheme_end + 3);
    auto auth_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, auth_end);
    std::string_view path = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
    if (authority.find('@') != std::string_view::npos)
        return core::make_error("user info ('user@') is not allowed");
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos)
            return core::make_error("unterminated IPv6 address: missing ']'");
        ep.host = std::string(authority.substr(1, close - 1));
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return core::make_error("unexpected text after the IPv6 address");
            port = after.substr(1);
            if (port.empty())
                return core::make_error("empty port after ':'");
        }
    } else {
        auto colon = authority.find(':');
        ep.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty())
                return core::make_error("empty port after ':'");
        }
    }
    if (ep.host.empty())
        return core::make_error("missing host");
    for (char c : ep.host)
        if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '[' || c == ']')
            return core::make_error("invalid character in host '" + ep.host + "'");
    if (!port.empty()) {
        if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return core::make_error("port '" + std::string(port) + "' is not a number");
        int p = std::stoi(std::string(port));
        if (p < 1 || p > 65535)
            return core::make_error("port " + std::string(port) + " is out of range (1-65535)");
        ep.port = std::to_string(p);
    } else {
        ep.port = default_port(ep.scheme);
    }
    if (!path.empty() && path.front() != '/')
        return core::make_error("a query or fragment is not allowed");
    if (path.find_first_of("?#") != std::string_view::npos)
        return core::make_error("a query or fragment is not allowed");
    while (!path.empty() && path.back() == '/')
        path.remove_suffix(1);
    ep.base_path = std::string(path);
    return ep;
}

} // namespace

std::string endpoint::host_header() const {
    std::string out = bracketed(host);
    if (port != default_port(scheme))
        out += ":" + port;
    return out;
}

std::string endpoint::url() const { return scheme + "://" + host_header() + base_path; }

const service_info& translate_service() {
    static const service_info s{"TRANSLATE", "translate", "443", "translate"};
    return s;
}

const service_info& sts_service() {
    static const service_info s{"STS", "sts", "443", "sts"};
    return s;
}

const service_info& transcribe_streaming_service() {
    static const service_info s{"TRANSCRIBE_STREAMING", "transcribestreaming", "8443", "transcribe"};
    return s;
}

core::result<endpoint> parse_endpoint_url(std::string_view url) {
    auto r = parse(url);
    if (!r)
        return core::make_error("invalid endpoint URL '" + std::string(url) + "': " + r.error_message() +
                                " (expected http(s)://host[:port][/path])");
    return r;
}

core::result<endpoint> resolve_endpoint(const service_info& service, std::string_view region,
                                        std::vector<std::string>* warnings) {
    for (std::string name : {"AWS_ENDPOINT_URL_" + service.env_id, std::string("AWS_ENDPOINT_URL")}) {
        const char* value = std::getenv(name.c_str());
        if (!value || !*value)
            continue;
        auto r = parse(value);
        if (!r)
            return core::make_error(name + "='" + value + "' is not a valid endpoint URL: " + r.error_message() +
                                    " (expected http(s)://host[:port][/path])");
        if (!r.value().tls() && warnings && !loopback(r.value().host))
            warnings->push_back(name + " uses plain http to " + r.value().host +
                                ": requests and responses cross the network unencrypted; use https unless "
                                "this is a local test endpoint");
        return r;
    }
    if (region.empty())
        return core::make_error("no AWS region for " + service.host_prefix +
                                ": set AWS_REGION (or AWS_DEFAULT_REGION, or region in the ~/.aws/config "
                                "profile), e.g. AWS_REGION=eu-west-2");
    for (char c : region)
        if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
            return core::make_error("invalid AWS region '" + std::string(region) +
                                    "': expected lower-case letters, digits and '-', e.g. eu-west-2");
    endpoint ep;
    ep.host = service.host_prefix + "." + std::string(region) + ".amazonaws.com";
    if (region.rfind("cn-", 0) == 0)
        ep.host += ".cn";
    ep.port = service.port;
    return ep;
}

} // namespace lt::aws
