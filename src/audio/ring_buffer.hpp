// Lock-free single-producer single-consumer ring of samples, for the PortAudio callback
// (producer) and the reading thread (consumer). push() and pop() never block, allocate or
// take a lock. Exactly one thread may push and one (other) thread may pop.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <memory>

namespace lt::audio {

template <class T>
class spsc_ring {
public:
    // Capacity is min_capacity rounded up to a power of two, so indices wrap with a mask.
    explicit spsc_ring(std::size_t min_capacity)
        : capacity_(std::bit_ceil(std::max<std::size_t>(min_capacity, 2))), mask_(capacity_ - 1),
          buf_(std::make_unique<T[]>(capacity_)) {}

    spsc_ring(const spsc_ring&) = delete;
    spsc_ring& operator=(const spsc_ring&) = delete;

    std::size_t capacity() const noexcept { return capacity_; }

    // Producer: copies up to n items, a multiple of `granule` (whole interleaved frames);
    // returns how many fit (the rest are the caller's to drop).
    std::size_t push(const T* data, std::size_t n, std::size_t granule = 1) noexcept {
        const std::size_t head = head_.load(std::memory_order_relaxed);
        const std::size_t tail = tail_.load(std::memory_order_acquire);
        n = std::min(n, capacity_ - (head - tail));
        n -= n % granule;
        const std::size_t at = head & mask_;
        const std::size_t first = std::min(n, capacity_ - at);
        std::copy_n(data, first, buf_.get() + at);
        std::copy_n(data + first, n - first, buf_.get());
        head_.store(head + n, std::memory_order_release);
        return n;
    }

    // Consumer: moves up to n items into out; returns how many.
    std::size_t pop(T* out, std::size_t n) noexcept {
        const std::size_t tail = tail_.load(std::memory_order_relaxed);
        const std::size_t head = head_.load(std::memory_order_acquire);
        n = std::min(n, head - tail);
        const std::size_t at = tail & mask_;
        const std::size_t first = std::min(n, capacity_ - at);
        std::copy_n(buf_.get() + at, first, out);
        std::copy_n(buf_.get(), n - first, out + first);
        tail_.store(tail + n, std::memory_order_release);
        return n;
    }

    // Items ready for the consumer; exact from the consumer's side, a snapshot otherwise.
    std::size_t size() const noexcept {
        return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
    }

private:
    static_assert(std::atomic<std::size_t>::is_always_lock_free);
    const std::size_t capacity_;
    const std::size_t mask_;
    std::unique_ptr<T[]> buf_;
    // Indices only grow (wrapping at SIZE_MAX, which the power-of-two capacity tolerates);
    // separate cache lines keep the two threads from false sharing.
    alignas(64) std::atomic<std::size_t> head_{0}; // written by the producer only
    alignas(64) std::atomic<std::size_t> tail_{0}; // written by the consumer only
};

} // namespace lt::audio
