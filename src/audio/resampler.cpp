#include "audio/resampler.hpp"

#include "audio/audio_source.hpp"

#include <samplerate.h>

#include <cmath>
#include <string>

namespace lt::audio {

namespace {
// Speech needs little of the band above 6 kHz; the fastest sinc converter keeps the
// real-time path cheap on small machines and is still clean to ~97 dB.
constexpr int converter = SRC_SINC_FASTEST;
constexpr std::size_t out_chunk = 4096;
} // namespace

resampler::resampler(double in_rate, int channels) : ratio_(sample_rate / in_rate), channels_(channels) {
    if (channels < 1 || !(in_rate >= 1000 && in_rate <= 384000))
        throw audio_error("unsupported audio format: " + std::to_string(in_rate) + " Hz, " +
                          std::to_string(channels) + " channels");
    if (in_rate != sample_rate) {
        int err = 0;
        state_ = src_new(converter, 1, &err);
        if (!state_)
            throw audio_error(std::string("cannot start the resampler: ") + src_strerror(err));
    }
    converted_.resize(out_chunk);
}

resampler::~resampler() {
    if (state_)
        src_delete(state_);
}

void resampler::process(std::span<const std::int16_t> in, std::vector<std::int16_t>& out) {
    const std::size_t frames = in.size() / channels_;
    if (!state_ && channels_ == 1) { // the common case: exact copy
        out.insert(out.end(), in.begin(), in.begin() + frames);
        return;
    }
    if (!state_) { // 16 kHz multichannel: integer average, no float round trip
        for (std::size_t f = 0; f < frames; ++f) {
            long sum = 0;
            for (int c = 0; c < channels_; ++c)
                sum += in[f * channels_ + c];
            out.push_back(static_cast<std::int16_t>(std::lround(double(sum) / channels_)));
        }
        return;
    }
    mono_.resize(frames);
    for (std::size_t f = 0; f < frames; ++f) {
        float sum = 0;
        for (int c = 0; c < channels_; ++c)
            sum += in[f * channels_ + c];
        mono_[f] = sum / (32768.0f * channels_);
    }
    convert(false, out);
}

void resampler::process(std::span<const float> in, std::vector<std::int16_t>& out) {
    const std::size_t frames = in.size() / channels_;
    mono_.resize(frames);
    for (std::size_t f = 0; f < frames; ++f) {
        float sum = 0;
        for (int c = 0; c < channels_; ++c)
            sum += in[f * channels_ + c];
        mono_[f] = sum / channels_;
    }
    if (!state_) {
        shorts_.resize(frames);
        src_float_to_short_array(mono_.data(), shorts_.data(), static_cast<int>(frames));
        out.insert(out.end(), shorts_.begin(), shorts_.end());
        return;
    }
    convert(false, out);
}

void resampler::flush(std::vector<std::int16_t>& out) {
    if (!state_)
        return;
    mono_.clear();
    convert(true, out);
}

void resampler::convert(bool end_of_input, std::vector<std::int16_t>& out) {
    SRC_DATA d{};
    d.data_in = mono_.data();
    d.input_frames = static_cast<long>(mono_.size());
    d.src_ratio = ratio_;
    d.end_of_input = end_of_input ? 1 : 0;
    // The converter takes what fits in the output buffer; loop until the input is used up
    // (and, at the end, until the filter is drained).
    for (int guard = 0; guard < 1'000'000; ++guard) {
        d.data_out = converted_.data();
        d.output_frames = static_cast<long>(converted_.size());
        if (int err = src_process(state_, &d))
            throw audio_error(std::string("resampling failed: ") + src_strerror(err));
        if (d.output_frames_gen > 0) {
            shorts_.resize(d.output_frames_gen);
            src_float_to_short_array(converted_.data(), shorts_.data(),
                                     static_cast<int>(d.output_frames_gen));
            out.insert(out.end(), shorts_.begin(), shorts_.end());
        }
        d.data_in += d.input_frames_used;
        d.input_frames -= d.input_frames_used;
        if (d.input_frames == 0 && (!end_of_input || d.output_frames_gen == 0))
            break;
        if (d.input_frames_used == 0 && d.output_frames_gen == 0)
            break; // no progress
    }
}

} // namespace lt::audio
