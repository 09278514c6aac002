// An HTTP/1.1 server for client tests on 127.0.0.1 (an ephemeral port, its own thread),
// plain or TLS: records each request, answers as a handler says (status, headers, body),
// or misbehaves on purpose (never answers, closes after answering without saying so,
// closes instead of answering).
#pragma once

#include "test_tls.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lt::test {

struct recorded {
    std::string method, target, body, sni;
    std::map<std::string, std::string> headers; // lower-case names
    std::string header(const std::string& n) const {
        auto it = headers.find(n);
        return it == headers.end() ? std::string() : it->second;
    }
};

struct reply {
    int status = 200;
    std::string body = "{\"ok\":true}";
    std::string content_type = "application/x-amz-json-1.1";
    std::vector<std::pair<std::string, std::string>> headers; // Retry-After, Transfer-Encoding: chunked
    bool hang = false;                                        // never answer
    bool close = false; // close the connection after answering, without saying so
    bool drop = false;  // close the connection instead of answering
};

// A TLS server context with a self-signed certificate for `san`, and a CA file trusting it.
struct tls_setup {
    explicit tls_setup(const std::string& san) : cert(self_signed(san)), ca(cert.cert_pem) {
        ctx.use_certificate_chain(boost::asio::buffer(cert.cert_pem));
        ctx.use_private_key(boost::asio::buffer(cert.key_pem), boost::asio::ssl::context::pem);
    }
    test_cert cert;
    ca_file ca;
    boost::asio::ssl::context ctx{boost::asio::ssl::context::tls_server};
};

class test_server {
    using tcp = boost::asio::ip::tcp;
    using error_code = boost::beast::error_code;

public:
    using handler = std::function<reply(int index, const recorded&)>;

    explicit test_server(handler h, boost::asio::ssl::context* tls = nullptr)
        : acceptor_(ioc_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
          handler_(std::move(h)), tls_(tls) {
        accept();
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~test_server() {
        boost::asio::post(ioc_, [this] {
            error_code ec;
            acceptor_.close(ec);
            for (auto& close : closers_)
                close();
        });
        thread_.join();
    }
    test_server(const test_server&) = delete;
    test_server& operator=(const test_server&) = delete;

    std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }
    int connections() const { return connections_; }
    std::vector<recorded> requests() const {
        std::lock_guard lock(mu_);
        return requests_;
    }

private:
    template <class Stream>
    struct session : std::enable_shared_from_this<session<Stream>> {
        template <class... Args>
        session(test_server& s, Args&&... args) : srv(s), stream(std::forward<Args>(args)...) {}
        test_server& srv;
        Stream stream;
        boost::beast::flat_buffer buffer;
        boost::beast::http::request<boost::beast::http::string_body> req;
        boost::beast::http::response<boost::beast::http::string_body> res;
        std::string sni;

        tcp::socket& socket() { return boost::beast::get_lowest_layer(stream); }
        void close() {
            error_code ec;
            socket().shutdown(tcp::socket::shutdown_both, ec);
            socket().close(ec);
        }
        void read() {
            req = {};
            boost::beast::http::async_read(stream, buffer, req,
                                           [self = this->shared_from_this()](error_code ec, std::size_t) {
                                               if (!ec)
                                                   self->answer();
                                           });
        }
        void answer() {
            recorded r;
            r.method = std::string(req.method_string());
            r.target = std::string(req.target());
            r.body = req.body();
            r.sni = sni;
            for (const auto& f : req) {
                std::string n(f.name_string());
                std::transform(n.begin(), n.end(), n.begin(),
                               [](unsigned char c) { return std::tolower(c); });
                r.headers[n] = std::string(f.value());
            }
            int index;
            {
                std::lock_guard lock(srv.mu_);
                index = static_cast<int>(srv.requests_.size());
                srv.requests_.push_back(r);
            }
            reply rep = srv.handler_(index, r);
            if (rep.hang)
                return;
            if (rep.drop) {
                close();
                return;
            }
            res = {};
            res.version(11);
            res.result(static_cast<unsigned>(rep.status));
            res.set(boost::beast::http::field::content_type, rep.content_type);
            res.set("x-amzn-RequestId", "test-" + std::to_string(index));
            res.body() = rep.body;
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            for (const auto& [name, value] : rep.headers) {
                if (name == "Transfer-Encoding" && value == "chunked")
                    res.chunked(true); // instead of Content-Length
                else
                    res.set(name, value);
            }
            boost::beast::http::async_write(
                stream, res, [self = this->shared_from_this(), rep](error_code ec, std::size_t) {
                    if (ec)
                        return;
                    if (rep.close)
                        self->close();
                    else
                        self->read();
                });
        }
    };

    template <class S>
    void keep(const std::shared_ptr<S>& s) {
        closers_.push_back([s] { s->close(); });
    }

    void accept() {
        acceptor_.async_accept([this](error_code ec, tcp::socket sock) {
            if (ec)
                return;
            ++connections_;
            if (!tls_) {
                auto s = std::make_shared<session<tcp::socket>>(*this, std::move(sock));
                keep(s);
                s->read();
            } else {
                using tls_socket = boost::asio::ssl::stream<tcp::socket>;
                auto s = std::make_shared<session<tls_socket>>(*this, std::move(sock), *tls_);
                keep(s);
                s->stream.async_handshake(boost::asio::ssl::stream_base::server, [s](error_code hec) {
                    if (hec)
                        return;
                    if (const char* name =
                            SSL_get_servername(s->stream.native_handle(), TLSEXT_NAMETYPE_host_name))
                        s->sni = name;
                    s->read();
                });
            }
            accept();
        });
    }

    boost::asio::io_context ioc_;
    tcp::acceptor acceptor_;
    handler handler_;
    boost::asio::ssl::context* tls_;
    std::thread thread_;
    mutable std::mutex mu_;
    std::vector<recorded> requests_;
    std::atomic<int> connections_{0};
    std::vector<std::function<void()>> closers_; // io thread only; keeps hanging sessions alive
};

// A loopback port where nothing listens.
inline std::string closed_port() {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    auto port = a.local_endpoint().port();
    a.close();
    return std::to_string(port);
}

} // namespace lt::test
