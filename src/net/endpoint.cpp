#include "net/endpoint.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>

namespace lt::net {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

} // namespace

bool endpoint::tls() const { return scheme == "https" || scheme == "wss"; }

std::string endpoint::host_header() const {
    std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != default_port(scheme))
        out += ":" + port;
    return out;
}

std::string endpoint::url() const { return scheme + "://" + host_header() + target; }

std::string default_port(std::string_view scheme) {
    return scheme == "https" || scheme == "wss" ? "443" : "80";
}

bool is_ip_literal(std::string_view host) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(std::string(host), ec);
    return !ec;
}

core::result<endpoint> parse_url(std::string_view url) {
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        return core::make_error("missing scheme (such as https://)");
    endpoint ep;
    ep.scheme = lower(url.substr(0, scheme_end));
    if (ep.scheme != "http" && ep.scheme != "https" && ep.scheme != "ws" && ep.scheme != "wss")
        return core::make_error("unsupported scheme '" + ep.scheme + "'");
    std::string_view rest = url.substr(scheme_end + 3);
    auto auth_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, auth_end);
    if (auth_end != std::string_view::npos)
        ep.target = std::string(rest.substr(auth_end));
    if (authority.find('@') != std::string_view::npos)
        return core::make_error("user info ('user@') is not allowed");
    std::string_view port;
    bool has_port = false;
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
            has_port = true;
        }
    } else {
        auto colon = authority.find(':');
        ep.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            has_port = true;
        }
    }
    if (ep.host.empty())
        return core::make_error("missing host");
    for (char c : ep.host)
        if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '[' || c == ']')
            return core::make_error("invalid character in host '" + ep.host + "'");
    if (!has_port) {
        ep.port = default_port(ep.scheme);
        return ep;
    }
    if (port.empty())
        return core::make_error("empty port after ':'");
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return core::make_error("port '" + std::string(port) + "' is not a number");
    int p = std::stoi(std::string(port));
    if (p < 1 || p > 65535)
        return core::make_error("port " + std::string(port) + " is out of range (1-65535)");
    ep.port = std::to_string(p);
    return ep;
}

} // namespace lt::net
