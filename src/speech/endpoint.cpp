#include "speech/endpoint.hpp"

#include <algorithm>
#include <cctype>

namespace lt::speech {

using core::make_error;

core::result<endpoint> parse_endpoint(std::string_view url) {
    std::string full(url);
    bool page_url = true; // http(s): a path names a page, not the socket
    auto scheme_end = full.find("://");
    if (scheme_end == std::string::npos) {
        full = "http://" + full;
    } else {
        std::string scheme = full.substr(0, scheme_end);
        std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        if (scheme != "http" && scheme != "ws" && scheme != "https" && scheme != "wss")
            return make_error("unsupported URL scheme '" + scheme + "' in '" + std::string(url) +
                              "' (use http, https, ws or wss)");
        page_url = scheme == "http" || scheme == "https";
    }
    auto authority_end = full.find_first_of("/?#", full.find("://") + 3);
    if (full.substr(0, authority_end).find('@') != std::string::npos)
        return make_error("user names in the server URL are not supported; put the key in API_KEY");
    auto parsed = net::parse_url(full);
    if (!parsed)
        return make_error("bad server URL '" + std::string(url) + "': " + parsed.error_message());
    endpoint ep = std::move(parsed).value();
    ep.scheme = ep.tls() ? "wss" : "ws";
    std::string path = ep.target.substr(0, ep.target.find('#'));
    if (!path.empty() && path.front() == '?')
        path = "/" + path;
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
