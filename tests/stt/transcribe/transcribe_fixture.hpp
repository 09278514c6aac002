// Shared by the lt-speech --engine aws integration tests: the real lt-speech and lt-server
// binaries, tools/fake_aws.py as Transcribe streaming + STS (with lt-stt-pipe recognising),
// a viewer, LibriVox clips joined into one WAV file.
#pragma once

#include "harness.hpp"
#include "librivox.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

namespace lt::test::transcribe {

using stt::testing::clip;
using stt::testing::edit_distance;
using stt::testing::words;
using stt::testing::write_wav;

inline const std::string key = "aws-speech-key";
inline const std::string role = "arn:aws:iam::123456789012:role/LiveTranslateTranscribeRole";
inline const std::string speech_bin = "apps/lt-speech/lt-speech";

// The WAV file goes when the object does.
struct joined_clips {
    joined_clips() = default;
    joined_clips(joined_clips&& o) noexcept
        : path(std::exchange(o.path, {})), ref(std::move(o.ref)), seconds(o.seconds),
          speech_end_s(o.speech_end_s) {}
    joined_clips(const joined_clips&) = delete;
    ~joined_clips() {
        if (!path.empty())
            std::remove(path.c_str());
    }
    std::string path;
    std::vector<std::string> ref; // reference words, in order
    double seconds = 0;
    double speech_end_s = 0; // end of the last clip's speech
};

// The LibriVox clips `order` (indexes into fileids order) with `gap_s` of low noise around
// each, written to a WAV file.
inline joined_clips join_clips(const std::vector<std::size_t>& order, double gap_s, const std::string& name) {
    static const auto all = stt::testing::load_librivox();
    std::vector<clip> picked;
    for (auto i : order)
        picked.push_back(all.at(i));
    auto s = stt::testing::build_stream(picked, gap_s);
    joined_clips j;
    j.path = "/tmp/lt-transcribe-" + std::to_string(::getpid()) + "-" + name + ".wav";
    write_wav(j.path, s.pcm);
    for (const auto& c : picked)
        j.ref.insert(j.ref.end(), c.ref.begin(), c.ref.end());
    j.seconds = static_cast<double>(s.pcm.size()) / 16000;
    j.speech_end_s = static_cast<double>(s.placed.back().speech_end) / 16000;
    return j;
}

inline std::map<std::string, std::string> merged(std::map<std::string, std::string> a,
                                                 const std::map<std::string, std::string>& b) {
    for (const auto& [k, v] : b)
        a[k] = v;
    return a;
}

// lt-speech's environment for the server's token: no AWS keys or region of its own.
inline std::map<std::string, std::string> server_token_env(const fake_aws& aws) {
    return {{"API_KEY", key},
            {"AWS_ACCESS_KEY_ID", ""},
            {"AWS_SECRET_ACCESS_KEY", ""},
            {"AWS_SESSION_TOKEN", ""},
            {"AWS_REGION", ""},
            {"AWS_DEFAULT_REGION", ""},
            {"AWS_PROFILE", ""},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"LT_LOCAL_TOKEN", ""},
            {"AWS_ENDPOINT_URL", aws.url()}};
}

// The fake with the project's recognizer behind its Transcribe streams.
inline std::vector<std::string> fake_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> a{"--recognizer", build_path("tools/lt-stt-pipe")};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

inline std::unique_ptr<ws_client> viewer(unsigned short port) {
    auto c = std::make_unique<ws_client>(port);
    EXPECT_TRUE(c->receive_type("connection_status"));
    c->send({{"type", "set_language"}, {"data", {{"lang", "en"}, {"partials", false}}}});
    EXPECT_TRUE(c->receive_type("language_set"));
    return c;
}

struct received {
    std::string text;
    std::chrono::steady_clock::time_point at;
};

// Finals a viewer gets until the speaker exited and a quiet second passed (bounded).
inline std::vector<received> finals_until_done(ws_client& v, child_process& speaker,
                                               std::chrono::seconds limit) {
    std::vector<received> out;
    auto deadline = std::chrono::steady_clock::now() + limit;
    auto quiet_since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto f = v.receive_type("translated_text", 200ms)) {
            if (!(*f)["data"].value("partial", false))
                out.push_back({(*f)["data"]["text"].get<std::string>(), std::chrono::steady_clock::now()});
            quiet_since = std::chrono::steady_clock::now();
        } else if (!speaker.running() && std::chrono::steady_clock::now() - quiet_since > 1s) {
            break;
        }
    }
    return out;
}

inline std::string joined(const std::vector<received>& r) {
    std::string s;
    for (const auto& x : r)
        s += (s.empty() ? "" : " ") + x.text;
    return s;
}

inline double wer(const std::vector<std::string>& ref, const std::string& hyp) {
    return static_cast<double>(edit_distance(ref, words(hyp))) / static_cast<double>(ref.size());
}

// The finals lt-speech printed ("HH:MM:SS  text" lines on stdout), joined.
inline std::string printed_finals(const std::string& out) {
    std::string s;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (line.size() > 10 && line[2] == ':' && line[5] == ':')
            s += (s.empty() ? "" : " ") + line.substr(10);
    return s;
}

// Lines of `text` containing `needle`.
inline std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.find(needle) != std::string::npos)
            out.push_back(line);
    return out;
}

} // namespace lt::test::transcribe
