// TranscriptEvent payloads -> stt::results: partials and finals per ResultId, early finals
// from stable sentences, times offset by the stream's start, language codes; the server
// token's parsing; the engine's audio bound when no stream opens. No network.
#include "speech/token.hpp"
#include "stt/transcribe/transcribe_recognizer.hpp"
#include "stt/transcribe/transcript.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

using namespace lt::stt::transcribe;
using json = nlohmann::json;

namespace {

struct w {
    std::string content;
    double start = 0, end = 0;
    bool stable = false;
};

// A TranscriptEvent with one result; words ending in . ? ! , get a punctuation item.
std::string event(const std::string& id, bool partial, const std::vector<w>& words, bool with_stable = true) {
    json items = json::array();
    std::string transcript;
    for (const auto& x : words) {
        std::string word = x.content;
        std::string punct;
        if (!word.empty() && std::string(".?!,").find(word.back()) != std::string::npos) {
            punct = word.substr(word.size() - 1);
            word.pop_back();
        }
        json it = {{"Content", word},         {"StartTime", x.start},           {"EndTime", x.end},
                   {"Type", "pronunciation"}, {"VocabularyFilterMatch", false}, {"Confidence", 0.9},
                   {"Speaker", nullptr}};
        if (with_stable)
            it["Stable"] = x.stable;
        items.push_back(it);
        transcript += (transcript.empty() ? "" : " ") + word;
        if (!punct.empty()) {
            json p = {{"Content", punct},
                      {"StartTime", x.end},
                      {"EndTime", x.end},
                      {"Type", "punctuation"},
                      {"VocabularyFilterMatch", false},
                      {"Confidence", 0.0}};
            if (with_stable)
                p["Stable"] = x.stable;
            items.push_back(p);
            transcript += punct;
        }
    }
    double start = words.empty() ? 0 : words.front().start, end = words.empty() ? 0 : words.back().end;
    json r = {{"ResultId", id},
              {"IsPartial", partial},
              {"StartTime", start},
              {"EndTime", end},
              {"ChannelId", nullptr},
              {"LanguageCode", nullptr},
              {"Alternatives", json::array({{{"Transcript", transcript}, {"Items", items}}})}};
    return json{{"Transcript", {{"Results", json::array({r})}}}}.dump();
}

std::vector<lt::stt::result> feed(transcript_mapper& m, const std::string& payload) {
    auto r = m.on_event(payload);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error_message());
    return r.ok() ? r.value() : std::vector<lt::stt::result>{};
}

} // namespace

TEST(transcript, partials_then_final_share_an_utterance) {
    utterance_counter c;
    transcript_mapper m(c);
    auto a = feed(m, event("r1", true, {{"hello", 0.5, 0.9}}));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_FALSE(a[0].final);
    EXPECT_EQ(a[0].text, "hello");
    EXPECT_EQ(a[0].utterance, 1u);
    EXPECT_TRUE(m.partial_pending());
    auto b = feed(m, event("r1", true, {{"hello", 0.5, 0.9}, {"world.", 1.0, 1.4}}));
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].text, "hello world.");
    EXPECT_EQ(b[0].utterance, 1u);
    auto f = feed(m, event("r1", false, {{"Hello", 0.5, 0.9}, {"world.", 1.0, 1.4}}));
    ASSERT_EQ(f.size(), 1u);
    EXPECT_TRUE(f[0].final);
    EXPECT_EQ(f[0].text, "Hello world.");
    EXPECT_EQ(f[0].utterance, 1u);
    EXPECT_DOUBLE_EQ(f[0].start_s, 0.5);
    EXPECT_DOUBLE_EQ(f[0].end_s, 1.4);
    EXPECT_FALSE(m.partial_pending());
    ASSERT_TRUE(m.last_final_end());
    EXPECT_DOUBLE_EQ(*m.last_final_end(), 1.4);

    auto g = feed(m, event("r2", false, {{"Again.", 2.0, 2.5}}));
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].utterance, 2u);
    EXPECT_EQ(g[0].text, "Again.");
}

TEST(transcript, times_are_offset_by_the_streams_start) {
    utterance_counter c;
    transcript_mapper m(c, 100.0);
    auto f = feed(m, event("x", false, {{"Late", 1.0, 1.3}, {"words.", 1.4, 1.8}}));
    ASSERT_EQ(f.size(), 1u);
    EXPECT_DOUBLE_EQ(f[0].start_s, 101.0);
    EXPECT_DOUBLE_EQ(f[0].end_s, 101.8);
    EXPECT_DOUBLE_EQ(*m.last_final_end(), 101.8);
}

TEST(transcript, stable_sentence_becomes_an_early_final) {
    utterance_counter c;
    transcript_mapper m(c);
    // Not yet: the sentence is stable but nothing follows it.
    auto a = feed(m, event("r", true, {{"One", 0, 0.3, true}, {"sentence.", 0.3, 0.8, true}}));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_FALSE(a[0].final);
    // Not yet: words follow, but the sentence end is not stable.
    auto b =
        feed(m, event("r", true, {{"One", 0, 0.3, true}, {"sentence.", 0.3, 0.8, false}, {"And", 1.0, 1.2}}));
    ASSERT_EQ(b.size(), 1u);
    EXPECT_FALSE(b[0].final);
    EXPECT_EQ(b[0].text, "One sentence. And");
    // Stable sentence + more words: the sentence is final, the rest a partial of the next utterance.
    auto d = feed(m, event("r", true,
                           {{"One", 0, 0.3, true},
                            {"sentence.", 0.3, 0.8, true},
                            {"And", 1.0, 1.2, true},
                            {"more", 1.2, 1.5}}));
    ASSERT_EQ(d.size(), 2u);
    EXPECT_TRUE(d[0].final);
    EXPECT_EQ(d[0].text, "One sentence.");
    EXPECT_EQ(d[0].utterance, 1u);
    EXPECT_DOUBLE_EQ(d[0].start_s, 0);
    EXPECT_DOUBLE_EQ(d[0].end_s, 0.8);
    EXPECT_FALSE(d[1].final);
    EXPECT_EQ(d[1].text, "And more");
    EXPECT_EQ(d[1].utterance, 2u);
    EXPECT_DOUBLE_EQ(d[1].start_s, 1.0);
    EXPECT_TRUE(m.partial_pending());
    EXPECT_DOUBLE_EQ(*m.last_final_end(), 0.8);
    // Later partials and the final of the same ResultId leave the finalised sentence out.
    auto e = feed(m, event("r", true,
                           {{"One", 0, 0.3, true},
                            {"sentence.", 0.3, 0.8, true},
                            {"And", 1.0, 1.2, true},
                            {"more", 1.2, 1.5, true},
                            {"words", 1.5, 1.9}}));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].text, "And more words");
    EXPECT_EQ(e[0].utterance, 2u);
    auto f = feed(m, event("r", false,
                           {{"One", 0, 0.3, true},
                            {"sentence.", 0.3, 0.8, true},
                            {"And", 1.0, 1.2, true},
                            {"more", 1.2, 1.5, true},
                            {"words.", 1.5, 1.9, true}}));
    ASSERT_EQ(f.size(), 1u);
    EXPECT_TRUE(f[0].final);
    EXPECT_EQ(f[0].text, "And more words.");
    EXPECT_EQ(f[0].utterance, 2u);
    EXPECT_DOUBLE_EQ(f[0].start_s, 1.0);
    EXPECT_FALSE(m.partial_pending());
    // Next result: next number.
    auto g = feed(m, event("s", true, {{"Next", 3, 3.2}}));
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].utterance, 3u);
}

TEST(transcript, several_stable_sentences_go_out_as_one_final) {
    utterance_counter c;
    transcript_mapper m(c);
    auto a = feed(m, event("r", true,
                           {{"Yes.", 0, 0.3, true},
                            {"Really?", 0.4, 0.8, true},
                            {"Wow!", 0.9, 1.1, true},
                            {"and", 1.2, 1.3, false}}));
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0].text, "Yes. Really? Wow!");
    EXPECT_TRUE(a[0].final);
    EXPECT_EQ(a[1].text, "and");
    // A comma is no sentence end.
    utterance_counter c2;
    transcript_mapper m2(c2);
    auto b = feed(m2, event("r", true, {{"Well,", 0, 0.3, true}, {"then", 0.4, 0.8, true}}));
    ASSERT_EQ(b.size(), 1u);
    EXPECT_FALSE(b[0].final);
    EXPECT_EQ(b[0].text, "Well, then");
}

TEST(transcript, final_with_nothing_left_after_early_final_gives_nothing) {
    utterance_counter c;
    transcript_mapper m(c);
    auto a = feed(m, event("r", true, {{"Done.", 0, 0.4, true}, {"uh", 0.5, 0.6}}));
    ASSERT_EQ(a.size(), 2u);
    // The service dropped the filler in the final: only the sentence was said.
    auto f = feed(m, event("r", false, {{"Done.", 0, 0.4, true}}));
    EXPECT_TRUE(f.empty());
    EXPECT_FALSE(m.partial_pending());
}

TEST(transcript, resegmented_final_is_cut_by_time) {
    utterance_counter c;
    transcript_mapper m(c);
    feed(m, event("r", true, {{"First", 0, 0.3, true}, {"part.", 0.3, 0.7, true}, {"second", 0.9, 1.2}}));
    // The final spells the first words differently: the finalised span is dropped by time.
    auto f = feed(m, event("r", false,
                           {{"1st", 0, 0.3}, {"part.", 0.3, 0.7}, {"second", 0.9, 1.2}, {"one.", 1.2, 1.5}}));
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].text, "second one.");
}

TEST(transcript, without_stabilization_no_early_finals) {
    utterance_counter c;
    transcript_mapper m(c);
    auto a = feed(m, event("r", true, {{"One.", 0, 0.3}, {"Two", 0.4, 0.6}}, false));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_FALSE(a[0].final);
    EXPECT_EQ(a[0].text, "One. Two");
}

TEST(transcript, counter_runs_across_streams_and_reuses_a_lost_partial) {
    utterance_counter c;
    {
        transcript_mapper m(c);
        feed(m, event("a", false, {{"One.", 0, 0.3}}));
        feed(m, event("b", true, {{"Two", 1, 1.3}}));
        ASSERT_EQ(m.pending_utterance(), std::optional<std::uint64_t>(2));
        c.reuse = m.pending_utterance(); // the stream was lost
    }
    transcript_mapper n(c, 0.9);
    auto a = feed(n, event("z", true, {{"Two", 0.1, 0.4}}));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].utterance, 2u);
    auto b = feed(n, event("y", false, {{"Three.", 1, 1.2}}));
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].utterance, 3u);
}

TEST(transcript, flush_finalises_open_partials) {
    utterance_counter c;
    transcript_mapper m(c, 10);
    feed(m, event("a", true, {{"unfinished", 0.2, 0.8}, {"words", 0.9, 1.1}}));
    auto f = m.flush();
    ASSERT_EQ(f.size(), 1u);
    EXPECT_TRUE(f[0].final);
    EXPECT_EQ(f[0].text, "unfinished words");
    EXPECT_EQ(f[0].utterance, 1u);
    EXPECT_DOUBLE_EQ(f[0].start_s, 10.2);
    EXPECT_FALSE(m.partial_pending());
    EXPECT_TRUE(m.flush().empty());
}

TEST(transcript, tolerates_odd_payloads) {
    utterance_counter c;
    transcript_mapper m(c);
    EXPECT_FALSE(m.on_event("not json").ok());
    EXPECT_TRUE(feed(m, R"({"Transcript":{"Results":[]}})").empty());
    EXPECT_TRUE(feed(m, R"({"Transcript":null})").empty());
    EXPECT_TRUE(feed(m, R"({"Transcript":{"Results":[{"ResultId":"q","IsPartial":true,"Alternatives":[]}]}})")
                    .empty());
    // Without items, the transcript and the result's times are used.
    auto r =
        feed(m, R"({"Transcript":{"Results":[{"ResultId":"q","IsPartial":false,"StartTime":1.5,"EndTime":2,)"
                R"("Alternatives":[{"Transcript":"Just text.","Items":null}]}]}})");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].text, "Just text.");
    EXPECT_DOUBLE_EQ(r[0].start_s, 1.5);
    EXPECT_DOUBLE_EQ(r[0].end_s, 2);
}

TEST(transcribe, language_codes) {
    EXPECT_EQ(language_code("en"), "en-US");
    EXPECT_EQ(language_code("de"), "de-DE");
    EXPECT_EQ(language_code("es"), "es-US");
    EXPECT_EQ(language_code("fr"), "fr-FR");
    EXPECT_EQ(language_code("EN"), "en-US");
    EXPECT_EQ(language_code("en-GB"), "en-GB");
    EXPECT_EQ(language_code("en-gb"), "en-GB");
    EXPECT_EQ(language_code("pt_PT"), "pt-PT");
    EXPECT_EQ(language_code("xx"), "");
}

// ---- the server's token_response (src/speech/token.hpp) ----

TEST(server_token, success_gives_credentials_with_expiry_and_region) {
    auto r = lt::speech::parse_token_frame(
        R"({"type":"token_response","data":{"status":"success","credentials":{"AccessKeyId":"ASIAX",)"
        R"("SecretAccessKey":"s3cret","SessionToken":"tok","Expiration":"2026-11-26T12:00:00Z"},"region":"eu-west-2"}})",
        "lt-server test");
    ASSERT_TRUE(r.token) << r.error;
    EXPECT_EQ(r.token->credentials.access_key_id, "ASIAX");
    EXPECT_EQ(r.token->credentials.secret_access_key, "s3cret");
    EXPECT_EQ(r.token->credentials.session_token, "tok");
    ASSERT_TRUE(r.token->credentials.expiration);
    EXPECT_EQ(lt::aws::format_iso8601(*r.token->credentials.expiration), "2026-11-26T12:00:00Z");
    EXPECT_EQ(r.token->credentials.source, "lt-server test");
    EXPECT_EQ(r.token->region, "eu-west-2");
}

TEST(server_token, errors_say_why_and_a_refused_key_is_marked) {
    auto e = lt::speech::parse_token_frame(
        R"({"type":"token_response","data":{"status":"error","error":"AWS is not configured"}})", "s");
    EXPECT_FALSE(e.token);
    EXPECT_FALSE(e.refused);
    EXPECT_NE(e.error.find("AWS is not configured"), std::string::npos);
    auto u = lt::speech::parse_token_frame(
        R"({"type":"error","data":{"message":"Unauthorized: Invalid API key","code":"unauthorized"}})", "s");
    EXPECT_FALSE(u.token);
    EXPECT_TRUE(u.refused);
    EXPECT_NE(u.error.find("API_KEY"), std::string::npos);
    auto m = lt::speech::parse_token_frame(
        R"({"type":"token_response","data":{"status":"success","credentials":{}}})", "s");
    EXPECT_FALSE(m.token);
    auto b = lt::speech::parse_token_frame(
        R"({"type":"token_response","data":{"status":"success","credentials":{"AccessKeyId":"A","SecretAccessKey":"B",)"
        R"("Expiration":"soon"}}})",
        "s");
    EXPECT_FALSE(b.token);
    EXPECT_NE(b.error.find("Expiration"), std::string::npos);
}

// ---- the engine without a network: credentials that never come ----
namespace {
struct failing_provider : lt::aws::credentials_provider {
    lt::core::result<lt::aws::credentials> get() override {
        ++calls;
        return lt::core::make_error("no AWS credentials: test");
    }
    std::atomic<int> calls{0};
};
} // namespace

TEST(transcribe_engine_offline, audio_is_kept_up_to_five_minutes_and_reported_when_given_up) {
    auto provider = std::make_shared<failing_provider>();
    std::mutex mu;
    std::vector<lt::stt::transcribe::transcribe_event> events;
    transcribe_options o;
    o.region = "us-east-1";
    o.credentials = provider;
    o.finish_timeout = std::chrono::seconds(1);
    o.on_event = [&](const transcribe_event& e) {
        std::lock_guard lock(mu);
        events.push_back(e);
    };
    auto rec = make_transcribe_recognizer(o);
    ASSERT_TRUE(rec.ok()) << rec.error_message();
    EXPECT_FALSE(rec.value()->needs_truecasing());
    std::vector<std::int16_t> minute(16000 * 60, 0);
    for (int i = 0; i < 6; ++i) {
        EXPECT_TRUE(rec.value()->feed(minute).empty());
        std::this_thread::sleep_for(std::chrono::milliseconds(150)); // let the engine trim
    }
    EXPECT_DOUBLE_EQ(rec.value()->audio_seconds(), 360);
    EXPECT_TRUE(rec.value()->finish().empty());
    std::lock_guard lock(mu);
    bool dropped = false, failed = false;
    double lost = 0;
    for (const auto& e : events) {
        dropped |= e.message.find("dropping the oldest audio") != std::string::npos;
        failed |= e.type == transcribe_event::kind::error &&
                  e.message.find("no AWS credentials: test") != std::string::npos;
        lost = std::max(lost, e.untranscribed_s);
    }
    EXPECT_TRUE(dropped);
    EXPECT_TRUE(failed);
    EXPECT_NEAR(lost, 300, 1); // what was kept, not all that was fed
    EXPECT_GE(provider->calls.load(), 1);
}

TEST(transcribe_engine_offline, settings_errors) {
    transcribe_options o;
    o.region = "us-east-1";
    EXPECT_FALSE(make_transcribe_recognizer(o).ok()); // no provider
    o.credentials = std::make_shared<failing_provider>();
    o.language_code = "";
    EXPECT_FALSE(make_transcribe_recognizer(o).ok());
}
