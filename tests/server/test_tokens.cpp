// Token vending without STS: the AssumeRole answer's parsing, refusals, and the settings.
#include "protocol/messages.hpp"
#include "server/config.hpp"
#include "server/routes/token_vending.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

using namespace lt::server;
using json = nlohmann::json;

namespace {

// AssumeRole's documented answer shape (STS API reference, "AssumeRole", example response).
const char* assume_role_xml = R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764&amp;bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW</SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>)";

} // namespace

TEST(token_vending, assume_role_answer_becomes_the_reference_token_response) {
    auto r = parse_assume_role(assume_role_xml, "eu-west-2");
    ASSERT_TRUE(r) << r.error_message();
    auto d = json::parse(r.value());
    EXPECT_EQ(d["status"], "success");
    EXPECT_EQ(d["region"], "eu-west-2");
    EXPECT_EQ(d["credentials"]["AccessKeyId"], "ASIAIOSFODNN7EXAMPLE");
    EXPECT_EQ(d["credentials"]["Expiration"], "2019-11-09T13:34:41Z");
    EXPECT_EQ(d["credentials"]["SessionToken"],
              "AQoDYXdzEPT//////////wEXAMPLEtc764&bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW")
        << "XML entities are decoded";
    auto frame = json::parse(lt::protocol::serialize_token_response(r.value(), ""));
    EXPECT_EQ(frame["type"], "token_response");
    EXPECT_FALSE(frame["data"].contains("code"));
}

TEST(token_vending, an_answer_without_credentials_is_an_error) {
    auto r = parse_assume_role("<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>", "us-east-1");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("AccessKeyId"), std::string::npos);
}

TEST(token_vending, without_a_role_every_request_gets_the_reference_message_at_once) {
    token_vendor v({}, nullptr);
    EXPECT_FALSE(v.configured());
    int calls = 0;
    token_answer got;
    v.request("10.0.0.1", [&](token_answer a) {
        ++calls;
        got = std::move(a);
    });
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(got.http_status, 503);
    EXPECT_EQ(got.code, "not_configured");
    EXPECT_EQ(json::parse(got.data)["error"], token_not_configured);
    auto frame = json::parse(lt::protocol::serialize_token_response(got.data, got.code));
    EXPECT_EQ(frame["data"]["status"], "error");
    EXPECT_EQ(frame["data"]["code"], "not_configured");
}

TEST(token_vending, settings_come_from_the_reference_variables_and_are_checked) {
    int code = 0;
    const char* argv0[] = {"lt-server"};
    auto c = parse_server_config(1, argv0,
                                 lt::core::env_source({{"TRANSCRIBE_ROLE_ARN", "arn:aws:iam::1:role/r"},
                                                       {"TRANSCRIBE_EXTERNAL_ID", "x"},
                                                       {"LT_TRANSLATOR", "aws"}},
                                                      {}),
                                 code);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->transcribe_role_arn, "arn:aws:iam::1:role/r");
    EXPECT_EQ(c->transcribe_external_id, "x");
    EXPECT_EQ(c->translator, "aws");
    EXPECT_EQ(c->token_seconds, 3600u);
    EXPECT_EQ(c->translate_workers, 0u) << "0: the backend chooses";
    EXPECT_THROW(parse_server_config(1, argv0, lt::core::env_source({{"LT_TOKEN_SECONDS", "10"}}, {}), code),
                 std::invalid_argument);
    EXPECT_THROW(parse_server_config(1, argv0, lt::core::env_source({{"LT_AWS_SOURCE", "guess"}}, {}), code),
                 std::invalid_argument);
}
