#include "net/connect.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <memory>

namespace lt::net {

using steady = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

steady::time_point limit(std::chrono::milliseconds timeout, steady::time_point deadline) {
    return std::min(steady::now() + timeout, deadline);
}

// Cancels a resolve that outlives its time. A struct, not a lambda: GCC 12 mishandles
// lambdas in coroutines. Shared pointers, because the timer's handler may run after the
// coroutine has moved on.
struct resolve_expiry {
    std::shared_ptr<tcp::resolver> resolver;
    std::shared_ptr<bool> expired;
    void operator()(const error_code& ec) const {
        if (ec)
            return; // cancelled: the resolve ended first
        *expired = true;
        resolver->cancel();
    }
};

asio::awaitable<tcp::resolver::results_type> resolve(const endpoint& ep, steady::time_point by) {
    auto ex = co_await asio::this_coro::executor;
    auto resolver = std::make_shared<tcp::resolver>(ex);
    auto expired = std::make_shared<bool>(false);
    asio::steady_timer timer(ex);
    timer.expires_at(by);
    timer.async_wait(resolve_expiry{resolver, expired});
    error_code ec;
    auto results =
        co_await resolver->async_resolve(ep.host, ep.port, asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    if (*expired)
        throw connect_error(beast::error::timeout, step::resolve);
    if (ec)
        throw connect_error(ec, step::resolve);
    co_return results;
}

asio::awaitable<void> tcp_connect(tcp_stream& stream, const endpoint& ep, const connect_options& opts) {
    auto by = limit(opts.connect_timeout, opts.deadline);
    auto results = co_await resolve(ep, by);
    stream.expires_at(by);
    error_code ec;
    co_await stream.async_connect(results, asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
        throw connect_error(ec, step::connect);
    stream.expires_never();
    if (opts.no_delay)
        stream.socket().set_option(tcp::no_delay(true), ec);
}

// The decorator is made outside the coroutine (GCC 12 and lambdas in coroutines).
websocket::stream_base::decorator user_agent_decorator(std::string user_agent) {
    return websocket::stream_base::decorator(
        [user_agent = std::move(user_agent)](websocket::request_type& req) {
            req.set(http::field::user_agent, user_agent);
        });
}

template <class WS>
asio::awaitable<void> upgrade(WS& ws, const endpoint& ep, const std::string& user_agent, connect_options opts,
                              websocket::response_type* res) {
    if (!user_agent.empty())
        ws.set_option(user_agent_decorator(user_agent));
    auto& lowest = beast::get_lowest_layer(ws);
    lowest.expires_at(limit(opts.handshake_timeout, opts.deadline));
    // Locals, not temporaries or a conditional, in the awaited call: GCC 12 miscompiles those.
    const std::string host = ep.host_header();
    const std::string target = ep.target.empty() ? std::string("/") : ep.target;
    websocket::response_type answer;
    error_code ec;
    co_await ws.async_handshake(answer, host, target, asio::redirect_error(asio::use_awaitable, ec));
    if (res)
        *res = std::move(answer);
    if (ec)
        throw connect_error(ec, step::upgrade);
    lowest.expires_never();
}

template <class Stream>
connect_failure run_connect(asio::io_context& ioc, Stream& stream, const endpoint& ep, connect_options opts) {
    connect_failure out;
    asio::co_spawn(ioc, async_connect(stream, ep, opts), [&out](std::exception_ptr e) {
        if (!e)
            return;
        try {
            std::rethrow_exception(e);
        } catch (const connect_error& ce) {
            out.code = ce.code();
            out.where = ce.where();
        } catch (const boost::system::system_error& se) {
            out.code = se.code();
        }
    });
    ioc.restart();
    ioc.run();
    return out;
}

} // namespace

const char* to_string(step s) {
    switch (s) {
    case step::resolve:
        return "resolve";
    case step::connect:
        return "connect";
    case step::tls_handshake:
        return "TLS handshake";
    case step::upgrade:
        return "WebSocket handshake";
    }
    return "connect";
}

connect_error::connect_error(error_code ec, step where)
    : boost::system::system_error(ec, to_string(where)), where_(where) {}

ssl::context make_tls_context(const std::string& ca_file) {
    ssl::context ctx(ssl::context::tls_client);
    error_code ec;
    // A machine without a CA store can still trust `ca_file`.
    ctx.set_default_verify_paths(ec);
    ctx.set_verify_mode(ssl::verify_peer);
    if (!ca_file.empty()) {
        ctx.load_verify_file(ca_file, ec);
        if (ec)
            throw std::runtime_error("cannot load CA file " + ca_file + ": " + ec.message());
    }
    return ctx;
}

asio::awaitable<void> async_connect(tcp_stream& stream, const endpoint& ep, connect_options opts) {
    co_await tcp_connect(stream, ep, opts);
}

asio::awaitable<void> async_connect(tls_stream& stream, const endpoint& ep, connect_options opts) {
    auto& lowest = beast::get_lowest_layer(stream);
    co_await tcp_connect(lowest, ep, opts);
    // SNI carries names only (RFC 6066); an address is still checked against the
    // certificate's IP entries by host_name_verification.
    if (!is_ip_literal(ep.host) && !SSL_set_tlsext_host_name(stream.native_handle(), ep.host.c_str()))
        throw connect_error(error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()),
                            step::tls_handshake);
    stream.set_verify_callback(ssl::host_name_verification(ep.host));
    lowest.expires_at(limit(opts.handshake_timeout, opts.deadline));
    error_code ec;
    co_await stream.async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
        throw connect_error(ec, step::tls_handshake);
    lowest.expires_never();
}

asio::awaitable<void> async_upgrade(websocket::stream<tcp_stream>& ws, const endpoint& ep,
                                    const std::string& user_agent, connect_options opts,
                                    websocket::response_type* res) {
    co_await upgrade(ws, ep, user_agent, opts, res);
}

asio::awaitable<void> async_upgrade(websocket::stream<tls_stream>& ws, const endpoint& ep,
                                    const std::string& user_agent, connect_options opts,
                                    websocket::response_type* res) {
    co_await upgrade(ws, ep, user_agent, opts, res);
}

connect_failure connect(asio::io_context& ioc, tcp_stream& stream, const endpoint& ep, connect_options opts) {
    return run_connect(ioc, stream, ep, opts);
}

connect_failure connect(asio::io_context& ioc, tls_stream& stream, const endpoint& ep, connect_options opts) {
    return run_connect(ioc, stream, ep, opts);
}

} // namespace lt::net
