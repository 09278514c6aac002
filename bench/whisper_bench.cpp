// Streams Debian's LibriVox clips through the whisper recognizer with random-weight models of
// real shapes (tools/make_whisper_model.py --weights random), twice per shape: in real time
// (100 ms blocks, paced by the clock, whisper_options.live) and as fast as it goes (live
// off). Reports the real-time factor, partials and finals, and for the real-time run how long
// after its audio was fed each final arrived. First, per shape, the cost of one whisper_full
// per clip as a final runs it, over the 30 s window and over a context fitted to the clip.
// Random weights cost what real ones of the shape cost but always decode to the token cap;
// the text is gibberish, so no word accuracy.
//   whisper_bench [--shapes tiny.en,base.en] [--threads N] [--gap S] [--only cost|live|fast] [--verbose]
#include "librivox.hpp"
#include "stt/recognizer.hpp"
#include "stt/whisper/whisper_model.hpp"
#include "stt/whisper/whisper_recognizer.hpp"

#include <whisper.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace lt::stt;
using namespace lt::stt::testing;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t block_samples = 1600; // 100 ms

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const double pos = p / 100 * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(pos);
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

double since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::string source_dir() {
    const char* s = std::getenv("LT_SOURCE_DIR");
    return s && *s ? s : LT_BENCH_SOURCE_DIR;
}

struct arrived {
    result r;
    double wall_s; // since the first feed
};

struct run_report {
    double audio_s = 0, wall_s = 0, cpu_s = 0;
    std::vector<arrived> results;
    std::vector<double> fed_at;  // wall time each block's feed() began
    std::size_t late_blocks = 0; // real time: feed() began more than 50 ms after its due time
    std::vector<std::string> events;
    double untranscribed_s = 0;
};

// Feeds the stream in 100 ms blocks; `paced` sleeps so block k goes in at k * 100 ms.
void run(recognizer& rec, const std::vector<std::int16_t>& pcm, bool paced, run_report& out) {
    const std::clock_t c0 = std::clock();
    const auto t0 = clock_type::now();
    auto take = [&](std::vector<result> rs) {
        const double w = since(t0);
        for (auto& r : rs)
            out.results.push_back(arrived{std::move(r), w});
    };
    for (std::size_t at = 0, k = 0; at < pcm.size(); at += block_samples, ++k) {
        if (paced) {
            const auto due = t0 + std::chrono::milliseconds(100 * k);
            std::this_thread::sleep_until(due);
            if (clock_type::now() - due > std::chrono::milliseconds(50))
                ++out.late_blocks;
        }
        out.fed_at.push_back(since(t0));
        const std::size_t n = std::min(block_samples, pcm.size() - at);
        take(rec.feed(std::span<const std::int16_t>(pcm.data() + at, n)));
    }
    take(rec.finish());
    out.wall_s = since(t0);
    out.cpu_s = double(std::clock() - c0) / CLOCKS_PER_SEC; // every thread of the process
    out.audio_s = rec.audio_seconds();
}

void print_report(const std::string& shape, bool live, int threads, const stream& s, const run_report& r,
                  bool verbose) {
    // Wall time at which the block holding audio time t (seconds) was fed.
    auto fed = [&](double t) {
        const auto last = static_cast<std::size_t>(std::max(0.0, t * 16000 - 1));
        return r.fed_at[std::min(last / block_samples, r.fed_at.size() - 1)];
    };
    std::size_t partials = 0, finals = 0, empty_finals = 0;
    std::vector<double> latency;     // final's arrival minus the feed of the audio at its end_s
    std::vector<double> from_speech; // ... of the clip's last loud 10 ms (librivox speech_end)
    for (const auto& a : r.results) {
        if (!a.r.final) {
            ++partials;
            continue;
        }
        ++finals;
        empty_finals += a.r.text.empty();
        const double speech_end = static_cast<double>(s.placed[owner(s, a.r)].speech_end) / 16000;
        latency.push_back(a.wall_s - fed(a.r.end_s));
        from_speech.push_back(a.wall_s - fed(speech_end));
        if (verbose)
            std::printf("    final %.2f-%.2f s (speech end %.2f s) arrived %.2f s: %s\n", a.r.start_s,
                        a.r.end_s, speech_end, a.wall_s, a.r.text.c_str());
    }
    std::printf("  %-8s %-9s threads %d  audio %.1f s  wall %.1f s  cpu %.1f s  RTF wall %.3f cpu %.3f\n",
                shape.c_str(), live ? "real-time" : "fast", threads, r.audio_s, r.wall_s, r.cpu_s,
                r.wall_s / r.audio_s, r.cpu_s / r.audio_s);
    std::printf("           finals %zu (%zu empty)  partials %zu\n", finals, empty_finals, partials);
    if (live)
        std::printf(
            "           end_s -> final p50 %.2f s max %.2f s; speech end -> final p50 %.2f s max %.2f s "
            "(n=%zu); late blocks %zu\n",
            percentile(latency, 50), percentile(latency, 100), percentile(from_speech, 50),
            percentile(from_speech, 100), latency.size(), r.late_blocks);
    if (!r.events.empty() || r.untranscribed_s > 0)
        std::printf("           events %zu, untranscribed %.1f s%s%s\n", r.events.size(), r.untranscribed_s,
                    r.events.empty() ? "" : ", first: ", r.events.empty() ? "" : r.events.front().c_str());
    std::fflush(stdout);
}

// One whisper_full per clip, as the recognizer runs it for a final (greedy, no timestamps,
// one segment, the cap of 10 + 7 tokens a second), over the whole 30 s window and over an
// encoder context fitted to the clip (50 per second + 32). The decode cost alone, without the
// endpointer's wait or a decode already running.
bool decode_cost(const std::string& shape, const std::string& path, const std::vector<clip>& clips,
                 int threads) {
    auto m = whisper::load_model(path);
    if (!m) {
        std::cerr << m.error_message() << "\n";
        return false;
    }
    whisper_context* ctx = m.value()->context();
    for (bool fitted : {false, true}) {
        double total_s = 0, audio_s = 0;
        int tokens = 0;
        for (const auto& c : clips) {
            std::vector<float> pcm(c.pcm.size());
            for (std::size_t i = 0; i < pcm.size(); ++i)
                pcm[i] = static_cast<float>(c.pcm[i]) / 32768.0f;
            const double seconds = static_cast<double>(pcm.size()) / 16000;
            auto p = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
            p.n_threads = threads;
            p.language = "en";
            p.print_progress = p.print_realtime = p.print_special = p.print_timestamps = false;
            p.no_context = p.single_segment = p.no_timestamps = true;
            p.temperature_inc = 0.0f;
            p.max_tokens = 10 + static_cast<int>(7 * seconds);
            if (fitted)
                p.audio_ctx = std::min(1500, static_cast<int>(std::ceil(seconds * 50)) + 32);
            const auto t0 = clock_type::now();
            if (whisper_full(ctx, p, pcm.data(), static_cast<int>(pcm.size())) != 0) {
                std::cerr << "whisper_full failed on " << c.id << "\n";
                return false;
            }
            total_s += since(t0);
            audio_s += seconds;
            for (int i = 0; i < whisper_full_n_segments(ctx); ++i)
                tokens += whisper_full_n_tokens(ctx, i);
        }
        std::printf("  %-8s one final per clip, %-17s threads %d  %.2f s per clip (%.1f s of audio, %.0f "
                    "tokens on average)  RTF %.3f\n",
                    shape.c_str(), fitted ? "fitted audio_ctx," : "30 s window,", threads,
                    total_s / static_cast<double>(clips.size()), audio_s / static_cast<double>(clips.size()),
                    static_cast<double>(tokens) / static_cast<double>(clips.size()), total_s / audio_s);
    }
    std::fflush(stdout);
    return true;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> shapes{"tiny.en", "base.en"};
    int threads = 0;
    double gap = 1.5;
    std::string only;
    bool verbose = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--shapes") {
            shapes.clear();
            std::stringstream in(next());
            for (std::string s; std::getline(in, s, ',');)
                shapes.push_back(s);
        } else if (a == "--threads") {
            threads = std::atoi(next().c_str());
        } else if (a == "--gap") {
            gap = std::atof(next().c_str());
        } else if (a == "--only") {
            only = next();
            if (only != "cost" && only != "live" && only != "fast") {
                std::cerr << "--only takes cost, live or fast\n";
                return 2;
            }
        } else if (a == "--verbose") {
            verbose = true;
        } else {
            std::cerr << "usage: whisper_bench [--shapes tiny.en,base.en] [--threads N] [--gap S] "
                         "[--only cost|live|fast] [--verbose]\n";
            return 2;
        }
    }
    // As whisper_options documents for 0.
    const int used_threads =
        threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()) - 1);

    const auto clips = load_librivox();
    const auto s = build_stream(clips, gap);
    const auto dir = std::filesystem::temp_directory_path() / ("whisper_bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::printf("whisper_bench: %zu LibriVox clips, %.1f s of audio with %.1f s gaps, 100 ms blocks, "
                "random-weight models\n",
                clips.size(), static_cast<double>(s.pcm.size()) / 16000, gap);

    int rc = 0;
    for (const auto& shape : shapes) {
        const std::string path = (dir / (shape + ".bin")).string();
        const std::string cmd = "/usr/bin/python3 " + source_dir() +
                                "/tools/make_whisper_model.py --weights random --shape " + shape + " '" +
                                path + "'";
        if (std::system(cmd.c_str()) != 0) {
            std::cerr << "failed: " << cmd << "\n";
            rc = 1;
            break;
        }
        if ((only.empty() || only == "cost") && !decode_cost(shape, path, clips, used_threads)) {
            rc = 1;
            break;
        }
        for (bool live : {true, false}) {
            if (!only.empty() && only != (live ? "live" : "fast"))
                continue;
            const auto l0 = clock_type::now();
            auto m = whisper::load_model(path);
            if (!m) {
                std::cerr << m.error_message() << "\n";
                rc = 1;
                break;
            }
            const double load_s = since(l0);
            run_report report;
            std::mutex events_mutex;
            whisper::whisper_options wo;
            wo.threads = threads;
            wo.live = live;
            wo.on_event = [&](const whisper::whisper_event& e) {
                std::lock_guard lock(events_mutex); // called from the decoding thread
                report.events.push_back(e.message);
                report.untranscribed_s += e.untranscribed_s;
            };
            recognizer_options ro;
            ro.lang = "en";
            auto rec = whisper::make_whisper_recognizer(ro, std::move(m.value()), wo);
            if (!rec) {
                std::cerr << rec.error_message() << "\n";
                rc = 1;
                break;
            }
            run(*rec.value(), s.pcm, live, report);
            rec.value().reset(); // joins the decoding thread before the events are read
            std::printf("  %-8s model load %.2f s\n", shape.c_str(), load_s);
            print_report(shape, live, used_threads, s, report, verbose);
        }
    }
    std::filesystem::remove_all(dir);
    return rc;
}
