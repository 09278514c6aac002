// Shared by the stt tests and bench/stt_bench: Debian's LibriVox test clips (pocketsphinx-
// testdata) with their reference text, a stream built from them, and word error rate.
#pragma once

#include "stt/recognizer.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace lt::stt::testing {

inline const std::string librivox_dir = "/usr/share/pocketsphinx/test/data/librivox";

// Writes 16 kHz mono 16-bit PCM as a WAV file (for pocketsphinx_continuous, lt-speech --input).
inline void write_wav(const std::string& path, const std::vector<std::int16_t>& pcm) {
    std::ofstream f(path, std::ios::binary);
    auto u32 = [&](std::uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
    auto u16 = [&](std::uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
    const auto bytes = static_cast<std::uint32_t>(pcm.size() * 2);
    f.write("RIFF", 4);
    u32(36 + bytes);
    f.write("WAVEfmt ", 8);
    u32(16);    // fmt chunk size
    u16(1);     // PCM
    u16(1);     // mono
    u32(16000); // sample rate
    u32(32000); // bytes per second
    u16(2);     // block align
    u16(16);    // bits per sample
    f.write("data", 4);
    u32(bytes);
    f.write(reinterpret_cast<const char*>(pcm.data()), bytes);
    if (!f)
        throw std::runtime_error("cannot write " + path);
}

// 16 kHz mono 16-bit PCM WAV; walks the RIFF chunks rather than assuming a 44-byte header.
inline std::vector<std::int16_t> read_wav(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot open " + path);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto u32 = [&](std::size_t at) {
        std::uint32_t v;
        std::memcpy(&v, bytes.data() + at, 4);
        return v;
    };
    auto u16 = [&](std::size_t at) {
        std::uint16_t v;
        std::memcpy(&v, bytes.data() + at, 2);
        return v;
    };
    if (bytes.size() < 12 || bytes.compare(0, 4, "RIFF") != 0 || bytes.compare(8, 4, "WAVE") != 0)
        throw std::runtime_error(path + ": not a WAV file");
    std::size_t at = 12;
    bool fmt_ok = false;
    while (at + 8 <= bytes.size()) {
        const std::string id = bytes.substr(at, 4);
        const std::uint32_t size = u32(at + 4);
        const std::size_t body = at + 8;
        if (id == "fmt ") {
            fmt_ok = u16(body) == 1 && u16(body + 2) == 1 && u32(body + 4) == 16000 && u16(body + 14) == 16;
        } else if (id == "data") {
            if (!fmt_ok)
                throw std::runtime_error(path + ": not 16 kHz mono 16-bit PCM");
            const std::size_t n = std::min<std::size_t>(size, bytes.size() - body) / 2;
            std::vector<std::int16_t> pcm(n);
            std::memcpy(pcm.data(), bytes.data() + body, n * 2);
            return pcm;
        }
        at = body + size + (size & 1);
    }
    throw std::runtime_error(path + ": no data chunk");
}

// Lower-case words without punctuation.
inline std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string w; in >> w;) {
        std::string clean;
        for (char c : w) {
            if (std::isalnum(static_cast<unsigned char>(c)) || c == '\'')
                clean += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (!clean.empty())
            out.push_back(clean);
    }
    return out;
}

// Word-level Levenshtein distance.
inline std::size_t edit_distance(const std::vector<std::string>& ref, const std::vector<std::string>& hyp) {
    std::vector<std::size_t> d(hyp.size() + 1);
    for (std::size_t j = 0; j <= hyp.size(); ++j)
        d[j] = j;
    for (std::size_t i = 1; i <= ref.size(); ++i) {
        std::size_t diag = d[0];
        d[0] = i;
        for (std::size_t j = 1; j <= hyp.size(); ++j) {
            const std::size_t up = d[j];
            d[j] = std::min({d[j] + 1, d[j - 1] + 1, diag + (ref[i - 1] == hyp[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return d[hyp.size()];
}

struct clip {
    std::string id;
    std::vector<std::int16_t> pcm;
    std::vector<std::string> ref; // reference words
};

// The five clips in `fileids` order with their `transcription` lines.
inline std::vector<clip> load_librivox() {
    std::vector<clip> clips;
    std::ifstream ids(librivox_dir + "/fileids");
    for (std::string id; std::getline(ids, id);) {
        if (id.empty())
            continue;
        clips.push_back(clip{id, read_wav(librivox_dir + "/" + id + ".wav"), {}});
    }
    std::ifstream tr(librivox_dir + "/transcription");
    for (std::string line; std::getline(tr, line);) {
        const auto open = line.rfind('(');
        if (open == std::string::npos)
            continue;
        const std::string id = line.substr(open + 1, line.find(')', open) - open - 1);
        std::vector<std::string> ref;
        for (auto& w : words(line.substr(0, open))) {
            if (w != "s")
                ref.push_back(w); // <s> and </s> lose their brackets in words()
        }
        for (auto& c : clips) {
            if (c.id == id)
                c.ref = ref;
        }
    }
    return clips;
}

// White noise at `dbfs` RMS with a fixed seed.
inline std::vector<std::int16_t> noise(std::size_t n, double dbfs, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<double> dist(0.0, 32768.0 * std::pow(10.0, dbfs / 20));
    std::vector<std::int16_t> out(n);
    for (auto& s : out)
        s = static_cast<std::int16_t>(std::clamp(std::lround(dist(gen)), -32768L, 32767L));
    return out;
}

struct placed_clip {
    std::size_t index;       // into the clips
    std::uint64_t begin = 0; // stream samples
    std::uint64_t end = 0;
    std::uint64_t speech_end = 0; // one past the last 10 ms frame well above the clip's floor
};

struct stream {
    std::vector<std::int16_t> pcm;
    std::vector<placed_clip> placed;
};

// One past the last 10 ms frame more than 15 dB above the clip's quietest frames.
inline std::uint64_t speech_end(const std::vector<std::int16_t>& pcm) {
    std::vector<double> lv;
    for (std::size_t i = 0; i + 160 <= pcm.size(); i += 160) {
        double e = 0;
        for (std::size_t j = i; j < i + 160; ++j)
            e += double(pcm[j]) * pcm[j];
        lv.push_back(10 * std::log10(e / 160 + 1e-9));
    }
    if (lv.empty())
        return 0;
    auto sorted = lv;
    std::sort(sorted.begin(), sorted.end());
    const double floor = sorted[sorted.size() / 10];
    for (std::size_t k = lv.size(); k-- > 0;) {
        if (lv[k] > floor + 15)
            return (k + 1) * 160;
    }
    return 0;
}

// Clips with `gap_s` of low noise before, between and after them, as a live stream would be.
inline stream build_stream(const std::vector<clip>& clips, double gap_s, double noise_dbfs = -60,
                           std::vector<std::int16_t> lead = {}) {
    stream s;
    s.pcm = std::move(lead);
    const auto gap = static_cast<std::size_t>(gap_s * 16000);
    unsigned seed = 1;
    auto add_gap = [&] {
        auto n = noise(gap, noise_dbfs, seed++);
        s.pcm.insert(s.pcm.end(), n.begin(), n.end());
    };
    add_gap();
    for (std::size_t i = 0; i < clips.size(); ++i) {
        placed_clip p{i, s.pcm.size(), 0, 0};
        s.pcm.insert(s.pcm.end(), clips[i].pcm.begin(), clips[i].pcm.end());
        p.end = s.pcm.size();
        p.speech_end = p.begin + speech_end(clips[i].pcm);
        s.placed.push_back(p);
        add_gap();
    }
    return s;
}

struct timed_result {
    result r;
    double emitted_audio_s; // audio fed when the result came out
    double feed_wall_s;     // wall time of the feed() call that returned it
};

inline std::vector<timed_result> run_stream(recognizer& rec, const std::vector<std::int16_t>& pcm,
                                            std::size_t block, double* wall_total = nullptr) {
    std::vector<timed_result> out;
    double total = 0;
    auto take = [&](std::vector<result> rs, double wall) {
        for (auto& r : rs)
            out.push_back(timed_result{std::move(r), rec.audio_seconds(), wall});
    };
    for (std::size_t at = 0; at < pcm.size(); at += block) {
        const std::size_t n = std::min(block, pcm.size() - at);
        const auto t0 = std::chrono::steady_clock::now();
        auto rs = rec.feed(std::span<const std::int16_t>(pcm.data() + at, n));
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        total += wall;
        take(std::move(rs), wall);
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto rs = rec.finish();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    total += wall;
    take(std::move(rs), wall);
    if (wall_total)
        *wall_total = total;
    return out;
}

// The clip a result belongs to: the one its time span overlaps most (or nearest).
inline std::size_t owner(const stream& s, const result& r) {
    std::size_t best = 0;
    double best_score = -1e9;
    for (std::size_t i = 0; i < s.placed.size(); ++i) {
        const double b = s.placed[i].begin / 16000.0, e = s.placed[i].end / 16000.0;
        const double score = std::min(e, r.end_s) - std::max(b, r.start_s);
        if (score > best_score) {
            best_score = score;
            best = i;
        }
    }
    return best;
}

struct wer_result {
    std::size_t errors = 0;
    std::size_t ref_words = 0;
    std::vector<std::string> hyp_text; // per placed clip, finals joined
    double wer() const { return ref_words ? double(errors) / double(ref_words) : 0; }
};

inline wer_result score(const std::vector<clip>& clips, const stream& s,
                        const std::vector<timed_result>& results) {
    wer_result w;
    w.hyp_text.resize(s.placed.size());
    for (const auto& t : results) {
        if (!t.r.final)
            continue;
        auto& h = w.hyp_text[owner(s, t.r)];
        h += (h.empty() ? "" : " ") + t.r.text;
    }
    for (std::size_t i = 0; i < s.placed.size(); ++i) {
        const auto& ref = clips[s.placed[i].index].ref;
        w.errors += edit_distance(ref, words(w.hyp_text[i]));
        w.ref_words += ref.size();
    }
    return w;
}

} // namespace lt::stt::testing
