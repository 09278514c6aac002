// Boost 1.74 asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include "speech/token.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <nlohmann/json.hpp>

namespace lt::speech {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;
using json = nlohmann::json;

token_reply parse_token_frame(std::string_view frame, const std::string& source) {
    token_reply r;
    json j = json::parse(frame, nullptr, false);
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
        r.error = "the server sent a frame that is not a protocol message";
        return r;
    }
    static const json empty = json::object();
    const json& d = j.contains("data") && j["data"].is_object() ? j["data"] : empty;
    auto str = [](const json& o, const char* k) {
        auto it = o.find(k);
        return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string type = j["type"];
    if (type == "error") {
        std::string code = str(d, "code"), message = str(d, "message");
        r.refused = code == "unauthorized" || message.find("Unauthorized") != std::string::npos;
        r.error = message.empty() ? "the server answered with an error" : message;
        if (r.refused)
            r.error = "the server refused the API key (" + r.error +
                      "); set API_KEY in the environment or .env to the server's key";
        return r;
    }
    if (type != "token_response") {
        r.error = "unexpected '" + type + "' frame";
        return r;
    }
    if (str(d, "status") != "success") {
        std::string e = str(d, "error");
        r.refused = str(d, "code") == "unauthorized";
        r.error = "the server could not give AWS credentials: " + (e.empty() ? std::string("no reason given") : e);
        return r;
    }
    const json& c = d.contains("credentials") && d["credentials"].is_object() ? d["credentials"] : empty;
    server_token t;
    t.credentials.access_key_id = str(c, "AccessKeyId");
    t.credentials.secret_access_key = str(c, "SecretAccessKey");
    t.credentials.session_token = str(c, "SessionToken");
    t.credentials.source = source;
    t.region = str(d, "region");
    if (t.credentials.access_key_id.empty() || t.credentials.secret_access_key.empty()) {
        r.error = "the server's token_response has no AccessKeyId/SecretAccessKey";
        return r;
    }
    if (auto exp = str(c, "Expiration"); !exp.empty()) {
        auto when = aws::parse_iso8601(exp);
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
    json d = json::object();
    if (!api_key.empty())
        d["api_key"] = api_key;
    return json{{"type", "generate_token"}, {"data", d}}.dump();
}

template <class WS>
awaitable<void> exchange(WS& ws, const endpoint& ep, const std::string& api_key, token_reply& out) {
    auto& tcp_layer = beast::get_lowest_layer(ws);
    tcp::resolver resolver(ws.get_executor());
    auto addresses = co_await resolver.async_resolve(ep.host, ep.port, use_awaitable);
    co_await tcp_layer.async_connect(addresses, use_awaitable);
    if constexpr (!std::is_same_v<WS, websocket::stream<beast::tcp_stream>>) {
        if (!SSL_set_tlsext_host_name(ws.next_layer().native_handle(), ep.host.c_str()))
            throw std::runtime_error("cannot set TLS server name " + ep.host);
        ws.next_layer().set_verify_callback(ssl::host_name_verification(ep.host));
        co_await ws.next_layer().async_handshake(ssl::stream_base::client, use_awaitable);
    }
    std::string host = ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host;
    if (ep.port != (ep.tls ? "443" : "80"))
        host += ":" + ep.port;
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "lt-speech"); }));
    co_await ws.async_handshake(host, ep.target, use_awaitable);
    const std::string request = generate_token_frame(api_key);
    bool asked = false;
    for (;;) {
        beast::flat_buffer buffer;
        co_await ws.async_read(buffer, use_awaitable);
        std::string frame = beast::buffers_to_string(buffer.data());
        json j = json::parse(frame, nullptr, false);
        std::string type = j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : "";
        if (type == "connection_status" && !asked) {
            co_await ws.async_write(net::buffer(request), use_awaitable);
            asked = true;
            continue;
        }
        if (type == "token_response" || (type == "error" && asked)) {
            out = parse_token_frame(frame, "lt-server " + ep.url());
            break;
        }
    }
    boost::system::error_code ec;
    tcp_layer.expires_after(std::chrono::seconds(2));
    co_await ws.async_close(websocket::close_code::normal, net::redirect_error(use_awaitable, ec));
}

} // namespace

token_reply fetch_server_token(const endpoint& server, const std::string& api_key, const std::string& ca_file,
                               std::chrono::milliseconds timeout) {
    net::io_context ioc;
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
            out.error = "cannot ask " + server.url() + " for AWS credentials: " + ex.what();
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
        out.error = "no answer from " + server.url() + " within " + std::to_string(timeout.count() / 1000) + " s";
    };
    try {
        if (server.tls) {
            ssl::context tls(ssl::context::tls_client);
            tls.set_default_verify_paths();
            tls.set_verify_mode(ssl::verify_peer);
            if (!ca_file.empty())
                tls.load_verify_file(ca_file);
            websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, tls);
            net::co_spawn(ioc, exchange(ws, server, api_key, out), finished);
            run(ws);
        } else {
            websocket::stream<beast::tcp_stream> ws(ioc);
            net::co_spawn(ioc, exchange(ws, server, api_key, out), finished);
            run(ws);
        }
    } catch (const std::exception& e) {
        out.token.reset();
        out.error = "cannot ask " + server.url() + " for AWS credentials: " + e.what();
    }
    return out;
}

} // namespace lt::speech
