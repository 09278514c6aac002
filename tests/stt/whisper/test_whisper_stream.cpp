// The whisper engine streaming on this machine with a random-weight model of the tiny shape
// (tools/make_whisper_model.py --weights random): real whisper.cpp load and decode, gibberish
// words. Checks the streaming rules (partials before finals, stable words never taken back,
// the cut of long speech at a stable word), the keep-up control with a deliberately slow
// decode, and lt-speech --engine whisper through lt-server to a viewer. Word accuracy is not
// measured: no real model can be fetched here.
#include "transcribe_fixture.hpp"
#include "whisper_files.hpp"

#include "stt/make_recognizer.hpp"
#include "stt/whisper/words.hpp"

#include <mutex>
#include <random>
#include <sstream>
#include <thread>

using namespace lt::test;
using namespace lt::test::transcribe;
namespace sw = lt::stt::whisper;

namespace {

// Random-weight tiny.en and tiny (multilingual) models for the whole run, and an unsure
// tiny.en (near-uniform output, as a real model on noise it was not trained for).
const temp_dir& models() {
    static temp_dir dir;
    static bool made = [] {
        make_model("tiny.en", dir / "tiny.en.bin", "random");
        make_model("tiny", dir / "tiny.bin", "random");
        make_model("tiny.en", dir / "unsure.en.bin", "random", "--logit-scale 1");
        return true;
    }();
    (void)made;
    return dir;
}

std::unique_ptr<lt::stt::recognizer> make(sw::whisper_options wo, const std::string& lang = "en",
                                          const std::string& model = "tiny.en.bin",
                                          lt::stt::endpointer_options ep = {}) {
    lt::stt::engine_options o;
    o.engine = "whisper";
    o.lang = lang;
    o.endpoint = ep;
    o.whisper.model = models() / model;
    o.whisper_stream = std::move(wo);
    auto r = lt::stt::make_recognizer(o);
    if (!r)
        throw std::runtime_error(r.error_message());
    return std::move(r.value());
}

struct got {
    lt::stt::result r;
    double wall_s; // since the feeding began
};

// Feeds `pcm` in 100 ms blocks at `speed` times real time and collects what comes out.
std::vector<got> feed_paced(lt::stt::recognizer& rec, const std::vector<std::int16_t>& pcm, double speed) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    std::vector<got> out;
    auto take = [&](std::vector<lt::stt::result> rs) {
        const double wall = std::chrono::duration<double>(clock::now() - t0).count();
        for (auto& r : rs)
            out.push_back(got{std::move(r), wall});
    };
    constexpr std::size_t block = 1600;
    for (std::size_t at = 0; at < pcm.size(); at += block) {
        const std::size_t n = std::min(block, pcm.size() - at);
        take(rec.feed(std::span<const std::int16_t>(pcm.data() + at, n)));
        std::this_thread::sleep_until(
            t0 + std::chrono::duration<double>(static_cast<double>(at + n) / 16000 / speed));
    }
    take(rec.finish());
    return out;
}

std::vector<std::int16_t> stream_of(const std::vector<std::size_t>& clips, double gap_s) {
    static const auto all = lt::stt::testing::load_librivox();
    std::vector<lt::stt::testing::clip> picked;
    for (auto i : clips)
        picked.push_back(all.at(i));
    return lt::stt::testing::build_stream(picked, gap_s).pcm;
}

sw::whisper_options stream_options(double partial_interval_s, double cut_after_s = 15) {
    sw::whisper_options wo;
    wo.partial_interval_s = partial_interval_s;
    wo.cut_after_s = cut_after_s;
    return wo;
}

std::vector<std::string> normalized_words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string w;
    while (in >> w)
        out.push_back(sw::normalized(w));
    return out;
}

bool starts_with(const std::vector<std::string>& a, const std::vector<std::string>& prefix) {
    return prefix.size() <= a.size() && std::equal(prefix.begin(), prefix.end(), a.begin());
}

} // namespace

TEST(whisper_stream, partials_come_before_each_final_and_stable_words_are_never_taken_back) {
    auto rec = make(stream_options(0.5));
    EXPECT_NE(rec->name().find("whisper.cpp (tiny.en.bin"), std::string::npos) << rec->name();
    EXPECT_FALSE(rec->needs_truecasing());
    const auto pcm = stream_of({0, 2}, 1.5); // 7.1 s and 5.3 s of speech, 1.5 s apart
    auto out = feed_paced(*rec, pcm, 1.5);

    std::map<std::uint64_t, std::vector<lt::stt::result>> by_utt;
    std::vector<lt::stt::result> finals;
    for (const auto& g : out) {
        by_utt[g.r.utterance].push_back(g.r);
        if (g.r.final)
            finals.push_back(g.r);
    }
    ASSERT_GE(finals.size(), 2u);
    for (std::size_t i = 0; i < finals.size(); ++i) {
        EXPECT_FALSE(finals[i].text.empty());
        EXPECT_LT(finals[i].start_s, finals[i].end_s);
        EXPECT_LE(finals[i].end_s, static_cast<double>(pcm.size()) / 16000 + 0.01);
        if (i > 0) {
            EXPECT_GT(finals[i].utterance, finals[i - 1].utterance);
            EXPECT_GE(finals[i].start_s, finals[i - 1].end_s);
        }
    }
    // No final spans the 1.5 s pause between the clips (at 8.6 s to 10.1 s).
    for (const auto& f : finals)
        EXPECT_FALSE(f.start_s < 8.7 && f.end_s > 10.0) << f.start_s << "-" << f.end_s;

    std::size_t with_partials = 0;
    for (const auto& [utt, rs] : by_utt) {
        ASSERT_TRUE(rs.back().final) << "utterance " << utt << " has results after its final";
        for (std::size_t i = 0; i + 1 < rs.size(); ++i)
            EXPECT_FALSE(rs[i].final);
        with_partials += rs.size() > 1;
        // What two consecutive partials agree on is stable: every later result keeps it.
        for (std::size_t i = 0; i + 1 < rs.size() && !rs[i + 1].final; ++i) {
            auto a = normalized_words(rs[i].text), b = normalized_words(rs[i + 1].text);
            std::size_t n = 0;
            while (n < a.size() && n < b.size() && a[n] == b[n])
                ++n;
            std::vector<std::string> agreed(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n));
            for (std::size_t j = i + 2; j < rs.size(); ++j)
                EXPECT_TRUE(starts_with(normalized_words(rs[j].text), agreed))
                    << "utterance " << utt << ": '" << rs[j].text << "' lost the stable words of '"
                    << rs[i + 1].text << "'";
        }
    }
    EXPECT_GE(with_partials, 2u) << "each sentence should show partials before its final";
    EXPECT_NE(rec->status().find("RTF "), std::string::npos) << rec->status();
}

TEST(whisper_stream, long_speech_without_a_pause_is_cut_at_a_stable_word) {
    // A 3 s cut and a 3 s pause: the 7.1 s clip can only be split by the stable-word cut.
    lt::stt::endpointer_options ep;
    ep.end_silence_s = 3.0;
    ep.long_utterance_s = 30;
    auto rec = make(stream_options(0.5, 3.0), "en", "tiny.en.bin", ep);
    const auto pcm = stream_of({0}, 0.5);
    auto out = feed_paced(*rec, pcm, 1.0);
    std::vector<lt::stt::result> finals;
    for (const auto& g : out)
        if (g.r.final)
            finals.push_back(g.r);
    ASSERT_GE(finals.size(), 2u) << "no cut in 7 s of speech";
    bool contiguous = false;
    for (std::size_t i = 0; i + 1 < finals.size(); ++i) {
        EXPECT_FALSE(finals[i].text.empty());
        EXPECT_LE(finals[i].end_s, finals[i + 1].start_s);
        // A cut: the next piece starts exactly where the cut final ends; no audio is lost.
        contiguous = contiguous || finals[i].end_s == finals[i + 1].start_s;
        // Cut once the piece passed 3 s, at the last stable word: before the newest audio.
        EXPECT_GT(finals[i].end_s - finals[i].start_s, 1.0);
        EXPECT_LT(finals[i].end_s - finals[i].start_s, 3.0 + 1.5);
    }
    EXPECT_TRUE(contiguous);
}

TEST(whisper_stream, a_slow_machine_gives_up_partials_then_switches_to_a_smaller_model_once) {
    std::mutex mu;
    std::vector<sw::whisper_event> events;
    int asked = 0;
    auto wo = stream_options(0.5);
    wo.extra_decode_s = 4; // slower than the speech, even with finals only
    wo.smaller_model = [&] {
        ++asked;
        return models() / "tiny.en.bin";
    };
    wo.on_event = [&](const sw::whisper_event& e) {
        std::lock_guard lock(mu);
        events.push_back(e);
    };
    auto rec = make(wo);
    std::vector<std::string> statuses;
    // Six short sentences (26 s), real time; the status line is read as the console would.
    const auto pcm = stream_of({1, 4, 1, 4, 1, 4}, 1.0);
    std::vector<got> out;
    {
        using clock = std::chrono::steady_clock;
        const auto t0 = clock::now();
        for (std::size_t at = 0; at < pcm.size(); at += 1600) {
            const std::size_t n = std::min<std::size_t>(1600, pcm.size() - at);
            for (auto& r : rec->feed(std::span<const std::int16_t>(pcm.data() + at, n)))
                out.push_back(got{r, 0});
            statuses.push_back(rec->status());
            std::this_thread::sleep_until(t0 +
                                          std::chrono::duration<double>(static_cast<double>(at + n) / 16000));
        }
        for (auto& r : rec->finish())
            out.push_back(got{r, 0});
    }
    std::lock_guard lock(mu);
    std::string said;
    for (const auto& e : events)
        said += e.message + "\n";
    EXPECT_NE(said.find("fewer partials"), std::string::npos) << said;
    EXPECT_NE(said.find("finals only"), std::string::npos) << said;
    EXPECT_EQ(asked, 1) << said;
    EXPECT_NE(said.find("switched to tiny.en.bin"), std::string::npos) << said;
    bool showed_finals_only = false;
    for (const auto& s : statuses)
        showed_finals_only = showed_finals_only || s.find("finals only") != std::string::npos;
    EXPECT_TRUE(showed_finals_only);
    // Every sentence still got its final (nothing waited past the backlog bound).
    std::size_t finals = 0;
    for (const auto& g : out)
        finals += g.r.final;
    EXPECT_GE(finals, 6u) << said;
}

TEST(whisper_stream, speech_the_machine_cannot_decode_in_time_is_dropped_with_a_warning) {
    std::mutex mu;
    std::vector<sw::whisper_event> events;
    auto wo = stream_options(0);
    wo.max_backlog_s = 4;
    wo.extra_decode_s = 6; // far slower than the speech
    wo.on_event = [&](const sw::whisper_event& e) {
        std::lock_guard lock(mu);
        events.push_back(e);
    };
    auto rec = make(wo);
    const auto pcm = stream_of({1, 4, 1, 4, 1}, 0.8); // five short sentences
    const auto t0 = std::chrono::steady_clock::now();
    auto out = feed_paced(*rec, pcm, 2.0);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::size_t finals = 0;
    for (const auto& g : out)
        finals += g.r.final;
    std::lock_guard lock(mu);
    double dropped = 0;
    std::string said;
    for (const auto& e : events) {
        dropped += e.untranscribed_s;
        said += e.message + "\n";
    }
    EXPECT_GT(dropped, 2.0) << said;
    EXPECT_NE(said.find("cannot keep up"), std::string::npos) << said;
    EXPECT_GE(finals, 1u);
    EXPECT_LT(finals, 5u);
    // Bounded: decoding all five would end 30 s after the first sentence; dropping two ends
    // with the audio's last sentence, two decodes later.
    EXPECT_LT(took, static_cast<double>(pcm.size()) / 16000 / 2 + 2 * 6.0 + 4) << said;
}

TEST(whisper_stream, the_hallucination_guard_drops_decodes_the_model_is_unsure_of) {
    // The unsure model's words have a mean log-probability near -10: with the guards on (the
    // default) none of them is shown; with them off, the same audio gives text.
    const auto pcm = stream_of({1, 4}, 1.0);
    auto guarded = make(stream_options(0.5), "en", "unsure.en.bin");
    for (const auto& g : feed_paced(*guarded, pcm, 4.0))
        ADD_FAILURE() << "shown: " << g.r.text;
    auto wo = stream_options(0.5);
    wo.guards = false;
    auto unguarded = make(wo, "en", "unsure.en.bin");
    std::size_t finals = 0;
    for (const auto& g : feed_paced(*unguarded, pcm, 4.0))
        finals += g.r.final && !g.r.text.empty();
    EXPECT_GE(finals, 2u);
}

TEST(whisper_stream, silence_and_noise_never_reach_the_decoder) {
    auto rec = make(stream_options(0.5));
    std::vector<std::int16_t> pcm(16000 * 12);
    std::mt19937 gen(7);
    std::normal_distribution<double> noise(0, 30); // about -60 dBFS
    for (auto& s : pcm)
        s = static_cast<std::int16_t>(noise(gen));
    auto out = feed_paced(*rec, pcm, 4.0);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(rec->status(), "RTF 0.00"); // nothing was decoded
}

TEST(whisper_stream, language_must_suit_the_model) {
    lt::stt::engine_options o;
    o.engine = "whisper";
    o.whisper.model = models() / "tiny.en.bin";
    o.lang = "es";
    auto r = lt::stt::make_recognizer(o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("English-only"), std::string::npos) << r.error_message();
    EXPECT_NE(r.error_message().find("tiny.en.bin"), std::string::npos) << r.error_message();

    o.whisper.model = models() / "tiny.bin";
    o.lang = "xx";
    r = lt::stt::make_recognizer(o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("does not know the language 'xx'"), std::string::npos)
        << r.error_message();

    o.lang = "es-ES";
    r = lt::stt::make_recognizer(o);
    EXPECT_TRUE(r) << r.error_message();
}

// lt-speech --engine whisper, through lt-server, to a viewer.
TEST(whisper_stream, lt_speech_with_whisper_delivers_captions_to_a_viewer_in_the_spoken_language) {
    server_process server({"--translator", "none"});
    auto v = std::make_unique<ws_client>(server.port());
    ASSERT_TRUE(v->receive_type("connection_status"));
    v->send({{"type", "set_language"}, {"data", {{"lang", "es"}, {"partials", true}}}});
    ASSERT_TRUE(v->receive_type("language_set"));
    auto clip = join_clips({0, 2}, 1.2, "whisper-e2e");
    child_process speaker(speech_bin,
                          {"http://127.0.0.1:" + std::to_string(server.port()), "--no-meter", "--engine",
                           "whisper", "--model", models() / "tiny.bin", "--lang", "es", "--threads", "1",
                           "-i", clip.path},
                          {{"LT_WHISPER_MODEL", ""}, {"LT_ENGINE", ""}, {"LT_LANG", ""}});
    std::vector<json> frames;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline && (speaker.running() || frames.empty())) {
        if (auto f = v->receive_type("translated_text", 200ms))
            frames.push_back((*f)["data"]);
    }
    while (auto f = v->receive_type("translated_text", 1000ms))
        frames.push_back((*f)["data"]);
    ASSERT_EQ(speaker.wait(20s), 0) << speaker.err();
    std::size_t finals = 0, partials = 0;
    for (const auto& d : frames) {
        (d.value("partial", false) ? partials : finals) += 1;
        EXPECT_EQ(d["source_lang"], "es") << d.dump();
        EXPECT_FALSE(d["text"].get<std::string>().empty());
    }
    EXPECT_GE(finals, 2u) << speaker.err();
    EXPECT_GE(partials, 1u) << speaker.err();
    EXPECT_NE(speaker.err().find("with whisper.cpp (tiny.bin, 1 thread)"), std::string::npos)
        << speaker.err();
}

TEST(whisper_stream, lt_speech_refuses_a_language_the_model_cannot_speak_within_a_second) {
    const auto started = std::chrono::steady_clock::now();
    child_process speaker(speech_bin,
                          {"http://127.0.0.1:9", "--engine", "whisper", "--model", models() / "tiny.en.bin",
                           "--lang", "de", "-i", "/dev/null"},
                          {{"LT_WHISPER_MODEL", ""}, {"LT_ENGINE", ""}, {"LT_LANG", ""}});
    EXPECT_EQ(speaker.wait(10s), 1);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_NE(speaker.err().find("is English-only and --lang is de"), std::string::npos) << speaker.err();
}

// The server's glossary file read by lt-speech: whisper prompts with its terms (not visible
// from outside with a random model); pocketsphinx learns an acronym (and Okafor as oka+for)
// and names a word it has no pronunciation for; a
// file that cannot be read stops the start. (Pocketsphinx learning words is tested in
// tests/stt/test_stt_flite.cpp.)
TEST(whisper_stream, lt_speech_reads_the_glossary_and_says_which_words_pocketsphinx_cannot_know) {
    const std::string file = "/tmp/lt-speech-glossary-" + std::to_string(::getpid()) + ".csv";
    std::ofstream(file) << "term,lang,translation\nOkafor\nkeynote,es,ponencia\nhello world\nAWS\nZzyzx\n";
    auto clip = join_clips({1}, 0.5, "terms");
    const std::map<std::string, std::string> env{{"LT_GLOSSARY", ""}};
    child_process ps(speech_bin,
                     {"http://127.0.0.1:9", "--glossary", file, "-i", clip.path, "--fast", "--finish-timeout",
                      "1", "--stop-after", "1"},
                     env);
    ps.wait(30s);
    EXPECT_NE(ps.err().find("has no way to guess how they sound, so it cannot recognise them: zzyzx ("),
              std::string::npos)
        << ps.err();
    EXPECT_NE(ps.err().find("AWS (spelled: EY D AH B AH L Y UW EH S)"),
              std::string::npos)
        << ps.err();
    EXPECT_EQ(ps.err().find("keynote,"), std::string::npos) << "known words are not named";
    child_process wh(speech_bin,
                     {"http://127.0.0.1:9", "--engine", "whisper", "--model", models() / "tiny.en.bin",
                      "--glossary", file, "-i", clip.path, "--fast", "--finish-timeout", "1", "--stop-after",
                      "1"},
                     env);
    wh.wait(60s);
    EXPECT_EQ(wh.err().find("dictionary lacks"), std::string::npos) << wh.err();
    EXPECT_EQ(wh.err().find("error"), std::string::npos) << wh.err();
    std::remove(file.c_str());
    child_process bad(speech_bin, {"http://127.0.0.1:9", "--glossary", file, "-i", clip.path}, env);
    EXPECT_EQ(bad.wait(10s), 1);
    EXPECT_NE(bad.err().find("cannot read the glossary " + file), std::string::npos) << bad.err();
}
