// Where a client connects: scheme, host, port and target, with the one rule for the Host
// header and the printed URL (IPv6 addresses in brackets, the port only when it is not the
// scheme's default). lt-speech's server URL and the AWS endpoints are both this type; each
// keeps its own rules for reading a URL on top of parse_url().
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>

namespace lt::net {

struct endpoint {
    std::string scheme = "https"; // http, https, ws or wss, lower case
    std::string host;             // a name or an address; IPv6 without brackets
    std::string port;             // always set ("443", "5050", ...)
    std::string target;           // what follows the authority: "/ws?room=a", a path prefix, or ""
    bool tls() const;             // https or wss
    // "host", "host:port", "[::1]:5050": the Host header of a request to this endpoint.
    std::string host_header() const;
    std::string url() const; // scheme://host_header() + target
};

// "443" for https and wss, "80" otherwise.
std::string default_port(std::string_view scheme);

// An IPv4 or IPv6 address rather than a name (such a host gets no TLS server name).
bool is_ip_literal(std::string_view host);

// Reads "scheme://host[:port][target]" with scheme http, https, ws or wss (any case), an
// IPv6 host in brackets, a port of 1-65535 (default: the scheme's). The target is what
// follows the authority as it is, starting with '/', '?' or '#', or "". User info
// ("user@") is refused. Errors say what is wrong, without repeating the URL.
core::result<endpoint> parse_url(std::string_view url);

} // namespace lt::net
