// SigV4 against AWS's published test suite (data/sigv4/, see its README.md), the S3
// presigned-URL example from AWS's documentation, and the hashes underneath.
#include "aws/crypto.hpp"
#include "aws/sigv4.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using namespace lt::aws;

namespace {

fs::path data_dir() {
    if (const char* src = std::getenv("LT_SOURCE_DIR"); src && *src)
        return fs::path(src) / "tests/aws/data/sigv4";
    return fs::path(__FILE__).parent_path() / "data/sigv4";
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

clock::time_point at(const char* iso) {
    auto t = parse_iso8601(iso);
    EXPECT_TRUE(t.ok()) << iso;
    return t.value();
}

const char* suite_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

credentials suite_credentials() {
    credentials c;
    c.access_key_id = "AKIDEXAMPLE";
    c.secret_access_key = suite_secret;
    return c;
}

// The suite's .req/.sreq format: request line, headers (a line starting with white space
// is another value of the header above, as AWS's files fold them), blank line, body.
http_request_parts parse_request(const std::string& text) {
    http_request_parts r;
    auto split = text.find("\n\n");
    std::string head = text.substr(0, split);
    if (split != std::string::npos)
        r.body = text.substr(split + 2);
    std::istringstream in(head);
    std::string line;
    std::getline(in, line);
    auto sp1 = line.find(' '), sp2 = line.rfind(' ');
    r.method = line.substr(0, sp1);
    r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string last_name;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        if (line[0] == ' ' || line[0] == '\t') {
            r.headers.emplace_back(last_name, line);
            continue;
        }
        auto colon = line.find(':');
        last_name = line.substr(0, colon);
        r.headers.emplace_back(last_name, line.substr(colon + 1));
    }
    return r;
}

// Lower-case name -> trimmed values, for comparing header sets.
std::multimap<std::string, std::string> header_set(const header_list& headers) {
    std::multimap<std::string, std::string> out;
    for (auto [n, v] : headers) {
        std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
        auto b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t");
        out.emplace(n, b == std::string::npos ? "" : v.substr(b, e - b + 1));
    }
    return out;
}

struct suite_case {
    std::string name;
    fs::path dir;
};

std::vector<suite_case> suite_cases() {
    std::vector<suite_case> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(data_dir(), ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().extension() == ".req")
            out.push_back({it->path().stem().string(), it->path().parent_path()});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

class sigv4_suite : public ::testing::TestWithParam<suite_case> {};

TEST_P(sigv4_suite, matches_published_steps) {
    const auto& c = GetParam();
    auto file = [&](const char* ext) { return slurp(c.dir / (c.name + ext)); };
    http_request_parts req = parse_request(file(".req"));
    credentials creds = suite_credentials();
    const std::string token_header = "X-Amz-Security-Token";
    std::string token;
    for (const auto& [n, v] : req.headers)
        if (n == token_header)
            token = v;
    if (!token.empty())
        creds.session_token = token; // post-sts-header-before: the signer adds the same token itself

    signing_params p;
    p.region = "us-east-1";
    p.service = "service";
    p.when = at("2015-08-30T12:36:00Z");
    auto steps = sign_request(req, creds, p);
    EXPECT_EQ(steps.canonical_request, file(".creq")) << c.name << ": canonical request";
    EXPECT_EQ(steps.string_to_sign, file(".sts")) << c.name << ": string to sign";
    EXPECT_EQ(steps.authorization, file(".authz")) << c.name << ": Authorization";

    if (c.name == "post-sts-header-after") {
        // The token goes on after signing, unsigned.
        auto sreq = parse_request(file(".sreq"));
        for (const auto& [n, v] : sreq.headers)
            if (n == token_header)
                req.headers.emplace_back(n, v);
    }
    auto expected = parse_request(file(".sreq"));
    EXPECT_EQ(header_set(req.headers), header_set(expected.headers)) << c.name << ": signed request headers";
    EXPECT_EQ(req.body, expected.body) << c.name << ": body";
}

INSTANTIATE_TEST_SUITE_P(aws_suite, sigv4_suite, ::testing::ValuesIn(suite_cases()),
                         [](const ::testing::TestParamInfo<suite_case>& param) {
                             std::string n = param.param.name;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

TEST(sigv4, suite_is_present) {
    auto cases = suite_cases();
    EXPECT_GE(cases.size(), 15u) << "test vectors missing under " << data_dir();
}

// aws-c-auth's v4 suite, get-vanilla-with-session-token: the token is signed.
TEST(sigv4, session_token_is_signed) {
    http_request_parts req;
    req.headers = {{"Host", "example.amazonaws.com"}};
    credentials creds = suite_credentials();
    creds.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    signing_params p{"us-east-1", "service", at("2015-08-30T12:36:00Z")};
    auto steps = sign_request(req, creds, p);
    EXPECT_EQ(steps.authorization,
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
              "SignedHeaders=host;x-amz-date;x-amz-security-token, "
              "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
}

TEST(sigv4, resigning_replaces_date_and_signature) {
    http_request_parts req;
    req.headers = {{"Host", "example.amazonaws.com"}};
    signing_params p{"us-east-1", "service", at("2015-08-30T12:36:00Z")};
    sign_request(req, suite_credentials(), p);
    p.when = at("2015-08-30T12:37:00Z");
    auto steps = sign_request(req, suite_credentials(), p);
    auto headers = header_set(req.headers);
    EXPECT_EQ(headers.count("authorization"), 1u);
    ASSERT_EQ(headers.count("x-amz-date"), 1u);
    EXPECT_EQ(headers.find("x-amz-date")->second, "20150830T123700Z");
    EXPECT_EQ(headers.find("authorization")->second, steps.authorization);
    EXPECT_EQ(steps.canonical_request.find("authorization"), std::string::npos);
}

TEST(sigv4, content_sha256_header_and_unsigned_payload) {
    http_request_parts req;
    req.method = "PUT";
    req.target = "/key";
    req.headers = {{"Host", "bucket.s3.amazonaws.com"}};
    req.body = "abc";
    signing_params p{"us-east-1", "s3", at("2015-08-30T12:36:00Z")};
    p.content_sha256_header = true;
    auto steps = sign_request(req, suite_credentials(), p);
    const std::string abc_hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    EXPECT_NE(steps.canonical_request.find("x-amz-content-sha256:" + abc_hash + "\n"), std::string::npos);
    EXPECT_EQ(steps.canonical_request.substr(steps.canonical_request.size() - abc_hash.size()), abc_hash);

    http_request_parts req2 = req;
    p.unsigned_payload = true;
    steps = sign_request(req2, suite_credentials(), p);
    EXPECT_NE(steps.canonical_request.find("x-amz-content-sha256:UNSIGNED-PAYLOAD\n"), std::string::npos);
    EXPECT_TRUE(steps.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
}

// Amazon S3 API Reference, "Authenticating Requests: Using Query Parameters (AWS Signature
// Version 4)", the example presigned URL for GET /test.txt.
TEST(sigv4, presign_matches_s3_documented_example) {
    http_request_parts req;
    req.method = "GET";
    req.target = "/test.txt";
    req.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
    credentials creds;
    creds.access_key_id = "AKIAIOSFODNN7EXAMPLE";
    creds.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    signing_params p{"us-east-1", "s3", at("2013-05-24T00:00:00Z")};
    p.normalize_path = false;
    p.unsigned_payload = true;
    signature_steps steps;
    auto target = presign(req, creds, p, std::chrono::seconds(86400), &steps);
    EXPECT_EQ(steps.canonical_request,
              "GET\n/test.txt\n"
              "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%"
              "2Fs3%2F"
              "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
              "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
    EXPECT_EQ(steps.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    EXPECT_EQ(target,
              "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
              "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-"
              "SignedHeaders=host"
              "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

// aws-c-auth's v4 suite, get-vanilla-query-order-key-case signed with query parameters.
TEST(sigv4, presign_matches_aws_c_auth_query_vector) {
    http_request_parts req;
    req.target = "/?Param2=value2&Param1=value1";
    req.headers = {{"Host", "example.amazonaws.com"}};
    signing_params p{"us-east-1", "service", at("2015-08-30T12:36:00Z")};
    signature_steps steps;
    presign(req, suite_credentials(), p, std::chrono::seconds(3600), &steps);
    EXPECT_EQ(steps.signature, "86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5")
        << steps.canonical_request;
}

std::vector<std::string> query_names(const std::string& target) {
    std::vector<std::string> names;
    auto q = target.find('?');
    std::istringstream in(target.substr(q + 1));
    std::string item;
    while (std::getline(in, item, '&'))
        names.push_back(item.substr(0, item.find('=')));
    return names;
}

// Transcribe streaming's WebSocket URL: host signed only, the session token inside the
// signature, the payload hash of an empty body.
TEST(sigv4, presign_transcribe_streaming_structure) {
    http_request_parts req;
    req.target = "/stream-transcription-websocket?media-encoding=pcm&sample-rate=16000&language-code=en-US";
    req.headers = {{"Host", "transcribestreaming.eu-west-2.amazonaws.com:8443"}};
    credentials creds = suite_credentials();
    creds.session_token = "FQoGZXIvYXdzE+/token=";
    signing_params p{"eu-west-2", "transcribe", at("2024-03-01T10:00:00Z")};
    signature_steps steps;
    auto target = presign(req, creds, p, std::chrono::seconds(300), &steps);

    ASSERT_TRUE(target.starts_with("/stream-transcription-websocket?")) << target;
    auto names = query_names(target);
    ASSERT_FALSE(names.empty());
    EXPECT_EQ(names.back(), "X-Amz-Signature");
    std::vector<std::string> signed_names(names.begin(), names.end() - 1);
    EXPECT_TRUE(std::is_sorted(signed_names.begin(), signed_names.end())) << target;
    for (const char* n :
         {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Security-Token",
          "X-Amz-SignedHeaders", "language-code", "media-encoding", "sample-rate"})
        EXPECT_NE(std::find(signed_names.begin(), signed_names.end(), n), signed_names.end()) << n;
    EXPECT_NE(target.find("X-Amz-Expires=300&"), std::string::npos);
    EXPECT_NE(target.find("X-Amz-SignedHeaders=host&"), std::string::npos);
    EXPECT_NE(target.find("X-Amz-Credential=AKIDEXAMPLE%2F20240301%2Feu-west-2%2Ftranscribe%2Faws4_request"),
              std::string::npos);
    // The token is encoded and signed (in the canonical query), not appended afterwards.
    EXPECT_NE(target.find("X-Amz-Security-Token=FQoGZXIvYXdzE%2B%2Ftoken%3D"), std::string::npos);
    EXPECT_NE(steps.canonical_request.find("X-Amz-Security-Token=FQoGZXIvYXdzE%2B%2Ftoken%3D"),
              std::string::npos);
    EXPECT_TRUE(
        steps.canonical_request.ends_with("\nhost:transcribestreaming.eu-west-2.amazonaws.com:8443\n\nhost\n"
                                          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
        << steps.canonical_request;
    EXPECT_TRUE(steps.authorization.empty());
    EXPECT_NE(target.find("X-Amz-Signature=" + steps.signature), std::string::npos);

    // AWS's limit is 7 days.
    auto long_lived = presign(req, creds, p, std::chrono::hours(24 * 30));
    EXPECT_NE(long_lived.find("X-Amz-Expires=604800&"), std::string::npos);
}

TEST(sigv4, uri_encode_keeps_only_unreserved) {
    EXPECT_EQ(uri_encode("AZaz09-._~"), "AZaz09-._~");
    EXPECT_EQ(uri_encode("a b/c+d*e=f&g%"), "a%20b%2Fc%2Bd%2Ae%3Df%26g%25");
    EXPECT_EQ(uri_encode("/a b/c", true), "/a%20b/c");
    EXPECT_EQ(uri_encode("\xE1\x88\xB4"), "%E1%88%B4");
    EXPECT_EQ(uri_encode(""), "");
}

TEST(sigv4, query_is_reencoded_and_sorted) {
    http_request_parts req;
    req.target = "/?b=2&a=%7e&c&a%20b=x+y&=skip";
    req.headers = {{"Host", "example.amazonaws.com"}};
    signing_params p{"us-east-1", "service", at("2015-08-30T12:36:00Z")};
    auto steps = sign_request(req, suite_credentials(), p);
    EXPECT_TRUE(steps.canonical_request.starts_with("GET\n/\n=skip&a=~&a%20b=x%2By&b=2&c=\n"))
        << steps.canonical_request;
}

TEST(sigv4, path_is_normalised_unless_s3) {
    http_request_parts req;
    req.target = "/a/./b/../c//d%20e/";
    req.headers = {{"Host", "example.amazonaws.com"}};
    signing_params p{"us-east-1", "service", at("2015-08-30T12:36:00Z")};
    auto steps = sign_request(req, suite_credentials(), p);
    // Non-S3 services: dot segments removed, slashes collapsed, the sent path encoded again.
    EXPECT_TRUE(steps.canonical_request.starts_with("GET\n/a/c/d%2520e/\n")) << steps.canonical_request;
    p.normalize_path = false;
    steps = sign_request(req, suite_credentials(), p);
    EXPECT_TRUE(steps.canonical_request.starts_with("GET\n/a/./b/../c//d%20e/\n")) << steps.canonical_request;
}

TEST(sigv4, amz_date_is_utc_basic_format) {
    EXPECT_EQ(amz_date(at("2015-08-30T12:36:00Z")), "20150830T123600Z");
    EXPECT_EQ(amz_date(at("2015-08-30T14:36:00.999+02:00")), "20150830T123600Z");
    EXPECT_EQ(amz_date(clock::time_point{}), "19700101T000000Z");
}

TEST(crypto, sha256_and_hmac_known_answers) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256("abc").size(), 32u);
    // RFC 4231, test case 2.
    EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(hex(std::string("\x00\x0f\xa0\xff", 4)), "000fa0ff");
}

TEST(crypto, crc32_matches_zlib_and_continues) {
    EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
    EXPECT_EQ(crc32(""), 0u);
    EXPECT_EQ(crc32("56789", crc32("1234")), 0xCBF43926u);
    EXPECT_EQ(crc32("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
}

} // namespace
