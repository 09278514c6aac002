// lt-server's own TLS (--tls-cert, --tls-key) over loopback: the real binaries, certificates
// made at run time, real https and wss clients (lt::net's connect, which checks the
// certificate and the address), lt-speech with --ca-file, and a SIGHUP reload.
#include "harness.hpp"
#include "net/connect.hpp"
#include "net/test_tls.hpp"

#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <csignal>
#include <fstream>

#include <sys/socket.h>
#include <sys/time.h>

using namespace lt::test;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

const std::string key = "tls-key";
const std::string san = "DNS:localhost,IP:127.0.0.1";

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Sync reads give up after 5 s instead of hanging the test.
void receive_timeout(lt::net::tls_stream& s) {
    timeval tv{5, 0};
    ::setsockopt(beast::get_lowest_layer(s).socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv,
                 sizeof tv);
}

// The certificate the server presented, as PEM.
std::string peer_pem(lt::net::tls_stream& s) {
    X509* x = SSL_get_peer_certificate(s.native_handle());
    if (!x)
        return "";
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, x);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    X509_free(x);
    return pem;
}

lt::net::endpoint at(unsigned short port, const std::string& scheme, const std::string& target = "") {
    return {scheme, "127.0.0.1", std::to_string(port), target};
}

struct https_reply {
    int status = 0;
    std::string body;
    std::string cert_pem; // the server's certificate
};

// GET over https, trusting `ca_path`; throws when the connection or the certificate fails.
https_reply https_get(unsigned short port, const std::string& target, const std::string& ca_path) {
    asio::io_context ioc;
    auto ctx = lt::net::make_tls_context(ca_path);
    lt::net::tls_stream stream(ioc, ctx);
    if (auto f = lt::net::connect(ioc, stream, at(port, "https")))
        throw std::runtime_error(std::string("connect: ") + f.code.message());
    receive_timeout(stream);
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return {static_cast<int>(res.result_int()), res.body(), peer_pem(stream)};
}

// A wss client: a viewer or a speaker.
class wss_client {
public:
    wss_client(unsigned short port, const std::string& ca_path)
        : ctx_(lt::net::make_tls_context(ca_path)), ws_(ioc_, ctx_) {
        if (auto f = lt::net::connect(ioc_, ws_.next_layer(), at(port, "wss")))
            throw std::runtime_error(std::string("connect: ") + f.code.message());
        receive_timeout(ws_.next_layer());
        ws_.handshake("127.0.0.1", "/ws");
        cert_pem = peer_pem(ws_.next_layer());
    }
    void send(const json& j) { ws_.write(asio::buffer(j.dump())); }
    // Bytes of our own making, straight into the TLS stream (past Beast's checks).
    void send_raw(const std::string& bytes) { asio::write(ws_.next_layer(), asio::buffer(bytes)); }
    // The bytes that arrive until the connection ends (at most 5 s a read), undecoded, so
    // that Beast does not answer a close frame.
    std::string read_raw() {
        std::string got;
        char buf[4096];
        beast::error_code ec;
        while (!ec && got.size() < 1'000'000)
            got.append(buf, ws_.next_layer().read_some(asio::buffer(buf), ec));
        return got;
    }
    // The next frame of `type` (others skipped); throws when none comes within 5 s.
    json receive_type(const std::string& type) {
        for (;;) {
            beast::flat_buffer b;
            ws_.read(b);
            auto j = json::parse(beast::buffers_to_string(b.data()));
            if (j.value("type", "") == type)
                return j;
        }
    }
    std::string cert_pem;

private:
    asio::io_context ioc_;
    ssl::context ctx_;
    websocket::stream<lt::net::tls_stream> ws_;
};

std::unique_ptr<wss_client> wss_viewer(unsigned short port, const std::string& ca_path) {
    auto v = std::make_unique<wss_client>(port, ca_path);
    v->receive_type("connection_status");
    v->send({{"type", "set_language"}, {"data", {{"lang", "en"}}}});
    v->receive_type("language_set");
    return v;
}

json new_text(const std::string& text, const std::string& id) {
    return {{"type", "new_text"},
            {"data", {{"text", text}, {"timestamp", "12:00:00"}, {"id", id}, {"api_key", key}}}};
}

// The certificate and key on disk, and a CA file trusting them.
struct tls_files {
    explicit tls_files(const test_cert& c) : cert(c.cert_pem), key(c.key_pem), ca(c.cert_pem) {}
    ca_file cert, key, ca;
};

// lt-server with TLS from `files`; waits for /health over https.
struct tls_server {
    explicit tls_server(const tls_files& files)
        : port(free_port()),
          process("apps/lt-server/lt-server",
                  {"--host", "127.0.0.1", "--port", std::to_string(port), "--web-root", source_path("web"),
                   "--translator", "none", "--tls-cert", files.cert.path, "--tls-key", files.key.path},
                  {{"API_KEY", key}}) {
        auto deadline = std::chrono::steady_clock::now() + 15s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (!process.running())
                throw std::runtime_error("lt-server exited at start:\n" + process.err());
            try {
                if (https_get(port, "/health", files.ca.path).status == 200)
                    return;
            } catch (const std::exception&) {
            }
            std::this_thread::sleep_for(50ms);
        }
        throw std::runtime_error("lt-server did not answer https /health within 15 s:\n" + process.err());
    }
    std::string log() const { return process.out() + process.err(); }
    // Whether the log says `text` within 10 s.
    bool logs(const std::string& text) const {
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (log().find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(20ms);
        return log().find(text) != std::string::npos;
    }
    unsigned short port;
    child_process process;
};

} // namespace

TEST(tls, page_health_and_captions_over_https_and_wss) {
    auto made = self_signed(san);
    tls_files files(made);
    tls_server server(files);

    auto health = https_get(server.port, "/health", files.ca.path);
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(json::parse(health.body)["status"], "healthy");
    EXPECT_EQ(health.cert_pem, made.cert_pem);
    auto page = https_get(server.port, "/", files.ca.path);
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("<html"), std::string::npos);
    // QR codes point at https without LT_PUBLIC_URL: the Host is 127.0.0.1, the code holds
    // https://127.0.0.1/ (the SVG itself is checked in tests/server/test_qr_svg.cpp).
    EXPECT_EQ(https_get(server.port, "/qr.svg", files.ca.path).status, 200);

    auto v = wss_viewer(server.port, files.ca.path);
    wss_client speaker(server.port, files.ca.path);
    speaker.receive_type("connection_status");
    for (int i = 0; i < 3; ++i)
        speaker.send(new_text("Caption number " + std::to_string(i) + ".", "t" + std::to_string(i)));
    for (int i = 0; i < 3; ++i) {
        auto f = v->receive_type("translated_text");
        EXPECT_EQ(f["data"]["text"], "Caption number " + std::to_string(i) + ".");
    }
    EXPECT_NE(server.log().find("TLS: certificate subject CN = lt-test, expires"), std::string::npos)
        << server.log();
    EXPECT_NE(server.log().find("listening on https://127.0.0.1:"), std::string::npos);
}

// Over TLS a close code of 5000 and above used to cut the connection without a close frame;
// plain WebSocket answers 1002 (see test_hostile_integration.cpp).
TEST(tls, an_invalid_close_code_gets_1002_over_wss) {
    auto made = self_signed(san);
    tls_files files(made);
    tls_server server(files);
    for (std::uint16_t code : {5000, 65535}) {
        auto v = wss_viewer(server.port, files.ca.path);
        v->send_raw(close_frame(code));
        EXPECT_EQ(close_code_in(v->read_raw()), 1002) << "close code " << code;
    }
    // A valid one is still echoed.
    auto v = wss_viewer(server.port, files.ca.path);
    v->send_raw(close_frame(4000));
    EXPECT_EQ(close_code_in(v->read_raw()), 4000);
}

TEST(tls, plain_http_to_the_tls_port_gets_a_clear_400) {
    auto made = self_signed(san);
    tls_files files(made);
    tls_server server(files);
    auto r = http_get(server.port, "/health");
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("this port speaks https"), std::string::npos) << r.body;
    // The server goes on serving https.
    EXPECT_EQ(https_get(server.port, "/health", files.ca.path).status, 200);
}

TEST(tls, a_client_that_does_not_trust_the_certificate_is_refused) {
    tls_files files(self_signed(san));
    tls_server server(files);
    ca_file wrong_ca(self_signed(san).cert_pem);
    EXPECT_THROW(https_get(server.port, "/health", wrong_ca.path), std::exception);
}

TEST(tls, tls_1_1_is_refused) {
    tls_files files(self_signed(san));
    tls_server server(files);
    asio::io_context ioc;
    ssl::context ctx(ssl::context::tls_client);
    SSL_CTX_set_security_level(ctx.native_handle(), 0); // lets the client offer TLS 1.1 at all
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_1_VERSION);
    SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_1_VERSION);
    beast::ssl_stream<beast::tcp_stream> s(ioc, ctx);
    beast::get_lowest_layer(s).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port));
    receive_timeout(s);
    beast::error_code ec;
    s.handshake(ssl::stream_base::client, ec);
    EXPECT_TRUE(ec) << "a TLS 1.1 handshake succeeded";
    // The server refused it (not only this client's OpenSSL).
    auto metrics = https_get(server.port, "/metrics", files.ca.path).body;
    EXPECT_NE(metrics.find("lt_tls_handshakes_failed_total 1"), std::string::npos) << metrics;
}

TEST(tls, sighup_serves_the_new_certificate_and_keeps_open_viewers) {
    auto first = self_signed(san);
    auto second = self_signed(san);
    tls_files files(first);
    // Both are "CN=lt-test": one CA file each (a store holding both finds only one by name).
    ca_file second_ca(second.cert_pem);
    tls_server server(files);

    auto old_viewer = wss_viewer(server.port, files.ca.path);
    EXPECT_EQ(old_viewer->cert_pem, first.cert_pem);

    // A renewal: the files change, then SIGHUP.
    write_file(files.cert.path, second.cert_pem);
    write_file(files.key.path, second.key_pem);
    ASSERT_EQ(::kill(server.process.pid(), SIGHUP), 0);
    ASSERT_TRUE(server.logs("SIGHUP: reloaded TLS certificate")) << server.log();
    EXPECT_EQ(https_get(server.port, "/health", second_ca.path).cert_pem, second.cert_pem);

    // The viewer from before the reload keeps getting captions from a speaker after it.
    wss_client speaker(server.port, second_ca.path);
    EXPECT_EQ(speaker.cert_pem, second.cert_pem);
    speaker.receive_type("connection_status");
    speaker.send(new_text("After the renewal.", "r1"));
    EXPECT_EQ(old_viewer->receive_type("translated_text")["data"]["text"], "After the renewal.");

    // A broken renewal (a key that does not match) keeps the certificate that works.
    write_file(files.key.path, first.key_pem);
    ASSERT_EQ(::kill(server.process.pid(), SIGHUP), 0);
    ASSERT_TRUE(server.logs("still serving the previous certificate")) << server.log();
    EXPECT_NE(server.log().find("does not match the certificate"), std::string::npos) << server.log();
    EXPECT_EQ(https_get(server.port, "/health", second_ca.path).cert_pem, second.cert_pem);
    EXPECT_EQ(server.process.stop(SIGTERM, 10s), 0);
}

TEST(tls, lt_speech_publishes_over_wss_with_ca_file) {
    auto made = self_signed(san);
    tls_files files(made);
    tls_server server(files);
    auto v = wss_viewer(server.port, files.ca.path);
    const std::string clip = "/usr/share/pocketsphinx/test/data/librivox/"
                             "sense_and_sensibility_01_austen_64kb-0880.wav"; // 3.0 s
    child_process speaker("apps/lt-speech/lt-speech",
                          {"https://127.0.0.1:" + std::to_string(server.port), "--no-meter", "--input", clip,
                           "--fast", "--ca-file", files.ca.path},
                          {{"API_KEY", key}});
    json final_caption;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
        auto f = v->receive_type("translated_text");
        if (!f["data"].value("partial", false)) {
            final_caption = f;
            break;
        }
    }
    ASSERT_FALSE(final_caption.is_null());
    EXPECT_FALSE(final_caption["data"]["text"].get<std::string>().empty());
    EXPECT_EQ(speaker.wait(30s), 0) << speaker.err();
}
