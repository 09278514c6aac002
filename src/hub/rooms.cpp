#include "hub/rooms.hpp"

#include <algorithm>

namespace lt::hub {

bool is_room_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

core::result<std::map<std::string, std::string>> parse_room_keys(std::string_view text) {
    std::map<std::string, std::string> keys;
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
            s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
            s.remove_suffix(1);
        return s;
    };
    std::size_t number = 0;
    while (!text.empty()) {
        auto end = text.find_first_of(",\n");
        auto entry = trim(text.substr(0, end));
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        ++number;
        if (entry.empty() || entry.front() == '#')
            continue;
        auto eq = entry.find('=');
        if (eq == std::string_view::npos)
            return core::make_error("room keys, entry " + std::to_string(number) +
                                    ": expected room=key, got '" + std::string(entry) + "'");
        std::string room(trim(entry.substr(0, eq)));
        std::string key(trim(entry.substr(eq + 1)));
        if (!is_room_name(room))
            return core::make_error("room keys, entry " + std::to_string(number) + ": '" + room +
                                    "' is not a room name (a-z, 0-9 and '-', up to 64)");
        if (key.empty())
            return core::make_error("room keys, entry " + std::to_string(number) + ": room '" + room +
                                    "' has an empty key");
        if (!keys.emplace(room, key).second)
            return core::make_error("room keys: room '" + room + "' is listed twice");
    }
    return keys;
}

room_registry::room_registry(translate::translation_service& service, hub_params params, fanout_fn fanout,
                             std::size_t max_rooms, std::function<void(const std::string&, hub&)> on_create)
    : service_(service), params_(std::move(params)), fanout_(std::move(fanout)), max_rooms_(max_rooms),
      on_create_(std::move(on_create)) {}

std::shared_ptr<hub> room_registry::get(const std::string& name) {
    std::lock_guard lock(mutex_);
    if (auto it = rooms_.find(name); it != rooms_.end())
        return it->second.h;
    if (rooms_.size() >= max_rooms_)
        return nullptr;
    auto p = params_;
    p.room = name;
    auto h = std::make_shared<hub>(service_, std::move(p), fanout_);
    if (on_create_)
        on_create_(name, *h);
    rooms_.emplace(name, room{h, std::nullopt});
    return h;
}

std::shared_ptr<hub> room_registry::find(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(name);
    return it == rooms_.end() ? nullptr : it->second.h;
}

std::vector<std::pair<std::string, std::shared_ptr<hub>>> room_registry::all() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, std::shared_ptr<hub>>> out;
    out.reserve(rooms_.size());
    for (const auto& [name, r] : rooms_)
        out.emplace_back(name, r.h);
    return out;
}

std::size_t room_registry::collect(std::chrono::steady_clock::time_point now,
                                   std::chrono::steady_clock::duration idle,
                                   std::chrono::steady_clock::duration idle_with_history,
                                   const std::function<bool(const std::string&)>& keep) {
    std::lock_guard lock(mutex_);
    std::size_t removed = 0;
    for (auto it = rooms_.begin(); it != rooms_.end();) {
        auto& r = it->second;
        // New references are only handed out under mutex_: a count of one is ours alone.
        if (r.h.use_count() > 1 || !r.h->idle() || (keep && keep(it->first))) {
            r.unused_since.reset();
            ++it;
            continue;
        }
        if (!r.unused_since)
            r.unused_since = now;
        auto grace = r.h->has_history() ? idle_with_history : idle;
        if (now - *r.unused_since >= grace) {
            it = rooms_.erase(it);
            ++removed;
        } else {
            ++it;
        }
    }
    return removed;
}

std::size_t room_registry::size() const {
    std::lock_guard lock(mutex_);
    return rooms_.size();
}

} // namespace lt::hub
