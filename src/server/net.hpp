// What the session classes share besides lt's Asio/Beast names (net/asio.hpp). Internal to
// the server module.
#pragma once

#include "net/asio.hpp"

namespace lt::server {

// A connection over lt-server's own TLS (--tls-cert).
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// Logs a failed operation, except the ones that are a normal end of a connection.
void fail(beast::error_code ec, const char* what);

} // namespace lt::server
