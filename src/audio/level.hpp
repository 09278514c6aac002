// Signal levels for the console meter, the start-up noise-floor calibration and the
// "your microphone gives silence" warning.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace lt::audio {

// RMS level in dBFS (0 = full scale); -120 for digital silence or an empty span.
double rms_dbfs(std::span<const std::int16_t> pcm);

// True when every sample is exactly zero (a muted or disconnected device, not a quiet room).
bool is_digital_silence(std::span<const std::int16_t> pcm);

// "[#########.........] -32 dBFS": a fixed-width bar from -60 to 0 dBFS.
std::string level_bar(double dbfs, int width = 20);

// Watches the stream (16 kHz mono) for the console: the noise floor measured over the first
// `calibration_s` seconds, and how long the input has been digital silence or very quiet.
// Not thread-safe: add() and the getters from one thread.
class level_monitor {
public:
    explicit level_monitor(double calibration_s = 1.0);
    void add(std::span<const std::int16_t> pcm);
    bool calibrated() const;
    // Noise floor in dBFS from the calibration window: the 20th percentile of 10 ms frame
    // levels, so speech during calibration does not raise it. Before calibrated(), the same
    // estimate over the frames seen so far (-120 when none).
    double noise_floor_dbfs() const;
    // Level of the most recent 100 ms.
    double current_dbfs() const;
    // Length in seconds of the trailing run that is silent: exact digital zeros (counted per
    // sample) OR 10 ms frames below -70 dBFS (counted per completed frame), whichever run is
    // longer. Zeros are always below -70 dBFS, so this is "very quiet or dead" for the warning;
    // is_digital_silence() on recent samples tells the two apart.
    double silent_seconds() const;
    double seconds_seen() const;

private:
    void end_frame();

    double calibration_s_;
    std::uint64_t calibration_samples_;
    std::uint64_t samples_ = 0;
    std::uint64_t zero_run_ = 0;  // trailing exact zeros, in samples
    std::uint64_t quiet_run_ = 0; // trailing quiet frames, in samples
    double current_ = -120;
    double floor_ = -120;
    bool calibrated_ = false;
    std::uint64_t frame_fill_ = 0; // samples in the 10 ms frame being summed
    double frame_energy_ = 0;
    std::array<double, 10> recent_{}; // energies of the last 10 frames (100 ms)
    std::size_t recent_pos_ = 0;
    std::uint64_t recent_fill_ = 0;
    double recent_energy_ = 0;
    std::vector<double> calib_levels_; // frame levels until calibrated
};

} // namespace lt::audio
