// Streams Debian's LibriVox clips through stt::recognizer as fast as possible, in 20 ms
// blocks with pauses of low noise between clips, and reports real-time factor, word error
// rate, how long after the end of speech each final comes, and the cadence of partials.
//   stt_bench [--baseline] [--per-final] [--end-silence S] [--block-ms N] [--gap S] [--repeat N]
// --baseline also runs `pocketsphinx_continuous -infile` on each clip for its WER.
#include "librivox.hpp"
#include "stt/make_recognizer.hpp"
#include "stt/recognizer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <string>
#include <vector>

using namespace lt::stt;
using namespace lt::stt::testing;

namespace {

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const double pos = p / 100 * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(pos);
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

std::string run_binary(const std::string& wav) {
    const std::string cmd = "pocketsphinx_continuous -infile '" + wav + "' -logfn /dev/null 2>/dev/null";
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
        char buf[4096];
        while (std::fgets(buf, sizeof buf, p))
            out += buf;
        pclose(p);
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    bool baseline = false, per_final = false;
    double end_silence = 0.5, gap = 1.5;
    int block_ms = 20, repeat = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> double {
            if (i + 1 >= argc) {
                std::cerr << a << " needs a value\n";
                std::exit(2);
            }
            return std::atof(argv[++i]);
        };
        if (a == "--baseline")
            baseline = true;
        else if (a == "--per-final")
            per_final = true;
        else if (a == "--end-silence")
            end_silence = next();
        else if (a == "--gap")
            gap = next();
        else if (a == "--block-ms")
            block_ms = static_cast<int>(next());
        else if (a == "--repeat")
            repeat = static_cast<int>(next());
        else {
            std::cerr << "usage: stt_bench [--baseline] [--per-final] [--end-silence S] [--block-ms N] "
                         "[--gap S] [--repeat N]\n";
            return 2;
        }
    }

    const auto clips = load_librivox();
    std::vector<clip> all;
    for (int r = 0; r < repeat; ++r)
        all.insert(all.end(), clips.begin(), clips.end());
    const auto s = build_stream(all, gap);

    engine_options opts;
    opts.endpoint.end_silence_s = end_silence;
    auto made = make_recognizer(opts);
    if (!made) {
        std::cerr << made.error_message() << "\n";
        return 1;
    }
    auto& rec = *made.value();

    const std::clock_t c0 = std::clock();
    double wall = 0;
    const auto results = run_stream(rec, s.pcm, static_cast<std::size_t>(block_ms) * 16, &wall);
    const double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
    const double audio = rec.audio_seconds();
    const auto w = score(all, s, results);

    // Finalisation delay: for each clip, its last final's emission minus its speech end,
    // plus the processing time of the feed() call that produced it.
    std::vector<double> delays;
    std::map<std::size_t, const timed_result*> last_final;
    for (const auto& t : results) {
        if (t.r.final)
            last_final[owner(s, t.r)] = &t;
    }
    for (const auto& [i, t] : last_final) {
        delays.push_back(t->emitted_audio_s - s.placed[i].speech_end / 16000.0 + t->feed_wall_s);
        if (per_final)
            std::printf("  final %zu: end_s %.3f speech_end %.3f emitted %.3f feed %.3f\n", i, t->r.end_s,
                        s.placed[i].speech_end / 16000.0, t->emitted_audio_s, t->feed_wall_s);
    }
    // Partial cadence: audio between consecutive results of one utterance, from its onset.
    std::vector<double> gaps;
    std::map<std::uint64_t, double> last_at;
    std::size_t partials = 0, finals = 0;
    for (const auto& t : results) {
        (t.r.final ? finals : partials)++;
        if (t.r.final)
            continue;
        auto it = last_at.find(t.r.utterance);
        const double prev = it == last_at.end() ? t.r.start_s : it->second;
        gaps.push_back(t.emitted_audio_s - prev);
        last_at[t.r.utterance] = t.emitted_audio_s;
    }

    std::printf("stt_bench: %zu clips, %.1f s of audio, %d ms blocks, %.1f s gaps, end_silence %.2f s\n",
                all.size(), audio, block_ms, gap, end_silence);
    std::printf("  real-time factor   wall %.3f  cpu %.3f\n", wall / audio, cpu / audio);
    std::printf("  WER (ours)         %.1f%% (%zu/%zu)\n", 100 * w.wer(), w.errors, w.ref_words);
    std::printf("  results            %zu finals, %zu partials\n", finals, partials);
    std::printf("  final delay (s)    p50 %.3f  p99 %.3f  max %.3f  (n=%zu)\n", percentile(delays, 50),
                percentile(delays, 99), percentile(delays, 100), delays.size());
    std::printf("  partial gap (s)    p50 %.3f  p99 %.3f  max %.3f  (n=%zu, audio time)\n",
                percentile(gaps, 50), percentile(gaps, 99), percentile(gaps, 100), gaps.size());
    for (std::size_t i = 0; i < s.placed.size() && i < clips.size(); ++i) {
        std::printf("  %-42s %s\n", all[i].id.c_str(), w.hyp_text[i].c_str());
    }

    if (baseline) {
        std::size_t errors = 0, ref_words = 0;
        const auto t0 = std::chrono::steady_clock::now();
        for (const auto& c : clips) {
            const auto hyp = run_binary(librivox_dir + "/" + c.id + ".wav");
            errors += edit_distance(c.ref, words(hyp));
            ref_words += c.ref.size();
            std::printf("  baseline %-33s %s", c.id.c_str(), hyp.c_str());
        }
        const double bw = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf(
            "  WER (pocketsphinx_continuous -infile) %.1f%% (%zu/%zu), %.1f s wall incl. model loads\n",
            100.0 * double(errors) / double(ref_words), errors, ref_words, bw);
    }
    return 0;
}
