// Rooms: one caption hub per talk. A room is created when its first viewer or speaker
// arrives and is removed once nobody has used it for a while (collect); the number of rooms
// is bounded.
#pragma once

#include "core/result.hpp"
#include "hub/hub.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lt::hub {

inline constexpr std::string_view default_room = "main";

// [a-z0-9-]{1,64}: safe in URLs, Redis keys and metric labels without escaping.
bool is_room_name(std::string_view name);

// Per-room API keys as "room=key" entries separated by commas or new lines; blank lines and
// lines starting with '#' are skipped (the same text serves LT_ROOMS and a --rooms file).
// Errors name the entry and what is wrong with it.
core::result<std::map<std::string, std::string>> parse_room_keys(std::string_view text);

class room_registry {
public:
    // `on_create` runs once for each new room before anyone joins it (loading its history
    // from the cluster).
    room_registry(translate::translation_service& service, hub_params params, fanout_fn fanout,
                  std::size_t max_rooms, std::function<void(const std::string&, hub&)> on_create = {});

    // The room's hub, created on first use; nullptr when `max_rooms` rooms exist already.
    // Precondition: is_room_name(name).
    std::shared_ptr<hub> get(const std::string& name);
    // Existing rooms only.
    std::shared_ptr<hub> find(const std::string& name) const;
    std::vector<std::pair<std::string, std::shared_ptr<hub>>> all() const;
    std::size_t size() const;

    // Removes the rooms that have been unused for `idle` (for `idle_with_history` when they
    // hold captions): no connection holds their hub and the hub is idle(). Rooms for which
    // `keep` is true stay. Returns how many were removed. Called now and then by the owner.
    std::size_t collect(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration idle,
                        std::chrono::steady_clock::duration idle_with_history,
                        const std::function<bool(const std::string&)>& keep);

private:
    struct room {
        std::shared_ptr<hub> h;
        std::optional<std::chrono::steady_clock::time_point> unused_since;
    };

    translate::translation_service& service_;
    hub_params params_;
    fanout_fn fanout_;
    std::size_t max_rooms_;
    std::function<void(const std::string&, hub&)> on_create_;
    mutable std::mutex mutex_;
    std::map<std::string, room, std::less<>> rooms_;
};

} // namespace lt::hub
