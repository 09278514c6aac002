// PortAudio capture. The callback only copies whole frames into a lock-free ring; the
// reading thread polls the ring, downmixes and resamples.
#include "audio/device_select.hpp"
#include "audio/resampler.hpp"
#include "audio/ring_buffer.hpp"

#include <portaudio.h>

#ifdef LT_HAVE_ALSA
#include <alsa/asoundlib.h>
#endif

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace lt::audio {

namespace {

using clock = std::chrono::steady_clock;

// Ring size: the reader may stall this long (e.g. a slow recognizer start) before samples drop.
constexpr double ring_seconds = 4.0;
constexpr auto poll_interval = std::chrono::milliseconds(5);
// A running stream that delivers nothing for this long is treated as a failed device.
constexpr auto stall_timeout = std::chrono::seconds(3);

bool verbose() { return std::getenv("LT_AUDIO_VERBOSE") != nullptr; }

#ifdef LT_HAVE_ALSA
void quiet_alsa(const char*, int, const char*, int, const char*, ...) {}
#endif

// JACK (probed by PortAudio's init) prints to stderr whenever no JACK server runs; hide fd 2
// for the duration of Pa_Initialize/Pa_Terminate so the console stays readable. Runs at
// start-up and shutdown only. LT_AUDIO_VERBOSE=1 shows everything.
class stderr_muted {
public:
    stderr_muted() {
        if (verbose())
            return;
        std::fflush(stderr);
        saved_ = ::dup(STDERR_FILENO);
        const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (saved_ >= 0 && null >= 0)
            ::dup2(null, STDERR_FILENO);
        if (null >= 0)
            ::close(null);
    }
    ~stderr_muted() {
        if (saved_ < 0)
            return;
        std::fflush(stderr);
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
    }
    stderr_muted(const stderr_muted&) = delete;
    stderr_muted& operator=(const stderr_muted&) = delete;

private:
    int saved_ = -1;
};

// Reference-counted Pa_Initialize/Pa_Terminate: PortAudio is process-global.
class pa_session {
public:
    pa_session() {
        std::lock_guard lock(mutex_);
        if (count_ == 0) {
#ifdef LT_HAVE_ALSA
            if (!verbose())
                snd_lib_error_set_handler(quiet_alsa);
#endif
            PaError err;
            {
                stderr_muted mute;
                err = Pa_Initialize();
            }
            if (err != paNoError)
                throw audio_error(std::string("cannot start PortAudio: ") + Pa_GetErrorText(err));
        }
        ++count_;
    }
    ~pa_session() {
        std::lock_guard lock(mutex_);
        if (--count_ == 0) {
            stderr_muted mute;
            Pa_Terminate();
        }
    }
    pa_session(const pa_session&) = delete;
    pa_session& operator=(const pa_session&) = delete;

private:
    static inline std::mutex mutex_;
    static inline int count_ = 0;
};

std::vector<device_info> enumerate() {
    const int count = Pa_GetDeviceCount();
    if (count < 0)
        throw audio_error(std::string("cannot list audio devices: ") + Pa_GetErrorText(count));
    const PaDeviceIndex def = Pa_GetDefaultInputDevice();
    std::vector<device_info> out;
    for (int i = 0; i < count; ++i) {
        const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
        if (!info || info->maxInputChannels <= 0)
            continue;
        device_info d;
        d.index = i;
        d.name = info->name ? info->name : "";
        if (const PaHostApiInfo* api = Pa_GetHostApiInfo(info->hostApi); api && api->name)
            d.host_api = api->name;
        d.max_input_channels = info->maxInputChannels;
        d.default_rate = info->defaultSampleRate;
        d.is_default = i == def;
        out.push_back(std::move(d));
    }
    return out;
}

class device_source final : public audio_source {
public:
    explicit device_source(const device_options& opts) {
        info_ = select_device(enumerate(), opts.spec);
        PaStreamParameters p{};
        p.device = info_.index;
        p.sampleFormat = paInt16;
        p.suggestedLatency = opts.latency_s;
        p.channelCount = 1;
        // 16 kHz mono straight from the device (or its ALSA plug layer) needs no resampling.
        if (Pa_IsFormatSupported(&p, nullptr, sample_rate) == paFormatIsSupported) {
            rate_ = sample_rate;
            channels_ = 1;
        } else {
            rate_ = info_.default_rate;
            channels_ = std::min(info_.max_input_channels, 2);
            p.channelCount = channels_;
            if (PaError err = Pa_IsFormatSupported(&p, nullptr, rate_); err != paFormatIsSupported)
                throw audio_error("input device " + device_label(info_) + " cannot record " +
                                  std::to_string(std::lround(rate_)) + " Hz, " + std::to_string(channels_) +
                                  " ch: " + Pa_GetErrorText(err));
        }
        resampler_ = std::make_unique<resampler>(rate_, channels_);
        ring_ = std::make_unique<spsc_ring<std::int16_t>>(static_cast<std::size_t>(rate_ * ring_seconds) *
                                                          channels_);
        scratch_.resize(4096 * channels_);
        PaError err = Pa_OpenStream(&stream_, &p, nullptr, rate_, paFramesPerBufferUnspecified, paClipOff,
                                    &device_source::on_audio, this);
        if (err != paNoError) {
            stream_ = nullptr;
            throw audio_error("cannot open input device " + device_label(info_) + ": " +
                              Pa_GetErrorText(err));
        }
        Pa_SetStreamFinishedCallback(stream_, &device_source::on_finished);
        if ((err = Pa_StartStream(stream_)) != paNoError) {
            Pa_CloseStream(stream_);
            throw audio_error("cannot start input device " + device_label(info_) + ": " +
                              Pa_GetErrorText(err));
        }
    }

    ~device_source() override {
        Pa_AbortStream(stream_);
        Pa_CloseStream(stream_);
    }

    std::size_t read(std::span<std::int16_t> out) override {
        auto last_data = clock::now();
        for (;;) {
            if (stopped_.load())
                return 0;
            if (pending_pos_ < pending_.size()) {
                const std::size_t n = std::min(out.size(), pending_.size() - pending_pos_);
                std::copy_n(pending_.begin() + static_cast<std::ptrdiff_t>(pending_pos_), n, out.begin());
                pending_pos_ += n;
                return n;
            }
            if (out.empty())
                return 0;
            if (resampler_->same_rate() && channels_ == 1) { // no conversion: pop straight out
                if (std::size_t n = ring_->pop(out.data(), out.size()))
                    return n;
            } else {
                std::size_t frames = std::min(ring_->size() / channels_, scratch_.size() / channels_);
                if (frames > 0) {
                    ring_->pop(scratch_.data(), frames * channels_);
                    pending_.clear();
                    pending_pos_ = 0;
                    resampler_->process(std::span<const std::int16_t>(scratch_.data(), frames * channels_),
                                        pending_);
                    last_data = clock::now();
                    continue;
                }
            }
            // Nothing buffered: only now is a stopped stream an error (its data is drained).
            if (finished_.load() || Pa_IsStreamActive(stream_) != 1)
                throw audio_error("input device " + device_label(info_) +
                                  " stopped delivering audio (disconnected or failed)");
            if (clock::now() - last_data > stall_timeout)
                throw audio_error("input device " + device_label(info_) + " delivered no audio for " +
                                  std::to_string(stall_timeout.count()) + " s");
            std::this_thread::sleep_for(poll_interval);
        }
    }

    void stop() override { stopped_ = true; }

    std::string describe() const override {
        return "device " + std::to_string(info_.index) + " '" + info_.name + "' (" +
               std::to_string(std::lround(rate_)) + " Hz, " + std::to_string(channels_) + " ch)";
    }

    // Counted in device frames; reported in 16 kHz samples like everything else.
    std::uint64_t overruns() const override {
        const double frames = double(dropped_frames_.load(std::memory_order_relaxed));
        return static_cast<std::uint64_t>(std::llround(frames * sample_rate / rate_));
    }

private:
    // Real-time thread: no locks, allocation, I/O or exceptions.
    static int on_audio(const void* input, void*, unsigned long frames, const PaStreamCallbackTimeInfo*,
                        PaStreamCallbackFlags, void* user) noexcept {
        auto* self = static_cast<device_source*>(user);
        if (!input)
            return paContinue;
        const std::size_t n = frames * self->channels_;
        const std::size_t written =
            self->ring_->push(static_cast<const std::int16_t*>(input), n, self->channels_);
        if (written < n)
            self->dropped_frames_.fetch_add((n - written) / self->channels_, std::memory_order_relaxed);
        return paContinue;
    }

    static void on_finished(void* user) noexcept { static_cast<device_source*>(user)->finished_.store(true); }

    pa_session session_; // first member: PortAudio lives until the stream is closed
    device_info info_;
    double rate_ = 0;
    int channels_ = 1;
    std::unique_ptr<resampler> resampler_;
    std::unique_ptr<spsc_ring<std::int16_t>> ring_;
    PaStream* stream_ = nullptr;
    std::vector<std::int16_t> scratch_;
    std::vector<std::int16_t> pending_;
    std::size_t pending_pos_ = 0;
    std::atomic<std::uint64_t> dropped_frames_{0};
    std::atomic<bool> finished_{false};
    std::atomic<bool> stopped_{false};
};

} // namespace

std::vector<device_info> list_input_devices() {
    pa_session session;
    return enumerate();
}

std::unique_ptr<audio_source> open_device(const device_options& opts) {
    return std::make_unique<device_source>(opts);
}

} // namespace lt::audio
