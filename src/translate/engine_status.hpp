// What a network engine knows about itself: whether a call has worked lately (available(),
// the page's "limited mode" banner and a chain's choice) and the last error (/health). The
// AWS, DeepL, LibreTranslate and OpenAI engines keep one each. Thread-safe.
#pragma once

#include <atomic>
#include <mutex>
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

private:
    std::atomic<bool> available_{false};
    mutable std::mutex mutex_;
    std::string last_error_;
};

} // namespace lt::translate
