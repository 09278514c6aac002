// lt-stt-pipe: streaming speech recognition as a filter, for tools/fake_aws.py (the local
// Transcribe stand-in) and for scripts. Reads raw 16-bit little-endian 16 kHz mono PCM on
// stdin as it arrives, and prints one JSON object per recognizer result on stdout, flushed
// at once:
//   {"final":false,"text":"Hello wor","utterance":1,"start":0.42,"end":1.30}
// Partials and the final of an utterance share "utterance"; times are seconds of audio
// since the first sample. Text is truecased as lt-speech does it (a final also gets a full
// stop). At end of input the utterance in progress is finalised. Uses the project's engine
// (lt::stt::make_recognizer: pocketsphinx with Debian's default model unless told otherwise).
#include "stt/make_recognizer.hpp"
#include "stt/recognizer.hpp"
#include "stt/truecase.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

bool emit(const lt::stt::recognizer& rec, const std::vector<lt::stt::result>& results) {
    for (const auto& r : results) {
        const std::string text = rec.needs_truecasing() ? lt::stt::truecase(r.text, r.final) : r.text;
        if (text.empty())
            continue;
        nlohmann::json j;
        j["final"] = r.final;
        j["text"] = text;
        j["utterance"] = r.utterance;
        j["start"] = r.start_s;
        j["end"] = r.end_s;
        const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() || std::fflush(stdout) != 0)
            return false; // the reader went away
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    lt::stt::engine_options ro;
    int verbosity = 0;
    std::size_t block = 4096;
    CLI::App app{"lt-stt-pipe: raw s16le 16 kHz mono PCM on stdin -> JSON lines of partial and final "
                 "results on stdout ({\"final\",\"text\",\"utterance\",\"start\",\"end\"})"};
    std::string engines;
    for (const auto& n : lt::stt::engine_names())
        engines += (engines.empty() ? "" : ", ") + n;
    app.add_option("-e,--engine", ro.engine, "Speech recognizer: " + engines)->capture_default_str();
    app.add_option("--lang", ro.lang, "Language spoken (engines that support one)")->capture_default_str();
    app.add_option("--model-dir", ro.pocketsphinx.model_dir, "Acoustic model folder (default: the engine's)");
    app.add_option("--dict", ro.pocketsphinx.dict, "Pronunciation dictionary (default: the model's)");
    app.add_option("--lm", ro.pocketsphinx.lm, "Language model (default: the model's)");
    app.add_option("--end-silence", ro.endpoint.end_silence_s, "Pause in seconds that ends an utterance")
        ->capture_default_str();
    app.add_option("--partial-interval", ro.endpoint.partial_interval_s,
                   "Most speech in seconds between partials")
        ->capture_default_str();
    app.add_option("--block", block, "Largest read from stdin in bytes")
        ->capture_default_str()
        ->check(CLI::Range(2, 1 << 20));
    app.add_flag("-v,--verbose", verbosity, "Engine logging on stderr");
    CLI11_PARSE(app, argc, argv);
    ro.verbose = verbosity > 0;

    std::signal(SIGPIPE, SIG_IGN);
    auto made = lt::stt::make_recognizer(ro);
    if (!made) {
        std::cerr << "lt-stt-pipe: " << made.error_message() << "\n";
        return 2;
    }
    auto& rec = *made.value();

    std::vector<char> buf(block + 1);
    std::vector<std::int16_t> pcm;
    std::size_t carry = 0; // an odd byte left from the previous read
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, buf.data() + carry, block);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            std::cerr << "lt-stt-pipe: reading stdin: " << std::strerror(errno) << "\n";
            return 1;
        }
        if (n == 0)
            break;
        const std::size_t have = carry + static_cast<std::size_t>(n);
        const std::size_t samples = have / 2;
        pcm.resize(samples);
        std::memcpy(pcm.data(), buf.data(), samples * 2); // little-endian hosts (x86, arm64)
        carry = have % 2;
        if (carry)
            buf[0] = buf[have - 1];
        if (!emit(rec, rec.feed(pcm)))
            return 0;
    }
    emit(rec, rec.finish());
    return 0;
}
