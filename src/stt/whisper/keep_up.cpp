#include "stt/whisper/keep_up.hpp"

#include <algorithm>
#include <cstdio>

namespace lt::stt::whisper {

void keep_up::decoded(double now_s, double seconds) {
    decodes_.emplace_back(now_s, seconds);
    while (!decodes_.empty() && decodes_.front().first <= now_s - s_.window_s)
        decodes_.pop_front();
}

void keep_up::final_waited(double now_s, double wait_s) {
    worst_wait_ = std::max(worst_wait_, wait_s);
    if (wait_s > s_.ahead_wait_s)
        last_long_wait_ = now_s;
}

double keep_up::rtf(double now_s) const {
    double busy = 0;
    for (const auto& [at, seconds] : decodes_)
        if (at > now_s - s_.window_s)
            busy += seconds;
    const double span = std::min(s_.window_s, now_s - since_);
    return span > 0 ? busy / span : 0;
}

keep_up::action keep_up::check(double now_s) {
    if (now_s - since_ < s_.judge_after_s)
        return action::none;
    const double r = rtf(now_s);
    if (r > s_.behind_rtf || worst_wait_ > s_.behind_wait_s) {
        if (level_ == level::finals_only) {
            if (smaller_asked_)
                return action::none;
            smaller_asked_ = true;
            return action::smaller_model;
        }
        level_ = level_ == level::full ? level::fewer_partials : level::finals_only;
        changed(now_s);
        return action::less;
    }
    if (level_ != level::full && s_.partial_interval_s > 0 && r < s_.ahead_rtf &&
        now_s - last_long_wait_ >= s_.calm_s && now_s - since_ >= s_.calm_s) {
        level_ = level_ == level::finals_only ? level::fewer_partials : level::full;
        changed(now_s);
        return action::more;
    }
    return action::none;
}

void keep_up::model_switched(double now_s) {
    level_ = level::fewer_partials;
    changed(now_s);
}

void keep_up::changed(double now_s) {
    since_ = now_s;
    worst_wait_ = 0;
    decodes_.clear();
}

double keep_up::partial_interval_s() const {
    switch (level_) {
    case level::full:
        return s_.partial_interval_s;
    case level::fewer_partials:
        return 2 * s_.partial_interval_s;
    case level::finals_only:
        return 0;
    }
    return 0;
}

const char* keep_up::level_name() const {
    switch (level_) {
    case level::full:
        return "full";
    case level::fewer_partials:
        return "fewer partials";
    case level::finals_only:
        return "finals only";
    }
    return "";
}

std::string keep_up::describe(double now_s) const {
    char buf[64];
    std::snprintf(buf, sizeof buf, "RTF %.2f%s%s", rtf(now_s), level_ == level::full ? "" : ", ",
                  level_ == level::full ? "" : level_name());
    return buf;
}

} // namespace lt::stt::whisper
