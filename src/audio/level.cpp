#include "audio/level.hpp"

#include "audio/audio_source.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace lt::audio {

namespace {
constexpr double floor_db = -120;
constexpr double quiet_db = -70;
constexpr std::uint64_t frame_samples = sample_rate / 100; // 10 ms
constexpr double calibration_percentile = 0.2;

double energy_to_dbfs(double sum_squares, std::uint64_t n) {
    if (n == 0 || sum_squares <= 0)
        return floor_db;
    const double rms = std::sqrt(sum_squares / double(n)) / 32768.0;
    return std::max(floor_db, 20 * std::log10(rms));
}

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return floor_db;
    const auto k = static_cast<std::size_t>(p * double(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}
} // namespace

double rms_dbfs(std::span<const std::int16_t> pcm) {
    double sum = 0;
    for (std::int16_t s : pcm)
        sum += double(s) * s;
    return energy_to_dbfs(sum, pcm.size());
}

bool is_digital_silence(std::span<const std::int16_t> pcm) {
    return std::all_of(pcm.begin(), pcm.end(), [](std::int16_t s) { return s == 0; });
}

std::string level_bar(double dbfs, int width) {
    width = std::max(width, 1);
    const double clamped = std::clamp(dbfs, -60.0, 0.0);
    const int filled = static_cast<int>(std::lround((clamped + 60) / 60 * width));
    char db[32];
    std::snprintf(db, sizeof db, "] %.0f dBFS", std::max(dbfs, floor_db));
    return "[" + std::string(filled, '#') + std::string(width - filled, '.') + db;
}

level_monitor::level_monitor(double calibration_s)
    : calibration_s_(calibration_s),
      calibration_samples_(static_cast<std::uint64_t>(std::max(0.0, calibration_s) * sample_rate)) {
    calibrated_ = calibration_samples_ < frame_samples;
}

void level_monitor::add(std::span<const std::int16_t> pcm) {
    for (std::int16_t s : pcm) {
        ++samples_;
        zero_run_ = s == 0 ? zero_run_ + 1 : 0;
        frame_energy_ += double(s) * s;
        if (++frame_fill_ < frame_samples)
            continue;
        end_frame();
    }
}

void level_monitor::end_frame() {
    const double level = energy_to_dbfs(frame_energy_, frame_fill_);
    quiet_run_ = level < quiet_db ? quiet_run_ + frame_fill_ : 0;
    recent_energy_ -= recent_[recent_pos_];
    recent_[recent_pos_] = frame_energy_;
    recent_energy_ += frame_energy_;
    recent_pos_ = (recent_pos_ + 1) % recent_.size();
    recent_fill_ = std::min<std::uint64_t>(recent_fill_ + 1, recent_.size());
    // Recomputed from the stored frames now and then so float drift cannot accumulate.
    if (recent_pos_ == 0) {
        recent_energy_ = 0;
        for (double e : recent_)
            recent_energy_ += e;
    }
    current_ = energy_to_dbfs(recent_energy_, recent_fill_ * frame_samples);
    if (!calibrated_) {
        calib_levels_.push_back(level);
        if (samples_ >= calibration_samples_) {
            floor_ = percentile(std::move(calib_levels_), calibration_percentile);
            calib_levels_ = {};
            calibrated_ = true;
        }
    }
    frame_fill_ = 0;
    frame_energy_ = 0;
}

bool level_monitor::calibrated() const { return calibrated_; }

double level_monitor::noise_floor_dbfs() const {
    return calibrated_ ? floor_ : percentile(calib_levels_, calibration_percentile);
}

double level_monitor::current_dbfs() const { return current_; }

double level_monitor::silent_seconds() const { return double(std::max(zero_run_, quiet_run_)) / sample_rate; }

double level_monitor::seconds_seen() const { return double(samples_) / sample_rate; }

} // namespace lt::audio
