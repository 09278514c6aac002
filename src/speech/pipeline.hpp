// The speaker's chain from audio to captions: audio source -> level watch -> recognizer ->
// truecasing (engines that need it) -> caption callbacks. Engine- and transport-neutral, so
// lt-speech wires it to the client and the console, and tests drive it directly.
#pragma once

#include "audio/audio_source.hpp"
#include "speech/outbox.hpp"
#include "stt/recognizer.hpp"

#include <atomic>
#include <functional>
#include <string>

namespace lt::speech {

struct pipeline_options {
    std::string lang = "en";      // sent with each caption
    std::string id_prefix;        // caption ids are "<prefix>-<utterance>"; unique per run
    double stop_after_s = 0;      // stop after this much audio (0: at the end of the input)
    double calibration_s = 1;     // noise floor measured over the first seconds
    double silence_warning_s = 5; // warn once the input has been silent this long
    std::size_t block = 320;      // samples per read (20 ms)
};

struct pipeline_events {
    std::function<void(const caption&)> partial;
    // `start_s`/`end_s`: where the utterance lies in the audio.
    std::function<void(const caption&, double start_s, double end_s)> final;
    // Calibration result, silence warnings: one line for the console.
    std::function<void(const std::string&)> notice;
    // About ten times a second: the input level in dBFS.
    std::function<void(double dbfs)> level;
};

class pipeline {
public:
    pipeline(audio::audio_source& source, stt::recognizer& recognizer, pipeline_options opts,
             pipeline_events events);
    // Runs until the input ends, stop() or stop_after_s; then finalises the utterance in
    // progress, so the last words are sent. audio_error from the source propagates (after
    // the utterance in progress was finalised).
    void run();
    // Thread-safe; run() returns soon after.
    void stop();
    double audio_seconds() const { return static_cast<double>(samples_) / audio::sample_rate; }

private:
    void deliver(const std::vector<stt::result>& results);
    std::string timestamp() const;

    audio::audio_source& source_;
    stt::recognizer& recognizer_;
    pipeline_options opts_;
    pipeline_events events_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> samples_{0};
};

} // namespace lt::speech
