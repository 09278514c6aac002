// Finals waiting for the server's acknowledgement, oldest first. Bounded: a speaker cut off
// for a long time keeps the newest `capacity` finals and counts the ones it had to drop.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace lt::speech {

struct caption {
    std::string id; // shared by an utterance's partials and its final
    std::string text;
    std::string lang = "en";
    std::string timestamp; // "HH:MM:SS" when spoken
};

class outbox {
public:
    explicit outbox(std::size_t capacity = 1000) : capacity_(capacity ? capacity : 1) {}

    // Queues a final; when full, drops the oldest and returns it (for a warning).
    std::optional<caption> push(caption c);
    // The oldest final, next to send; nullptr when empty.
    const caption* front() const { return items_.empty() ? nullptr : &items_.front(); }
    // Removes the final with `id` if it is the oldest (acknowledgements come in order).
    bool acknowledge(const std::string& id);
    // Removes the oldest (a final the server can never take).
    std::optional<caption> pop();

    std::size_t size() const { return items_.size(); }
    bool empty() const { return items_.empty(); }
    std::uint64_t dropped() const { return dropped_; }

private:
    std::size_t capacity_;
    std::deque<caption> items_;
    std::uint64_t dropped_ = 0;
};

} // namespace lt::speech
