// Streaming speech-to-text behind one interface, so that lt-speech does not depend on any
// engine. A recognizer is fed 16 kHz mono PCM in any block size and answers with partial
// and final results. It finds utterance boundaries itself (voice-activity endpointing):
// a final comes at a pause, never at a fixed window. Not thread-safe: one thread feeds it.
// Engines sit beside this header (stt/pocketsphinx/, stt/transcribe/); stt/make_recognizer.hpp
// builds one by name.
#pragma once

#include "core/result.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lt::stt {

struct result {
    std::string text;            // as the engine gives it (see needs_truecasing())
    bool final = false;          // false: a partial, replaced by later results of the same utterance
    std::uint64_t utterance = 0; // 1, 2, ... per utterance; partials and the final share it
    double start_s = 0;          // audio time since the first sample fed
    double end_s = 0;
};

class recognizer {
public:
    virtual ~recognizer() = default;
    virtual std::string name() const = 0;
    // Consumes `pcm` and returns the results it completed, oldest first. Once an utterance
    // has words, a partial is returned at least every `partial_interval_s` of speech (sooner
    // when the text changes; the same text again when it does not); an
    // utterance's final comes once its end is detected. Utterances with no words give nothing.
    virtual std::vector<result> feed(std::span<const std::int16_t> pcm) = 0;
    // End of input (end of file, Ctrl+C): finalises the utterance in progress, if any.
    virtual std::vector<result> finish() = 0;
    // True when the engine's text is lower case without punctuation (see truecase.hpp).
    virtual bool needs_truecasing() const = 0;
    // Seconds of audio consumed so far.
    virtual double audio_seconds() const = 0;
    // A short note for the console's status line ("RTF 0.42"); empty when the engine has none.
    virtual std::string status() const { return {}; }
};

// The settings of stt::endpointer, which engines without endpointing of their own use.
struct endpointer_options {
    double partial_interval_s = 0.3; // max speech between partials
    double end_silence_s = 0.5;      // pause that ends an utterance
    double long_utterance_s = 8.0;   // past this, a shorter pause ends it ...
    double long_end_silence_s = 0.2; // ... this one
    double max_utterance_s = 15.0;   // hard limit: cut at the quietest recent frame
    double pre_roll_s = 0.3;         // audio kept before speech onset so no word is cut
    double min_speech_s = 0.15;      // shorter bursts (clicks, bumps) are not speech
};

// What every engine is given. Each engine's own settings, and the choice of engine, are in
// stt::engine_options (stt/make_recognizer.hpp).
struct recognizer_options {
    std::string lang = "en"; // source language (engines that support one)
    endpointer_options endpoint;
    bool verbose = false; // engine logging to stderr
};

} // namespace lt::stt
