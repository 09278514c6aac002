// lt-server's AWS paths against tools/fake_aws.py, a local stand-in that implements the
// published TranslateText (JSON 1.1) and STS AssumeRole (query/XML) protocols and checks
// every request's SigV4 signature with its own Python code. Not live AWS.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

using namespace lt::test;

namespace {

const std::string key = "speaker-key";
const std::string role = "arn:aws:iam::123456789012:role/LiveTranslateTranscribeRole";

json new_text(const std::string& text, const std::string& id) {
    return {
        {"type", "new_text"},
        {"data", {{"text", text}, {"timestamp", "12:00:00"}, {"id", id}, {"lang", "en"}, {"api_key", key}}}};
}

void publish(unsigned short port, const std::string& text, const std::string& id) {
    ws_client speaker(port);
    speaker.receive_type("connection_status");
    speaker.send(new_text(text, id));
    ASSERT_TRUE(speaker.receive_type("text_ack", 10s)) << "no ack for " << id;
}

json health(unsigned short port) { return json::parse(http_get(port, "/health").body); }

// The probe call at start decides aws_available; wait for its outcome.
bool wait_available(unsigned short port, bool want, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto h = health(port);
        if (h["aws_translate"] == want && (want || h["translator"]["state"] != "ok"))
            return true;
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

std::map<std::string, std::string> merged(std::map<std::string, std::string> a,
                                          const std::map<std::string, std::string>& b) {
    for (const auto& [k, v] : b)
        a[k] = v;
    return a;
}

json token_over_ws(unsigned short port, const std::string& api_key) {
    ws_client c(port);
    c.receive_type("connection_status");
    c.send({{"type", "generate_token"}, {"data", {{"api_key", api_key}}}});
    for (int i = 0; i < 5; ++i) {
        auto f = c.receive(20s);
        if (!f)
            return {{"type", "timeout"}};
        if ((*f)["type"] == "token_response" || (*f)["type"] == "error")
            return *f;
    }
    return {{"type", "nothing"}};
}

} // namespace

TEST(aws_translate, captions_reach_viewers_in_three_languages_signed_and_once_per_language) {
    fake_aws aws;
    server_process server({"--translator", "aws"}, merged(aws.env(), {{"API_KEY", key}}));
    ASSERT_TRUE(wait_available(server.port(), true)) << server.log();
    auto status_viewer = std::make_unique<ws_client>(server.port());
    auto status = status_viewer->receive_type("connection_status");
    ASSERT_TRUE(status);
    EXPECT_EQ((*status)["data"]["aws_available"], true);
    EXPECT_EQ((*status)["data"]["translator"], "aws");

    auto es = viewer(server.port(), "es");
    auto de = viewer(server.port(), "de");
    auto ja = viewer(server.port(), "ja");
    auto de2 = viewer(server.port(), "de");
    auto before = aws.stats();
    publish(server.port(), "Good morning, everyone.", "c1");
    std::vector<std::pair<ws_client*, std::string>> viewers{
        {es.get(), "es"}, {de.get(), "de"}, {ja.get(), "ja"}, {de2.get(), "de"}};
    for (const auto& [v, lang] : viewers) {
        auto got = v->receive_type("translated_text", 10s);
        ASSERT_TRUE(got) << lang;
        EXPECT_EQ((*got)["data"]["text"], "[" + lang + "] Good morning, everyone.");
        EXPECT_EQ((*got)["data"]["original"], "Good morning, everyone.");
        EXPECT_FALSE((*got)["data"].contains("error"));
    }
    auto after = aws.stats();
    EXPECT_EQ(after["signature_failures"], 0) << aws.log();
    // Two German viewers, one call: translated once per language.
    EXPECT_EQ(after["translate_calls"].get<int>() - before["translate_calls"].get<int>(), 3);
    EXPECT_EQ(after["translate_by_target"]["de"], 1);
}

TEST(aws_translate, a_throttled_language_degrades_to_the_original_without_holding_up_others) {
    fake_aws aws;
    server_process server({"--translator", "aws"}, merged(aws.env(), {{"API_KEY", key}}));
    ASSERT_TRUE(wait_available(server.port(), true)) << server.log();
    aws.configure({{"throttle_targets", {"fr"}}, {"fail_targets", {"it"}}});
    auto before = aws.stats()["translate_calls"].get<int>();
    auto es = viewer(server.port(), "es");
    auto fr = viewer(server.port(), "fr");
    auto it = viewer(server.port(), "it");
    publish(server.port(), "Welcome.", "c1");
    auto got_es = es->receive_type("translated_text", 10s);
    ASSERT_TRUE(got_es);
    EXPECT_EQ((*got_es)["data"]["text"], "[es] Welcome.");
    auto got_fr = fr->receive_type("translated_text", 20s);
    ASSERT_TRUE(got_fr);
    EXPECT_EQ((*got_fr)["data"]["text"], "Welcome.") << "a failed language gets the original";
    EXPECT_NE((*got_fr)["data"].value("error", "").find("ThrottlingException"), std::string::npos)
        << (*got_fr)["data"].dump();
    auto got_it = it->receive_type("translated_text", 20s);
    ASSERT_TRUE(got_it);
    EXPECT_EQ((*got_it)["data"]["text"], "Welcome.");
    EXPECT_NE((*got_it)["data"].value("error", "").find("InternalServerException"), std::string::npos);
    // Throttling and 5xx are retried (3 attempts each), so es 1 + fr 3 + it 3.
    EXPECT_EQ(aws.stats()["translate_calls"].get<int>() - before, 7);
    // Throttling and a 500 say nothing about credentials: still available.
    EXPECT_EQ(health(server.port())["aws_translate"], true);

    // Once AWS recovers, the next caption is translated again.
    aws.configure({{"throttle_targets", json::array()}, {"fail_targets", json::array()}});
    publish(server.port(), "Thanks.", "c2");
    auto next = fr->receive_type("translated_text", 10s);
    ASSERT_TRUE(next);
    EXPECT_EQ((*next)["data"]["text"], "[fr] Thanks.");
}

TEST(aws_translate, wrong_credentials_give_a_clear_error_and_the_server_keeps_going) {
    fake_aws aws;
    auto env = merged(aws.env(), {{"API_KEY", key}, {"AWS_SECRET_ACCESS_KEY", "not-the-secret"}});
    server_process server({"--translator", "aws"}, env);
    ASSERT_TRUE(wait_available(server.port(), false)) << server.log();
    auto h = health(server.port());
    EXPECT_EQ(h["aws_translate"], false);
    EXPECT_NE(h["translator"]["state"].get<std::string>().find("InvalidSignatureException"),
              std::string::npos)
        << h.dump();
    auto v = std::make_unique<ws_client>(server.port());
    auto status = v->receive_type("connection_status");
    ASSERT_TRUE(status);
    EXPECT_EQ((*status)["data"]["aws_available"], false) << "the page shows its limited-mode banner";
    v->send({{"type", "set_language"}, {"data", {{"lang", "es"}}}});
    ASSERT_TRUE(v->receive_type("language_set"));
    publish(server.port(), "Hello there.", "c1");
    auto got = v->receive_type("translated_text", 10s);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "Hello there.");
    EXPECT_NE((*got)["data"].value("error", "").find("secret"), std::string::npos) << (*got)["data"].dump();
    EXPECT_GT(aws.stats()["signature_failures"].get<int>(), 0);
    // Unknown key id: named as such.
    server_process other({"--translator", "aws"}, merged(env, {{"AWS_ACCESS_KEY_ID", "AKIDUNKNOWN"}}));
    ASSERT_TRUE(wait_available(other.port(), false));
    EXPECT_NE(
        health(other.port())["translator"]["state"].get<std::string>().find("UnrecognizedClientException"),
        std::string::npos);
    EXPECT_TRUE(health(server.port())["status"] == "healthy");
}

TEST(aws_tokens, generate_token_over_websocket_and_http_answers_with_assumed_role_credentials) {
    fake_aws aws;
    server_process server({"--translator", "none"},
                          merged(aws.env(), {{"API_KEY", key}, {"TRANSCRIBE_ROLE_ARN", role}}));
    auto ws = token_over_ws(server.port(), key);
    ASSERT_EQ(ws["type"], "token_response") << ws.dump() << server.log();
    auto d = ws["data"];
    ASSERT_EQ(d["status"], "success") << d.dump();
    EXPECT_EQ(d["region"], "us-east-1");
    for (const char* f : {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"})
        EXPECT_FALSE(d["credentials"].value(f, "").empty()) << f;
    EXPECT_TRUE(d["credentials"]["AccessKeyId"].get<std::string>().starts_with("ASIA"));

    auto http = http_get(server.port(), "/generate_token", "POST", {{"Content-Type", "application/json"}},
                         json{{"api_key", key}}.dump());
    ASSERT_EQ(http.status, 200) << http.body;
    auto hd = json::parse(http.body);
    EXPECT_EQ(hd["status"], "success");
    EXPECT_NE(hd["credentials"]["AccessKeyId"], d["credentials"]["AccessKeyId"])
        << "a fresh session each time";
    auto bearer = http_get(server.port(), "/generate_token", "POST", {{"Authorization", "Bearer " + key}});
    EXPECT_EQ(bearer.status, 200) << bearer.body;

    auto stats = aws.stats();
    EXPECT_EQ(stats["sts_calls"], 3);
    EXPECT_EQ(stats["signature_failures"], 0);

    // Wrong key: refused before STS is asked.
    auto bad = token_over_ws(server.port(), "wrong");
    EXPECT_EQ(bad["type"], "error");
    EXPECT_EQ(bad["data"]["code"], "unauthorized");
    auto bad_http = http_get(server.port(), "/generate_token", "POST", {{"X-API-Key", "wrong"}});
    EXPECT_EQ(bad_http.status, 401);
    EXPECT_EQ(json::parse(bad_http.body)["error"], "Unauthorized: Invalid API key");
    EXPECT_EQ(http_get(server.port(), "/generate_token").status, 405);
    EXPECT_EQ(http_get(server.port(), "/generate_token", "POST", {}, "{not json").status, 400);
    EXPECT_EQ(aws.stats()["sts_calls"], 3);
    EXPECT_EQ(health(server.port())["tokens"]["issued"], 3);
}

TEST(aws_tokens, without_a_role_the_reference_message_and_with_a_wrong_role_the_sts_reason) {
    fake_aws aws;
    {
        server_process server({"--translator", "none"}, merged(aws.env(), {{"API_KEY", key}}));
        auto r = token_over_ws(server.port(), key);
        ASSERT_EQ(r["type"], "token_response") << r.dump();
        EXPECT_EQ(r["data"]["status"], "error");
        EXPECT_EQ(r["data"]["error"], "Token generation not configured. TRANSCRIBE_ROLE_ARN required.");
        auto http = http_get(server.port(), "/generate_token", "POST", {{"X-API-Key", key}});
        EXPECT_EQ(http.status, 503);
    }
    server_process server(
        {"--translator", "none"},
        merged(aws.env(),
               {{"API_KEY", key}, {"TRANSCRIBE_ROLE_ARN", "arn:aws:iam::123456789012:role/Other"}}));
    auto r = token_over_ws(server.port(), key);
    ASSERT_EQ(r["type"], "token_response") << r.dump();
    EXPECT_EQ(r["data"]["status"], "error");
    auto why = r["data"]["error"].get<std::string>();
    EXPECT_TRUE(why.starts_with("Failed to generate credentials:")) << why;
    EXPECT_NE(why.find("AccessDenied"), std::string::npos) << why;
    EXPECT_EQ(health(server.port())["tokens"]["failed"], 1);
}

TEST(aws_tokens, requests_are_rate_limited_per_client) {
    fake_aws aws;
    server_process server({"--translator", "none", "--token-rate", "1"},
                          merged(aws.env(), {{"API_KEY", key}, {"TRANSCRIBE_ROLE_ARN", role}}));
    int ok = 0, limited = 0;
    for (int i = 0; i < 4; ++i) {
        auto r = http_get(server.port(), "/generate_token", "POST", {{"X-API-Key", key}});
        if (r.status == 200)
            ++ok;
        if (r.status == 429) {
            ++limited;
            EXPECT_EQ(r.headers["retry-after"], "60");
        }
    }
    EXPECT_EQ(ok, 2) << "burst of twice the per-minute rate";
    EXPECT_EQ(limited, 2);
    auto ws = token_over_ws(server.port(), key);
    EXPECT_EQ(ws["data"]["code"], "rate_limited") << ws.dump();
}

TEST(aws_tokens, expired_credentials_give_a_clear_error_and_no_crash) {
    // Credentials from the fake STS that live 2 s, then used by a server for Translate.
    fake_aws aws({"--token-seconds", "2"});
    json creds;
    {
        server_process vendor({"--translator", "none"},
                              merged(aws.env(), {{"API_KEY", key}, {"TRANSCRIBE_ROLE_ARN", role}}));
        auto r = token_over_ws(vendor.port(), key);
        ASSERT_EQ(r["data"]["status"], "success") << r.dump();
        creds = r["data"]["credentials"];
    }
    auto env = merged(aws.env(), {{"API_KEY", key},
                                  {"AWS_ACCESS_KEY_ID", creds["AccessKeyId"]},
                                  {"AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"]},
                                  {"AWS_SESSION_TOKEN", creds["SessionToken"]}});
    std::this_thread::sleep_for(2500ms);
    server_process server({"--translator", "aws"}, env);
    ASSERT_TRUE(wait_available(server.port(), false)) << server.log();
    auto state = health(server.port())["translator"]["state"].get<std::string>();
    EXPECT_NE(state.find("ExpiredTokenException"), std::string::npos) << state;
    EXPECT_NE(state.find("expired"), std::string::npos) << state;
    auto v = viewer(server.port(), "es");
    publish(server.port(), "Still here.", "c1");
    auto got = v->receive_type("translated_text", 10s);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "Still here.");
    EXPECT_EQ(server.stop(), 0) << server.log();
}

// LT_TRANSLATOR=aws,apertium: AWS where it works, Apertium the moment it stops answering,
// AWS again when it is back. The fake is killed mid-event and started again on its port.
TEST(translator_chain, aws_then_apertium_fails_over_when_aws_dies_and_returns_when_it_is_back) {
    auto aws = std::make_unique<fake_aws>();
    const auto aws_port = aws->port();
    server_process server({"--translator", "aws,apertium"}, merged(aws->env(), {{"API_KEY", key}}));
    auto es = viewer(server.port(), "es");
    auto de = viewer(server.port(), "de"); // Apertium has no English -> German
    auto status_client = std::make_unique<ws_client>(server.port());
    auto status = status_client->receive_type("connection_status");
    ASSERT_TRUE(status);
    EXPECT_EQ((*status)["data"]["translator"], "aws,apertium");
    EXPECT_EQ((*status)["data"]["routes"]["es"], "aws");
    EXPECT_EQ((*status)["data"]["engines"][0]["name"], "aws");

    publish(server.port(), "Welcome.", "c1");
    auto got = es->receive_type("translated_text", 10s);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "[es] Welcome.");
    EXPECT_EQ((*got)["data"]["engine"], "aws");
    got = de->receive_type("translated_text", 10s);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["engine"], "aws");

    aws.reset(); // AWS stops answering mid-event
    const auto sent = std::chrono::steady_clock::now();
    publish(server.port(), "Please switch off your phones.", "c2");
    got = es->receive_type("translated_text", 30s);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["engine"], "apertium");
    EXPECT_EQ((*got)["data"].value("error", ""), "");
    EXPECT_EQ((*got)["data"]["text"].get<std::string>().find("[es]"), std::string::npos);
    // At most one wait for the dead engine (connection refused: its client's retries).
    EXPECT_LT(std::chrono::steady_clock::now() - sent, 10s);
    got = de->receive_type("translated_text", 30s);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "Please switch off your phones.") << "no engine left for German";
    EXPECT_NE((*got)["data"].value("error", ""), "");

    auto h = health(server.port());
    EXPECT_EQ(h["translator"]["engines"][0]["healthy"], false) << h.dump();
    EXPECT_EQ(h["translator"]["routes"]["es"], "apertium") << h.dump();
    auto metrics = http_get(server.port(), "/metrics").body;
    EXPECT_NE(metrics.find("lt_translation_failovers_total{engine=\"aws\"} 1"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("lt_translation_engine_healthy{engine=\"aws\"} 0"), std::string::npos);
    EXPECT_NE(metrics.find("lt_translations_total{engine=\"apertium\",lang=\"es\"} 1"), std::string::npos);
    EXPECT_NE(metrics.find("lt_translations_total{engine=\"aws\",lang=\"es\"} 1"), std::string::npos);

    // AWS is back on its port: a probe finds it, and it takes Spanish again.
    aws = std::make_unique<fake_aws>(std::vector<std::string>{"--port", std::to_string(aws_port)});
    ASSERT_EQ(aws->port(), aws_port);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (health(server.port())["translator"]["engines"][0]["healthy"] != true &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(200ms);
    ASSERT_EQ(health(server.port())["translator"]["engines"][0]["healthy"], true) << server.log();
    publish(server.port(), "Thank you.", "c3");
    got = es->receive_type("translated_text", 10s);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "[es] Thank you.");
    EXPECT_EQ((*got)["data"]["engine"], "aws");
}

// --aws-terminology: AWS applies a custom terminology (TerminologyNames) itself, so the
// glossary's placeholders are left out for it; an unknown name is a clear error per caption.
TEST(aws_translate, a_custom_terminology_is_named_in_each_call_and_applied) {
    fake_aws aws;
    aws.configure({{"terminologies", {{"event-terms", {{"es", {{"keynote", "ponencia principal"}}}}}}}});
    const std::string file = "/tmp/lt-aws-glossary-" + std::to_string(::getpid()) + ".csv";
    std::ofstream(file) << "keynote,es,discurso\n";
    server_process server({"--translator", "aws", "--aws-terminology", "event-terms", "--glossary", file},
                          merged(aws.env(), {{"API_KEY", key}}));
    ASSERT_TRUE(wait_available(server.port(), true)) << server.log();
    auto es = viewer(server.port(), "es");
    publish(server.port(), "The keynote starts now.", "t1");
    auto got = es->receive_type("translated_text", 10s);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "[es] The ponencia principal starts now.")
        << "AWS's terms, not placeholders";
    auto names = aws.stats()["terminology_names"];
    ASSERT_FALSE(names.empty());
    EXPECT_EQ(names.back(), "event-terms");
    std::remove(file.c_str());

    server_process wrong({"--translator", "aws", "--aws-terminology", "no-such-terms"},
                         merged(aws.env(), {{"API_KEY", key}}));
    auto v = viewer(wrong.port(), "es");
    publish(wrong.port(), "Hello.", "t2");
    got = v->receive_type("translated_text", 20s);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "Hello.");
    EXPECT_NE((*got)["data"].value("error", "").find("ResourceNotFoundException"), std::string::npos)
        << (*got)["data"].dump();
}
