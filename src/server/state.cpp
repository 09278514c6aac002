#include "server/state.hpp"

#include "cluster/redis_cluster.hpp"
#include "protocol/messages.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace lt::server {

void connection_limits::ticket::release() {
    if (!owner_)
        return;
    std::lock_guard lock(owner_->mutex_);
    --owner_->total_;
    if (auto it = owner_->per_ip_.find(ip_); it != owner_->per_ip_.end() && --it->second == 0)
        owner_->per_ip_.erase(it);
    owner_ = nullptr;
}

connection_limits::ticket connection_limits::acquire(const std::string& ip, std::string& why) {
    std::lock_guard lock(mutex_);
    if (max_total_ && total_ >= max_total_) {
        why = "server busy: connection limit reached";
        return {};
    }
    auto& n = per_ip_[ip];
    if (max_per_ip_ && n >= max_per_ip_) {
        why = "too many connections from this address";
        if (n == 0)
            per_ip_.erase(ip);
        return {};
    }
    ++n;
    ++total_;
    return ticket(this, ip);
}

std::size_t connection_limits::total() const {
    std::lock_guard lock(mutex_);
    return total_;
}

std::size_t connection_limits::max_per_ip() const {
    std::lock_guard lock(mutex_);
    return max_per_ip_;
}

void connection_limits::set_max_per_ip(std::size_t n) {
    std::lock_guard lock(mutex_);
    max_per_ip_ = n;
}

bool keys_equal(std::string_view expected, std::string_view given) {
    // Digests have a fixed length, so neither the position of the first difference nor the
    // lengths of the keys show in the time taken.
    unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
    unsigned int la = 0, lb = 0;
    if (!EVP_Digest(expected.data(), expected.size(), a, &la, EVP_sha256(), nullptr) ||
        !EVP_Digest(given.data(), given.size(), b, &lb, EVP_sha256(), nullptr))
        return false;
    return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

server_state::server_state(server_config c)
    : config(std::move(c)), limits(config.max_connections, config.max_connections_per_ip) {}

server_state::~server_state() {
    // The cluster's threads call into the rooms, and the rooms' hubs hold the cluster:
    // stop its threads before anything goes away.
    if (cluster)
        cluster->stop();
}

std::string server_state::status_frame(const std::string& room) const {
    auto st = status;
    st.room = room;
    // A cloud backend becomes available once a call succeeded (or stops being so); an engine
    // of a chain may fail and come back.
    const auto& backend = service->backend();
    st.aws_available = backend.available();
    for (const auto& lang : st.languages)
        st.routes[lang] = backend.engine_for(st.source, lang);
    for (const auto& e : backend.engines())
        st.engines.emplace_back(e.name, e.healthy);
    return protocol::serialize(st);
}

bool server_state::may_publish(const std::string& room, const std::optional<std::string>& key) const {
    const auto& global = config.api_key;
    auto own = config.room_keys.find(room);
    if (own == config.room_keys.end() && global.empty())
        return true;
    if (!key)
        return false;
    // Both comparisons always run, so timing does not tell which key a guess was near.
    bool room_ok = own != config.room_keys.end() && keys_equal(own->second, *key);
    bool global_ok = !global.empty() && keys_equal(global, *key);
    return room_ok || global_ok;
}

bool server_state::holds_key(const std::string& room, const std::optional<std::string>& key) const {
    if (!key)
        return false;
    auto own = config.room_keys.find(room);
    bool room_ok = own != config.room_keys.end() && keys_equal(own->second, *key);
    bool global_ok = !config.api_key.empty() && keys_equal(config.api_key, *key);
    return room_ok || global_ok;
}

bool server_state::may_create_room(const std::string& ip) {
    double per_minute = config.new_rooms_per_minute;
    if (per_minute <= 0)
        return true;
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(room_budget_mutex_);
    // Full buckets are forgotten, so the map holds only addresses that created rooms lately.
    if (room_budget_.size() > 10000)
        std::erase_if(room_budget_, [now](const auto& kv) { return kv.second.idle(now); });
    auto it = room_budget_.try_emplace(ip, per_minute / 60, per_minute * 2).first;
    return it->second.allow(now);
}

void server_state::add(const std::shared_ptr<ws_session>& s) {
    std::lock_guard lock(sessions_mutex_);
    sessions_[s.get()] = s;
}

void server_state::remove(const ws_session* s) {
    std::lock_guard lock(sessions_mutex_);
    sessions_.erase(s);
}

void server_state::for_each_session(const std::function<void(const std::shared_ptr<ws_session>&)>& f) {
    std::vector<std::shared_ptr<ws_session>> live;
    {
        std::lock_guard lock(sessions_mutex_);
        for (auto& [k, w] : sessions_)
            if (auto s = w.lock())
                live.push_back(std::move(s));
    }
    for (auto& s : live)
        f(s);
}

} // namespace lt::server
