// A translator for unit tests of the machinery around backends: it "translates" by tagging
// the text with the target ("[es] hello"), records every call, and can be told to be slow
// or to fail for a language. Real backends are tested in tests/translate/apertium and integration.
#pragma once

#include "translate/translator.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lt::test {

class tagging_translator : public translate::translator {
public:
    explicit tagging_translator(std::string name = "tagging",
                                std::vector<std::string> targets = {"de", "es", "fr"})
        : name_(std::move(name)), targets_(std::move(targets)) {}
    std::string name() const override { return name_; }
    std::vector<std::string> targets(std::string_view) const override { return targets_; }
    // Not cheap unless told (set_cheap): it stands for a paid engine by default.
    bool cheap(std::string_view source, std::string_view target) const override {
        return cheap_.load() && !engine_for(source, target).empty();
    }
    void set_cheap(bool cheap) { cheap_ = cheap; }

    core::result<std::string> translate(std::string_view source, std::string_view target,
                                        std::string_view text) override {
        std::chrono::milliseconds delay{0};
        bool fail = false;
        {
            std::lock_guard lock(mutex_);
            calls_.push_back(std::string(source) + "->" + std::string(target) + ":" + std::string(text));
            if (auto it = delay_.find(std::string(target)); it != delay_.end())
                delay = it->second;
            if (auto it = delay_.find(std::string(target) + '\0' + std::string(text)); it != delay_.end())
                delay = it->second;
            fail = failing_.count(std::string(target)) > 0;
        }
        std::this_thread::sleep_for(delay);
        if (fail)
            return core::make_error(name_ + " down for " + std::string(target));
        return "[" + std::string(target) + "] " + std::string(text);
    }

    // Delays every call to `lang`, or only those for `text` when it is given.
    void set_delay(const std::string& lang, std::chrono::milliseconds d, const std::string& text = "") {
        std::lock_guard lock(mutex_);
        delay_[text.empty() ? lang : lang + '\0' + text] = d;
    }
    void set_failing(const std::string& lang, bool failing = true) {
        std::lock_guard lock(mutex_);
        if (failing)
            failing_[lang] = true;
        else
            failing_.erase(lang);
    }
    std::vector<std::string> calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }

private:
    const std::string name_;
    const std::vector<std::string> targets_;
    std::atomic<bool> cheap_{false};
    mutable std::mutex mutex_;
    std::vector<std::string> calls_;
    std::map<std::string, std::chrono::milliseconds> delay_;
    std::map<std::string, bool> failing_;
};

} // namespace lt::test
