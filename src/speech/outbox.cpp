#include "speech/outbox.hpp"

namespace lt::speech {

std::optional<caption> outbox::push(caption c) {
    std::optional<caption> lost;
    if (items_.size() >= capacity_) {
        lost = std::move(items_.front());
        items_.pop_front();
        ++dropped_;
    }
    items_.push_back(std::move(c));
    return lost;
}

bool outbox::acknowledge(const std::string& id) {
    if (items_.empty() || items_.front().id != id)
        return false;
    items_.pop_front();
    return true;
}

std::optional<caption> outbox::pop() {
    if (items_.empty())
        return std::nullopt;
    auto c = std::move(items_.front());
    items_.pop_front();
    return c;
}

} // namespace lt::speech
