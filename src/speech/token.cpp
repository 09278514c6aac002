#include "speech/token.hpp"

#include "net/asio.hpp"
#include "net/connect.hpp"
#include "net/reason.hpp"
#include "protocol/messages.hpp"

namespace lt::speech {

using asio::awaitable;
using asio::use_awaitable;

token_reply parse_token_frame(std::string_view frame, const std::string& source) {
    token_reply r;
    auto reply = protocol::parse_speaker_reply(frame);
    if (!reply) {
        r.error = reply.error_message();
        return r;
    }
    if (reply.value().type == protocol::speaker_reply::kind::error) {
        // parse_speaker_reply's stand-in for a missing message.
        auto message = reply.value().message == "(no message)" ? std::string() : reply.value().message;
        r.refused = reply.value().code == "unauthorized" || message.find("Unauthorized") != std::string::npos;
        r.error = message.empty() ? "the server answered with an error" : message;
        if (r.refused)
            r.error = "the server refused the API key (" + r.error +
                      "); set API_KEY in the environment or .env to the server's key";
        return r;
    }
    auto answer = protocol::parse_token_response(frame);
    if (!answer) {
        r.error = answer.error_message();
        return r;
    }
    const auto& a = answer.value();
    if (!a.credentials) {
        r.refused = a.code == "unauthorized";
        r.error = "the server could not give AWS credentials: " +
                  (a.error.empty() ? std::string("no reason given") : a.error);
        return r;
    }
    server_token t;
    t.credentials.access_key_id = a.credentials->access_key_id;
    t.credentials.secret_access_key = a.credentials->secret_access_key;
    t.credentials.session_token = a.credentials->session_token;
    t.credentials.source = source;
    t.region = a.region;
    if (t.credentials.access_key_id.empty() || t.credentials.secret_access_key.empty()) {
        r.error = "the server's token_response has no AccessKeyId/SecretAccessKey";
        return r;
    }
    if (!a.credentials->expiration.empty()) {
        auto when = aws::parse_iso8601(a.credentials->expiration);
        if (!when) {
            r.error = "the server's token_response has a bad Expiration: " + when.error_message();
            return r;
        }
        t.credentials.expiration = when.value();
    }
    r.token = std::move(t);
    return r;
}

namespace {

// Built outside the coroutine: GCC 12 miscompiles braced JSON initialisers inside one.
std::string generate_token_frame(const std::string& api_key) {
    protocol::generate_token m;
    if (!api_key.empty())
        m.api_key = api_key;
    return protocol::serialize(m);
}

template <class WS>
awaitable<void> exchange(WS& ws, const endpoint& ep, const std::string& api_key,
                         std::chrono::milliseconds timeout, token_reply& out) {
    // The caller bounds the whole exchange; these only keep a step from outliving it.
    net::connect_options limits;
    limits.connect_timeout = limits.handshake_timeout = timeout;
    co_await net::async_connect(ws.next_layer(), ep, limits);
    co_await net::async_upgrade(ws, ep, "lt-speech", limits);
    const std::string request = generate_token_frame(api_key);
    bool asked = false;
    for (;;) {
        beast::flat_buffer buffer;
        co_await ws.async_read(buffer, use_awaitable);
        std::string frame = beast::buffers_to_string(buffer.data());
        auto reply = protocol::parse_speaker_reply(frame);
        auto kind = reply ? reply.value().type : protocol::speaker_reply::kind::other;
        if (kind == protocol::speaker_reply::kind::status && !asked) {
            co_await ws.async_write(asio::buffer(request), use_awaitable);
            asked = true;
            continue;
        }
        if ((kind == protocol::speaker_reply::kind::error && asked) ||
            protocol::parse_token_response(frame)) {
            out = parse_token_frame(frame, "lt-server " + ep.url());
            break;
        }
    }
    boost::system::error_code ec;
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(2));
    co_await ws.async_close(websocket::close_code::normal, asio::redirect_error(use_awaitable, ec));
}

} // namespace

token_reply fetch_server_token(const endpoint& server, const std::string& api_key, const std::string& ca_file,
                               std::chrono::milliseconds timeout) {
    asio::io_context ioc;
    token_reply out;
    bool done = false;
    auto finished = [&](std::exception_ptr e) {
        done = true;
        if (!e)
            return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            out.token.reset();
            out.error = "cannot ask " + server.url() + " for AWS credentials: " + net::reason(ex);
        }
    };
    // Runs the exchange; past the timeout, ends it so nothing refers to `ws` afterwards.
    auto run = [&](auto& ws) {
        ioc.run_for(timeout);
        if (done)
            return;
        boost::system::error_code ec;
        beast::get_lowest_layer(ws).socket().close(ec);
        ioc.restart();
        ioc.run_for(std::chrono::seconds(2));
        out.token.reset();
        out.error =
            "no answer from " + server.url() + " within " + std::to_string(timeout.count() / 1000) + " s";
    };
    try {
        if (server.tls()) {
            auto tls = net::make_tls_context(ca_file);
            websocket::stream<net::tls_stream> ws(ioc, tls);
            asio::co_spawn(ioc, exchange(ws, server, api_key, timeout, out), finished);
            run(ws);
        } else {
            websocket::stream<net::tcp_stream> ws(ioc);
            asio::co_spawn(ioc, exchange(ws, server, api_key, timeout, out), finished);
            run(ws);
        }
    } catch (const std::exception& e) {
        out.token.reset();
        out.error = "cannot ask " + server.url() + " for AWS credentials: " + e.what();
    }
    return out;
}

} // namespace lt::speech
