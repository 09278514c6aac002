// service_client against small loopback servers (plain HTTP, and HTTPS with a certificate
// made at run time): signing, connection reuse, retries, timeouts and error messages.
#include "aws/http_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using namespace lt::aws;
using namespace std::chrono_literals;

namespace {

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
    bool hang = false;  // never answer
    bool close = false; // close the connection after answering, without saying so
    bool drop = false;  // close the connection instead of answering
};

// An HTTP/1.1 server on 127.0.0.1 with an ephemeral port, on its own thread.
class test_server {
public:
    using handler = std::function<reply(int index, const recorded&)>;

    explicit test_server(handler h, ssl::context* tls = nullptr)
        : acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)), handler_(std::move(h)),
          tls_(tls) {
        accept();
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~test_server() {
        net::post(ioc_, [this] {
            beast::error_code ec;
            acceptor_.close(ec);
            for (auto& close : closers_)
                close();
        });
        thread_.join();
    }

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
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        http::response<http::string_body> res;
        std::string sni;

        tcp::socket& socket() { return beast::get_lowest_layer(stream); }
        void close() {
            beast::error_code ec;
            socket().shutdown(tcp::socket::shutdown_both, ec);
            socket().close(ec);
        }
        void read() {
            req = {};
            http::async_read(stream, buffer, req,
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
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
            res.set(http::field::content_type, rep.content_type);
            res.set("x-amzn-RequestId", "test-" + std::to_string(index));
            res.body() = rep.body;
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            http::async_write(stream, res,
                              [self = this->shared_from_this(), rep](beast::error_code ec, std::size_t) {
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
        acceptor_.async_accept([this](beast::error_code ec, tcp::socket sock) {
            if (ec)
                return;
            ++connections_;
            if (!tls_) {
                auto s = std::make_shared<session<tcp::socket>>(*this, std::move(sock));
                keep(s);
                s->read();
            } else {
                auto s = std::make_shared<session<ssl::stream<tcp::socket>>>(*this, std::move(sock), *tls_);
                keep(s);
                s->stream.async_handshake(ssl::stream_base::server, [s](beast::error_code hec) {
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

    net::io_context ioc_;
    tcp::acceptor acceptor_;
    handler handler_;
    ssl::context* tls_;
    std::thread thread_;
    mutable std::mutex mu_;
    std::vector<recorded> requests_;
    std::atomic<int> connections_{0};
    std::vector<std::function<void()>> closers_; // io thread only; keeps hanging sessions alive
};

credentials test_credentials(const std::string& token = "") {
    credentials c;
    c.access_key_id = "AKIDTEST";
    c.secret_access_key = "secret/test+key";
    c.session_token = token;
    return c;
}

endpoint local(const std::string& port, const std::string& scheme = "http",
               const std::string& host = "127.0.0.1") {
    endpoint ep;
    ep.scheme = scheme;
    ep.host = host;
    ep.port = port;
    return ep;
}

client_options fast_options() {
    client_options o;
    o.connect_timeout = 1000ms;
    o.request_timeout = 2000ms;
    o.base_backoff = 10ms;
    o.max_backoff = 50ms;
    return o;
}

std::string json_error(const std::string& type, const std::string& message) {
    return "{\"__type\":\"" + type + "\",\"message\":\"" + message + "\"}";
}

// Checks the signature the way AWS would: re-sign the received request at its own date.
void expect_valid_signature(const recorded& r, const credentials& creds, const std::string& region,
                            const std::string& service) {
    auto authz = r.header("authorization");
    auto sh = authz.find("SignedHeaders=");
    ASSERT_NE(sh, std::string::npos) << authz;
    auto names_end = authz.find(',', sh);
    std::string names = authz.substr(sh + 14, names_end - sh - 14);
    http_request_parts parts;
    parts.method = r.method;
    parts.target = r.target;
    parts.body = r.body;
    std::size_t pos = 0;
    while (pos <= names.size()) {
        auto next = names.find(';', pos);
        if (next == std::string::npos)
            next = names.size();
        auto n = names.substr(pos, next - pos);
        if (n != "x-amz-date" && n != "x-amz-security-token")
            parts.headers.emplace_back(n, r.header(n));
        pos = next + 1;
    }
    auto d = r.header("x-amz-date"); // 20150830T123600Z
    ASSERT_EQ(d.size(), 16u);
    auto when = parse_iso8601(d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2) + "T" +
                              d.substr(9, 2) + ":" + d.substr(11, 2) + ":" + d.substr(13, 2) + "Z");
    ASSERT_TRUE(when.ok());
    signing_params p;
    p.region = region;
    p.service = service;
    p.when = when.value();
    auto steps = sign_request(parts, creds, p);
    EXPECT_EQ(steps.authorization, authz);
}

TEST(http_client, signs_records_and_reuses_one_connection) {
    test_server server([](int, const recorded&) { return reply{}; });
    auto creds = test_credentials("session-token");
    service_client client(local(server.port()), "eu-west-2", translate_service(), make_static_provider(creds),
                          fast_options());
    const std::string target = "AWSShineFrontendService_20170701.TranslateText";
    const std::string body = R"({"Text":"hello","SourceLanguageCode":"en","TargetLanguageCode":"fr"})";
    auto a = client.call_json(target, body);
    ASSERT_TRUE(a.ok()) << a.error_message();
    EXPECT_EQ(a.value(), "{\"ok\":true}");
    auto b = client.call_json(target, body);
    ASSERT_TRUE(b.ok()) << b.error_message();

    EXPECT_EQ(server.connections(), 1);
    EXPECT_EQ(client.attempts(), 2u);
    auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    for (const auto& r : reqs) {
        EXPECT_EQ(r.method, "POST");
        EXPECT_EQ(r.target, "/");
        EXPECT_EQ(r.header("host"), "127.0.0.1:" + server.port());
        EXPECT_EQ(r.header("x-amz-target"), target);
        EXPECT_EQ(r.header("content-type"), "application/x-amz-json-1.1");
        EXPECT_EQ(r.header("content-length"), std::to_string(body.size()));
        EXPECT_EQ(r.header("x-amz-security-token"), "session-token");
        EXPECT_TRUE(r.header("authorization").starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"))
            << r.header("authorization");
        EXPECT_NE(r.header("authorization").find("/eu-west-2/translate/aws4_request"), std::string::npos);
        EXPECT_NE(r.header("authorization").find("x-amz-target"), std::string::npos);
        EXPECT_EQ(r.body, body);
        expect_valid_signature(r, creds, "eu-west-2", "translate");
    }
}

TEST(http_client, query_protocol_and_base_path) {
    test_server server([](int, const recorded&) {
        reply r;
        r.content_type = "text/xml";
        r.body = "<GetCallerIdentityResponse/>";
        return r;
    });
    auto ep = local(server.port());
    ep.target = "/prefix";
    auto creds = test_credentials();
    service_client client(ep, "us-east-1", sts_service(), make_static_provider(creds), fast_options());
    auto r =
        client.call_query({{"Action", "GetCallerIdentity"}, {"Version", "2011-06-15"}, {"X", "a b&c=d/é"}});
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(r.value(), "<GetCallerIdentityResponse/>");
    auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].target, "/prefix/");
    EXPECT_EQ(reqs[0].header("content-type"), "application/x-www-form-urlencoded; charset=utf-8");
    EXPECT_EQ(reqs[0].body, "Action=GetCallerIdentity&Version=2011-06-15&X=a%20b%26c%3Dd%2F%C3%A9");
    EXPECT_EQ(reqs[0].header("x-amz-security-token"), "");
    expect_valid_signature(reqs[0], creds, "us-east-1", "sts");
    EXPECT_EQ(client.where().target, "/prefix");
}

TEST(http_client, send_passes_method_target_and_headers) {
    test_server server([](int, const recorded&) { return reply{}; });
    service_client client(local(server.port()), "eu-west-2", translate_service(),
                          make_static_provider(test_credentials()), fast_options());
    http_request_parts req;
    req.method = "GET";
    req.target = "/things?b=2&a=1";
    req.headers = {{"X-Custom", "v"}, {"Host", "ignored.example"}};
    auto r = client.send(req);
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(r.value().status, 200);
    EXPECT_EQ(r.value().header("X-AMZN-REQUESTID"), "test-0");
    EXPECT_EQ(r.value().header("absent"), "");
    auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "GET");
    EXPECT_EQ(reqs[0].target, "/things?b=2&a=1");
    EXPECT_EQ(reqs[0].header("x-custom"), "v");
    EXPECT_EQ(reqs[0].header("host"), "127.0.0.1:" + server.port());
    expect_valid_signature(reqs[0], test_credentials(), "eu-west-2", "translate");
}

TEST(http_client, retries_503_then_succeeds) {
    test_server server([](int i, const recorded&) {
        reply r;
        if (i < 2) {
            r.status = 503;
            r.body = json_error("ServiceUnavailableException", "try later");
        }
        return r;
    });
    service_client client(local(server.port()), "eu-west-2", translate_service(),
                          make_static_provider(test_credentials()), fast_options());
    auto r = client.call_json("X.TranslateText", "{}");
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(client.attempts(), 3u);
    EXPECT_EQ(server.requests().size(), 3u);
    EXPECT_EQ(server.connections(), 1); // error answers keep the connection
}

TEST(http_client, gives_up_after_max_attempts) {
    test_server server([](int, const recorded&) {
        reply r;
        r.status = 500;
        r.body = json_error("InternalServerException", "boom");
        return r;
    });
    service_client client(local(server.port()), "eu-west-2", translate_service(),
                          make_static_provider(test_credentials()), fast_options());
    auto r = client.call_json("X.TranslateText", "{}");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(client.attempts(), 3u);
    EXPECT_NE(r.error_message().find("translate InternalServerException: boom"), std::string::npos)
        << r.error_message();
    EXPECT_NE(r.error_message().find("3 attempts"), std::string::npos) << r.error_message();
}

TEST(http_client, retries_throttling) {
    test_server server([](int i, const recorded&) {
        reply r;
        if (i == 0) {
            r.status = 400;
            r.body = json_error("ThrottlingException", "Rate exceeded");
        }
        return r;
    });
    service_client client(local(server.port()), "eu-west-2", translate_service(),
                          make_static_provider(test_credentials()), fast_options());
    auto r = client.call_json("X.TranslateText", "{}");
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(client.attempts(), 2u);
}

TEST(http_client, expired_token_is_not_retried_and_says_so) {
    test_server server([](int, const recorded&) {
        reply r;
        r.status = 403;
        r.body = json_error("com.amazon.coral.service#ExpiredTokenException",
                            "The security token included in the request is expired");
        return r;
    });
    std::atomic<int> fetches{0};
    auto provider = std::make_shared<refreshing_provider>([&]() -> lt::core::result<credentials> {
        ++fetches;
        auto c = test_credentials("t");
        c.expiration = clock::now() + 1h;
        return c;
    });
    service_client client(local(server.port()), "eu-west-2", translate_service(), provider, fast_options());
    auto r = client.call_json("X.TranslateText", "{}");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(client.attempts(), 1u);
    EXPECT_EQ(
        r.error_message(),
        "translate ExpiredTokenException: The security token included in the request is expired (the AWS "
        "credentials have expired; refresh them or ask the server for a new token)");
    // The cached credentials were dropped: the next call fetches new ones.
    EXPECT_FALSE(client.call_json("X.TranslateText", "{}").ok());
    EXPECT_EQ(fetches, 2);
}

TEST(http_client, auth_errors_carry_hints) {
    struct expectation {
        reply answer;
        std::vector<std::string> parts;
    };
    auto json = [](int status, const std::string& type, const std::string& msg) {
        reply r;
        r.status = status;
        r.body = json_error(type, msg);
        return r;
    };
    std::vector<expectation> cases = {
        {json(400, "UnrecognizedClientException", "The security token included in the request is invalid."),
         {"translate UnrecognizedClientException", "access key ID"}},
        {json(403, "InvalidSignatureException", "The request signature we calculated does not match"),
         {"InvalidSignatureException", "secret access key", "clock"}},
        {json(400, "AccessDeniedException",
              "User: arn:aws:iam::123456789012:user/x is not authorized to perform: translate:TranslateText"),
         {"AccessDeniedException", "allow translate:TranslateText", "IAM"}},
        {json(400, "AccessDeniedException", "denied"), {"allow translate:TranslateText"}},
        {json(400, "ValidationException", "Text is too long"),
         {"translate ValidationException: Text is too long"}},
    };
    for (const auto& c : cases) {
        test_server server([&](int, const recorded&) { return c.answer; });
        service_client client(local(server.port()), "eu-west-2", translate_service(),
                              make_static_provider(test_credentials()), fast_options());
        auto r = client.call_json("AWSShineFrontendService_20170701.TranslateText", "{}");
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(client.attempts(), 1u) << r.error_message();
        for (const auto& p : c.parts)
            EXPECT_NE(r.error_message().find(p), std::string::npos) << p << " not in: " << r.error_message();
    }
}

TEST(http_client, xml_sts_error) {
    test_server server([](int, const recorded&) {
        reply r;
        r.status = 403;
        r.content_type = "text/xml";
        r.body = R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>InvalidClientTokenId</Code>
    <Message>The security token included in the request is invalid &amp; unknown.</Message>
  </Error>
  <RequestId>4f3b</RequestId>
</ErrorResponse>)";
        return r;
    });
    service_client client(local(server.port()), "us-east-1", sts_service(),
                          make_static_provider(test_credentials()), fast_options());
    auto r = client.call_query({{"Action", "GetCallerIdentity"}, {"Version", "2011-06-15"}});
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.error_message().starts_with(
        "sts InvalidClientTokenId: The security token included in the request is invalid & unknown. ("))
        << r.error_message();
    EXPECT_NE(r.error_message().find("access key ID"), std::string::npos);
    EXPECT_EQ(client.attempts(), 1u);
}

TEST(http_client, reconnects_when_the_server_closed_an_idle_connection) {
    test_server server([](int i, const recorded&) {
        reply r;
        r.close = i == 0; // answer, then close without "Connection: close"
        return r;
    });
    service_client client(local(server.port()), "eu-west-2", translate_service(),
                          make_static_provider(test_credentials()), fast_options());
    ASSERT_TRUE(client.call_json("X.A", "{}").ok());
    std::this_thread::sleep_for(50ms); // let the FIN arrive
    auto r = client.call_json("X.A", "{}");
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(client.attempts(), 2u);
    EXPECT_EQ(server.connections(), 2);
}

TEST(http_client, a_reused_connection_dropped_mid_request_is_not_a_retry) {
    test_server server([](int i, const recorded&) {
        reply r;
        r.drop = i == 1; // the second request, on the reused connection, sees it closed
        return r;
    });
    service_client client(local(server.port()), "eu-west-2", translate_service(),
                          make_static_provider(test_credentials()), fast_options());
    ASSERT_TRUE(client.call_json("X.A", "{}").ok());
    auto r = client.call_json("X.A", "{}");
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(client.attempts(), 2u);
    EXPECT_EQ(server.connections(), 2);
    EXPECT_EQ(server.requests().size(), 3u);
}

TEST(http_client, a_silent_server_times_out_within_the_bound) {
    test_server server([](int, const recorded&) {
        reply r;
        r.hang = true;
        return r;
    });
    auto o = fast_options();
    o.request_timeout = 300ms;
    o.max_attempts = 2;
    service_client client(local(server.port()), "eu-west-2", translate_service(),
                          make_static_provider(test_credentials()), o);
    auto start = std::chrono::steady_clock::now();
    auto r = client.call_json("X.A", "{}");
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_LT(took, 2s);
    EXPECT_GE(took, 550ms);
    EXPECT_EQ(client.attempts(), 2u);
    EXPECT_NE(r.error_message().find("timed out"), std::string::npos) << r.error_message();
    EXPECT_NE(r.error_message().find("http://127.0.0.1:" + server.port()), std::string::npos)
        << r.error_message();
    EXPECT_NE(r.error_message().find("2 attempts"), std::string::npos) << r.error_message();
}

TEST(http_client, refused_port_is_a_clear_error) {
    std::string port;
    {
        net::io_context ioc;
        tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
        port = std::to_string(a.local_endpoint().port());
    }
    auto o = fast_options();
    o.max_attempts = 2;
    service_client client(local(port), "eu-west-2", translate_service(),
                          make_static_provider(test_credentials()), o);
    auto start = std::chrono::steady_clock::now();
    auto r = client.call_json("X.A", "{}");
    ASSERT_FALSE(r.ok());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_NE(r.error_message().find("refused"), std::string::npos) << r.error_message();
    EXPECT_NE(r.error_message().find("http://127.0.0.1:" + port), std::string::npos) << r.error_message();
}

TEST(http_client, credential_errors_stop_before_sending) {
    test_server server([](int, const recorded&) { return reply{}; });
    auto provider = std::make_shared<refreshing_provider>(
        []() -> lt::core::result<credentials> { return lt::core::make_error("token server unreachable"); });
    service_client client(local(server.port()), "eu-west-2", translate_service(), provider, fast_options());
    auto r = client.call_json("X.A", "{}");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("token server unreachable"), std::string::npos);
    EXPECT_EQ(client.attempts(), 0u);
    EXPECT_TRUE(server.requests().empty());
}

TEST(http_client, concurrent_calls_use_separate_connections) {
    test_server server([](int, const recorded&) {
        std::this_thread::sleep_for(5ms);
        return reply{};
    });
    service_client client(local(server.port()), "eu-west-2", translate_service(),
                          make_static_provider(test_credentials()), fast_options());
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 5; ++i)
                if (client.call_json("X.A", "{}").ok())
                    ++ok;
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(ok, 20);
    EXPECT_EQ(server.requests().size(), 20u);
    EXPECT_LE(server.connections(), 4);
}

TEST(service_error, parses_json_xml_and_headers) {
    http_response r;
    r.status = 400;
    r.body = R"({"__type":"com.amazonaws.translate#TextSizeLimitExceededException","Message":"too long"})";
    auto e = parse_service_error(r);
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.code, "TextSizeLimitExceededException");
    EXPECT_EQ(e.message, "too long");

    r.body = R"({"code":"ValidationException","message":"bad"})";
    EXPECT_EQ(parse_service_error(r).code, "ValidationException");

    r.body = "";
    r.headers = {{"X-Amzn-ErrorType", "ValidationException:http://internal.amazon.com/coral/validate/"}};
    EXPECT_EQ(parse_service_error(r).code, "ValidationException");

    r.headers.clear();
    r.body = "<Error><Code>SignatureDoesNotMatch</Code><Message>a &lt;b&gt;</Message></Error>";
    e = parse_service_error(r);
    EXPECT_EQ(e.code, "SignatureDoesNotMatch");
    EXPECT_EQ(e.message, "a <b>");

    r.body = "not json {";
    e = parse_service_error(r);
    EXPECT_EQ(e.code, "");
    EXPECT_EQ(e.message, "");
}

TEST(service_error, retryable_classification) {
    auto err = [](int status, const std::string& code) { return service_error{status, code, ""}; };
    EXPECT_TRUE(is_retryable(err(500, "")));
    EXPECT_TRUE(is_retryable(err(503, "ServiceUnavailableException")));
    EXPECT_TRUE(is_retryable(err(429, "")));
    EXPECT_TRUE(is_retryable(err(400, "ThrottlingException")));
    EXPECT_TRUE(is_retryable(err(400, "Throttling")));
    EXPECT_TRUE(is_retryable(err(400, "TooManyRequestsException")));
    EXPECT_TRUE(is_retryable(err(400, "RequestLimitExceeded")));
    EXPECT_FALSE(is_retryable(err(400, "ValidationException")));
    EXPECT_FALSE(is_retryable(err(403, "ExpiredTokenException")));
    EXPECT_FALSE(is_retryable(err(403, "AccessDeniedException")));
}

// A self-signed certificate for `san` ("DNS:localhost,IP:127.0.0.1").
struct test_cert {
    std::string cert_pem, key_pem;
};

test_cert make_cert(const std::string& san) {
    EVP_PKEY* key = EVP_RSA_gen(2048);
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("lt-test"),
                               -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, san},
                              {NID_basic_constraints, "critical,CA:TRUE"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    X509_sign(x, key, EVP_sha256());
    auto pem = [](auto write) {
        BIO* bio = BIO_new(BIO_s_mem());
        write(bio);
        char* data = nullptr;
        long n = BIO_get_mem_data(bio, &data);
        std::string out(data, static_cast<std::size_t>(n));
        BIO_free(bio);
        return out;
    };
    test_cert out;
    out.cert_pem = pem([&](BIO* b) { PEM_write_bio_X509(b, x); });
    out.key_pem =
        pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
    X509_free(x);
    EVP_PKEY_free(key);
    return out;
}

// A TLS server context and a CA file trusting its self-signed certificate.
struct tls_setup {
    explicit tls_setup(const std::string& san) {
        auto cert = make_cert(san);
        ctx.use_certificate_chain(net::buffer(cert.cert_pem));
        ctx.use_private_key(net::buffer(cert.key_pem), ssl::context::pem);
        static std::atomic<int> counter{0};
        ca_file = (std::filesystem::temp_directory_path() /
                   ("lt-aws-ca-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".pem"))
                      .string();
        std::ofstream(ca_file) << cert.cert_pem;
    }
    ~tls_setup() {
        std::error_code ec;
        std::filesystem::remove(ca_file, ec);
    }
    ssl::context ctx{ssl::context::tls_server};
    std::string ca_file;
};

TEST(http_client_tls, sni_hostname_check_and_reuse) {
    tls_setup tls("DNS:localhost,IP:127.0.0.1");
    test_server server([](int, const recorded&) { return reply{}; }, &tls.ctx);
    auto o = fast_options();
    o.ca_file = tls.ca_file;
    service_client client(local(server.port(), "https", "localhost"), "eu-west-2", translate_service(),
                          make_static_provider(test_credentials()), o);
    auto a = client.call_json("X.A", "{}");
    ASSERT_TRUE(a.ok()) << a.error_message();
    ASSERT_TRUE(client.call_json("X.A", "{}").ok());
    auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].sni, "localhost");
    EXPECT_EQ(reqs[0].header("host"), "localhost:" + server.port());
    EXPECT_EQ(server.connections(), 1);

    // An IP address is checked against the certificate's IP entries (and sends no SNI).
    service_client by_ip(local(server.port(), "https", "127.0.0.1"), "eu-west-2", translate_service(),
                         make_static_provider(test_credentials()), o);
    auto b = by_ip.call_json("X.A", "{}");
    ASSERT_TRUE(b.ok()) << b.error_message();
    EXPECT_EQ(server.requests().back().sni, "");
}

TEST(http_client_tls, untrusted_or_misnamed_certificates_fail) {
    tls_setup tls("DNS:localhost,IP:127.0.0.1");
    test_server server([](int, const recorded&) { return reply{}; }, &tls.ctx);
    auto o = fast_options();
    o.max_attempts = 1;
    service_client untrusted(local(server.port(), "https", "localhost"), "eu-west-2", translate_service(),
                             make_static_provider(test_credentials()), o);
    auto r = untrusted.call_json("X.A", "{}");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("TLS"), std::string::npos) << r.error_message();
    EXPECT_NE(r.error_message().find("certificate"), std::string::npos) << r.error_message();

    // Trusted, but issued for another name.
    tls_setup other("DNS:other.example");
    test_server other_server([](int, const recorded&) { return reply{}; }, &other.ctx);
    o.ca_file = other.ca_file;
    service_client misnamed(local(other_server.port(), "https", "localhost"), "eu-west-2",
                            translate_service(), make_static_provider(test_credentials()), o);
    auto m = misnamed.call_json("X.A", "{}");
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.error_message().find("TLS"), std::string::npos) << m.error_message();
    EXPECT_TRUE(server.requests().empty());
    EXPECT_TRUE(other_server.requests().empty());

    o.ca_file = "/nonexistent/ca.pem";
    service_client bad_ca(local(server.port(), "https", "localhost"), "eu-west-2", translate_service(),
                          make_static_provider(test_credentials()), o);
    auto b = bad_ca.call_json("X.A", "{}");
    ASSERT_FALSE(b.ok());
    EXPECT_NE(b.error_message().find("/nonexistent/ca.pem"), std::string::npos) << b.error_message();
}

} // namespace
