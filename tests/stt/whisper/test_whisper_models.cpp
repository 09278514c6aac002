// The whisper engine's model files without a network: names and their pinned SHA-1 (tied to
// the bundled whisper.cpp README), the cache folder, errors for missing and non-model files,
// a weightless tiny-shape model loading through the real whisper.cpp, a random-weight one
// decoding text, and the factory.
#include "stt/make_recognizer.hpp"
#include "stt/whisper/model_files.hpp"
#include "stt/whisper/whisper_model.hpp"
#include "whisper_files.hpp"

#ifdef LT_WHISPER_SOURCE_DIR
#include "librivox.hpp"
#include <whisper.h>
#endif

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <regex>

using namespace lt::stt::whisper;
using lt::test::make_model;
using lt::test::temp_dir;
using lt::test::write_file;

namespace {

// Sets an environment variable for one test and puts the old value back.
struct scoped_env {
    std::string name;
    std::optional<std::string> old;
    scoped_env(std::string n, const char* value) : name(std::move(n)) {
        if (const char* o = std::getenv(name.c_str()))
            old = o;
        if (value)
            ::setenv(name.c_str(), value, 1);
        else
            ::unsetenv(name.c_str());
    }
    ~scoped_env() {
        if (old)
            ::setenv(name.c_str(), old->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
};

// Options that cannot reach any network: a download attempt fails at once.
model_options offline(const std::string& model, const std::string& dir) {
    model_options o;
    o.model = model;
    o.model_dir = dir;
    o.base_url = "http://127.0.0.1:1";
    o.timeout = std::chrono::milliseconds(2000);
    return o;
}

} // namespace

#ifdef LT_WHISPER_SOURCE_DIR
TEST(WhisperModels, PinnedChecksumsAreTheBundledReadmes) {
    std::ifstream in(std::string(LT_WHISPER_SOURCE_DIR) + "/models/README.md");
    ASSERT_TRUE(in) << "no whisper.cpp source in " << LT_WHISPER_SOURCE_DIR << ": run scripts/setup.sh";
    // | tiny.en | 75 MiB | `c78c...` |
    std::regex row(R"(^\|\s*([a-z.]+)\s*\|[^|]*\|\s*`([0-9a-f]{40})`\s*\|)");
    std::map<std::string, std::string> readme;
    for (std::string line; std::getline(in, line);)
        if (std::smatch m; std::regex_search(line, m, row))
            readme[m[1]] = m[2];
    ASSERT_EQ(known_models().size(), 6u);
    for (const auto& m : known_models()) {
        ASSERT_TRUE(readme.count(m.name)) << m.name << " is not in the README";
        EXPECT_EQ(readme[m.name], m.sha1) << m.name;
    }
}
#endif

TEST(WhisperModels, CacheFolderFollowsXdgThenHome) {
    {
        scoped_env xdg("XDG_CACHE_HOME", "/x/cache"), home("HOME", "/h");
        EXPECT_EQ(default_cache_dir().value(), "/x/cache/live-translate/models");
    }
    {
        scoped_env xdg("XDG_CACHE_HOME", ""), home("HOME", "/h");
        EXPECT_EQ(default_cache_dir().value(), "/h/.cache/live-translate/models");
    }
    scoped_env xdg("XDG_CACHE_HOME", nullptr), home("HOME", nullptr);
    auto r = default_cache_dir();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("--model-dir"), std::string::npos);
}

TEST(WhisperModels, NameIsFoundInTheCacheWithoutNetwork) {
    temp_dir dir;
    make_model("tiny.en", dir / "ggml-tiny.en.bin");
    auto r = resolve_model(offline("tiny.en", dir.path.string()));
    ASSERT_TRUE(r) << r.error_message();
    EXPECT_EQ(r.value(), dir / "ggml-tiny.en.bin");
}

TEST(WhisperModels, CacheFolderFromTheEnvironmentWhenNoneIsGiven) {
    temp_dir dir;
    std::filesystem::create_directories(dir.path / "live-translate" / "models");
    make_model("base.en", dir / "live-translate/models/ggml-base.en.bin");
    scoped_env xdg("XDG_CACHE_HOME", dir.path.c_str());
    auto r = resolve_model(offline("base.en", ""));
    ASSERT_TRUE(r) << r.error_message();
    EXPECT_EQ(r.value(), dir / "live-translate/models/ggml-base.en.bin");
}

TEST(WhisperModels, DefaultIsBaseEn) { EXPECT_EQ(model_options{}.model, "base.en"); }

TEST(WhisperModels, UnknownNameListsTheNames) {
    temp_dir dir;
    auto r = resolve_model(offline("huge.en", dir.path.string()));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("unknown whisper model 'huge.en'"), std::string::npos)
        << r.error_message();
    EXPECT_NE(r.error_message().find("tiny.en, tiny, base.en, base, small.en, small"), std::string::npos);
}

TEST(WhisperModels, MissingPathIsNamedWithinASecond) {
    const auto start = std::chrono::steady_clock::now();
    auto r = resolve_model(offline("/nonexistent/dir/ggml-x.bin", "/tmp"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error_message(), "whisper model file /nonexistent/dir/ggml-x.bin does not exist");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(WhisperModels, FileThatIsNotAModelIsRefused) {
    temp_dir dir;
    write_file(dir / "notes.bin", "hello, this is text");
    write_file(dir / "empty.bin", "");
    write_file(dir / "gg.bin", "lmg");
    for (auto name : {"notes.bin", "empty.bin", "gg.bin"}) {
        auto r = resolve_model(offline(dir / name, "/tmp"));
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error_message(),
                  "whisper model file " + (dir / name) +
                      " is not a ggml model (it does not start with the ggml magic 0x67676d6c)");
    }
    auto d = check_model_file(dir.path.string());
    ASSERT_FALSE(d);
    EXPECT_NE(d.error_message().find("is a folder"), std::string::npos);
}

TEST(WhisperModels, Sha1OfAFile) {
    temp_dir dir;
    write_file(dir / "abc", "abc");
    EXPECT_EQ(sha1_of_file(dir / "abc").value(), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_FALSE(sha1_of_file(dir / "none"));
}

#ifdef LT_WHISPER_SOURCE_DIR // built with whisper.cpp
TEST(WhisperModels, GeneratedTinyModelLoadsThroughWhisperCpp) {
    ASSERT_TRUE(engine_built()) << "this build has no whisper.cpp (LT_WHISPER=OFF)";
    temp_dir dir;
    make_model("tiny.en", dir / "tiny.en.bin");
    make_model("tiny", dir / "tiny.bin");
    auto en = load_model(dir / "tiny.en.bin");
    ASSERT_TRUE(en) << en.error_message();
    auto i = en.value()->info();
    EXPECT_EQ(i.type, "tiny");
    EXPECT_EQ(i.n_vocab, 51864);
    EXPECT_EQ(i.n_audio_state, 384);
    EXPECT_EQ(i.n_audio_layer, 4);
    EXPECT_EQ(i.n_text_layer, 4);
    EXPECT_FALSE(i.multilingual);
    auto multi = load_model(dir / "tiny.bin");
    ASSERT_TRUE(multi) << multi.error_message();
    EXPECT_TRUE(multi.value()->info().multilingual);
}

TEST(WhisperModels, GeneratedTinyModelRunsTheDecoder) {
    // The recognizer's tests stand on this: a weightless model goes through whisper_full
    // (mel, encoder, decoder) like a real one; its text means nothing.
    temp_dir dir;
    make_model("tiny.en", dir / "tiny.en.bin");
    auto m = load_model(dir / "tiny.en.bin");
    ASSERT_TRUE(m) << m.error_message();
    auto p = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
    p.n_threads = 2;
    p.print_progress = p.print_realtime = p.print_special = p.print_timestamps = false;
    p.no_timestamps = p.single_segment = true;
    p.audio_ctx = 64; // about 1.3 s of the 30 s window: the audio is 1 s
    p.max_tokens = 8;
    std::vector<float> pcm(16000);
    for (std::size_t i = 0; i < pcm.size(); ++i)
        pcm[i] = 0.1f * static_cast<float>(std::sin(2 * M_PI * 440 * static_cast<double>(i) / 16000));
    auto* ctx = m.value()->context();
    ASSERT_EQ(whisper_full(ctx, p, pcm.data(), static_cast<int>(pcm.size())), 0);
    // At most one segment (single_segment); a weightless model may well give none.
    EXPECT_LE(whisper_full_n_segments(ctx), 1);
    // The encoder ran (whisper_get_timings hands over a new object).
    std::unique_ptr<whisper_timings> t(whisper_get_timings(ctx));
    ASSERT_TRUE(t);
    EXPECT_GT(t->encode_ms, 0.0f);
    EXPECT_GT(t->decode_ms + t->batchd_ms, 0.0f); // and the decoder
}

TEST(WhisperModels, RandomWeightTinyModelDecodesTextToTheTokenCap) {
    // The streaming tests and the bench stand on this: with random weights the whole path runs
    // (encoder, decoder, text), at the cost of a real tiny.en model.
    temp_dir dir;
    make_model("tiny.en", dir / "random.bin", "random");
    auto m = load_model(dir / "random.bin");
    ASSERT_TRUE(m) << m.error_message();
    EXPECT_EQ(m.value()->info().n_text_layer, 4);
    const auto clips = lt::stt::testing::load_librivox();
    ASSERT_FALSE(clips.empty()) << "no LibriVox clips in " << lt::stt::testing::librivox_dir;
    const auto& pcm16 = clips[0].pcm;
    ASSERT_GE(pcm16.size(), 48000u);
    std::vector<float> pcm(48000); // 3 s
    for (std::size_t i = 0; i < pcm.size(); ++i)
        pcm[i] = static_cast<float>(pcm16[i]) / 32768.0f;
    auto p = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
    p.n_threads = 2;
    p.print_progress = p.print_realtime = p.print_special = p.print_timestamps = false;
    p.language = "en";
    p.no_timestamps = p.single_segment = true;
    p.audio_ctx = 160; // 3.2 s of the 30 s window
    p.max_tokens = 12;
    auto* ctx = m.value()->context();
    auto decode = [&] {
        EXPECT_EQ(whisper_full(ctx, p, pcm.data(), static_cast<int>(pcm.size())), 0);
        return whisper_full_n_segments(ctx) == 1 ? std::string(whisper_full_get_segment_text(ctx, 0)) : "";
    };
    const std::string text = decode();
    ASSERT_EQ(whisper_full_n_segments(ctx), 1);
    // Whole pseudo-words from the tool's vocabulary, never the single bytes.
    EXPECT_TRUE(std::regex_match(text, std::regex("( [a-z]{6})+"))) << text;
    // The tool keeps end-of-text from winning, so decoding runs to the cap. whisper.cpp checks
    // the cap after sampling (i >= max_tokens, i from 0): one token more than max_tokens.
    const int n = whisper_full_n_tokens(ctx, 0);
    EXPECT_EQ(n, p.max_tokens + 1) << text;
    double logprob = 0;
    for (int i = 0; i < n; ++i) {
        const auto t = whisper_full_get_token_data(ctx, 0, i);
        EXPECT_LT(t.id, whisper_token_eot(ctx)); // a text token
        ASSERT_TRUE(std::isfinite(t.p) && t.p > 0 && t.p <= 1) << "token " << i << " p " << t.p;
        logprob += t.plog;
    }
    // Confident enough that whisper.cpp neither re-decodes at a higher temperature nor drops
    // the segment (logprob_thold -1).
    EXPECT_GT(logprob / n, p.logprob_thold);
    EXPECT_EQ(decode(), text); // greedy: the same text again
}

TEST(WhisperModels, DamagedHeaderIsRefusedBeforeWhisperCpp) {
    temp_dir dir;
    make_model("tiny.en", dir / "full.bin");
    auto bytes = lt::test::read_file(dir / "full.bin");
    // The ggml magic is right, the weight type (ftype, the 12th int32) is not one ggml knows.
    const std::int32_t bad_ftype = 999;
    bytes.replace(4 + 10 * 4, 4, reinterpret_cast<const char*>(&bad_ftype), 4);
    write_file(dir / "bad.bin", bytes);
    // whisper.cpp itself would abort the process on it (GGML_ASSERT).
    auto r = load_model(dir / "bad.bin");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error_message(),
              "whisper model file " + (dir / "bad.bin") +
                  " has a damaged ggml header (ftype = 999, not a weight type whisper.cpp reads)");
    write_file(dir / "short.bin", bytes.substr(0, 20));
    r = load_model(dir / "short.bin");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error_message(),
              "whisper model file " + (dir / "short.bin") + " is cut short (it ends inside the ggml header)");
    const std::int32_t no_layers = 0;
    bytes.replace(4 + 4 * 4, 4, reinterpret_cast<const char*>(&no_layers), 4);
    write_file(dir / "zero.bin", bytes);
    r = load_model(dir / "zero.bin");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("damaged ggml header (n_audio_layer = 0)"), std::string::npos)
        << r.error_message();
}

TEST(WhisperModels, ModelWhisperCppRefusesIsAClearError) {
    // A sound header and vocabulary followed by a tensor no whisper model has: whisper.cpp's
    // loader refuses the file, and its own reason reaches the message.
    temp_dir dir;
    make_model("tiny.en", dir / "full.bin");
    auto bytes = lt::test::read_file(dir / "full.bin");
    const std::int32_t record[] = {1, 5, 0, 1}; // n_dims, name length, f32, ne[0]
    bytes.append(reinterpret_cast<const char*>(record), sizeof record);
    bytes += "bogus";
    bytes.append(4, '\0');
    write_file(dir / "bad.bin", bytes);
    auto r = load_model(dir / "bad.bin");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("whisper.cpp could not load the model file " + (dir / "bad.bin") + ": "),
              std::string::npos)
        << r.error_message();
    EXPECT_NE(r.error_message().find("unknown tensor 'bogus' in model file"), std::string::npos)
        << r.error_message();
}

TEST(WhisperEngine, FactoryListsWhisperAndBuildsItsRecognizerOnTheModel) {
    const auto names = lt::stt::engine_names();
    EXPECT_NE(std::find(names.begin(), names.end(), "whisper"), names.end());
    temp_dir dir;
    make_model("tiny.en", dir / "tiny.en.bin");
    lt::stt::engine_options o;
    o.engine = "whisper";
    o.whisper = offline(dir / "tiny.en.bin", dir.path.string());
    auto r = lt::stt::make_recognizer(o);
    ASSERT_TRUE(r) << r.error_message();
    EXPECT_NE(r.value()->name().find("whisper.cpp (tiny.en.bin, "), std::string::npos) << r.value()->name();
    // A bad model is an error naming the file.
    o.whisper.model = dir / "none.bin";
    r = lt::stt::make_recognizer(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error_message(), "whisper model file " + (dir / "none.bin") + " does not exist");
}
#else
TEST(WhisperEngine, BuildWithoutWhisperSaysSo) {
    EXPECT_FALSE(engine_built());
    const auto names = lt::stt::engine_names();
    EXPECT_EQ(std::find(names.begin(), names.end(), "whisper"), names.end());
    lt::stt::engine_options o;
    o.engine = "whisper";
    auto r = lt::stt::make_recognizer(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error_message(), "the whisper engine is not built into this program (configure with "
                                 "-DLT_WHISPER=ON after scripts/setup.sh): available: pocketsphinx, aws");
}
#endif
