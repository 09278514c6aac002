// lt::net: back-off bounds, endpoints and their Host header, error wording, and one
// connect sequence against real loopback listeners (TCP, TLS with a certificate made here,
// WebSocket), over IPv4 and IPv6.
#include "net/connect.hpp" // first: the header compiles on its own

#include "net/backoff.hpp"
#include "net/endpoint.hpp"
#include "net/reason.hpp"

#include "test_http_server.hpp" // closed_port(); test_tls.hpp: certificates, CA files

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using namespace std::chrono_literals;
using namespace lt;
using lt::net::endpoint;
using lt::test::ca_file;
using lt::test::closed_port;
using lt::test::self_signed;
using lt::test::test_cert;

namespace {

// ---- back-off ----

TEST(backoff, doubles_up_to_the_maximum_and_resets) {
    net::backoff b(100ms, 1000ms);
    EXPECT_EQ(b.next(), 100ms);
    EXPECT_EQ(b.next(), 200ms);
    EXPECT_EQ(b.next(), 400ms);
    EXPECT_EQ(b.next(), 800ms);
    EXPECT_EQ(b.next(), 1000ms);
    EXPECT_EQ(b.next(), 1000ms);
    b.reset();
    EXPECT_EQ(b.current(), 100ms);
    EXPECT_EQ(b.next(), 100ms);
}

TEST(backoff, jitter_stays_in_its_range_and_varies) {
    net::backoff b(1000ms, 16000ms, 0.8, 1.2);
    std::vector<std::chrono::milliseconds> firsts;
    for (int i = 0; i < 200; ++i) {
        auto d = b.next();
        EXPECT_GE(d, 800ms);
        EXPECT_LE(d, 1200ms);
        firsts.push_back(d);
        b.reset();
    }
    std::sort(firsts.begin(), firsts.end());
    EXPECT_LT(firsts.front(), firsts.back()) << "jitter varies the delay";
    for (int i = 0; i < 10; ++i)
        b.next();
    for (int i = 0; i < 50; ++i) {
        auto d = b.next();
        EXPECT_GE(d, 12800ms) << "capped at max before jitter";
        EXPECT_LE(d, 19200ms);
    }
}

TEST(backoff, each_callers_range) {
    net::backoff http(100ms, 2000ms, 0.5, 1.5);
    auto d = http.next();
    EXPECT_GE(d, 50ms);
    EXPECT_LE(d, 150ms);
    net::backoff redis(100ms, 5000ms, 0.5, 1.0);
    for (int i = 0; i < 10; ++i)
        redis.next();
    d = redis.next();
    EXPECT_GE(d, 2500ms);
    EXPECT_LE(d, 5000ms);
}

// ---- endpoints ----

TEST(endpoint, host_header_brackets_ipv6_and_drops_the_default_port) {
    endpoint a{"ws", "127.0.0.1", "5050", "/ws"};
    EXPECT_EQ(a.host_header(), "127.0.0.1:5050");
    EXPECT_EQ(a.url(), "ws://127.0.0.1:5050/ws");
    EXPECT_FALSE(a.tls());
    endpoint b{"ws", "::1", "5050", "/ws?room=a"};
    EXPECT_EQ(b.host_header(), "[::1]:5050");
    EXPECT_EQ(b.url(), "ws://[::1]:5050/ws?room=a");
    endpoint c{"wss", "::1", "443", "/ws"};
    EXPECT_TRUE(c.tls());
    EXPECT_EQ(c.host_header(), "[::1]");
    endpoint d{"https", "example.org", "443", ""};
    EXPECT_EQ(d.host_header(), "example.org");
    EXPECT_EQ(d.url(), "https://example.org");
    endpoint e{"http", "example.org", "80", "/p"};
    EXPECT_EQ(e.host_header(), "example.org");
    endpoint f{"http", "example.org", "443", ""};
    EXPECT_EQ(f.host_header(), "example.org:443") << "443 is not http's default";
}

TEST(endpoint, parse_url_reads_the_parts) {
    auto a = net::parse_url("WSS://Live.Example.org:8443/ws?room=hall#x");
    ASSERT_TRUE(a) << a.error_message();
    EXPECT_EQ(a.value().scheme, "wss");
    EXPECT_EQ(a.value().host, "Live.Example.org");
    EXPECT_EQ(a.value().port, "8443");
    EXPECT_EQ(a.value().target, "/ws?room=hall#x");
    auto b = net::parse_url("http://[::1]");
    ASSERT_TRUE(b) << b.error_message();
    EXPECT_EQ(b.value().host, "::1");
    EXPECT_EQ(b.value().port, "80");
    EXPECT_EQ(b.value().target, "");
    EXPECT_EQ(b.value().host_header(), "[::1]");
    auto c = net::parse_url("https://[fe80::1]:08443?x");
    ASSERT_TRUE(c) << c.error_message();
    EXPECT_EQ(c.value().port, "8443");
    EXPECT_EQ(c.value().target, "?x");
    EXPECT_EQ(c.value().host_header(), "[fe80::1]:8443");
    auto d = net::parse_url("http://127.0.0.1:5050");
    ASSERT_TRUE(d);
    EXPECT_EQ(d.value().host_header(), "127.0.0.1:5050");
    for (const char* bad :
         {"", "example.org", "ftp://x", "https://", "https://:443", "https://h:0", "https://h:99999",
          "https://h:x", "https://h:", "https://[::1", "https://[::1]x", "https://u@h", "http://a b"})
        EXPECT_FALSE(net::parse_url(bad)) << bad;
}

TEST(endpoint, ip_literals) {
    EXPECT_TRUE(net::is_ip_literal("127.0.0.1"));
    EXPECT_TRUE(net::is_ip_literal("::1"));
    EXPECT_FALSE(net::is_ip_literal("localhost"));
    EXPECT_FALSE(net::is_ip_literal("example.org"));
}

// ---- reasons ----

TEST(reason, says_what_happened_in_words) {
    EXPECT_EQ(net::reason(beast::error::timeout), "timed out");
    EXPECT_EQ(net::reason(websocket::error::closed), "the server closed the connection");
    EXPECT_EQ(net::reason(asio::error::eof), "the server closed the connection");
    EXPECT_EQ(net::reason(asio::error::connection_refused), "connection refused");
    EXPECT_EQ(net::reason(std::runtime_error("no acknowledgement")), "no acknowledgement");
    EXPECT_EQ(net::reason(boost::system::system_error(beast::error::timeout)), "timed out");
}

// ---- connecting ----

// Runs a coroutine to its end on a fresh io_context; rethrows what it threw.
template <class Make>
void run(Make make) {
    asio::io_context ioc;
    std::exception_ptr failure;
    asio::co_spawn(ioc, make(ioc), [&](std::exception_ptr e) { failure = e; });
    ioc.run_for(20s);
    if (failure)
        std::rethrow_exception(failure);
}

asio::awaitable<void> connect_plain(asio::io_context& ioc, endpoint ep) {
    net::tcp_stream s(ioc);
    co_await net::async_connect(s, ep);
    EXPECT_TRUE(s.socket().is_open());
}

TEST(connect, reaches_a_loopback_listener_over_ipv4_and_ipv6) {
    for (const char* host : {"127.0.0.1", "::1", "localhost"}) {
        asio::io_context server;
        tcp::acceptor a(
            server,
            tcp::endpoint(asio::ip::make_address(std::string(host) == "::1" ? "::1" : "127.0.0.1"), 0));
        endpoint ep{"http", host, std::to_string(a.local_endpoint().port()), "/"};
        EXPECT_NO_THROW(run([&](asio::io_context& ioc) { return connect_plain(ioc, ep); })) << host;
        // The blocking face: the same sequence.
        asio::io_context ioc;
        net::tcp_stream s(ioc);
        EXPECT_FALSE(net::connect(ioc, s, ep)) << host;
    }
}

TEST(connect, a_closed_port_is_connection_refused_at_the_connect_step) {
    endpoint ep{"http", "127.0.0.1", closed_port(), "/"};
    try {
        run([&](asio::io_context& ioc) { return connect_plain(ioc, ep); });
        FAIL() << "connected to a closed port";
    } catch (const net::connect_error& e) {
        EXPECT_EQ(e.where(), net::step::connect);
        EXPECT_EQ(net::reason(e), "connection refused");
    }
    asio::io_context ioc;
    net::tcp_stream s(ioc);
    auto f = net::connect(ioc, s, ep);
    ASSERT_TRUE(f);
    EXPECT_EQ(f.where, net::step::connect);
    EXPECT_EQ(net::reason(f.code), "connection refused");
}

TEST(connect, an_unknown_host_fails_at_the_resolve_step) {
    endpoint ep{"http", "no-such-host.invalid", "80", "/"};
    asio::io_context ioc;
    net::tcp_stream s(ioc);
    auto f = net::connect(ioc, s, ep, {.connect_timeout = 5s});
    ASSERT_TRUE(f);
    EXPECT_EQ(f.where, net::step::resolve);
}

// ---- TLS against a certificate made here ----

// Accepts TLS connections on a thread; records the server name each client sent (SNI).
class tls_listener {
public:
    explicit tls_listener(const test_cert& cert, const char* address = "127.0.0.1")
        : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address(address), 0)) {
        ctx_.use_certificate_chain(asio::buffer(cert.cert_pem));
        ctx_.use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
        thread_ = std::thread([this] { serve(); });
    }
    ~tls_listener() {
        stop_ = true;
        // A blocking accept() does not wake when the acceptor is closed: connect to wake it.
        asio::io_context ioc;
        tcp::socket poke(ioc);
        boost::system::error_code ec;
        poke.connect(acceptor_.local_endpoint(), ec);
        thread_.join();
    }
    std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }
    int handshakes() const { return handshakes_; }
    // The client may finish its side of the handshake before this thread has seen it.
    bool wait_for_handshakes(int n) const {
        for (int i = 0; i < 200 && handshakes_ < n; ++i)
            std::this_thread::sleep_for(10ms);
        return handshakes_ >= n;
    }
    std::string last_sni() const {
        std::lock_guard lock(mu_);
        return sni_;
    }

private:
    void serve() {
        while (!stop_) {
            boost::system::error_code ec;
            tcp::socket sock(ioc_);
            acceptor_.accept(sock, ec);
            if (ec || stop_)
                return;
            ssl::stream<tcp::socket> s(std::move(sock), ctx_);
            s.handshake(ssl::stream_base::server, ec);
            const char* name = SSL_get_servername(s.native_handle(), TLSEXT_NAMETYPE_host_name);
            {
                std::lock_guard lock(mu_);
                sni_ = name ? name : "";
            }
            if (!ec)
                ++handshakes_;
            s.lowest_layer().close(ec);
        }
    }

    asio::io_context ioc_;
    ssl::context ctx_{ssl::context::tls_server};
    tcp::acceptor acceptor_;
    std::atomic<bool> stop_{false};
    std::atomic<int> handshakes_{0};
    mutable std::mutex mu_;
    std::string sni_;
    std::thread thread_;
};

asio::awaitable<void> connect_tls(asio::io_context& ioc, ssl::context& ctx, endpoint ep) {
    net::tls_stream s(ioc, ctx);
    co_await net::async_connect(s, ep);
}

// Connects with `ctx`; "" on success, else the reason.
std::string try_tls(ssl::context& ctx, const endpoint& ep) {
    try {
        run([&](asio::io_context& ioc) { return connect_tls(ioc, ctx, ep); });
        return "";
    } catch (const net::connect_error& e) {
        EXPECT_EQ(e.where(), net::step::tls_handshake);
        return net::reason(e);
    }
}

TEST(connect_tls, an_untrusted_certificate_fails_and_a_trusted_one_connects) {
    auto cert = self_signed("DNS:localhost,IP:127.0.0.1,IP:::1");
    tls_listener server(cert);
    endpoint ep{"https", "localhost", server.port(), "/"};

    auto system_only = net::make_tls_context();
    auto why = try_tls(system_only, ep);
    EXPECT_NE(why.find("TLS certificate verify failed"), std::string::npos) << why;

    ca_file ca(cert.cert_pem);
    auto trusting = net::make_tls_context(ca.path);
    EXPECT_EQ(try_tls(trusting, ep), "");
    ASSERT_TRUE(server.wait_for_handshakes(1));
    EXPECT_EQ(server.last_sni(), "localhost");
    EXPECT_EQ(server.handshakes(), 1);
}

TEST(connect_tls, an_ip_address_sends_no_server_name_and_is_checked_against_ip_entries) {
    auto cert = self_signed("DNS:localhost,IP:127.0.0.1");
    tls_listener server(cert);
    ca_file ca(cert.cert_pem);
    auto ctx = net::make_tls_context(ca.path);
    EXPECT_EQ(try_tls(ctx, {"https", "localhost", server.port(), "/"}), "");
    ASSERT_TRUE(server.wait_for_handshakes(1));
    EXPECT_EQ(server.last_sni(), "localhost");
    EXPECT_EQ(try_tls(ctx, {"https", "127.0.0.1", server.port(), "/"}), "");
    ASSERT_TRUE(server.wait_for_handshakes(2));
    EXPECT_EQ(server.last_sni(), "") << "no SNI for an IP literal (RFC 6066)";

    // Trusted, but issued for another name.
    auto other = self_signed("DNS:other.example");
    tls_listener misnamed(other);
    ca_file other_ca(other.cert_pem);
    auto other_ctx = net::make_tls_context(other_ca.path);
    auto why = try_tls(other_ctx, {"https", "localhost", misnamed.port(), "/"});
    EXPECT_NE(why.find("TLS certificate verify failed"), std::string::npos) << why;
}

TEST(connect_tls, a_missing_ca_file_is_named) {
    try {
        net::make_tls_context("/nonexistent/ca.pem");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.pem"), std::string::npos);
    }
}

// ---- the WebSocket upgrade ----

asio::awaitable<void> upgrade_plain(asio::io_context& ioc, endpoint ep, std::string* got) {
    websocket::stream<net::tcp_stream> ws(ioc);
    co_await net::async_connect(ws.next_layer(), ep);
    co_await net::async_upgrade(ws, ep, "lt-net-test");
    co_await ws.async_write(asio::buffer(std::string("hello")), asio::use_awaitable);
    beast::flat_buffer buffer;
    co_await ws.async_read(buffer, asio::use_awaitable);
    *got = beast::buffers_to_string(buffer.data());
    co_await ws.async_close(websocket::close_code::normal, asio::use_awaitable);
}

TEST(upgrade, sends_an_ipv6_correct_host_header_target_and_user_agent) {
    asio::io_context server_ioc;
    tcp::acceptor a(server_ioc, tcp::endpoint(asio::ip::make_address("::1"), 0));
    auto port = std::to_string(a.local_endpoint().port());
    std::string host, target, agent;
    std::thread server([&] {
        tcp::socket sock(server_ioc);
        a.accept(sock);
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        http::read(sock, buffer, req);
        host = std::string(req[http::field::host]);
        target = std::string(req.target());
        agent = std::string(req[http::field::user_agent]);
        websocket::stream<tcp::socket> ws(std::move(sock));
        ws.accept(req);
        beast::flat_buffer in;
        ws.read(in);
        ws.write(in.data()); // echo
        boost::system::error_code ec;
        ws.read(in, ec); // the close
    });
    std::string got;
    endpoint ep{"ws", "::1", port, "/ws?room=hall"};
    EXPECT_NO_THROW(run([&](asio::io_context& ioc) { return upgrade_plain(ioc, ep, &got); }));
    server.join();
    EXPECT_EQ(host, "[::1]:" + port);
    EXPECT_EQ(target, "/ws?room=hall");
    EXPECT_EQ(agent, "lt-net-test");
    EXPECT_EQ(got, "hello");
}

} // namespace
