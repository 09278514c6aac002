// Downmix to mono and convert any rate to 16 kHz with libsamplerate's streaming API. The
// converter keeps its filter state between blocks, so feed consecutive blocks of one stream
// and call flush() once at its end. One thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

struct SRC_STATE_tag;

namespace lt::audio {

class resampler {
public:
    // Throws audio_error for a rate or channel count libsamplerate cannot handle.
    resampler(double in_rate, int channels);
    ~resampler();
    resampler(const resampler&) = delete;
    resampler& operator=(const resampler&) = delete;

    // True when the input is already 16 kHz: samples are only downmixed (and for 16-bit
    // mono input copied exactly).
    bool same_rate() const { return state_ == nullptr; }
    int channels() const { return channels_; }

    // Appends the 16 kHz mono samples for `interleaved` (whole frames) to out.
    void process(std::span<const std::int16_t> interleaved, std::vector<std::int16_t>& out);
    // Float input in [-1, 1], as libsndfile reads it.
    void process(std::span<const float> interleaved, std::vector<std::int16_t>& out);
    // End of input: appends what the filter still holds.
    void flush(std::vector<std::int16_t>& out);

private:
    void convert(bool end_of_input, std::vector<std::int16_t>& out);

    double ratio_;
    int channels_;
    SRC_STATE_tag* state_ = nullptr; // null at 16 kHz
    std::vector<float> mono_;        // downmixed input of the current block
    std::vector<float> converted_;   // libsamplerate's output buffer
    std::vector<std::int16_t> shorts_;
};

} // namespace lt::audio
