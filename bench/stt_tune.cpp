// Chooses the pocketsphinx decoder settings (stt::pocketsphinx::decoder_settings) on the
// TUNING set of tests/stt/flite_corpus.hpp only, so that the tests, which score the disjoint
// TEST set, measure audio nothing was chosen on.
//   stt_tune [--score-test]
// Procedure: the starting cepstral mean candidates are the model's own, the one the
// LibriVox clips gave (the old default) and the one `pocketsphinx_continuous -infile` ends
// with on the tuning set. One setting at a time (cmninit, maxhmmpf, fwdflat, bestpath), each
// candidate is decoded through the streaming path with the others at their current choice;
// the lowest tuning WER wins, a tie goes to the cheaper (listed first). --score-test then
// reports the chosen and the old settings on the TEST set (reporting only, never choosing).
#include "flite_corpus.hpp"
#include "stt/make_recognizer.hpp"

#include <cstdio>
#include <iostream>
#include <regex>
#include <string>
#include <unistd.h>
#include <vector>

using namespace lt::stt;
using namespace lt::stt::testing;
using pocketsphinx::decoder_settings;

namespace {

const std::string librivox_cmninit = "53.6,6.8,-2.5,20.6,-15.5,4.5,-7.0,-6.7,1.3,-3.7,3.4,-2.4,-2.6";

struct score_t {
    double wer = 0;
    std::size_t finals = 0;
    double rtf = 0;
};

score_t decode(const flite_corpus& c, const decoder_settings& d) {
    engine_options o;
    o.pocketsphinx.decoder = d;
    auto made = make_recognizer(o);
    if (!made.ok()) {
        std::cerr << made.error_message() << "\n";
        std::exit(1);
    }
    auto rec = std::move(made).value();
    double wall = 0;
    const auto results = run_stream(*rec, c.s.pcm, 320, &wall);
    score_t s;
    const auto ref = all_ref_words(c);
    s.wer = double(edit_distance(ref, final_words(results))) / double(ref.size());
    for (const auto& t : results)
        s.finals += t.r.final ? 1 : 0;
    s.rtf = wall / (double(c.s.pcm.size()) / 16000);
    return s;
}

std::string describe(const decoder_settings& d) {
    return "cmninit=" +
           (d.cmninit.empty()               ? std::string("model")
            : d.cmninit == librivox_cmninit ? "librivox"
                                            : "tuning") +
           " maxhmmpf=" + std::to_string(d.maxhmmpf) + " fwdflat=" + (d.fwdflat ? "yes" : "no") +
           " bestpath=" + (d.bestpath ? "yes" : "no");
}

// The cepstral mean pocketsphinx_continuous has reached at the end of the file.
std::string final_cmn(const std::filesystem::path& wav) {
    const std::string cmd = "pocketsphinx_continuous -infile '" + wav.string() + "' 2>&1 >/dev/null";
    std::FILE* p = popen(cmd.c_str(), "r");
    std::string last;
    char buf[8192];
    while (p && std::fgets(buf, sizeof buf, p)) {
        const std::string line = buf;
        if (line.find("cmn_live.c") != std::string::npos && line.find("Update to") != std::string::npos)
            last = line;
    }
    if (p == nullptr || pclose(p) != 0 || last.empty()) {
        std::cerr << "failed: " << cmd << "\n";
        std::exit(1);
    }
    std::string out;
    const auto open = last.find('<'), close = last.find('>');
    std::istringstream in(last.substr(open + 1, close - open - 1));
    for (std::string v; in >> v;)
        out += (out.empty() ? "" : ",") + v;
    return out;
}

} // namespace

int main(int argc, char** argv) {
    const bool score_test = argc > 1 && std::string(argv[1]) == "--score-test";
    const auto dir = std::filesystem::temp_directory_path() / ("lt_stt_tune_" + std::to_string(::getpid()));
    const auto tuning = make_flite_corpus(corpus_set::tuning, dir);
    write_wav(dir / "tuning.wav", tuning.s.pcm);
    const std::string tuned_cmn = final_cmn(dir / "tuning.wav");
    std::printf("tuning set: %zu sentences, %.1f s; cepstral mean after it: %s\n", tuning.sentences.size(),
                double(tuning.s.pcm.size()) / 16000, tuned_cmn.c_str());

    decoder_settings best; // pocketsphinx's own defaults to start
    auto report = [](const decoder_settings& d, const score_t& s, const char* set) {
        std::printf("  %-8s %-60s WER %5.1f%%  finals %2zu  RTF %.3f\n", set, describe(d).c_str(),
                    100 * s.wer, s.finals, s.rtf);
    };
    score_t best_score = decode(tuning, best);
    report(best, best_score, "tuning");
    auto try_each = [&](auto apply, const auto& values) {
        decoder_settings chosen = best;
        score_t chosen_score;
        bool any = false;
        for (const auto& v : values) {
            decoder_settings d = best;
            apply(d, v);
            score_t s = best_score; // the current choice is not decoded again
            if (describe(d) != describe(best)) {
                s = decode(tuning, d);
                report(d, s, "tuning");
            }
            // Strictly lower: of equals, the first listed (the cheaper) stays.
            if (!any || s.wer < chosen_score.wer) {
                any = true;
                chosen = d;
                chosen_score = s;
            }
        }
        best = chosen;
        best_score = chosen_score;
    };
    try_each([](decoder_settings& d, const std::string& v) { d.cmninit = v; },
             std::vector<std::string>{"", librivox_cmninit, tuned_cmn});
    // Cheaper first, so that a tie keeps the cheaper setting.
    try_each([](decoder_settings& d, int v) { d.maxhmmpf = v; }, std::vector<int>{3000, 10000, 30000});
    try_each([](decoder_settings& d, bool v) { d.fwdflat = v; }, std::vector<bool>{false, true});
    try_each([](decoder_settings& d, bool v) { d.bestpath = v; }, std::vector<bool>{false, true});
    std::printf("chosen: %s (tuning WER %.1f%%)\ncmninit value: %s\n", describe(best).c_str(),
                100 * best_score.wer, best.cmninit.c_str());

    if (score_test) {
        const auto test = make_flite_corpus(corpus_set::test, dir);
        report(best, decode(test, best), "test");
        report(decoder_settings{}, decode(test, decoder_settings{}), "test");
        decoder_settings old{librivox_cmninit, 3000, false, false};
        report(old, decode(test, old), "test");
    }
    std::filesystem::remove_all(dir);
}
