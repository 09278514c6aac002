// service_client against small loopback servers (plain HTTP, and HTTPS with a certificate
// made at run time): signing, connection reuse, retries, timeouts and error messages.
#include "aws/http_client.hpp"

#include "test_http_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using namespace lt::aws;
using namespace lt::test;
using namespace std::chrono_literals;

namespace {

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
    std::string port = closed_port();
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
    EXPECT_NE(r.error_message().find("AWS_ENDPOINT_URL_TRANSLATE"), std::string::npos) << r.error_message();
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

TEST(http_client_tls, sni_hostname_check_and_reuse) {
    tls_setup tls("DNS:localhost,IP:127.0.0.1");
    test_server server([](int, const recorded&) { return reply{}; }, &tls.ctx);
    auto o = fast_options();
    o.ca_file = tls.ca.path;
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
    o.ca_file = other.ca.path;
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
