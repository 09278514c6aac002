// Regional endpoints and the AWS_ENDPOINT_URL overrides.
#include "aws/endpoint.hpp"
#include "test_env.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>

using namespace lt::aws;

namespace {

// The credential variables cleared as for every AWS test, plus the endpoint overrides.
class endpoint_env : public lt_test::env_guard {
public:
    endpoint_env() {
        for (const char* n : {"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_TRANSLATE", "AWS_ENDPOINT_URL_STS",
                              "AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING"})
            unset(n);
    }
};

TEST(endpoint, regional_defaults) {
    endpoint_env env;
    auto t = resolve_endpoint(translate_service(), "eu-west-2");
    ASSERT_TRUE(t.ok()) << t.error_message();
    EXPECT_EQ(t.value().scheme, "https");
    EXPECT_EQ(t.value().host, "translate.eu-west-2.amazonaws.com");
    EXPECT_EQ(t.value().port, "443");
    EXPECT_EQ(t.value().target, "");
    EXPECT_EQ(t.value().host_header(), "translate.eu-west-2.amazonaws.com");
    EXPECT_EQ(t.value().url(), "https://translate.eu-west-2.amazonaws.com");

    auto s = resolve_endpoint(sts_service(), "us-east-1");
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s.value().host, "sts.us-east-1.amazonaws.com");

    auto ts = resolve_endpoint(transcribe_streaming_service(), "us-west-2");
    ASSERT_TRUE(ts.ok());
    EXPECT_EQ(ts.value().host, "transcribestreaming.us-west-2.amazonaws.com");
    EXPECT_EQ(ts.value().port, "8443");
    EXPECT_EQ(ts.value().host_header(), "transcribestreaming.us-west-2.amazonaws.com:8443");
    EXPECT_EQ(ts.value().url(), "https://transcribestreaming.us-west-2.amazonaws.com:8443");
    EXPECT_EQ(transcribe_streaming_service().signing_name, "transcribe");

    auto cn = resolve_endpoint(translate_service(), "cn-north-1");
    ASSERT_TRUE(cn.ok());
    EXPECT_EQ(cn.value().host, "translate.cn-north-1.amazonaws.com.cn");
}

TEST(endpoint, missing_or_bad_region_is_an_error) {
    endpoint_env env;
    auto r = resolve_endpoint(translate_service(), "");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("AWS_REGION"), std::string::npos);
    auto bad = resolve_endpoint(translate_service(), "eu-west-2/evil");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error_message().find("eu-west-2/evil"), std::string::npos);
}

TEST(endpoint, service_override_wins_over_the_global_one) {
    endpoint_env env;
    env.set("AWS_ENDPOINT_URL", "https://vpce.example.com");
    env.set("AWS_ENDPOINT_URL_TRANSLATE", "http://127.0.0.1:4566/prefix/");
    std::vector<std::string> warnings;
    auto t = resolve_endpoint(translate_service(), "", &warnings); // no region needed
    ASSERT_TRUE(t.ok()) << t.error_message();
    EXPECT_EQ(t.value().scheme, "http");
    EXPECT_FALSE(t.value().tls());
    EXPECT_EQ(t.value().host, "127.0.0.1");
    EXPECT_EQ(t.value().port, "4566");
    EXPECT_EQ(t.value().target, "/prefix");
    EXPECT_EQ(t.value().url(), "http://127.0.0.1:4566/prefix");
    EXPECT_TRUE(warnings.empty()) << warnings.front();

    auto s = resolve_endpoint(sts_service(), "eu-west-2", &warnings);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s.value().host, "vpce.example.com");
    EXPECT_EQ(s.value().port, "443");
    EXPECT_TRUE(warnings.empty());

    env.set("AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING", "https://[::1]:8443");
    auto ts = resolve_endpoint(transcribe_streaming_service(), "eu-west-2", &warnings);
    ASSERT_TRUE(ts.ok());
    EXPECT_EQ(ts.value().host, "::1");
    EXPECT_EQ(ts.value().host_header(), "[::1]:8443");
}

TEST(endpoint, plain_http_to_a_remote_host_warns) {
    endpoint_env env;
    std::vector<std::string> warnings;
    env.set("AWS_ENDPOINT_URL_TRANSLATE", "http://translate.internal.example:8080");
    auto t = resolve_endpoint(translate_service(), "eu-west-2", &warnings);
    ASSERT_TRUE(t.ok());
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("AWS_ENDPOINT_URL_TRANSLATE"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("http"), std::string::npos);

    for (const char* local : {"http://localhost:4566", "http://LOCALHOST", "http://127.0.0.1",
                              "http://127.1.2.3:80", "http://[::1]:4566"}) {
        warnings.clear();
        env.set("AWS_ENDPOINT_URL_TRANSLATE", local);
        ASSERT_TRUE(resolve_endpoint(translate_service(), "eu-west-2", &warnings).ok()) << local;
        EXPECT_TRUE(warnings.empty()) << local;
    }
    warnings.clear();
    env.set("AWS_ENDPOINT_URL_TRANSLATE", "http://128.0.0.1");
    ASSERT_TRUE(resolve_endpoint(translate_service(), "eu-west-2", &warnings).ok());
    EXPECT_EQ(warnings.size(), 1u);
    // No sink: no crash.
    EXPECT_TRUE(resolve_endpoint(translate_service(), "eu-west-2").ok());
}

TEST(endpoint, malformed_override_names_the_variable) {
    endpoint_env env;
    env.set("AWS_ENDPOINT_URL_STS", "ftp://sts.example.com");
    auto r = resolve_endpoint(sts_service(), "eu-west-2");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("AWS_ENDPOINT_URL_STS"), std::string::npos) << r.error_message();
    env.set("AWS_ENDPOINT_URL_STS", "");
    env.set("AWS_ENDPOINT_URL", "localhost:4566");
    r = resolve_endpoint(sts_service(), "eu-west-2");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("AWS_ENDPOINT_URL"), std::string::npos) << r.error_message();
}

TEST(endpoint, parse_endpoint_url_cases) {
    auto a = parse_endpoint_url("HTTPS://Example.com");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a.value().scheme, "https");
    EXPECT_EQ(a.value().port, "443");
    EXPECT_EQ(a.value().host_header(), "Example.com");
    auto b = parse_endpoint_url("http://example.com:80/");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b.value().port, "80");
    EXPECT_EQ(b.value().target, "");
    EXPECT_EQ(b.value().host_header(), "example.com");
    auto c = parse_endpoint_url("https://example.com:8443/a/b//");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.value().target, "/a/b");
    EXPECT_EQ(c.value().url(), "https://example.com:8443/a/b");
    auto d = parse_endpoint_url("http://[fe80::1]");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.value().host, "fe80::1");
    EXPECT_EQ(d.value().port, "80");

    for (const char* bad :
         {"", "example.com", "ftp://x", "https://", "https://:443", "https://h:0", "https://h:99999",
          "https://h:x", "https://h:", "https://[::1", "https://u@h", "https://h/p?q=1", "https://h#f"}) {
        auto r = parse_endpoint_url(bad);
        EXPECT_FALSE(r.ok()) << bad;
        if (!r.ok()) {
            EXPECT_NE(r.error_message().find("http"), std::string::npos) << r.error_message();
        }
    }
}

} // namespace
