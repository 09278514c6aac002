// What a network engine knows about itself: whether a call has worked lately (available(),
// the page's "limited mode" banner and a chain's choice) and the last error (/health). The
// AWS, DeepL, LibreTranslate and OpenAI engines keep one each. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace lt::translate {

class engine_status {
public:
    // A call worked: available, and the last error is gone.
    void succeeded() {
        available_ = true;
        std::lock_guard lock(mutex_);
        last_error_.clear();
    }
    // A call failed. `serious`: the engine cannot be used now (network, key, quota) and is
    // not available until a call works again; otherwise (busy, one bad answer) it is only
    // shown.
    void failed(std::string why, bool serious) {
        if (serious)
            available_ = false;
        std::lock_guard lock(mutex_);
        last_error_ = std::move(why);
    }
    // Forgets the last error when it starts with `prefix` (a problem that went away).
    void clear_if(std::string_view prefix) {
        std::lock_guard lock(mutex_);
        if (last_error_.rfind(prefix, 0) == 0)
            last_error_.clear();
    }
    bool available() const { return available_; }
    std::string last_error() const {
        std::lock_guard lock(mutex_);
        return last_error_;
    }
    // "ok", or the last error.
    std::string state() const {
        auto e = last_error();
        return e.empty() ? "ok" : e;
    }
    // A rate limit that outlasted the client's retries: no calls for `d`, so a service that
    // bans clients who keep going is left alone.
    void pause(std::chrono::milliseconds d) {
        std::lock_guard lock(mutex_);
        paused_until_ = std::chrono::steady_clock::now() + d;
    }
    // While paused, the error a call gets at once: "<last error>; not asking again for N s".
    std::optional<std::string> paused() const {
        std::lock_guard lock(mutex_);
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            paused_until_ - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return std::nullopt;
        return last_error_ + "; not asking again for " + std::to_string((left.count() + 999) / 1000) + " s";
    }

private:
    std::atomic<bool> available_{false};
    mutable std::mutex mutex_;
    std::string last_error_;
    std::chrono::steady_clock::time_point paused_until_{};
};

} // namespace lt::translate
