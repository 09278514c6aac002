#include "protocol/messages.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace lt::protocol;
using nlohmann::json;

TEST(parse, reference_new_text_is_a_final_in_english) {
    auto r = parse_client_message(
        R"({"type":"new_text","data":{"text":"Hello","timestamp":"12:00:01","api_key":"k"}})");
    ASSERT_TRUE(r) << r.error_message();
    auto& m = std::get<new_text>(r.value());
    EXPECT_EQ(m.text, "Hello");
    EXPECT_EQ(m.timestamp, "12:00:01");
    EXPECT_EQ(m.api_key, "k");
    EXPECT_FALSE(m.partial);
    EXPECT_EQ(m.lang, "en");
    EXPECT_FALSE(m.id.has_value());
}

TEST(parse, new_text_additions) {
    auto r = parse_client_message(
        R"({"type":"new_text","data":{"text":"Hola","id":"u7","partial":true,"lang":"es"}})");
    ASSERT_TRUE(r) << r.error_message();
    auto& m = std::get<new_text>(r.value());
    EXPECT_EQ(m.id, "u7");
    EXPECT_TRUE(m.partial);
    EXPECT_EQ(m.lang, "es");
}

TEST(parse, set_language_with_since_and_partials) {
    auto r =
        parse_client_message(R"({"type":"set_language","data":{"lang":"fr","since":42,"partials":true}})");
    ASSERT_TRUE(r) << r.error_message();
    auto& m = std::get<set_language>(r.value());
    EXPECT_EQ(m.lang, "fr");
    EXPECT_EQ(m.since, 42u);
    EXPECT_TRUE(m.partials);
    auto plain = parse_client_message(R"({"type":"set_language","data":{"lang":"es"}})");
    ASSERT_TRUE(plain);
    EXPECT_FALSE(std::get<set_language>(plain.value()).since.has_value());
    EXPECT_FALSE(std::get<set_language>(plain.value()).history.has_value());
    auto history = parse_client_message(R"({"type":"set_language","data":{"lang":"es","history":true}})");
    ASSERT_TRUE(history);
    EXPECT_EQ(std::get<set_language>(history.value()).history, true);
    auto bad = parse_client_message(R"({"type":"set_language","data":{"lang":"es","history":"yes"}})");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error_message().find("'history'"), std::string::npos);
}

TEST(parse, other_reference_messages) {
    auto g = parse_client_message(R"({"type":"generate_token","data":{"api_key":"k"}})");
    ASSERT_TRUE(g);
    EXPECT_EQ(std::get<generate_token>(g.value()).api_key, "k");
    auto t = parse_client_message(R"({"type":"request_translation","data":{"text":"hi","lang":"es"}})");
    ASSERT_TRUE(t);
    EXPECT_EQ(std::get<request_translation>(t.value()).lang, "es");
    EXPECT_EQ(std::get<request_translation>(t.value()).source, "en");
    EXPECT_FALSE(std::get<request_translation>(t.value()).api_key);
    auto k = parse_client_message(
        R"({"type":"request_translation","data":{"text":"hi","lang":"es","api_key":"k"}})");
    ASSERT_TRUE(k);
    EXPECT_EQ(std::get<request_translation>(k.value()).api_key, "k");
    EXPECT_FALSE(parse_client_message(
        R"({"type":"request_translation","data":{"text":"hi","lang":"es","api_key":5}})"));
}

struct bad_case {
    const char* frame;
    const char* expected;
};

TEST(parse, errors_say_what_is_wrong) {
    const bad_case cases[] = {
        {"not json", "invalid JSON"},
        {"[1,2]", "JSON object"},
        {R"({"data":{}})", "missing message type"},
        {R"({"type":"dance","data":{}})", "unknown message type 'dance'"},
        {R"({"type":"new_text","data":{}})", "missing field 'text'"},
        {R"({"type":"new_text","data":{"text":5}})", "'text' must be a string"},
        {R"({"type":"new_text","data":{"text":"a","partial":"yes"}})", "'partial' must be true or false"},
        {R"({"type":"new_text","data":{"text":"a","lang":"EN!"}})", "invalid language code"},
        {R"({"type":"set_language","data":{"lang":"es","since":-1}})", "'since' must be"},
        {R"({"type":"set_language","data":[]})", "'data' must be an object"},
        {R"({"type":"set_language","data":{}})", "missing field 'lang'"},
    };
    for (const auto& c : cases) {
        auto r = parse_client_message(c.frame);
        ASSERT_FALSE(r) << c.frame;
        EXPECT_NE(r.error_message().find(c.expected), std::string::npos)
            << c.frame << " -> " << r.error_message();
    }
}

TEST(language_code, shapes) {
    EXPECT_TRUE(is_language_code("en"));
    EXPECT_TRUE(is_language_code("pt-BR"));
    EXPECT_TRUE(is_language_code("eng"));
    EXPECT_FALSE(is_language_code("e"));
    EXPECT_FALSE(is_language_code("english"));
    EXPECT_FALSE(is_language_code("en-"));
    EXPECT_FALSE(is_language_code("en_US"));
}

TEST(serialize, caption_has_reference_fields_and_additions) {
    caption c;
    c.text = "Hola";
    c.original = "Hello";
    c.timestamp = "10:00:00";
    c.lang = "es";
    c.id = "u1";
    c.seq = 3;
    auto j = json::parse(serialize(c));
    EXPECT_EQ(j["type"], "translated_text");
    EXPECT_EQ(j["data"]["text"], "Hola");
    EXPECT_EQ(j["data"]["original"], "Hello");
    EXPECT_EQ(j["data"]["timestamp"], "10:00:00");
    EXPECT_EQ(j["data"]["lang"], "es");
    EXPECT_EQ(j["data"]["seq"], 3);
    EXPECT_EQ(j["data"]["partial"], false);
    EXPECT_FALSE(j["data"].contains("error"));
    EXPECT_FALSE(j["data"].contains("pending"));
    c.pending = "everyone"; // a translated partial's untranslated rest
    EXPECT_EQ(json::parse(serialize(c))["data"]["pending"], "everyone");
    c.pending.reset();
    c.error = "timed out";
    c.seq.reset();
    j = json::parse(serialize(c));
    EXPECT_EQ(j["data"]["error"], "timed out");
    EXPECT_FALSE(j["data"].contains("seq"));
}

TEST(serialize, status_error_and_invalid_utf8) {
    connection_status s;
    s.aws_available = true;
    s.translator = "apertium";
    s.languages = {"es", "fr"};
    s.server_id = "abc";
    auto j = json::parse(serialize(s));
    EXPECT_EQ(j["type"], "connection_status");
    EXPECT_EQ(j["data"]["status"], "connected");
    EXPECT_EQ(j["data"]["aws_available"], true);
    EXPECT_EQ(j["data"]["languages"], json({"es", "fr"}));
    auto e = json::parse(serialize_error("Unauthorized: Invalid API key", "unauthorized"));
    EXPECT_EQ(e["data"]["message"], "Unauthorized: Invalid API key");
    EXPECT_EQ(e["data"]["code"], "unauthorized");
    caption c;
    c.text = std::string("bad \xff byte");
    EXPECT_NO_THROW(json::parse(serialize(c)));
    auto ls = json::parse(serialize_language_set("es"));
    EXPECT_EQ(ls["type"], "language_set");
    EXPECT_EQ(ls["data"]["lang"], "es");
}

TEST(speaker, new_text_round_trips_through_the_server_parser) {
    new_text m;
    m.text = "Hello \"world\"";
    m.timestamp = "10:11:12";
    m.api_key = "k";
    m.id = "run-7";
    m.partial = true;
    m.lang = "en";
    auto parsed = parse_client_message(serialize(m));
    ASSERT_TRUE(parsed) << parsed.error_message();
    auto* nt = std::get_if<new_text>(&parsed.value());
    ASSERT_NE(nt, nullptr);
    EXPECT_EQ(nt->text, m.text);
    EXPECT_EQ(nt->timestamp, m.timestamp);
    EXPECT_EQ(nt->api_key, m.api_key);
    EXPECT_EQ(nt->id, m.id);
    EXPECT_TRUE(nt->partial);
    EXPECT_EQ(nt->lang, "en");
}

TEST(speaker, a_final_has_no_partial_field_for_the_reference_server) {
    new_text m;
    m.text = "hi";
    auto j = nlohmann::json::parse(serialize(m));
    EXPECT_FALSE(j["data"].contains("partial"));
    EXPECT_FALSE(j["data"].contains("id"));
    EXPECT_EQ(j["type"], "new_text");
}

TEST(speaker, replies) {
    auto ack = parse_speaker_reply(serialize_text_ack("a-1", 42));
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack.value().type, speaker_reply::kind::ack);
    EXPECT_EQ(ack.value().id, "a-1");
    EXPECT_EQ(ack.value().seq, 42u);

    auto err = parse_speaker_reply(serialize_error("Unauthorized: Invalid API key", "unauthorized"));
    ASSERT_TRUE(err);
    EXPECT_EQ(err.value().type, speaker_reply::kind::error);
    EXPECT_EQ(err.value().code, "unauthorized");
    EXPECT_EQ(err.value().message, "Unauthorized: Invalid API key");

    // The reference server's error has no code; a bad field type is not a crash.
    auto ref = parse_speaker_reply(R"({"type":"error","data":{"message":5}})");
    ASSERT_TRUE(ref);
    EXPECT_EQ(ref.value().message, "(no message)");
    EXPECT_EQ(ref.value().code, "");

    auto other = parse_speaker_reply(R"({"type":"translated_text","data":{}})");
    ASSERT_TRUE(other);
    EXPECT_EQ(other.value().type, speaker_reply::kind::other);

    EXPECT_FALSE(parse_speaker_reply("not json"));
    EXPECT_FALSE(parse_speaker_reply(R"({"type":"text_ack","data":{}})"));
}
