// Per-caption latency of the Apertium backend: the persistent null-flush pipeline (eng-spa,
// and en→fr through the es pivot) against spawning `apertium eng-spa` for every caption.
//
// Usage: apertium_bench [--sentences N] [--spawn N] [--modes-dir DIR]
//   --sentences  captions through the persistent pipelines (default 200)
//   --spawn      captions through a fresh `apertium` process each (default 40; each costs
//                about 0.3 s, so the run stays well under a minute)
#include "translate/apertium/apertium_translator.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using clock_type = std::chrono::steady_clock;

// 200 distinct caption-like sentences: subjects × verbs × objects, with a number so none
// repeats (no cache sits in front of the backend here, but keep them distinct anyway).
std::vector<std::string> make_sentences(std::size_t n) {
    const char* subjects[] = {"The speaker", "My colleague", "Our team", "The students", "Everybody"};
    const char* verbs[] = {"presented", "discussed", "explained", "reviewed", "described"};
    const char* objects[] = {"the new results",         "the budget for next year", "the main problem",
                             "three different options", "the plan for the meeting", "the history of the city",
                             "a short example",         "the final report"};
    std::vector<std::string> out;
    for (std::size_t i = 0; out.size() < n; ++i) {
        out.push_back(std::string(subjects[i % 5]) + " " + verbs[(i / 5) % 5] + " " + objects[i % 8] +
                      " in room " + std::to_string(100 + i) + ".");
    }
    return out;
}

struct stats {
    double p50_ms = 0, p99_ms = 0, mean_ms = 0;
    std::size_t n = 0, errors = 0;
};

stats summarize(std::vector<double> ms, std::size_t errors) {
    stats s;
    s.n = ms.size();
    s.errors = errors;
    if (ms.empty())
        return s;
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) {
        auto i = static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1) + 0.5);
        return ms[std::min(i, ms.size() - 1)];
    };
    s.p50_ms = at(0.50);
    s.p99_ms = at(0.99);
    double sum = 0;
    for (double v : ms)
        sum += v;
    s.mean_ms = sum / static_cast<double>(ms.size());
    return s;
}

double elapsed_ms(clock_type::time_point since) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - since).count();
}

stats run_persistent(lt::translate::translator& t, const char* target,
                     const std::vector<std::string>& sentences) {
    std::vector<double> ms;
    std::size_t errors = 0;
    for (const auto& s : sentences) {
        auto start = clock_type::now();
        auto r = t.translate("en", target, s);
        ms.push_back(elapsed_ms(start));
        if (!r) {
            ++errors;
            std::cerr << "error: " << r.error_message() << "\n";
        }
    }
    return summarize(std::move(ms), errors);
}

// The naive way: a fresh `apertium eng-spa` (destxt + every stage + retxt) per caption.
stats run_spawned(const std::vector<std::string>& sentences, const std::string& modes_dir) {
    char path[] = "/tmp/apertium_bench_XXXXXX";
    int fd = ::mkstemp(path);
    if (fd < 0)
        throw std::runtime_error("mkstemp failed");
    ::close(fd);
    std::string datadir = std::filesystem::path(modes_dir).parent_path().string();
    std::vector<double> ms;
    std::size_t errors = 0;
    for (const auto& s : sentences) {
        std::ofstream(path, std::ios::trunc) << s << "\n";
        std::string cmd = "apertium -u -d '" + datadir + "' eng-spa < " + path;
        auto start = clock_type::now();
        FILE* p = ::popen(cmd.c_str(), "r");
        std::string out;
        char buf[4096];
        for (std::size_t n; p && (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
            out.append(buf, n);
        int rc = p ? ::pclose(p) : -1;
        ms.push_back(elapsed_ms(start));
        if (rc != 0 || out.empty())
            ++errors;
    }
    std::remove(path);
    return summarize(std::move(ms), errors);
}

// Pads to `width` characters, not bytes, so "→" does not skew the table.
std::string pad(const std::string& s, std::size_t width) {
    std::size_t chars = 0;
    for (unsigned char c : s)
        chars += (c & 0xC0) != 0x80;
    return s + std::string(chars < width ? width - chars : 0, ' ');
}

void print_row(const std::string& what, const stats& s) {
    std::printf("| %s | %5zu | %9.2f | %9.2f | %9.2f | %6zu |\n", pad(what, 44).c_str(), s.n, s.p50_ms,
                s.p99_ms, s.mean_ms, s.errors);
}

} // namespace

int main(int argc, char** argv) {
    std::size_t sentences_n = 200, spawn_n = 40;
    lt::translate::apertium::apertium_params params;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--sentences")
            sentences_n = std::stoul(value());
        else if (a == "--spawn")
            spawn_n = std::stoul(value());
        else if (a == "--modes-dir")
            params.modes_dir = value();
        else {
            std::cerr << "usage: " << argv[0] << " [--sentences N] [--spawn N] [--modes-dir DIR]\n";
            return 2;
        }
    }

    try {
        auto sentences = make_sentences(sentences_n);
        auto bench_start = clock_type::now();

        params.warm_sources = {};
        auto construct_start = clock_type::now();
        lt::translate::apertium::apertium_translator t(params);
        double construct_ms = elapsed_ms(construct_start);

        // The first caption pays for spawning and dictionary loading; report it apart.
        auto first_start = clock_type::now();
        auto first = t.translate("en", "es", "Good morning.");
        double first_es_ms = elapsed_ms(first_start);
        first_start = clock_type::now();
        auto first_fr = t.translate("en", "fr", "Good morning.");
        double first_fr_ms = elapsed_ms(first_start);
        if (!first || !first_fr) {
            std::cerr << "apertium is not working: "
                      << (!first ? first.error_message() : first_fr.error_message()) << "\n";
            return 1;
        }

        auto es = run_persistent(t, "es", sentences);
        auto fr = run_persistent(t, "fr", sentences);
        std::vector<std::string> few(
            sentences.begin(), sentences.begin() + static_cast<long>(std::min(spawn_n, sentences.size())));
        auto spawned = run_spawned(few, params.modes_dir.string());

        std::printf("apertium_bench --sentences %zu --spawn %zu  (one caption at a time)\n\n", sentences_n,
                    spawn_n);
        std::printf("| %-44s | %5s | %9s | %9s | %9s | %6s |\n", "path", "n", "p50 ms", "p99 ms", "mean ms",
                    "errors");
        std::printf("|%s|%s|%s|%s|%s|%s|\n", std::string(46, '-').c_str(), std::string(7, '-').c_str(),
                    std::string(11, '-').c_str(), std::string(11, '-').c_str(), std::string(11, '-').c_str(),
                    std::string(8, '-').c_str());
        print_row("en→es persistent pipeline (eng-spa)", es);
        print_row("en→fr persistent, pivot (eng-spa + es-fr)", fr);
        print_row("en→es `apertium -u eng-spa` per caption", spawned);
        std::printf("\nconstruction (lazy): %.1f ms; first caption en→es (spawn + load): %.1f ms; "
                    "first en→fr (es-fr spawn + load): %.1f ms\n",
                    construct_ms, first_es_ms, first_fr_ms);
        if (es.p50_ms > 0)
            std::printf("speed-up at p50, persistent vs per-caption process: %.0fx\n",
                        spawned.p50_ms / es.p50_ms);
        std::printf("total run time: %.1f s\n", elapsed_ms(bench_start) / 1000.0);
        return es.errors + fr.errors + spawned.errors == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "apertium_bench: " << e.what() << "\n";
        return 1;
    }
}
