// Voice-activity endpointing, independent of any engine: decides where utterances begin and
// end from frame energies against an adaptive noise floor, and hands the engine only the
// audio of utterances (with pre-roll before the onset and the closing pause after it).
// Not thread-safe.
#pragma once

#include "stt/recognizer.hpp"

#include <cstdint>
#include <deque>
#include <span>
#include <utility>
#include <vector>

namespace lt::stt {

class endpointer {
public:
    static constexpr int sample_rate = 16000;
    static constexpr int frame_samples = 160; // 10 ms

    struct event {
        enum class kind { begin, audio, end };
        kind type = kind::audio;
        // begin: first sample of detected speech (the pre-roll comes before it);
        // end: one past the last speech sample (the pause fed after it is not counted);
        // audio: stream position of pcm[0].
        std::uint64_t sample = 0;
        std::vector<std::int16_t> pcm; // audio only: samples for the engine, in order
        bool cut = false;              // end: forced by max_utterance_s, not a pause
    };

    struct tuning {
        double onset_margin_db = 12;    // above the floor to start speech
        double continue_margin_db = 8;  // above the floor to stay in speech (hysteresis)
        double absolute_min_dbfs = -65; // quieter frames are never speech
        double floor_window_s = 3.0;    // noise floor: median of this much room audio
                                        // heard between utterances
        int onset_gap_frames = 5;       // quiet frames tolerated inside an onset run
        double cut_search_s = 1.0;      // max_utterance_s: the cut goes at the quietest frame
                                        // of this last stretch, held back from the engine
    };

    explicit endpointer(const endpointer_options& opts);
    endpointer(const endpointer_options& opts, const tuning& t);

    // Consumes exactly frame_samples samples and appends the events they complete.
    void push_frame(std::span<const std::int16_t> frame, std::vector<event>& out);
    // Consumes any number of samples: whole frames go through push_frame(); a trailing
    // part-frame waits for the next call.
    void push(std::span<const std::int16_t> pcm, std::vector<event>& out);
    // The part-frame push() holds (fewer than frame_samples samples), for an engine that
    // wants the last few milliseconds of an utterance at the end of input.
    std::span<const std::int16_t> tail() const { return part_; }
    // End of input: ends an utterance in progress (nothing if none) and drops tail().
    void finish(std::vector<event>& out);

    bool in_utterance() const { return in_utt_; }
    // -120 until a non-zero frame has been seen.
    double noise_floor_dbfs() const;
    std::uint64_t frames_seen() const { return frame_index_; }

    // Level of one frame in dBFS with its mean removed; -120 for digital zeros (or a constant).
    static double frame_dbfs(std::span<const std::int16_t> frame);

private:
    struct frame_rec {
        std::uint64_t index;
        double dbfs;
        std::vector<std::int16_t> pcm;
    };

    void update_floor(double dbfs);
    void begin_utterance(std::uint64_t onset_frame, std::vector<event>& out);
    void emit_audio(const frame_rec& f, std::vector<event>& out);
    void end_utterance(std::uint64_t end_sample, bool cut, std::vector<event>& out);
    void cut_long_utterance(std::vector<event>& out);

    endpointer_options opts_;
    tuning t_;
    int pre_roll_frames_;
    int min_speech_frames_;
    int end_silence_frames_;
    int long_end_silence_frames_;
    std::uint64_t long_utt_frames_;
    std::uint64_t max_utt_frames_;
    int cut_search_frames_;

    std::uint64_t frame_index_ = 0; // frames pushed so far

    // Noise floor: levels of 30 ms chunks (non-zero frames only), kept for floor_window_s;
    // idle_levels_ holds the last floor_window_s of chunks heard outside utterances; a chunk
    // waits in idle_pending_ (with the frame that completed it) until no onset can claim it.
    std::deque<double> chunk_levels_;
    std::deque<double> idle_levels_;
    std::deque<std::pair<std::uint64_t, double>> idle_pending_;
    std::vector<std::int16_t> part_; // push()'s samples short of a frame
    double chunk_energy_ = 0;
    int chunk_fill_ = 0;
    std::size_t max_chunks_;

    // Idle: recent frames (for pre-roll) and the candidate onset run.
    std::deque<frame_rec> history_;
    std::size_t history_max_;
    bool candidate_ = false;
    std::uint64_t run_start_ = 0;
    int run_loud_ = 0;
    int run_gap_ = 0;
    std::uint64_t next_unfed_frame_ = 0; // frames before this were given to an utterance

    // In an utterance.
    bool in_utt_ = false;
    std::uint64_t onset_frame_ = 0;
    std::uint64_t last_speech_frame_ = 0;
    int silence_run_ = 0;
    std::deque<frame_rec> held_; // last stretch before max_utterance_s
};

} // namespace lt::stt
