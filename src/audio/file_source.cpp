#include "audio/file_source.hpp"

#include "audio/resampler.hpp"

#include <sndfile.h>

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>

namespace lt::audio {

namespace {

using clock = std::chrono::steady_clock;

// Output per block when paced: 20 ms, the granularity a microphone would give.
constexpr std::size_t paced_block = sample_rate / 50;
// Input frames per block when reading as fast as possible.
constexpr std::size_t fast_block = 8192;

class sndfile_source final : public audio_source {
public:
    sndfile_source(const std::string& path, file_options opts) : path_(path), opts_(opts) {
        SF_INFO info{};
        file_ = sf_open(path.c_str(), SFM_READ, &info);
        if (!file_)
            throw audio_error("cannot open audio file '" + path + "': " + sf_strerror(nullptr));
        if (info.channels < 1 || info.samplerate < 1) {
            sf_close(file_);
            throw audio_error("audio file '" + path + "' has no audio channels");
        }
        rate_ = info.samplerate;
        channels_ = info.channels;
        try {
            resampler_ = std::make_unique<resampler>(rate_, channels_);
        } catch (const audio_error& e) {
            sf_close(file_);
            throw audio_error("audio file '" + path + "': " + e.what());
        }
        // Input frames per block: enough for one 20 ms output block when paced.
        block_frames_ = opts_.realtime
                            ? (paced_block * static_cast<std::size_t>(rate_) + sample_rate - 1) / sample_rate
                            : fast_block;
    }

    ~sndfile_source() override { sf_close(file_); }

    std::size_t read(std::span<std::int16_t> out) override {
        if (out.empty() || stopped_.load())
            return 0;
        while (pending_pos_ == pending_.size()) {
            if (eof_)
                return 0;
            fill();
        }
        const std::size_t n = std::min(out.size(), pending_.size() - pending_pos_);
        if (opts_.realtime && !pace(delivered_ + n))
            return 0;
        std::copy_n(pending_.begin() + static_cast<std::ptrdiff_t>(pending_pos_), n, out.begin());
        pending_pos_ += n;
        delivered_ += n;
        return n;
    }

    void stop() override {
        {
            std::lock_guard lock(mutex_);
            stopped_ = true;
        }
        wake_.notify_all();
    }

    std::string describe() const override {
        return "file " + path_ + " (" + std::to_string(rate_) + " Hz, " + std::to_string(channels_) + " ch)";
    }

private:
    // Reads one block from the file into pending_ (possibly nothing while the resampler
    // fills its filter); sets eof_ after the last samples.
    void fill() {
        pending_.clear();
        pending_pos_ = 0;
        sf_count_t got = 0;
        if (resampler_->same_rate()) { // read as 16-bit so 16 kHz PCM passes bit-exact
            shorts_.resize(block_frames_ * channels_);
            got = sf_readf_short(file_, shorts_.data(), static_cast<sf_count_t>(block_frames_));
            if (got > 0)
                resampler_->process(std::span<const std::int16_t>(shorts_.data(), got * channels_), pending_);
        } else {
            floats_.resize(block_frames_ * channels_);
            got = sf_readf_float(file_, floats_.data(), static_cast<sf_count_t>(block_frames_));
            if (got > 0)
                resampler_->process(std::span<const float>(floats_.data(), got * channels_), pending_);
        }
        if (got <= 0) {
            if (sf_error(file_) != SF_ERR_NO_ERROR)
                throw audio_error("error reading audio file '" + path_ + "': " + sf_strerror(file_));
            resampler_->flush(pending_);
            eof_ = true;
        }
    }

    // Sleeps until sample `position` is due by the wall clock since the first read, as a
    // microphone delivers a block once it has been spoken. False when stopped meanwhile.
    bool pace(std::uint64_t position) {
        if (!started_) {
            start_ = clock::now();
            started_ = true;
        }
        const auto due = start_ + std::chrono::duration_cast<clock::duration>(
                                      std::chrono::duration<double>(double(position) / sample_rate));
        std::unique_lock lock(mutex_);
        wake_.wait_until(lock, due, [&] { return stopped_.load(); });
        return !stopped_;
    }

    std::string path_;
    file_options opts_;
    SNDFILE* file_ = nullptr;
    int rate_ = 0;
    int channels_ = 0;
    std::size_t block_frames_ = 0;
    std::unique_ptr<resampler> resampler_;
    std::vector<std::int16_t> shorts_;
    std::vector<float> floats_;
    std::vector<std::int16_t> pending_; // converted, not yet returned
    std::size_t pending_pos_ = 0;
    bool eof_ = false;
    std::uint64_t delivered_ = 0;
    bool started_ = false;
    clock::time_point start_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<bool> stopped_{false};
};

class raw_fd_source final : public audio_source {
public:
    raw_fd_source(int fd, std::string name, bool owns) : fd_(fd), name_(std::move(name)), owns_(owns) {}
    ~raw_fd_source() override {
        if (owns_)
            ::close(fd_);
    }

    std::size_t read(std::span<std::int16_t> out) override {
        if (out.empty())
            return 0;
        buf_.resize(out.size() * 2);
        for (;;) {
            if (stopped_.load() || eof_)
                return 0;
            // poll with a timeout so stop() is noticed without closing the caller's fd.
            pollfd p{fd_, POLLIN, 0};
            const int r = ::poll(&p, 1, 50);
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                throw audio_error(name_ + ": poll failed: " + std::strerror(errno));
            }
            if (r == 0)
                continue;
            // One byte of a sample may be left over from the previous read.
            std::size_t have = carry_ ? 1 : 0;
            if (carry_)
                buf_[0] = *carry_;
            const ssize_t got = ::read(fd_, buf_.data() + have, buf_.size() - have);
            if (got < 0) {
                if (errno == EINTR || errno == EAGAIN)
                    continue;
                throw audio_error(name_ + ": read failed: " + std::strerror(errno));
            }
            if (got == 0) { // end of input; a trailing odd byte is not a sample
                eof_ = true;
                return 0;
            }
            have += static_cast<std::size_t>(got);
            const std::size_t n = have / 2;
            for (std::size_t i = 0; i < n; ++i)
                out[i] = static_cast<std::int16_t>(static_cast<std::uint16_t>(buf_[2 * i]) |
                                                   static_cast<std::uint16_t>(buf_[2 * i + 1]) << 8);
            carry_.reset();
            if (have % 2)
                carry_ = buf_[have - 1];
            if (n > 0)
                return n;
        }
    }

    void stop() override { stopped_ = true; }

    std::string describe() const override {
        return name_ + " (raw S16_LE, " + std::to_string(sample_rate) + " Hz, 1 ch)";
    }

private:
    int fd_;
    std::string name_;
    bool owns_;
    std::vector<unsigned char> buf_;
    std::optional<unsigned char> carry_;
    bool eof_ = false;
    std::atomic<bool> stopped_{false};
};

} // namespace

std::unique_ptr<audio_source> open_raw_fd(int fd, std::string name, bool owns_fd) {
    return std::make_unique<raw_fd_source>(fd, std::move(name), owns_fd);
}

std::unique_ptr<audio_source> open_file(const std::string& path, file_options opts) {
    if (path == "-")
        return open_raw_fd(STDIN_FILENO, "stdin", false);
    return std::make_unique<sndfile_source>(path, opts);
}

} // namespace lt::audio
