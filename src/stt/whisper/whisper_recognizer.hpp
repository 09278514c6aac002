// whisper.cpp in-process as a streaming speech engine (`lt-speech --engine whisper`).
// Our endpointer cuts utterances, so silence never reaches the decoder. While a person speaks,
// the growing utterance is re-decoded after each further `partial_interval_s` of speech for
// partials; words two consecutive decodes agree on become stable (LocalAgreement-2) and are
// never taken back. At the pause the utterance is decoded once more for the final, with the
// previous sentence as the prompt. Speech without a pause is cut at a stable word after
// `cut_after_s`. Decoding runs on the engine's own thread; feed() never waits for it.
//
// Keeping up (live audio only): the decode time is measured against the audio time. When the
// machine falls behind, partials come less often, then only finals, then a smaller cached
// model is loaded (said once); finals waiting longer than `max_backlog_s` are dropped with a
// warning, so the delay never grows without bound.
#pragma once

#include "stt/recognizer.hpp"
#include "stt/whisper/whisper_model.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lt::stt::whisper {

// What the engine reports besides results; called from its decoding thread.
struct whisper_event {
    enum class kind { info, warning };
    kind type = kind::info;
    std::string message;
    double untranscribed_s = 0; // speech dropped because the machine could not keep up
};

struct whisper_options {
    int threads = 0;                 // decoding threads; 0: cores - 1, at least 1
    double partial_interval_s = 1.0; // speech between partial decodes; 0: finals only
    double cut_after_s = 15.0;       // speech without a pause: final at a stable word after this
    // Audio arrives in real time (a microphone, a paced file): the keep-up control is on.
    // False for --fast files, which are decoded completely whatever it costs.
    bool live = true;
    double max_backlog_s = 30.0; // live: speech waiting for a final decode past this is dropped
    // Finals over whisper's whole 30 s window instead of a context fitted to the utterance:
    // about 4x the cost (bench/whisper_bench), which on 2 cores is most of the delay before a
    // final; whisper was trained on whole windows, so it may read some audio better.
    bool full_window_finals = false;
    // Hallucination guards: a segment whose no-speech probability is above no_speech_thold
    // while its mean token log-probability is below logprob_thold is dropped (OpenAI's rule),
    // and so is one below drop_logprob_thold whatever its no-speech probability.
    bool guards = true;
    float no_speech_thold = 0.6f;
    float logprob_thold = -1.0f;
    float drop_logprob_thold = -2.0f;
    // The path of a smaller model that is already on disk, or "" (the keep-up control's last
    // step). Called at most once, on the decoding thread.
    std::function<std::string()> smaller_model;
    // Names and terms of the event (the glossary's terms): put before the previous sentence
    // in every decode's prompt, so whisper spells them as given.
    std::vector<std::string> glossary_terms;
    // Tests: seconds added to every decode, as on a slower machine.
    double extra_decode_s = 0;
    bool verbose = false;
    // Unset: warnings go to stderr, info only when verbose.
    std::function<void(const whisper_event&)> on_event;
};

// The guards' rule for one decoded segment: true when it is to be dropped.
bool guard_drops(const whisper_options& wo, float no_speech_prob, double mean_logprob);

// opts.lang is the spoken language ("en", "es", ...): an English-only model (*.en) with any
// other language, or a language whisper does not know, is an error.
core::result<std::unique_ptr<recognizer>>
make_whisper_recognizer(const recognizer_options& opts, std::unique_ptr<model> m, whisper_options wo);

} // namespace lt::stt::whisper
