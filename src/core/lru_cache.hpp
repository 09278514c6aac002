// A bounded least-recently-used map. Thread-safe: every call takes one mutex, so it can be
// shared by the translation workers.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

namespace lt::core {

template <class Key, class Value, class Hash = std::hash<Key>>
class lru_cache {
public:
    // capacity 0 disables the cache (every get misses, put stores nothing).
    explicit lru_cache(std::size_t capacity) : capacity_(capacity) {}

    std::optional<Value> get(const Key& key) {
        std::lock_guard lock(mutex_);
        auto it = index_.find(key);
        if (it == index_.end()) {
            ++misses_;
            return std::nullopt;
        }
        order_.splice(order_.begin(), order_, it->second);
        ++hits_;
        return it->second->second;
    }

    // get() without counting a hit or miss and without refreshing the entry: a look that
    // must not change what the cache keeps.
    std::optional<Value> peek(const Key& key) const {
        std::lock_guard lock(mutex_);
        auto it = index_.find(key);
        if (it == index_.end())
            return std::nullopt;
        return it->second->second;
    }

    void put(const Key& key, Value value) {
        std::lock_guard lock(mutex_);
        if (capacity_ == 0)
            return;
        if (auto it = index_.find(key); it != index_.end()) {
            it->second->second = std::move(value);
            order_.splice(order_.begin(), order_, it->second);
            return;
        }
        order_.emplace_front(key, std::move(value));
        index_.emplace(key, order_.begin());
        if (order_.size() > capacity_) {
            index_.erase(order_.back().first);
            order_.pop_back();
        }
    }

    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return order_.size();
    }
    std::size_t hits() const {
        std::lock_guard lock(mutex_);
        return hits_;
    }
    std::size_t misses() const {
        std::lock_guard lock(mutex_);
        return misses_;
    }

private:
    using entry = std::pair<Key, Value>;
    mutable std::mutex mutex_;
    std::size_t capacity_;
    std::list<entry> order_; // most recent first
    std::unordered_map<Key, typename std::list<entry>::iterator, Hash> index_;
    std::size_t hits_ = 0;
    std::size_t misses_ = 0;
};

} // namespace lt::core
