// The whisper engine's keep-up control: decides from the decode times and from how long
// finals waited whether the machine is behind live audio, and what to give up first:
// partials come less often, then only finals, then a smaller model. Steps back up once the
// machine has had room to spare for a while. Times are audio seconds (the clock of live
// input); decode and wait times are wall seconds. Plain arithmetic, so tests drive it with
// made-up times.
#pragma once

#include <deque>
#include <string>
#include <utility>

namespace lt::stt::whisper {

struct keep_up_settings {
    double partial_interval_s = 1.0; // at full level
    double window_s = 10;            // the real-time factor is measured over this much audio
    double judge_after_s = 5;        // audio after a change before the next judgement
    double behind_rtf = 0.8;         // decode time / audio time above this: behind
    double behind_wait_s = 1.5;      // a final waiting longer than this to be decoded: behind
    double ahead_rtf = 0.35;         // below this (and no wait over ahead_wait_s) ...
    double ahead_wait_s = 0.5;
    double calm_s = 20; // ... for this long: step back up
};

class keep_up {
public:
    enum class level { full, fewer_partials, finals_only };
    enum class action { none, less, more, smaller_model };

    // With no partials at all (partial_interval_s 0) it starts, and stays, at finals_only.
    explicit keep_up(const keep_up_settings& s)
        : s_(s), level_(s.partial_interval_s > 0 ? level::full : level::finals_only) {}

    void decoded(double now_s, double seconds);
    void final_waited(double now_s, double wait_s);
    // What to change now; the level has already moved for less and more. smaller_model is
    // asked for once, at finals_only; call model_switched() when it happened.
    action check(double now_s);
    void model_switched(double now_s);

    level current() const { return level_; }
    // Speech between partial decodes at the current level; 0: finals only.
    double partial_interval_s() const;
    // Past full level, finals are decoded with an audio context cut to their length (when
    // the engine does not already do that always).
    bool short_final_context() const { return level_ != level::full; }
    // "full", "fewer partials", "finals only".
    const char* level_name() const;
    // Decode time over audio time in the window; 0 before any decode.
    double rtf(double now_s) const;
    // "RTF 0.42", with the level when it is not full: "RTF 1.10, finals only".
    std::string describe(double now_s) const;

private:
    void changed(double now_s);

    keep_up_settings s_;
    level level_;
    bool smaller_asked_ = false;
    double since_ = 0;                              // audio time of the last change
    double worst_wait_ = 0;                         // since the last change
    double last_long_wait_ = -1e9;                  // audio time of the last wait over ahead_wait_s
    std::deque<std::pair<double, double>> decodes_; // (audio time it ended, seconds it took)
};

} // namespace lt::stt::whisper
