// Endpointer on synthetic signals, truecasing, engine errors and silence with the real
// pocketsphinx model. The LibriVox accuracy tests are in test_stt_librivox.cpp.
#include "librivox.hpp"
#include "stt/endpointer.hpp"
#include "stt/make_recognizer.hpp"
#include "stt/recognizer.hpp"
#include "stt/truecase.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <tuple>

using namespace lt::stt;
using lt::stt::testing::noise;

namespace {

constexpr int rate = 16000;
using ev = endpointer::event;

std::size_t samples(double s) { return static_cast<std::size_t>(std::lround(s * rate)); }

// A tone burst over a low noise bed, so the signal never drops to digital zeros.
void add_tone(std::vector<std::int16_t>& pcm, double at_s, double dur_s, double dbfs, double hz = 440) {
    const double amp = 32768.0 * std::pow(10.0, dbfs / 20) * std::sqrt(2.0);
    const std::size_t b = samples(at_s), n = samples(dur_s);
    if (pcm.size() < b + n)
        pcm.resize(b + n);
    for (std::size_t i = 0; i < n; ++i) {
        const double v = pcm[b + i] + amp * std::sin(2 * std::numbers::pi * hz * double(i) / rate);
        pcm[b + i] = static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
    }
}

std::vector<std::int16_t> bed(double dur_s, double dbfs = -60, unsigned seed = 7) {
    return noise(samples(dur_s), dbfs, seed);
}

// Syllable-like speech: `on_s` of tone, `off_s` of the bed, from `at_s` for `dur_s`.
// Returns when the last syllable ends.
double add_syllables(std::vector<std::int16_t>& pcm, double at_s, double dur_s, double on_s = 0.25,
                     double off_s = 0.1) {
    double end = at_s;
    for (double t = at_s; t + on_s <= at_s + dur_s + 1e-9; t += on_s + off_s) {
        add_tone(pcm, t, on_s, -20);
        end = t + on_s;
    }
    return end;
}

struct timed_event {
    ev e;
    std::uint64_t at_frame; // frame whose push produced it
};

std::vector<timed_event> run(const std::vector<std::int16_t>& pcm, const endpointer_options& o = {},
                             bool finish = true) {
    endpointer ep(o);
    std::vector<timed_event> out;
    std::vector<ev> evs;
    const std::size_t fs = endpointer::frame_samples;
    for (std::size_t at = 0; at + fs <= pcm.size(); at += fs) {
        ep.push_frame(std::span<const std::int16_t>(pcm.data() + at, fs), evs);
        for (auto& e : evs)
            out.push_back({std::move(e), at / fs});
        evs.clear();
    }
    if (finish) {
        ep.finish(evs);
        for (auto& e : evs)
            out.push_back({std::move(e), pcm.size() / fs});
    }
    return out;
}

std::vector<timed_event> of_kind(const std::vector<timed_event>& evs, ev::kind k) {
    std::vector<timed_event> out;
    for (const auto& t : evs) {
        if (t.e.type == k)
            out.push_back(t);
    }
    return out;
}

double sec(std::uint64_t sample) { return static_cast<double>(sample) / rate; }
double frame_sec(std::uint64_t frame) {
    return static_cast<double>(frame + 1) * endpointer::frame_samples / rate;
}

// Every sample handed to the engine is the input's, in order, none twice.
void expect_audio_faithful(const std::vector<timed_event>& evs, const std::vector<std::int16_t>& pcm) {
    std::uint64_t next = 0;
    for (const auto& t : evs) {
        if (t.e.type != ev::kind::audio)
            continue;
        EXPECT_GE(t.e.sample, next) << "audio fed twice";
        for (std::size_t i = 0; i < t.e.pcm.size(); ++i) {
            ASSERT_EQ(t.e.pcm[i], pcm[t.e.sample + i]) << "at sample " << t.e.sample + i;
        }
        next = t.e.sample + t.e.pcm.size();
    }
}

} // namespace

TEST(Endpointer, ToneBurstGivesOneUtteranceWithOnsetAfterMinSpeechAndFinalAfterPause) {
    auto pcm = bed(3.5);
    add_tone(pcm, 1.0, 1.0, -20);
    const auto evs = run(pcm);
    const auto begins = of_kind(evs, ev::kind::begin);
    const auto ends = of_kind(evs, ev::kind::end);
    ASSERT_EQ(begins.size(), 1u);
    ASSERT_EQ(ends.size(), 1u);
    EXPECT_NEAR(sec(begins[0].e.sample), 1.0, 0.011);
    // Confirmed once min_speech_s (0.15 s) of speech has been heard, not before.
    EXPECT_NEAR(frame_sec(begins[0].at_frame), 1.15, 0.011);
    EXPECT_NEAR(sec(ends[0].e.sample), 2.0, 0.011);
    EXPECT_FALSE(ends[0].e.cut);
    // The final comes after end_silence_s (0.5 s) of pause, not at a fixed window.
    EXPECT_NEAR(frame_sec(ends[0].at_frame), 2.5, 0.011);
    expect_audio_faithful(evs, pcm);
}

TEST(Endpointer, PreRollAndClosingPauseReachTheEngine) {
    auto pcm = bed(3.5);
    add_tone(pcm, 1.0, 1.0, -20);
    const auto evs = run(pcm);
    const auto audio = of_kind(evs, ev::kind::audio);
    ASSERT_FALSE(audio.empty());
    EXPECT_NEAR(sec(audio.front().e.sample), 0.7, 0.011); // 0.3 s before the onset
    const auto& last = audio.back().e;
    EXPECT_NEAR(sec(last.sample + last.pcm.size()), 2.5, 0.011); // the whole closing pause
    std::size_t fed = 0;
    for (const auto& a : audio)
        fed += a.e.pcm.size();
    EXPECT_EQ(fed, samples(1.8)); // contiguous: nothing skipped inside
}

TEST(Endpointer, DigitalZerosAreNeverSpeechAndNotFedAsPreRoll) {
    std::vector<std::int16_t> zeros(samples(10), 0);
    EXPECT_TRUE(run(zeros).empty());

    // Zeros, then a tone straight away: the pre-roll skips the zeros.
    auto pcm = zeros;
    auto rest = bed(2.0);
    pcm.insert(pcm.end(), rest.begin(), rest.end());
    add_tone(pcm, 10.1, 0.8, -20);
    const auto evs = run(pcm);
    ASSERT_EQ(of_kind(evs, ev::kind::begin).size(), 1u);
    const auto audio = of_kind(evs, ev::kind::audio);
    EXPECT_GE(sec(audio.front().e.sample), 10.0);
}

TEST(Endpointer, SteadyNoiseIsNeverSpeech) {
    for (double level : {-70.0, -50.0, -30.0}) {
        EXPECT_TRUE(run(bed(10, level, 3)).empty()) << level << " dBFS";
    }
    // Zeros first (a muted device), then noise: the floor comes from the noise, not the zeros.
    std::vector<std::int16_t> pcm(samples(5), 0);
    auto n = bed(5, -50, 4);
    pcm.insert(pcm.end(), n.begin(), n.end());
    EXPECT_TRUE(run(pcm).empty());
}

TEST(Endpointer, ClickShorterThanMinSpeechIsNotSpeech) {
    auto pcm = bed(3.0);
    add_tone(pcm, 1.0, 0.05, -10, 2000);
    add_tone(pcm, 2.0, 0.12, -10, 1000);
    EXPECT_TRUE(run(pcm).empty());
    // The same burst at min_speech_s and longer is speech.
    auto longer = bed(3.0);
    add_tone(longer, 1.0, 0.2, -10, 1000);
    EXPECT_EQ(of_kind(run(longer), ev::kind::begin).size(), 1u);
}

TEST(Endpointer, ShortPausesInsideAnUtteranceDoNotEndIt) {
    auto pcm = bed(6.0);
    const double first_end = add_syllables(pcm, 1.0, 3.0);
    // A 0.4 s pause: shorter than end_silence_s.
    const double end = add_syllables(pcm, first_end + 0.4, 1.0);
    const auto evs = run(pcm);
    ASSERT_EQ(of_kind(evs, ev::kind::end).size(), 1u);
    EXPECT_NEAR(sec(of_kind(evs, ev::kind::end)[0].e.sample), end, 0.011);
}

TEST(Endpointer, AfterLongUtteranceAShorterPauseEndsIt) {
    auto pcm = bed(16.0);
    // 9.5 s of speech, past long_utterance_s (8 s), then a 0.4 s pause: shorter than
    // end_silence_s but longer than long_end_silence_s (0.2 s).
    const double first_end = add_syllables(pcm, 1.0, 9.5);
    add_syllables(pcm, first_end + 0.4, 3.0);
    const auto evs = run(pcm);
    const auto ends = of_kind(evs, ev::kind::end);
    ASSERT_EQ(ends.size(), 2u);
    EXPECT_NEAR(sec(ends[0].e.sample), first_end, 0.011);
    EXPECT_NEAR(frame_sec(ends[0].at_frame), sec(ends[0].e.sample) + 0.2, 0.011);
    EXPECT_FALSE(ends[0].e.cut);
    expect_audio_faithful(evs, pcm);
}

TEST(Endpointer, RunOnSpeechIsCutAtMaxUtterance) {
    auto pcm = bed(40.0);
    add_syllables(pcm, 1.0, 37.0, 0.25, 0.08); // never a pause of 0.2 s
    // One syllable gap in the last second before the limit is clearly the quietest.
    const auto evs = run(pcm);
    const auto ends = of_kind(evs, ev::kind::end);
    const auto begins = of_kind(evs, ev::kind::begin);
    ASSERT_GE(ends.size(), 2u);
    ASSERT_EQ(begins.size(), ends.size());
    // First cut: emitted no later than max_utterance_s after the onset, placed in the last
    // second before it.
    const double onset = sec(begins[0].e.sample);
    EXPECT_TRUE(ends[0].e.cut);
    EXPECT_LE(frame_sec(ends[0].at_frame) - onset, 15.0 + 0.011);
    EXPECT_GE(sec(ends[0].e.sample) - onset, 14.0 - 0.011);
    // The next utterance starts right where the cut was, and every utterance is bounded.
    EXPECT_EQ(begins[1].e.sample, ends[0].e.sample);
    for (std::size_t i = 0; i < ends.size(); ++i) {
        EXPECT_LE(sec(ends[i].e.sample) - sec(begins[i].e.sample), 15.0 + 0.011);
    }
    expect_audio_faithful(evs, pcm);
    // Nothing lost across the cut: from the first pre-roll to the end, all audio was fed.
    const auto audio = of_kind(evs, ev::kind::audio);
    std::size_t fed = 0;
    for (const auto& a : audio)
        fed += a.e.pcm.size();
    EXPECT_EQ(fed, audio.back().e.sample + audio.back().e.pcm.size() - audio.front().e.sample);
}

TEST(Endpointer, FinishEndsTheUtteranceInProgress) {
    auto pcm = bed(2.0);
    add_tone(pcm, 1.0, 1.0, -20);
    const auto evs = run(pcm, {}, true);
    ASSERT_EQ(of_kind(evs, ev::kind::end).size(), 1u);
    EXPECT_NEAR(sec(of_kind(evs, ev::kind::end)[0].e.sample), 2.0, 0.011);
}

// push() takes audio in any block size: the events are those of whole frames, and a
// trailing part-frame waits in tail() until the next call.
TEST(Endpointer, PushInAnyBlockSizeMatchesWholeFrames) {
    auto pcm = bed(3.5);
    add_tone(pcm, 1.0, 1.0, -20);
    pcm.resize(pcm.size() + 50, 0); // ends in a part-frame
    auto flatten = [](const std::vector<ev>& evs) {
        std::vector<std::tuple<int, std::uint64_t, std::size_t>> out;
        for (const auto& e : evs)
            out.emplace_back(static_cast<int>(e.type), e.sample, e.pcm.size());
        return out;
    };
    std::vector<ev> whole;
    endpointer frames({});
    for (std::size_t at = 0; at + endpointer::frame_samples <= pcm.size(); at += endpointer::frame_samples)
        frames.push_frame(std::span(pcm).subspan(at, endpointer::frame_samples), whole);
    for (std::size_t block : {1u, 77u, 160u, 333u, 4096u}) {
        endpointer ep({});
        std::vector<ev> got;
        std::span<const std::int16_t> rest(pcm);
        while (!rest.empty()) {
            auto n = std::min(block, rest.size());
            ep.push(rest.first(n), got);
            rest = rest.subspan(n);
        }
        EXPECT_EQ(flatten(got), flatten(whole)) << "block " << block;
        EXPECT_EQ(ep.tail().size(), pcm.size() % endpointer::frame_samples) << "block " << block;
    }
}

TEST(Endpointer, FrameLevel) {
    std::vector<std::int16_t> zeros(160, 0), dc(160, 1000);
    EXPECT_EQ(endpointer::frame_dbfs(zeros), -120);
    EXPECT_EQ(endpointer::frame_dbfs(dc), -120); // a constant offset carries no sound
    std::vector<std::int16_t> tone;
    add_tone(tone, 0, 0.01, -20, 1000);
    EXPECT_NEAR(endpointer::frame_dbfs(tone), -20, 0.2);
}

// --- truecase ---

TEST(Truecase, SentenceCaseAndFullStopOnFinalsOnly) {
    EXPECT_EQ(truecase("hello world", true), "Hello world.");
    EXPECT_EQ(truecase("hello world", false), "Hello world");
    EXPECT_EQ(truecase("", true), "");
    EXPECT_EQ(truecase("   ", true), "");
}

TEST(Truecase, PronounIAndContractions) {
    EXPECT_EQ(truecase("i think i'm late and i'll say i've i'd", false),
              "I think I'm late and I'll say I've I'd");
    // Words that merely start with i stay as they are.
    EXPECT_EQ(truecase("it is in india", false), "It is in India");
    EXPECT_EQ(truecase("the ice is thin", false), "The ice is thin");
}

TEST(Truecase, DaysMonthsNamesPlaces) {
    EXPECT_EQ(truecase("see you on monday in june with john in london", true),
              "See you on Monday in June with John in London.");
    EXPECT_EQ(truecase("john's car", false), "John's car");
    EXPECT_EQ(truecase("we speak english and french", false), "We speak English and French");
    // Ambiguous words are left alone.
    EXPECT_EQ(truecase("you may march and will mark it", false), "You may march and will mark it");
    // No title abbreviations: words are never changed.
    EXPECT_EQ(truecase("mister john", false), "Mister John");
    // The model's own spelling of titles is capitalised so Apertium knows them.
    EXPECT_EQ(truecase("and mr john met mrs jane and dr brown", false),
              "And Mr John met Mrs Jane and Dr brown");
}

TEST(Truecase, ExistingPunctuationIsNotDoubled) {
    EXPECT_EQ(truecase("is it raining?", true), "Is it raining?");
    EXPECT_EQ(truecase("stop.", true), "Stop.");
    EXPECT_EQ(truecase("wait!", true), "Wait!");
    EXPECT_EQ(truecase("and then,", true), "And then.");
    EXPECT_EQ(truecase("he said \"go.\"", true), "He said \"go.\"");
    EXPECT_EQ(truecase("he said \"go\"", true), "He said \"go\".");
}

TEST(Truecase, NewSentenceAfterStopAndWhitespaceCollapsed) {
    EXPECT_EQ(truecase("  yes.   no  it's   fine ", true), "Yes. No it's fine.");
    EXPECT_EQ(truecase("ok\t\nthen", false), "Ok then");
    EXPECT_EQ(truecase("really? yes", true), "Really? Yes.");
}

TEST(Truecase, NeverLowercasesAndLeavesNonAsciiAlone) {
    EXPECT_EQ(truecase("NASA is here", false), "NASA is here");
    EXPECT_EQ(truecase("über café", true), "über café.");
    EXPECT_EQ(truecase("- well", false), "- Well");
}

// --- engine construction and silence, with the real pocketsphinx model ---

TEST(Recognizer, MissingModelFilesAreNamedWithTheirOption) {
    struct {
        std::string pocketsphinx::pocketsphinx_options::*field;
        std::string path;
        std::string option;
    } cases[] = {
        {&pocketsphinx::pocketsphinx_options::model_dir, "/nonexistent/acoustic", "--model-dir"},
        {&pocketsphinx::pocketsphinx_options::dict, "/nonexistent/words.dict", "--dict"},
        {&pocketsphinx::pocketsphinx_options::lm, "/nonexistent/words.lm.bin", "--lm"},
    };
    for (const auto& c : cases) {
        engine_options o;
        o.pocketsphinx.*c.field = c.path;
        auto r = make_recognizer(o);
        ASSERT_FALSE(r.ok()) << c.path;
        EXPECT_NE(r.error_message().find(c.path), std::string::npos) << r.error_message();
        EXPECT_NE(r.error_message().find(c.option), std::string::npos) << r.error_message();
    }
}

TEST(Recognizer, DefaultModelIsEnglishOnly) {
    engine_options o;
    o.lang = "es";
    auto r = make_recognizer(o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("--model-dir"), std::string::npos);
}

class RecognizerSilence : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto r = make_recognizer({});
        ASSERT_TRUE(r.ok()) << r.error_message();
    }
    std::vector<result> stream(const std::vector<std::int16_t>& pcm) {
        auto r = make_recognizer({});
        EXPECT_TRUE(r.ok());
        auto& rec = *r.value();
        EXPECT_TRUE(rec.needs_truecasing());
        std::vector<result> all;
        for (std::size_t at = 0; at < pcm.size(); at += 1600) {
            auto out = rec.feed(
                std::span<const std::int16_t>(pcm.data() + at, std::min<std::size_t>(1600, pcm.size() - at)));
            all.insert(all.end(), out.begin(), out.end());
        }
        auto out = rec.finish();
        all.insert(all.end(), out.begin(), out.end());
        EXPECT_NEAR(rec.audio_seconds(), double(pcm.size()) / rate, 1e-9);
        return all;
    }
};

TEST_F(RecognizerSilence, DigitalZerosGiveNothing) {
    EXPECT_TRUE(stream(std::vector<std::int16_t>(samples(10), 0)).empty());
}

TEST_F(RecognizerSilence, LowWhiteNoiseGivesNothing) {
    EXPECT_TRUE(stream(noise(samples(10), -50, 11)).empty());
}

TEST(Endpointer, PausesOfRoomNoiseEndSentencesWhoseOwnQuietIsBelowTheRoom) {
    // Synthetic speech (flite) has near-digital silence (-80 dBFS) at its edges and between
    // some words, far below the room noise laid between sentences. When that set the floor,
    // the -50 dBFS pause looked like speech and sentences ran together.
    std::vector<std::int16_t> pcm = bed(1.0, -50, 1);
    std::vector<double> ends;
    unsigned seed = 2;
    for (double pause : {0.6, 1.0, 2.0, 0.6, 1.0, 0.6}) {
        const double at = static_cast<double>(pcm.size()) / rate;
        auto sentence = bed(2.4, -80, seed++);
        pcm.insert(pcm.end(), sentence.begin(), sentence.end());
        add_syllables(pcm, at + 0.1, 0.85);
        // A near-silent gap inside the sentence, shorter than end_silence_s.
        ends.push_back(add_syllables(pcm, at + 1.0, 1.2));
        auto gap = bed(pause, -50, seed++);
        pcm.insert(pcm.end(), gap.begin(), gap.end());
    }
    const auto evs = run(pcm);
    const auto end_events = of_kind(evs, ev::kind::end);
    ASSERT_EQ(end_events.size(), ends.size());
    for (std::size_t i = 0; i < ends.size(); ++i) {
        EXPECT_NEAR(sec(end_events[i].e.sample), ends[i], 0.05) << "sentence " << i;
        EXPECT_FALSE(end_events[i].e.cut);
    }
}
