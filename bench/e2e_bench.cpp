// e2e: speech played in real time through lt-speech -> lt-server (Apertium) -> a viewer in
// Spanish. For each utterance: the delay from the end of speech in the audio (when the last
// spoken sample was handed to lt-speech) to the translated final at the viewer. Also the
// gaps between partial lines at an English viewer while someone speaks.
//
// Run from the build directory: LT_BUILD_DIR=. LT_SOURCE_DIR=.. bench/e2e_bench [--rounds N]
#include "harness.hpp"
#include "librivox.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

using namespace lt::test;
using lt::stt::testing::read_wav;
using lt::stt::testing::speech_end;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string clips = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-";

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return NAN;
    std::sort(v.begin(), v.end());
    auto i = static_cast<std::size_t>(std::ceil(p / 100 * double(v.size())));
    return v[std::min(v.size() - 1, i ? i - 1 : 0)];
}

} // namespace

int main(int argc, char** argv) {
    int rounds = 2;
    double gap_s = 2.0;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--rounds" && i + 1 < argc)
            rounds = std::stoi(argv[++i]);
        else if (a == "--gap" && i + 1 < argc)
            gap_s = std::stod(argv[++i]);
        else {
            std::cerr << "usage: e2e_bench [--rounds N] [--gap SECONDS]\n";
            return 2;
        }
    }
    // The recording: 1 s of room noise, then the clips with pauses between them.
    struct utterance {
        std::size_t start, end; // sample positions in the recording (end = end of speech)
    };
    std::vector<std::int16_t> audio(16000, 0);
    std::vector<utterance> utts;
    for (int r = 0; r < rounds; ++r)
        for (auto id : {"0870", "0880", "0890", "0920", "0930"}) {
            auto pcm = read_wav(clips + id + ".wav");
            utts.push_back({audio.size(), audio.size() + speech_end(pcm)});
            audio.insert(audio.end(), pcm.begin(), pcm.end());
            audio.insert(audio.end(), static_cast<std::size_t>(gap_s * 16000), 0);
        }
    // Low noise instead of digital silence, as a real microphone gives.
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0, 20);
    for (auto& s : audio)
        s = static_cast<std::int16_t>(std::clamp<double>(s + noise(rng), -32768, 32767));

    const std::string key = "bench-key";
    server_process server({"--translator", "apertium"}, {{"API_KEY", key}});
    ws_client es(server.port()), en(server.port());
    es.receive_type("connection_status");
    en.receive_type("connection_status");
    es.send({{"type", "set_language"}, {"data", {{"lang", "es"}}}});
    en.send({{"type", "set_language"}, {"data", {{"lang", "en"}, {"partials", true}}}});
    es.receive_type("language_set");
    en.receive_type("language_set");

    child_process speaker(
        "apps/lt-speech/lt-speech",
        {"http://127.0.0.1:" + std::to_string(server.port()), "--input", "-", "-v", "--no-meter"},
        {{"API_KEY", key}});
    std::mutex m;
    std::map<std::string, clock_type::time_point> es_arrival;
    std::vector<clock_type::time_point> partial_arrival;
    std::atomic<bool> reading{true};
    std::thread readers([&] {
        while (reading) {
            if (auto f = es.receive_type("translated_text", 20ms);
                f && !(*f)["data"].value("partial", false)) {
                std::lock_guard lock(m);
                es_arrival[(*f)["data"]["id"]] = clock_type::now();
            }
            while (auto f = en.receive_type("translated_text", 0ms))
                if ((*f)["data"].value("partial", false)) {
                    std::lock_guard lock(m);
                    partial_arrival.push_back(clock_type::now());
                }
        }
    });

    // Hand lt-speech 20 ms of audio every 20 ms, on an absolute schedule.
    const std::size_t block = 320;
    auto t0 = clock_type::now();
    std::vector<clock_type::time_point> written(audio.size() / block + 1);
    for (std::size_t b = 0; b * block < audio.size(); ++b) {
        std::this_thread::sleep_until(t0 + std::chrono::microseconds(b * 20000));
        auto n = std::min(block, audio.size() - b * block);
        if (!speaker.write_stdin(audio.data() + b * block, n * 2)) {
            std::cerr << "lt-speech stopped reading:\n" << speaker.err();
            return 1;
        }
        written[b] = clock_type::now();
    }
    speaker.close_stdin();
    speaker.wait(30s);
    std::this_thread::sleep_for(1s);
    reading = false;
    readers.join();

    // lt-speech -v prints "<id> is audio A-B s" for each final: which utterance it closes.
    std::map<std::size_t, std::pair<std::string, double>> last_final; // utterance -> (id, end_s)
    std::regex line(R"((sp-[0-9a-f]+-\d+) is audio ([0-9.]+)-([0-9.]+) s)");
    std::string err = speaker.err();
    for (std::sregex_iterator it(err.begin(), err.end(), line), end; it != end; ++it) {
        double end_s = std::stod((*it)[3]);
        auto end_sample = static_cast<std::size_t>(end_s * 16000);
        for (std::size_t u = 0; u < utts.size(); ++u) {
            std::size_t next = u + 1 < utts.size() ? utts[u + 1].start : audio.size();
            if (end_sample > utts[u].start && end_sample <= next)
                last_final[u] = {(*it)[1], end_s};
        }
    }
    std::vector<double> delays;
    std::size_t missing = 0;
    for (std::size_t u = 0; u < utts.size(); ++u) {
        auto lf = last_final.find(u);
        if (lf == last_final.end() || !es_arrival.count(lf->second.first)) {
            ++missing;
            continue;
        }
        auto spoken = written[(utts[u].end - 1) / block];
        double d = std::chrono::duration<double>(es_arrival[lf->second.first] - spoken).count();
        delays.push_back(d);
        std::printf(
            "utterance %2zu: speech ends %6.2f s, final covers to %6.2f s, Spanish caption after %.3f s\n",
            u + 1, utts[u].end / 16000.0, lf->second.second, d);
    }
    std::vector<double> gaps;
    for (std::size_t i = 1; i < partial_arrival.size(); ++i) {
        double g = std::chrono::duration<double>(partial_arrival[i] - partial_arrival[i - 1]).count();
        if (g < 1.0) // within one utterance, not the pause between two
            gaps.push_back(g);
    }
    std::printf("\n%zu utterances, %zu without a Spanish final\n", utts.size(), missing);
    std::printf("speech end -> Spanish final at the viewer: p50 %.3f s  p99 %.3f s  max %.3f s\n",
                percentile(delays, 50), percentile(delays, 99), percentile(delays, 100));
    std::printf("partials at the English viewer: %zu, gap p50 %.3f s  p95 %.3f s\n", partial_arrival.size(),
                percentile(gaps, 50), percentile(gaps, 95));
    return missing ? 1 : 0;
}
