// Synthetic speech made at test time with flite (Debian package `flite`), for recognizer
// checks on audio nothing was tuned on: sentences written for this project, several voices,
// pauses of 0.6, 1.0 and 2.0 s of low noise between them. Deterministic (flite is, and the
// noise has fixed seeds); no audio is committed.
//
// Two disjoint sets: TUNING (bench/stt_tune chooses decoder settings on it) and TEST (the
// tests score on it). They share no sentence and no voice: tuning uses kal16 and awb, test
// uses slt and rms.
#pragma once

#include "librivox.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace lt::stt::testing {

enum class corpus_set { tuning, test };

struct flite_sentence {
    const char* voice;
    const char* text;
};

inline std::vector<flite_sentence> flite_sentences(corpus_set set) {
    if (set == corpus_set::tuning) {
        return {
            {"kal16", "The bakery on the corner opens at six every morning."},
            {"awb", "Please turn off the lights when you leave the office."},
            {"kal16", "My brother bought a new bicycle last summer."},
            {"awb", "The river was too cold for swimming in April."},
            {"kal16", "We will meet at the station after lunch."},
            {"awb", "She wrote a long letter to her grandmother."},
            {"kal16", "The children played football in the park until dark."},
            {"awb", "Our teacher asked us to read the first chapter."},
            {"kal16", "The train to the city was twenty minutes late."},
            {"awb", "He keeps his old records in a wooden box."},
            {"kal16", "It rained all night and the roads were flooded."},
            {"awb", "The doctor told him to drink more water."},
        };
    }
    return {
        {"slt", "The museum is closed on Mondays and public holidays."},
        {"rms", "I forgot my umbrella at the restaurant yesterday."},
        {"slt", "The garden behind the house is full of roses."},
        {"rms", "They are building a new bridge across the river."},
        {"slt", "Could you send me the report before Friday."},
        {"rms", "The market sells fresh fish and vegetables every week."},
        {"slt", "My sister works as a nurse in the hospital."},
        {"rms", "The cat sleeps on the warm kitchen floor."},
        {"slt", "We watched the sun go down over the hills."},
        {"rms", "The meeting will start again in ten minutes."},
        {"slt", "He painted the fence white last weekend."},
        {"rms", "The library has thousands of books about history."},
    };
}

// Pauses between sentences cycle through these; the stream also starts and ends with 1 s.
inline const std::vector<double> flite_pauses_s = {0.6, 1.0, 2.0};
inline constexpr double flite_noise_dbfs = -50;

// Runs flite, then sox to 16 kHz mono 16-bit (the voices differ in rate). Throws with the
// command when either fails, e.g. because the package is missing.
inline std::vector<std::int16_t> synthesize(const std::string& voice, const std::string& text,
                                            const std::filesystem::path& dir) {
    const auto raw = dir / ("raw_" + voice + ".wav");
    const auto out = dir / ("utt_" + voice + ".wav");
    const std::string tts =
        "flite -voice " + voice + " -t '" + text + "' -o '" + raw.string() + "' 2>/dev/null";
    if (std::system(tts.c_str()) != 0)
        throw std::runtime_error("failed: " + tts + " (is the flite package installed?)");
    const std::string rs = "sox -D '" + raw.string() + "' -r 16000 -c 1 -b 16 '" + out.string() + "'";
    if (std::system(rs.c_str()) != 0)
        throw std::runtime_error("failed: " + rs + " (is the sox package installed?)");
    return read_wav(out.string());
}

struct flite_corpus {
    std::vector<clip> sentences; // in stream order
    stream s;                    // placed: one per sentence
    std::vector<double> pause_after_s;
};

// The set's sentences with the pauses between them; `dir` holds the intermediate files.
inline flite_corpus make_flite_corpus(corpus_set set, const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    flite_corpus c;
    unsigned seed = set == corpus_set::tuning ? 1000 : 2000;
    auto add_noise = [&](double seconds) {
        auto n = noise(static_cast<std::size_t>(seconds * 16000), flite_noise_dbfs, seed++);
        c.s.pcm.insert(c.s.pcm.end(), n.begin(), n.end());
    };
    add_noise(1.0);
    const auto list = flite_sentences(set);
    for (std::size_t i = 0; i < list.size(); ++i) {
        clip k{std::string(list[i].voice) + "-" + std::to_string(i),
               synthesize(list[i].voice, list[i].text, dir), words(list[i].text)};
        placed_clip p{i, c.s.pcm.size(), 0, 0};
        c.s.pcm.insert(c.s.pcm.end(), k.pcm.begin(), k.pcm.end());
        p.end = c.s.pcm.size();
        p.speech_end = p.begin + speech_end(k.pcm);
        c.s.placed.push_back(p);
        c.sentences.push_back(std::move(k));
        const double pause = i + 1 < list.size() ? flite_pauses_s[i % flite_pauses_s.size()] : 1.0;
        c.pause_after_s.push_back(pause);
        add_noise(pause);
    }
    return c;
}

// Plain `pocketsphinx_continuous -infile` (its own defaults and VAD): the words it prints.
inline std::vector<std::string> pocketsphinx_continuous_words(const std::filesystem::path& wav) {
    const std::string cmd =
        "pocketsphinx_continuous -infile '" + wav.string() + "' -logfn /dev/null 2>/dev/null";
    std::FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr)
        throw std::runtime_error("cannot run " + cmd);
    std::string out;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p))
        out += buf;
    if (pclose(p) != 0)
        throw std::runtime_error("failed: " + cmd + " (is the pocketsphinx package installed?)");
    return words(out);
}

// All reference words of the corpus in order.
inline std::vector<std::string> all_ref_words(const flite_corpus& c) {
    std::vector<std::string> ref;
    for (const auto& k : c.sentences)
        ref.insert(ref.end(), k.ref.begin(), k.ref.end());
    return ref;
}

// Finals in order, as words.
inline std::vector<std::string> final_words(const std::vector<timed_result>& results) {
    std::string text;
    for (const auto& t : results) {
        if (t.r.final)
            text += t.r.text + " ";
    }
    return words(text);
}

} // namespace lt::stt::testing
