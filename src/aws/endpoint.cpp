#include "aws/endpoint.hpp"
#include "aws/text.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace lt::aws {

namespace {

using detail::lower;

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

core::result<endpoint> parse(std::string_view url) {
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        return core::make_error("missing scheme: start with https:// or http://");
    auto scheme = lower(url.substr(0, scheme_end));
    if (scheme != "https" && scheme != "http")
        return core::make_error("unsupported scheme '" + scheme + "': use https or http");
    auto r = net::parse_url(url);
    if (!r)
        return r;
    endpoint ep = std::move(r).value();
    std::string_view path = ep.target;
    if (!path.empty() && path.front() != '/')
        return core::make_error("a query or fragment is not allowed");
    if (path.find_first_of("?#") != std::string_view::npos)
        return core::make_error("a query or fragment is not allowed");
    while (!path.empty() && path.back() == '/')
        path.remove_suffix(1);
    ep.target = std::string(path);
    return ep;
}

} // namespace

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
            return core::make_error(name + "='" + value + "' is not a valid endpoint URL: " +
                                    r.error_message() + " (expected http(s)://host[:port][/path])");
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
        if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
              c == '-'))
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
