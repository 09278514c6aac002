#include "speech/endpoint.hpp"

#include <algorithm>
#include <cctype>

namespace lt::speech {

using core::make_error;

std::string endpoint::url() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return std::string(tls ? "wss://" : "ws://") + h + ":" + port + target;
}

core::result<endpoint> parse_endpoint(std::string_view url) {
    endpoint ep;
    std::string rest(url);
    bool page_url = true; // http(s): a path names a page, not the socket
    auto scheme_end = rest.find("://");
    if (scheme_end != std::string::npos) {
        std::string scheme = rest.substr(0, scheme_end);
        std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        if (scheme == "http" || scheme == "ws")
            ep.tls = false;
        else if (scheme == "https" || scheme == "wss")
            ep.tls = true;
        else
            return make_error("unsupported URL scheme '" + scheme + "' in '" + std::string(url) +
                              "' (use http, https, ws or wss)");
        page_url = scheme == "http" || scheme == "https";
        rest = rest.substr(scheme_end + 3);
    }
    auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "" : rest.substr(slash);
    if (authority.find('@') != std::string::npos)
        return make_error("user names in the server URL are not supported; put the key in API_KEY");
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string::npos)
            return make_error("unclosed '[' in the IPv6 address of '" + std::string(url) + "'");
        ep.host = authority.substr(1, close - 1);
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return make_error("unexpected text after the IPv6 address in '" + std::string(url) + "'");
            ep.port = after.substr(1);
        }
    } else {
        auto colon = authority.rfind(':');
        ep.host = authority.substr(0, colon);
        if (colon != std::string::npos)
            ep.port = authority.substr(colon + 1);
    }
    if (ep.host.empty())
        return make_error("no host in server URL '" + std::string(url) + "'");
    if (ep.port.empty())
        ep.port = ep.tls ? "443" : "80";
    if (!std::all_of(ep.port.begin(), ep.port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
        ep.port.size() > 5 || std::stoul(ep.port) == 0 || std::stoul(ep.port) > 65535)
        return make_error("bad port '" + ep.port + "' in server URL '" + std::string(url) + "'");
    path = path.substr(0, path.find('#'));
    auto query = path.find('?');
    std::string bare = path.substr(0, query);
    if (page_url && bare.starts_with("/r/") && bare.size() > 3 && bare.find('/', 3) == std::string::npos) {
        // A room's page address, as its QR code gives it: that room's socket.
        ep.target = "/ws?room=" + bare.substr(3);
        return ep;
    }
    if (bare.empty() || bare == "/" || (page_url && bare != "/ws" && bare.ends_with(".html")))
        ep.target = "/ws" + (query == std::string::npos ? std::string() : path.substr(query));
    else
        ep.target = path;
    return ep;
}

} // namespace lt::speech
