// Signal levels for the console meter, the start-up noise-floor calibration and the
// "your microphone gives silence" warning.
#pragma once

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

// Watches the stream for the console: the noise floor measured over the first
// `calibration_s` seconds, and how long the input has been digital silence or very quiet.
class level_monitor {
public:
    explicit level_monitor(double calibration_s = 1.0);
    void add(std::span<const std::int16_t> pcm);
    bool calibrated() const;
    // Noise floor in dBFS from the calibration window (a low percentile of 10 ms frame levels,
    // so speech during calibration does not raise it).
    double noise_floor_dbfs() const;
    // Level of the most recent 100 ms.
    double current_dbfs() const;
    // Seconds of exact digital zeros / of level below -70 dBFS at the end of the stream so far.
    double silent_seconds() const;
    double seconds_seen() const;

private:
    double calibration_s_;
    std::uint64_t samples_ = 0;
    std::uint64_t zero_run_ = 0;
    std::uint64_t quiet_run_ = 0;
    double current_ = -120;
    double floor_ = -120;
    bool calibrated_ = false;
    std::uint64_t frame_fill_ = 0;
    double frame_energy_ = 0;
    std::uint64_t recent_fill_ = 0;
    double recent_energy_ = 0;
    std::vector<double> calib_levels_;
};

} // namespace lt::audio
