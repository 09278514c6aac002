// net::http_client against the loopback test server (plain HTTP, and HTTPS with a certificate
// made at run time): connection reuse, idle connections the server closed, retries and
// Retry-After, the prepare hook, timeouts, error wording, the endpoint's path prefix.
#include "net/http_client.hpp" // first: the header compiles on its own

#include "test_http_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <thread>

using namespace std::chrono_literals;
using namespace lt::test;
using lt::net::endpoint;
using lt::net::http_client;
using lt::net::http_client_options;
using lt::net::http_request;
using lt::net::http_response;
using steady = std::chrono::steady_clock;

namespace {

endpoint local(const std::string& port, const std::string& scheme = "http",
               const std::string& host = "127.0.0.1") {
    return endpoint{scheme, host, port, ""};
}

http_client_options fast_options() {
    http_client_options o;
    o.connect_timeout = 1000ms;
    o.request_timeout = 2000ms;
    o.base_backoff = 10ms;
    o.max_backoff = 50ms;
    o.service = "Test";
    return o;
}

http_request post(std::string target, std::string body) {
    http_request r;
    r.method = "POST";
    r.target = std::move(target);
    r.headers = {{"Content-Type", "application/json"}};
    r.body = std::move(body);
    return r;
}

reply status(int code, std::string body = "{}") {
    reply r;
    r.status = code;
    r.body = std::move(body);
    r.content_type = "application/json";
    return r;
}

TEST(http_client, reuses_one_connection_for_sequential_requests) {
    test_server server([](int i, const recorded&) { return status(200, "answer " + std::to_string(i)); });
    http_client client(local(server.port()), fast_options());
    for (int i = 0; i < 3; ++i) {
        auto req = post("/translate", R"({"q":"hello"})");
        req.headers.emplace_back("Host", "ignored.example");
        req.headers.emplace_back("Content-Length", "999");
        auto r = client.send(req);
        ASSERT_TRUE(r.ok()) << r.error_message();
        EXPECT_EQ(r.value().status, 200);
        EXPECT_EQ(r.value().body, "answer " + std::to_string(i));
        EXPECT_EQ(r.value().header("CONTENT-TYPE"), "application/json");
        EXPECT_EQ(r.value().header("absent"), "");
    }
    EXPECT_EQ(server.connections(), 1);
    EXPECT_EQ(client.attempts(), 3u);
    auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 3u);
    for (const auto& r : reqs) {
        EXPECT_EQ(r.method, "POST");
        EXPECT_EQ(r.target, "/translate");
        EXPECT_EQ(r.body, R"({"q":"hello"})");
        EXPECT_EQ(r.header("host"), "127.0.0.1:" + server.port());
        EXPECT_EQ(r.header("content-length"), "13");
        EXPECT_EQ(r.header("content-type"), "application/json");
        EXPECT_EQ(r.header("user-agent"), "live-translate");
    }

    // A GET without a body has no Content-Length; the caller's User-Agent stays.
    http_request get;
    get.headers = {{"User-Agent", "lt-test/1"}};
    ASSERT_TRUE(client.send(get).ok());
    EXPECT_EQ(server.requests().back().method, "GET");
    EXPECT_EQ(server.requests().back().header("content-length"), "");
    EXPECT_EQ(server.requests().back().header("user-agent"), "lt-test/1");
    EXPECT_EQ(server.connections(), 1);
}

TEST(http_client, a_server_that_closes_idle_connections_is_reconnected_to) {
    test_server server([](int, const recorded&) {
        reply r = status(200);
        r.close = true; // answers, then closes without "Connection: close"
        return r;
    });
    http_client client(local(server.port()), fast_options());
    ASSERT_TRUE(client.send(post("/", "{}")).ok());
    std::this_thread::sleep_for(50ms); // let the FIN arrive
    auto r = client.send(post("/", "{}"));
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(client.attempts(), 2u);
    EXPECT_EQ(server.connections(), 2);
}

TEST(http_client, a_reused_connection_dropped_mid_request_is_retried_without_counting) {
    test_server server([](int i, const recorded&) {
        reply r = status(200);
        r.drop = i == 1; // the second request, on the reused connection, finds it closed
        return r;
    });
    auto o = fast_options();
    o.max_attempts = 1;
    http_client client(local(server.port()), o);
    ASSERT_TRUE(client.send(post("/", "{}")).ok());
    auto r = client.send(post("/", "{}"));
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(client.attempts(), 2u);
    EXPECT_EQ(server.connections(), 2);
    EXPECT_EQ(server.requests().size(), 3u);
}

TEST(http_client, retries_503_then_succeeds) {
    test_server server([](int i, const recorded&) { return i == 0 ? status(503) : status(200, "ok"); });
    http_client client(local(server.port()), fast_options());
    auto r = client.send(post("/", "{}"));
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(r.value().status, 200);
    EXPECT_EQ(r.value().body, "ok");
    EXPECT_EQ(client.attempts(), 2u);
    EXPECT_EQ(server.connections(), 1); // an error answer keeps the connection
}

TEST(http_client, a_400_is_not_retried_and_comes_back_as_an_answer) {
    test_server server([](int, const recorded&) { return status(400, R"({"error":"bad target"})"); });
    http_client client(local(server.port()), fast_options());
    auto r = client.send(post("/", "{}"));
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(r.value().status, 400);
    EXPECT_EQ(r.value().body, R"({"error":"bad target"})");
    EXPECT_EQ(client.attempts(), 1u);
}

TEST(http_client, gives_up_after_max_attempts_with_the_last_answer) {
    test_server server([](int i, const recorded&) { return status(500, "boom " + std::to_string(i)); });
    http_client client(local(server.port()), fast_options());
    auto r = client.send(post("/", "{}"));
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(r.value().status, 500);
    EXPECT_EQ(r.value().body, "boom 2");
    EXPECT_EQ(client.attempts(), 3u);
}

TEST(http_client, retry_fn_decides_on_non_2xx) {
    test_server server(
        [](int i, const recorded&) { return i == 0 ? status(400, R"({"code":"Throttled"})") : status(500); });
    http_client client(local(server.port()), fast_options());
    // A 400 that says "throttled" is retried; the 500 after it is not.
    auto retry = [](const http_response& r) { return r.body.find("Throttled") != std::string::npos; };
    auto r = client.send(post("/", "{}"), {}, retry);
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(r.value().status, 500);
    EXPECT_EQ(client.attempts(), 2u);
}

TEST(http_client, retry_after_on_429_is_waited_for) {
    test_server server([](int i, const recorded&) {
        reply r = i == 0 ? status(429) : status(200);
        if (i == 0)
            r.headers = {{"Retry-After", "1"}};
        return r;
    });
    auto o = fast_options();
    o.max_backoff = 3000ms;
    http_client client(local(server.port()), o);
    auto start = steady::now();
    auto r = client.send(post("/", "{}"));
    auto took = steady::now() - start;
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(r.value().status, 200);
    EXPECT_GE(took, 900ms);
    EXPECT_LT(took, 2500ms);
    EXPECT_EQ(client.attempts(), 2u);
}

TEST(http_client, retry_after_as_an_http_date_is_waited_for) {
    test_server server([](int i, const recorded&) {
        reply r = i == 0 ? status(503) : status(200);
        if (i == 0) {
            // Two seconds ahead, to the second: a wait of more than one second.
            std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + 2s);
            std::tm tm{};
            gmtime_r(&t, &tm);
            char date[64];
            std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
            r.headers = {{"Retry-After", date}};
        }
        return r;
    });
    auto o = fast_options();
    o.max_backoff = 5000ms;
    http_client client(local(server.port()), o);
    auto start = steady::now();
    auto r = client.send(post("/", "{}"));
    auto took = steady::now() - start;
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(r.value().status, 200);
    EXPECT_GE(took, 900ms);
    EXPECT_LT(took, 3500ms);
}

TEST(http_client, retry_after_is_capped_by_max_backoff) {
    test_server server([](int i, const recorded&) {
        reply r = i == 0 ? status(503) : status(200);
        if (i == 0)
            r.headers = {{"Retry-After", "30"}};
        return r;
    });
    auto o = fast_options();
    o.max_backoff = 200ms;
    http_client client(local(server.port()), o);
    auto start = steady::now();
    auto r = client.send(post("/", "{}"));
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(r.value().status, 200);
    EXPECT_GE(steady::now() - start, 190ms);
    EXPECT_LT(steady::now() - start, 2s);
}

TEST(http_client, connection_refused_names_the_step_the_url_and_the_service) {
    const std::string port = closed_port();
    auto o = fast_options();
    o.max_attempts = 1;
    o.service = "LibreTranslate";
    o.endpoint_hint = "--libretranslate-url";
    http_client client(local(port), o);
    auto start = steady::now();
    auto r = client.send(post("/translate", "{}"));
    auto took = steady::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_LT(took, 1s);
    EXPECT_EQ(client.attempts(), 1u);
    EXPECT_EQ(r.error_message(), "LibreTranslate request to http://127.0.0.1:" + port +
                                     " failed after 1 attempt: connect: connection refused (nothing "
                                     "listens at 127.0.0.1:" +
                                     port + "; check --libretranslate-url, and that the service is running)");
}

TEST(http_client, an_unknown_host_names_the_resolve_step) {
    auto o = fast_options();
    o.max_attempts = 1;
    http_client client(local("80", "http", "no-such-host.invalid"), o);
    auto r = client.send(post("/", "{}"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("Test request to http://no-such-host.invalid failed after 1 attempt: "
                                     "cannot resolve no-such-host.invalid"),
              std::string::npos)
        << r.error_message();
}

TEST(http_client, a_server_that_never_answers_is_bounded_by_request_timeout) {
    test_server server([](int, const recorded&) {
        reply r;
        r.hang = true;
        return r;
    });
    auto o = fast_options();
    o.request_timeout = 300ms;
    o.max_attempts = 2;
    http_client client(local(server.port()), o);
    auto start = steady::now();
    auto r = client.send(post("/", "{}"));
    auto took = steady::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_GE(took, 550ms);
    EXPECT_LT(took, 2s);
    EXPECT_EQ(client.attempts(), 2u);
    EXPECT_NE(r.error_message().find("failed after 2 attempts: waiting for the response timed out"),
              std::string::npos)
        << r.error_message();
    EXPECT_NE(r.error_message().find("http://127.0.0.1:" + server.port()), std::string::npos);
}

TEST(http_client, the_prepare_hook_runs_once_per_attempt) {
    test_server server([](int i, const recorded&) { return i < 2 ? status(503) : status(200); });
    auto ep = local(server.port());
    ep.target = "/v2";
    http_client client(ep, fast_options());
    int calls = 0;
    auto prepare = [&](http_request& req) -> std::string {
        ++calls;
        // Sees the request as it will be sent, fresh each time (not the last attempt's).
        EXPECT_EQ(req.target, "/v2/translate");
        int hosts = 0, signatures = 0;
        for (const auto& [name, value] : req.headers) {
            hosts += name == "Host" && value == "127.0.0.1:" + server.port();
            signatures += name == "X-Signature";
        }
        EXPECT_EQ(hosts, 1);
        EXPECT_EQ(signatures, 0);
        req.headers.emplace_back("X-Signature", "attempt " + std::to_string(calls));
        return "";
    };
    auto r = client.send(post("/translate", "{}"), prepare);
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(calls, 3);
    auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 3u);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(reqs[i].header("x-signature"), "attempt " + std::to_string(i + 1));
}

TEST(http_client, an_error_from_the_prepare_hook_stops_the_call) {
    test_server server([](int, const recorded&) { return status(503); });
    http_client client(local(server.port()), fast_options());
    int calls = 0;
    // The second attempt cannot be prepared: no third one is tried.
    auto prepare = [&](http_request&) -> std::string { return ++calls == 2 ? "no credentials" : ""; };
    auto r = client.send(post("/", "{}"), prepare);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error_message(), "Test: no credentials");
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(client.attempts(), 1u);
    EXPECT_EQ(server.requests().size(), 1u);
}

TEST(http_client, the_endpoints_path_prefix_is_kept) {
    test_server server([](int, const recorded&) { return status(200); });
    auto ep = local(server.port());
    ep.target = "/api/v1";
    http_client client(ep, fast_options());
    for (std::string target : {"/translate?q=a%20b", "languages", "", "?x=1"}) {
        http_request req;
        req.target = target;
        ASSERT_TRUE(client.send(req).ok());
    }
    auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 4u);
    EXPECT_EQ(reqs[0].target, "/api/v1/translate?q=a%20b");
    EXPECT_EQ(reqs[1].target, "/api/v1/languages");
    EXPECT_EQ(reqs[2].target, "/api/v1/");
    EXPECT_EQ(reqs[3].target, "/api/v1?x=1");
    EXPECT_EQ(client.where().target, "/api/v1");
}

TEST(http_client, a_body_over_the_limit_is_an_error) {
    test_server server([](int, const recorded&) { return status(200, std::string(1000, 'x')); });
    auto o = fast_options();
    o.max_body = 100;
    o.max_attempts = 1;
    http_client client(local(server.port()), o);
    auto r = client.send(post("/", "{}"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("reading the response: body limit exceeded"), std::string::npos)
        << r.error_message();

    // Chunked: no length up front, the limit applies as it arrives.
    test_server chunked([](int, const recorded&) {
        reply big = status(200, std::string(1000, 'x'));
        big.headers = {{"Transfer-Encoding", "chunked"}};
        return big;
    });
    http_client chunked_client(local(chunked.port()), o);
    auto c = chunked_client.send(post("/", "{}"));
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error_message().find("body limit exceeded"), std::string::npos) << c.error_message();

    o.max_body = 1000; // exactly at the limit is fine
    http_client at_limit(local(server.port()), o);
    auto a = at_limit.send(post("/", "{}"));
    ASSERT_TRUE(a.ok()) << a.error_message();
    EXPECT_EQ(a.value().body.size(), 1000u);
}

TEST(http_client, bad_requests_and_options_are_named) {
    test_server server([](int, const recorded&) { return status(200); });
    http_client client(local(server.port()), fast_options());
    http_request req;
    req.method = "FETCH";
    auto r = client.send(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error_message(), "Test: unknown HTTP method 'FETCH'");

    auto o = fast_options();
    o.ca_file = "/nonexistent/ca.pem";
    http_client bad_ca(local(server.port()), o);
    auto b = bad_ca.send(post("/", "{}"));
    ASSERT_FALSE(b.ok());
    EXPECT_NE(b.error_message().find("Test: cannot load CA file /nonexistent/ca.pem"), std::string::npos)
        << b.error_message();
    EXPECT_TRUE(server.requests().empty());
}

TEST(http_client, concurrent_calls_use_separate_connections) {
    test_server server([](int, const recorded&) {
        std::this_thread::sleep_for(5ms);
        return status(200);
    });
    http_client client(local(server.port()), fast_options());
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 5; ++i) {
                auto r = client.send(post("/", "{}"));
                ok += r.ok() && r.value().status == 200;
            }
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(ok, 20);
    EXPECT_LE(server.connections(), 4);
}

TEST(http_client_tls, https_with_a_ca_file_reuses_the_connection) {
    tls_setup tls("DNS:localhost,IP:127.0.0.1");
    test_server server([](int, const recorded&) { return status(200, "secure"); }, &tls.ctx);
    auto o = fast_options();
    o.ca_file = tls.ca.path;
    auto ep = local(server.port(), "https", "localhost");
    ep.target = "/base";
    http_client client(ep, o);
    for (int i = 0; i < 2; ++i) {
        auto r = client.send(post("/x", "{}"));
        ASSERT_TRUE(r.ok()) << r.error_message();
        EXPECT_EQ(r.value().body, "secure");
    }
    auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].sni, "localhost");
    EXPECT_EQ(reqs[0].target, "/base/x");
    EXPECT_EQ(reqs[0].header("host"), "localhost:" + server.port());
    EXPECT_EQ(server.connections(), 1);

    // Without the CA the certificate is not trusted: the TLS step is named.
    auto untrusted_options = fast_options();
    untrusted_options.max_attempts = 1;
    http_client untrusted(ep, untrusted_options);
    auto r = untrusted.send(post("/x", "{}"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("TLS handshake: TLS error"), std::string::npos) << r.error_message();
    EXPECT_NE(r.error_message().find("https://localhost:" + server.port() + "/base"), std::string::npos)
        << r.error_message();
    EXPECT_EQ(server.requests().size(), 2u);
}

} // namespace
