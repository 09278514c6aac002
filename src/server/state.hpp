// What every connection of one server shares: settings, the rooms, the translation service,
// counters, and the registry used for limits and shutdown. Plain data: `server`
// (server.cpp) builds the parts and fills them in. Internal to the server module.
#pragma once

#include "core/metrics.hpp"
#include "hub/rooms.hpp"
#include "protocol/messages.hpp"
#include "server/config.hpp"
#include "server/rate_limiter.hpp"
#include "server/routes/token_vending.hpp"
#include "storage/store.hpp"
#include "translate/translation_service.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace lt::cluster {
class redis_cluster;
}

namespace lt::server {

class ws_session;
class tls_context;

// Compares keys in time that does not depend on where they differ, or on their lengths.
bool keys_equal(std::string_view expected, std::string_view given);

struct server_metrics {
    core::counter connections_total;
    core::counter connections_rejected;  // over a connection limit
    core::counter tls_handshakes_failed; // --tls-cert: handshakes that failed (bad client, old TLS)
    core::gauge http_sessions;
    core::gauge ws_sessions;
    core::counter frames_in;
    core::counter frames_out;
    core::counter frames_direct;         // written whole straight to the socket (queue empty)
    core::counter frames_direct_partial; // the socket took part; the rest went out asynchronously
    core::counter bytes_out;
    core::counter errors_sent;
    core::counter rate_limited;
    core::counter unauthorized;
    core::counter slow_viewers_closed; // policy close_on_overflow
    core::counter frames_dropped_slow; // frames discarded with them
    core::counter oversized_frames;
    core::counter rooms_refused; // over an address's budget of new rooms
    core::counter rooms_collected;
};

// Counts connections per client address; a slot is held by an RAII ticket.
class connection_limits {
public:
    connection_limits(std::size_t max_total, std::size_t max_per_ip)
        : max_total_(max_total), max_per_ip_(max_per_ip) {}

    class ticket {
    public:
        ticket() = default;
        ticket(connection_limits* owner, std::string ip) : owner_(owner), ip_(std::move(ip)) {}
        const std::string& ip() const { return ip_; }
        ticket(ticket&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), ip_(std::move(o.ip_)) {}
        ticket& operator=(ticket&& o) noexcept {
            release();
            owner_ = std::exchange(o.owner_, nullptr);
            ip_ = std::move(o.ip_);
            return *this;
        }
        ~ticket() { release(); }
        explicit operator bool() const { return owner_ != nullptr; }

    private:
        void release();
        connection_limits* owner_ = nullptr;
        std::string ip_;
    };

    // An empty ticket when a limit is reached; `why` then says which.
    ticket acquire(const std::string& ip, std::string& why);
    std::size_t total() const;
    std::size_t max_per_ip() const;
    void set_max_per_ip(std::size_t n);

private:
    mutable std::mutex mutex_;
    std::size_t max_total_, max_per_ip_;
    std::size_t total_ = 0;
    std::unordered_map<std::string, std::size_t> per_ip_;
};

struct server_state {
    server_config config;
    std::filesystem::path web_root; // canonical
    std::string config_json;        // /config.json body
    std::string server_id;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::shared_ptr<translate::translation_service> service;
    std::shared_ptr<cluster::redis_cluster> cluster; // null: a single node
    std::shared_ptr<storage::store> store;           // null: no --data-dir
    std::atomic<int> transcript_builds{0};           // at most 2 at once
    std::unique_ptr<hub::room_registry> rooms;
    std::unique_ptr<token_vendor> tokens;
    std::shared_ptr<tls_context> tls;   // --tls-cert: this port speaks https and wss; null: plain
    protocol::connection_status status; // the same for every client but its room
    server_metrics metrics;
    connection_limits limits;
    std::size_t fds_at_start = 0; // descriptors open once the server was built

    // Holds the settings and the limits they set; the other parts start empty.
    explicit server_state(server_config c);
    // Stops the cluster's threads first: they call into the rooms.
    ~server_state();

    // Live WebSocket sessions, for shutdown.
    void add(const std::shared_ptr<ws_session>& s);
    void remove(const ws_session* s);
    void for_each_session(const std::function<void(const std::shared_ptr<ws_session>&)>& f);

    // connection_status for a client of `room`.
    std::string status_frame(const std::string& room) const;
    // Whether `key` may publish in `room`: the room's own key or API_KEY; a room without its
    // own key follows API_KEY (open when it is empty).
    bool may_publish(const std::string& room, const std::optional<std::string>& key) const;
    // Whether `key` is API_KEY or `room`'s own key (false when neither is set).
    bool holds_key(const std::string& room, const std::optional<std::string>& key) const;
    // Whether a client at `ip` may create a room now (config.new_rooms_per_minute), and
    // counts it when so.
    bool may_create_room(const std::string& ip);

private:
    std::mutex room_budget_mutex_;
    std::unordered_map<std::string, rate_limiter> room_budget_;

    mutable std::mutex sessions_mutex_;
    std::map<const ws_session*, std::weak_ptr<ws_session>> sessions_;
};

} // namespace lt::server
