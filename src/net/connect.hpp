// Opening a client connection, written once for every client (lt-speech's caption client
// and token fetch, AWS Transcribe streaming, the AWS HTTP client): resolve the name, connect
// over TCP and, for https/wss, set the TLS server name (SNI; only for names, never for an
// IP address, RFC 6066), check the certificate against the trusted CAs and the host name
// (an address is matched against the certificate's IP entries) and do the handshake. Each
// step is bounded in time. upgrade() adds the WebSocket opening handshake.
//
// The coroutines run on the stream's executor and throw connect_error; connect() is the
// same sequence for callers without coroutines, on an io_context of their own.
#pragma once

#include "net/asio.hpp"
#include "net/endpoint.hpp"

#include <chrono>
#include <string>

namespace lt::net {

using tcp_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// A client TLS context: the system's trusted CAs, plus `ca_file` (PEM) when not empty (a
// self-signed server, a test CA), and peer verification on. Throws std::runtime_error
// "cannot load CA file <path>: <why>".
ssl::context make_tls_context(const std::string& ca_file = {});

struct connect_options {
    // Resolving the name and the TCP connect, together.
    std::chrono::milliseconds connect_timeout{10000};
    // The TLS handshake; in upgrade(), the WebSocket handshake. Each on its own.
    std::chrono::milliseconds handshake_timeout{10000};
    // No step runs past this (a request's overall deadline); max: none.
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    // TCP_NODELAY: for request/response protocols where Nagle's delay would add latency.
    bool no_delay = false;
};

// The step that failed, for messages that say where ("TLS handshake: ...").
enum class step { resolve, connect, tls_handshake, upgrade };
const char* to_string(step s);

// A failed step; code() is what net::reason() puts in words (a step past its time limit is
// beast::error::timeout).
class connect_error : public boost::system::system_error {
public:
    connect_error(boost::system::error_code ec, step where);
    step where() const { return where_; }

private:
    step where_;
};

// Connects `stream` to `ep`. On success the stream has no expiry set.
asio::awaitable<void> async_connect(tcp_stream& stream, const endpoint& ep, connect_options opts = {});
asio::awaitable<void> async_connect(tls_stream& stream, const endpoint& ep, connect_options opts = {});

// The WebSocket opening handshake on a connected stream: Host from ep.host_header(), the
// target ep.target, User-Agent `user_agent` (empty: Beast's own), within
// opts.handshake_timeout (and deadline).
// `res`, when given, receives the server's answer (a refused upgrade's status and body).
// The stream's other settings (timeouts, binary) are the caller's.
asio::awaitable<void> async_upgrade(websocket::stream<tcp_stream>& ws, const endpoint& ep,
                                    const std::string& user_agent, connect_options opts = {},
                                    websocket::response_type* res = nullptr);
asio::awaitable<void> async_upgrade(websocket::stream<tls_stream>& ws, const endpoint& ep,
                                    const std::string& user_agent, connect_options opts = {},
                                    websocket::response_type* res = nullptr);

// async_connect() for code without coroutines: runs `ioc` (which must have nothing else to
// do) until the sequence ends. Returns the failure, if any.
struct connect_failure {
    boost::system::error_code code; // empty: connected
    step where = step::resolve;
    explicit operator bool() const { return static_cast<bool>(code); }
};
connect_failure connect(asio::io_context& ioc, tcp_stream& stream, const endpoint& ep,
                        connect_options opts = {});
connect_failure connect(asio::io_context& ioc, tls_stream& stream, const endpoint& ep,
                        connect_options opts = {});

} // namespace lt::net
