#include "redis/redis.hpp"

#include <charconv>

namespace lt::redis {
namespace {

core::error bad(std::string_view url, const std::string& why) {
    return core::make_error("bad Redis URL \"" + std::string(url) + "\": " + why);
}

// Integer in [lo, hi], the whole text and nothing else.
bool parse_int(std::string_view s, int lo, int hi, int& out) {
    if (s.empty())
        return false;
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi)
        return false;
    out = v;
    return true;
}

int hex(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Passwords often hold ':', '@' or '/', which URLs carry as %XX.
bool percent_decode(std::string_view s, std::string& out) {
    out.clear();
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size())
            return false;
        int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
        if (hi < 0 || lo < 0)
            return false;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return true;
}

} // namespace

std::string to_string(const address& a) {
    bool v6 = a.host.find(':') != std::string::npos;
    return (v6 ? "[" + a.host + "]" : a.host) + ":" + std::to_string(a.port);
}

core::result<address> parse_url(std::string_view url) {
    address a;
    std::string_view rest = url;
    if (rest.empty())
        return bad(url, "empty");
    if (auto p = rest.find("://"); p != std::string_view::npos) {
        std::string_view scheme = rest.substr(0, p);
        if (scheme == "rediss")
            return bad(url, "TLS (rediss://) is not supported: hiredis 0.14 has no TLS");
        if (scheme == "unix" || scheme == "redis+unix")
            return bad(url, "unix sockets are not supported, use redis://host:port");
        if (scheme != "redis")
            return bad(url, "scheme must be redis://");
        rest.remove_prefix(p + 3);
    }
    if (rest.find_first_of("?#") != std::string_view::npos)
        return bad(url, "query and fragment are not supported");

    // Credentials end at the last '@', so an unencoded '@' in the password still works.
    if (auto at = rest.rfind('@'); at != std::string_view::npos) {
        std::string_view cred = rest.substr(0, at);
        rest.remove_prefix(at + 1);
        auto colon = cred.find(':');
        std::string_view user = colon == std::string_view::npos ? std::string_view{} : cred.substr(0, colon);
        // "redis://secret@host" is the old form with only a password.
        std::string_view pass = colon == std::string_view::npos ? cred : cred.substr(colon + 1);
        if (!percent_decode(user, a.user) || !percent_decode(pass, a.password))
            return bad(url, "bad %-escape in the credentials");
        if (a.password.empty() && !a.user.empty())
            return bad(url, "user without a password");
    }

    std::string_view hostport = rest;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        hostport = rest.substr(0, slash);
        std::string_view db = rest.substr(slash + 1);
        if (!db.empty() && !parse_int(db, 0, 1 << 20, a.db))
            return bad(url, "database must be a number, got \"" + std::string(db) + "\"");
    }

    std::string_view host = hostport, port;
    if (!hostport.empty() && hostport.front() == '[') {
        auto close = hostport.find(']');
        if (close == std::string_view::npos)
            return bad(url, "missing ']' after the IPv6 address");
        host = hostport.substr(1, close - 1);
        std::string_view after = hostport.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return bad(url, "expected ':port' after ']'");
            port = after.substr(1);
            if (port.empty())
                return bad(url, "empty port");
        }
    } else if (auto colon = hostport.find(':'); colon != std::string_view::npos) {
        host = hostport.substr(0, colon);
        port = hostport.substr(colon + 1);
        if (port.empty())
            return bad(url, "empty port");
    }
    if (host.empty())
        return bad(url, "missing host");
    a.host = std::string(host);
    if (!port.empty() && !parse_int(port, 1, 65535, a.port))
        return bad(url, "port must be 1-65535, got \"" + std::string(port) + "\"");
    return a;
}

} // namespace lt::redis
