// The container credentials endpoint and EC2 instance metadata (IMDSv2) in the default
// chain, against small loopback servers that play them: authorization, the session token,
// refresh before expiry, AWS_EC2_METADATA_DISABLED, an unreachable service remembered, and
// FULL_URI hosts that are refused.
#include "aws/credentials.hpp"
#include "aws/metadata.hpp"
#include "test_env.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace lt::aws;
using namespace std::chrono_literals;
using lt_test::env_guard;
using lt_test::temp_dir;

namespace {

struct seen {
    std::string method, target;
    std::map<std::string, std::string> headers; // lower-case names
    std::string header(const std::string& n) const {
        auto it = headers.find(n);
        return it == headers.end() ? std::string() : it->second;
    }
};

struct answer {
    int status = 200;
    std::string body;
};

// A one-request-per-connection HTTP server on 127.0.0.1, on its own thread. `mode` drop
// closes every connection at once; hang reads the request and never answers.
class fake_service {
public:
    enum class mode { answer, drop, hang };
    using handler = std::function<answer(const seen&)>;

    explicit fake_service(handler h, mode m = mode::answer)
        : acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)), handler_(std::move(h)),
          mode_(m) {
        accept();
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~fake_service() {
        net::post(ioc_, [this] {
            beast::error_code ec;
            acceptor_.close(ec);
            ioc_.stop();
        });
        thread_.join();
    }

    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    }
    int connections() const { return connections_; }
    std::vector<seen> requests() const {
        std::lock_guard lock(mu_);
        return requests_;
    }
    std::size_t count(const std::string& method) const {
        auto r = requests();
        return static_cast<std::size_t>(
            std::count_if(r.begin(), r.end(), [&](const seen& s) { return s.method == method; }));
    }

private:
    struct session : std::enable_shared_from_this<session> {
        session(fake_service& s, tcp::socket sock) : srv(s), stream(std::move(sock)) {}
        fake_service& srv;
        beast::tcp_stream stream;
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        http::response<http::string_body> res;

        void start() {
            http::async_read(stream, buffer, req,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                 if (!ec)
                                     self->respond();
                             });
        }
        void respond() {
            seen s;
            s.method = std::string(req.method_string());
            s.target = std::string(req.target());
            for (const auto& f : req) {
                std::string n(f.name_string());
                std::transform(n.begin(), n.end(), n.begin(),
                               [](unsigned char c) { return std::tolower(c); });
                s.headers[n] = std::string(f.value());
            }
            {
                std::lock_guard lock(srv.mu_);
                srv.requests_.push_back(s);
            }
            if (srv.mode_ == mode::hang) {
                srv.hung_.push_back(shared_from_this());
                return;
            }
            auto a = srv.handler_(s);
            res.result(static_cast<unsigned>(a.status));
            res.version(11);
            res.set(http::field::content_type, "text/plain");
            res.body() = a.body;
            res.keep_alive(false);
            res.prepare_payload();
            http::async_write(stream, res, [self = shared_from_this()](beast::error_code, std::size_t) {
                beast::error_code ec;
                self->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
            });
        }
    };

    void accept() {
        acceptor_.async_accept([this](beast::error_code ec, tcp::socket sock) {
            if (ec)
                return;
            ++connections_;
            if (mode_ == mode::drop) {
                beast::error_code ignored;
                sock.close(ignored);
            } else {
                std::make_shared<session>(*this, std::move(sock))->start();
            }
            accept();
        });
    }

    net::io_context ioc_;
    tcp::acceptor acceptor_;
    handler handler_;
    mode mode_;
    std::thread thread_;
    std::atomic<int> connections_{0};
    mutable std::mutex mu_;
    std::vector<seen> requests_;
    std::vector<std::shared_ptr<session>> hung_; // server thread only
};

// A loopback port nothing listens on (bound, then closed).
std::string closed_port_url() {
    net::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    auto port = a.local_endpoint().port();
    a.close();
    return "http://127.0.0.1:" + std::to_string(port);
}

std::string creds_json(const std::string& key, clock::time_point expiration, bool imds) {
    return std::string("{") + (imds ? "\"Code\":\"Success\",\"Type\":\"AWS-HMAC\"," : "") +
           "\"AccessKeyId\":\"" + key + "\",\"SecretAccessKey\":\"secret-" + key + "\",\"Token\":\"token-" +
           key + "\",\"Expiration\":\"" + format_iso8601(expiration) + "\"}";
}

// A chain with nothing in the environment or the shared files.
std::shared_ptr<credentials_provider> bare_chain(const temp_dir& dir, chain_options opts = {}) {
    profile_files files;
    files.credentials_file = dir.path().string() + "/credentials";
    files.config_file = dir.path().string() + "/config";
    return make_default_chain(files, opts);
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// --- container credentials ---

TEST(container_credentials, full_uri_with_the_token_file) {
    env_guard env;
    temp_dir dir;
    std::atomic<int> issued{0};
    fake_service ecs([&](const seen& s) -> answer {
        if (s.target != "/v1/credentials?id=7")
            return {404, "no such path"};
        if (s.header("authorization") != "Bearer pod-token")
            return {401, "bad token"};
        return {200, creds_json("ECS" + std::to_string(++issued), clock::now() + 1h, false)};
    });
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", ecs.url() + "/v1/credentials?id=7");
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-one"); // the file wins
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.write("token", "Bearer pod-token\n"));

    auto chain = bare_chain(dir);
    auto c = chain->get();
    ASSERT_TRUE(c.ok()) << c.error_message();
    EXPECT_EQ(c.value().access_key_id, "ECS1");
    EXPECT_EQ(c.value().secret_access_key, "secret-ECS1");
    EXPECT_EQ(c.value().session_token, "token-ECS1");
    ASSERT_TRUE(c.value().expiration);
    EXPECT_TRUE(contains(c.value().source, "container credentials")) << c.value().source;
    ASSERT_EQ(ecs.requests().size(), 1u);
    EXPECT_EQ(ecs.requests()[0].method, "GET");

    // Cached: the endpoint is not asked again while the credentials are fresh.
    ASSERT_TRUE(chain->get().ok());
    EXPECT_EQ(ecs.requests().size(), 1u);
}

TEST(container_credentials, refused_token_and_unreachable_endpoint_are_explained) {
    env_guard env;
    temp_dir dir;
    fake_service ecs([](const seen& s) -> answer {
        if (s.header("authorization") != "right")
            return {403, "{\"message\":\"forbidden\"}"};
        return {200, creds_json("ECS", clock::now() + 1h, false)};
    });
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", ecs.url() + "/creds");
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong");
    auto refused = bare_chain(dir)->get();
    ASSERT_FALSE(refused.ok());
    EXPECT_TRUE(contains(refused.error_message(), "no AWS credentials")) << refused.error_message();
    EXPECT_TRUE(contains(refused.error_message(), "HTTP 403")) << refused.error_message();
    EXPECT_TRUE(contains(refused.error_message(), "refused the Authorization token"))
        << refused.error_message();

    env.unset("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    auto missing = bare_chain(dir)->get();
    ASSERT_FALSE(missing.ok());
    EXPECT_TRUE(contains(missing.error_message(), "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))
        << missing.error_message();

    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "right");
    // localhost is allowed too (it resolves to loopback addresses only).
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://localhost:" + ecs.url().substr(ecs.url().rfind(':') + 1) + "/creds");
    auto by_name = bare_chain(dir)->get();
    ASSERT_TRUE(by_name.ok()) << by_name.error_message();
    EXPECT_EQ(by_name.value().access_key_id, "ECS");

    auto start = std::chrono::steady_clock::now();
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", closed_port_url() + "/creds");
    auto down = bare_chain(dir)->get();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    ASSERT_FALSE(down.ok());
    EXPECT_TRUE(contains(down.error_message(), "cannot reach the container credentials endpoint"))
        << down.error_message();
    EXPECT_TRUE(contains(down.error_message(), "connection refused")) << down.error_message();
}

TEST(container_credentials, full_uri_must_name_a_local_host) {
    env_guard env;
    temp_dir dir;
    for (const char* uri : {"http://192.0.2.10/creds", "http://10.0.0.1:8080/creds",
                            "http://169.254.169.254/creds", "http://[2001:db8::1]/creds"}) {
        env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri);
        auto start = std::chrono::steady_clock::now();
        auto r = bare_chain(dir)->get();
        EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms)
            << uri << ": no network for a refused host";
        ASSERT_FALSE(r.ok()) << uri;
        const auto& m = r.error_message();
        EXPECT_TRUE(contains(m, "AWS_CONTAINER_CREDENTIALS_FULL_URI=" + std::string(uri) + " is refused"))
            << m;
        EXPECT_TRUE(contains(m, "not allowed")) << m;
        EXPECT_TRUE(contains(m, "169.254.170.2")) << m;
        EXPECT_TRUE(contains(m, "fd00:ec2::23")) << m;
        EXPECT_TRUE(contains(m, "loopback")) << m;
    }
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://example.com/creds");
    auto tls = bare_chain(dir)->get();
    ASSERT_FALSE(tls.ok());
    EXPECT_TRUE(contains(tls.error_message(), "https is not supported")) << tls.error_message();

    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "not a url");
    auto bad = bare_chain(dir)->get();
    ASSERT_FALSE(bad.ok());
    EXPECT_TRUE(contains(bad.error_message(), "is not a valid URL")) << bad.error_message();

    // The agent's own addresses are accepted.
    for (const char* uri : {"http://169.254.170.2/v2/creds", "http://169.254.170.23/v1/credentials",
                            "http://[fd00:ec2::23]/v1/credentials", "http://127.0.0.1:51679/creds",
                            "http://[::1]:51679/creds"}) {
        env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri);
        auto src = container_source_from_env();
        EXPECT_TRUE(src.ok()) << uri << ": " << (src.ok() ? "" : src.error_message());
    }
}

TEST(container_credentials, relative_uri_goes_to_the_ecs_agent_and_wins) {
    env_guard env;
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/other");
    env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc-123");
    ASSERT_TRUE(container_credentials_configured());
    auto src = container_source_from_env();
    ASSERT_TRUE(src.ok()) << src.error_message();
    EXPECT_EQ(src.value().ep.host, "169.254.170.2");
    EXPECT_EQ(src.value().ep.port, "80");
    EXPECT_EQ(src.value().target, "/v2/credentials/abc-123");
    EXPECT_EQ(src.value().url, "http://169.254.170.2/v2/credentials/abc-123");
    EXPECT_TRUE(src.value().authorization.empty());
}

TEST(container_credentials, refreshed_before_they_expire) {
    env_guard env;
    temp_dir dir;
    std::atomic<int> issued{0};
    fake_service ecs([&](const seen&) -> answer {
        int n = ++issued;
        return {200, creds_json("ECS" + std::to_string(n), clock::now() + 4s, false)};
    });
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", ecs.url() + "/creds");
    auto chain = bare_chain(dir);
    auto first = chain->get();
    ASSERT_TRUE(first.ok()) << first.error_message();
    EXPECT_EQ(first.value().access_key_id, "ECS1");
    ASSERT_TRUE(chain->get().ok());
    EXPECT_EQ(ecs.requests().size(), 1u);
    // Lifetime 3-4 s (whole seconds on the wire): refreshed from 2/3 of it on, before expiry.
    std::this_thread::sleep_for(2900ms);
    auto second = chain->get();
    ASSERT_TRUE(second.ok()) << second.error_message();
    EXPECT_EQ(second.value().access_key_id, "ECS2");
    EXPECT_EQ(ecs.requests().size(), 2u);
}

// --- EC2 instance metadata ---

// IMDSv2: PUT /latest/api/token (TTL header required) hands out tokens; every GET needs a
// current one (401 otherwise).
struct fake_imds {
    std::atomic<int> tokens{0}, issued{0};
    std::atomic<bool> revoke{false}; // tokens issued so far stop working
    std::atomic<int> valid_from{1};
    std::chrono::seconds lifetime{3600};
    std::string role = "app-role";
    std::string code = "Success";

    answer operator()(const seen& s) {
        if (s.method == "PUT" && s.target == "/latest/api/token") {
            if (s.header("x-aws-ec2-metadata-token-ttl-seconds") != "21600")
                return {400, "missing TTL"};
            if (revoke.exchange(false))
                valid_from = tokens + 1;
            return {200, "tok-" + std::to_string(++tokens)};
        }
        if (s.method != "GET")
            return {405, ""};
        const auto& t = s.header("x-aws-ec2-metadata-token");
        if (t.rfind("tok-", 0) != 0 || std::stoi(t.substr(4)) < valid_from || revoke)
            return {401, ""};
        const std::string base = "/latest/meta-data/iam/security-credentials/";
        if (s.target == base)
            return role.empty() ? answer{404, "not found"} : answer{200, role + "\n"};
        if (s.target == base + role) {
            if (code != "Success")
                return {200, "{\"Code\":\"" + code + "\",\"Message\":\"role trust policy is wrong\"}"};
            return {200, creds_json("IMDS" + std::to_string(++issued), clock::now() + lifetime, true)};
        }
        return {404, "not found"};
    }
};

TEST(instance_metadata, token_then_role_then_credentials) {
    env_guard env;
    temp_dir dir;
    fake_imds imds;
    fake_service srv([&](const seen& s) { return imds(s); });
    env.unset("AWS_EC2_METADATA_DISABLED");
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.url());

    // The fake refuses a GET without the session token.
    bool network = true;
    auto plain = metadata_request(parse_endpoint_url(srv.url()).value(), "GET",
                                  "/latest/meta-data/iam/security-credentials/", {}, {}, &network);
    ASSERT_TRUE(plain.ok()) << plain.error_message();
    EXPECT_EQ(plain.value().status, 401);
    EXPECT_FALSE(network);

    auto chain = bare_chain(dir);
    auto c = chain->get();
    ASSERT_TRUE(c.ok()) << c.error_message();
    EXPECT_EQ(c.value().access_key_id, "IMDS1");
    EXPECT_EQ(c.value().session_token, "token-IMDS1");
    EXPECT_EQ(c.value().source, "EC2 instance metadata (role app-role)");
    auto r = srv.requests();
    ASSERT_EQ(r.size(), 4u);
    EXPECT_EQ(r[1].method, "PUT");
    EXPECT_EQ(r[1].target, "/latest/api/token");
    EXPECT_EQ(r[2].target, "/latest/meta-data/iam/security-credentials/");
    EXPECT_EQ(r[2].header("x-aws-ec2-metadata-token"), "tok-1");
    EXPECT_EQ(r[3].target, "/latest/meta-data/iam/security-credentials/app-role");
    EXPECT_EQ(r[3].header("x-aws-ec2-metadata-token"), "tok-1");

    ASSERT_TRUE(chain->get().ok());
    EXPECT_EQ(srv.requests().size(), 4u) << "cached credentials asked for again";

    // After an auth error the service client invalidates: the fetch finds its token
    // revoked (401), takes a new one and asks again.
    imds.revoke = true;
    chain->invalidate();
    auto again = chain->get();
    ASSERT_TRUE(again.ok()) << again.error_message();
    EXPECT_EQ(again.value().access_key_id, "IMDS2");
    EXPECT_EQ(srv.count("PUT"), 2u);
}

TEST(instance_metadata, refreshed_before_they_expire_with_the_token_kept) {
    env_guard env;
    temp_dir dir;
    fake_imds imds;
    imds.lifetime = 4s;
    fake_service srv([&](const seen& s) { return imds(s); });
    env.unset("AWS_EC2_METADATA_DISABLED");
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.url());
    auto chain = bare_chain(dir);
    auto first = chain->get();
    ASSERT_TRUE(first.ok()) << first.error_message();
    EXPECT_EQ(first.value().access_key_id, "IMDS1");
    ASSERT_TRUE(chain->get().ok());
    EXPECT_EQ(srv.requests().size(), 3u);
    std::this_thread::sleep_for(2900ms);
    auto second = chain->get();
    ASSERT_TRUE(second.ok()) << second.error_message();
    EXPECT_EQ(second.value().access_key_id, "IMDS2");
    EXPECT_EQ(srv.requests().size(), 5u); // role and credentials again
    EXPECT_EQ(srv.count("PUT"), 1u);      // the 6 h token is kept
}

TEST(instance_metadata, no_role_and_failure_codes_are_explained) {
    env_guard env;
    temp_dir dir;
    fake_imds imds;
    imds.role = "";
    fake_service srv([&](const seen& s) { return imds(s); });
    env.unset("AWS_EC2_METADATA_DISABLED");
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.url());
    auto none = bare_chain(dir)->get();
    ASSERT_FALSE(none.ok());
    EXPECT_TRUE(contains(none.error_message(), "no IAM role (instance profile) is attached"))
        << none.error_message();

    imds.role = "app-role";
    imds.code = "AssumeRoleUnauthorizedAccess";
    auto code = bare_chain(dir)->get();
    ASSERT_FALSE(code.ok());
    EXPECT_TRUE(
        contains(code.error_message(), "Code AssumeRoleUnauthorizedAccess: role trust policy is wrong"))
        << code.error_message();
}

TEST(instance_metadata, disabled_by_the_environment) {
    env_guard env;
    temp_dir dir;
    fake_imds imds;
    fake_service srv([&](const seen& s) { return imds(s); });
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.url());
    env.set("AWS_EC2_METADATA_DISABLED", "TRUE");
    auto r = bare_chain(dir)->get();
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(contains(r.error_message(), "disabled by AWS_EC2_METADATA_DISABLED")) << r.error_message();
    EXPECT_EQ(srv.connections(), 0);
}

TEST(instance_metadata, unreachable_gives_the_full_error_quickly_and_is_remembered) {
    env_guard env;
    temp_dir dir;
    env.unset("AWS_EC2_METADATA_DISABLED");
    const auto url = closed_port_url();
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", url);
    auto chain = bare_chain(dir);

    auto start = std::chrono::steady_clock::now();
    auto first = chain->get();
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, 2s);
    ASSERT_FALSE(first.ok());
    const auto& m = first.error_message();
    EXPECT_EQ(m.rfind("no AWS credentials: set AWS_ACCESS_KEY_ID", 0), 0u) << m;
    for (const std::string& place :
         {std::string("the environment"), dir.path().string() + "/credentials",
          dir.path().string() + "/config", std::string("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
          "EC2 instance metadata at " + url + " is unreachable", std::string("connection refused")})
        EXPECT_TRUE(contains(m, place)) << "missing '" << place << "' in: " << m;

    start = std::chrono::steady_clock::now();
    auto second = chain->get();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 50ms);
    ASSERT_FALSE(second.ok());
    EXPECT_TRUE(contains(second.error_message(), "is unreachable")) << second.error_message();
    EXPECT_TRUE(contains(second.error_message(), "asked again after 60 s")) << second.error_message();
}

TEST(instance_metadata, not_probed_again_until_the_recheck_interval) {
    env_guard env;
    temp_dir dir;
    fake_service dropper([](const seen&) { return answer{}; }, fake_service::mode::drop);
    env.unset("AWS_EC2_METADATA_DISABLED");
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", dropper.url());
    chain_options o;
    o.imds_recheck = 1s;
    auto chain = bare_chain(dir, o);

    ASSERT_FALSE(chain->get().ok());
    EXPECT_EQ(dropper.connections(), 2) << "1 attempt + 1 retry";
    for (int i = 0; i < 5; ++i)
        ASSERT_FALSE(chain->get().ok());
    EXPECT_EQ(dropper.connections(), 2) << "probed again before the recheck interval";
    std::this_thread::sleep_for(1100ms);
    ASSERT_FALSE(chain->get().ok());
    EXPECT_EQ(dropper.connections(), 4);
}

TEST(instance_metadata, a_silent_service_times_out_in_about_two_seconds) {
    env_guard env;
    temp_dir dir;
    fake_service silent([](const seen&) { return answer{}; }, fake_service::mode::hang);
    env.unset("AWS_EC2_METADATA_DISABLED");
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", silent.url());
    auto start = std::chrono::steady_clock::now();
    auto r = bare_chain(dir)->get();
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(contains(r.error_message(), "timed out after 1000 ms (2 attempts)")) << r.error_message();
    EXPECT_GE(took, 1900ms);
    EXPECT_LT(took, 3s);
    EXPECT_EQ(silent.requests().size(), 2u);
}

TEST(instance_metadata, endpoint_settings) {
    env_guard env;
    auto def = imds_endpoint();
    ASSERT_TRUE(def.ok());
    EXPECT_EQ(def.value().url(), "http://169.254.169.254");
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6");
    EXPECT_EQ(imds_endpoint().value().url(), "http://[fd00:ec2::254]");
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipx");
    EXPECT_FALSE(imds_endpoint().ok());
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:8111");
    EXPECT_EQ(imds_endpoint().value().url(), "http://127.0.0.1:8111");
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "https://127.0.0.1:8111");
    EXPECT_FALSE(imds_endpoint().ok());
    EXPECT_TRUE(imds_disabled()); // the guard's default
    env.set("AWS_EC2_METADATA_DISABLED", "false");
    EXPECT_FALSE(imds_disabled());
}

} // namespace
