#include "cluster/redis_cluster.hpp"

#include "hub/cluster_message.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace lt::cluster {

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string key(const std::string& room, const char* what) { return "lt:" + room + ":" + what; }

// One round trip, atomic: a known id gives its first number; otherwise the next number.
// Either way the languages wanted in the room come back too.
constexpr const char* assign_script = R"(
if KEYS[2] ~= '' then
  local s = redis.call('GET', KEYS[2])
  if s then return {tonumber(s), 1, redis.call('ZRANGEBYSCORE', KEYS[3], ARGV[1], '+inf')} end
end
local n = redis.call('INCR', KEYS[1])
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], n, 'EX', 86400) end
return {n, 0, redis.call('ZRANGEBYSCORE', KEYS[3], ARGV[1], '+inf')})";

// Raises a counter to at least ARGV[1] (after Redis lost its data).
constexpr const char* raise_script = R"(
local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if c < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 0)";

// Demand entries live this long unless refreshed (every 2 s by each node with viewers).
constexpr std::int64_t demand_ttl_ms = 10000;
constexpr std::size_t queue_limit = 10000;

} // namespace

redis_cluster::redis_cluster(redis::address where, std::string node_id, std::size_t history)
    : where_(where), node_id_(std::move(node_id)), cluster_id_(node_id_), history_(history),
      commands_(where, std::chrono::milliseconds(500)), writes_(where, std::chrono::milliseconds(1000)) {
    // Agree on the cluster's id: the first node sets it, the others read it.
    auto r = commands_.command({"SET", "lt:cluster-id", node_id_, "NX", "GET"});
    if (!r) {
        spdlog::warn("cluster: {}; serving local rooms until Redis is reachable", r.error_message());
    } else if (r.value().type == redis::reply::kind::string) {
        cluster_id_ = r.value().str;
    } else if (r.value().is_error()) {
        spdlog::warn("cluster: Redis refused SET: {}", r.value().str);
    }
}

redis_cluster::~redis_cluster() { stop(); }

void redis_cluster::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
    if (numberer_.joinable())
        numberer_.join();
    std::unique_ptr<redis::subscriber> sub;
    {
        std::lock_guard lock(subscriber_mutex_);
        sub = std::move(subscriber_);
    }
    sub.reset(); // joins its thread: outside the lock its callbacks might want
    local_ = nullptr;
}

void redis_cluster::start(ingest_fn ingest, local_fn local, rejoin_fn rejoin) {
    local_ = std::move(local);
    auto on_message = [this, ingest = std::move(ingest)](const std::string& channel,
                                                         const std::string& payload) {
        // lt:<room>:captions
        auto room = channel.substr(3, channel.size() - 3 - std::string_view(":captions").size());
        ++received_;
        ingest(room, payload);
    };
    auto on_state = [this, rejoin = std::move(rejoin)](bool up, const std::string& reason) {
        if (up) {
            spdlog::info("cluster: connected to Redis {}", redis::to_string(where_));
            assign_paused_until_ = 0; // Redis is back: number the next final through it
            if (rejoin)
                rejoin();
            {
                std::lock_guard lock(mutex_);
                need_resync_ = true;
            }
            wake_.notify_all();
        } else {
            spdlog::warn("cluster: lost Redis {} ({}); local rooms go on, other nodes' captions are missed",
                         redis::to_string(where_), reason);
        }
    };
    auto sub = std::make_unique<redis::subscriber>(where_, on_message, on_state);
    sub->psubscribe("lt:*:captions");
    std::lock_guard lock(subscriber_mutex_);
    subscriber_ = std::move(sub);
    thread_ = std::thread([this] { writer(); });
    numberer_ = std::thread([this] { numberer(); });
}

void redis_cluster::assign(const std::string& room, const std::string& id,
                           std::function<void(std::optional<hub::cluster_assignment>)> done) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            to_number_.push_back([this, room, id, done = std::move(done)] { done(assign_now(room, id)); });
            wake_.notify_all();
            return;
        }
    }
    done(std::nullopt); // shutting down: numbered locally
}

void redis_cluster::numberer() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || !to_number_.empty(); });
        if (to_number_.empty())
            return; // stopping, nothing left: every final was answered
        auto job = std::move(to_number_.front());
        to_number_.pop_front();
        lock.unlock();
        job();
        lock.lock();
    }
}

std::optional<hub::cluster_assignment> redis_cluster::assign_now(const std::string& room,
                                                                 const std::string& id) {
    if (now_ms() < assign_paused_until_)
        return std::nullopt; // Redis failed a moment ago: do not make every caption wait for it
    auto r = commands_.command({"EVAL", assign_script, "3", key(room, "seq"),
                                id.empty() ? "" : key(room, "id:") + id, key(room, "demand"),
                                std::to_string(now_ms())});
    if (!r || r.value().is_error() || r.value().elements.size() != 3) {
        spdlog::warn("cluster: cannot number a final in room {}: {}", room,
                     !r                      ? r.error_message()
                     : r.value().str.empty() ? "unexpected reply"
                                             : r.value().str);
        assign_paused_until_ = now_ms() + 1000;
        return std::nullopt;
    }
    const auto& e = r.value().elements;
    hub::cluster_assignment a;
    a.seq = static_cast<std::uint64_t>(e[0].integer);
    a.duplicate = e[1].integer == 1;
    for (const auto& lang : e[2].elements)
        a.languages.push_back(lang.str);
    return a;
}

void redis_cluster::share_final(const std::string& room, std::uint64_t, std::string message) {
    ++shared_;
    enqueue({{"PUBLISH", key(room, "captions"), message},
             {"RPUSH", key(room, "history"), std::move(message)},
             {"LTRIM", key(room, "history"), "-" + std::to_string(history_), "-1"}},
            false);
}

void redis_cluster::share_partial(const std::string& room, std::string message) {
    enqueue({{"PUBLISH", key(room, "captions"), std::move(message)}}, true);
}

void redis_cluster::share_paused(const std::string& room, std::string message) {
    enqueue({{"SET", key(room, "paused"), message}, {"PUBLISH", key(room, "captions"), std::move(message)}},
            false);
}

void redis_cluster::want(const std::string& room, const std::string& lang) {
    enqueue({{"ZADD", key(room, "demand"), "GT", std::to_string(now_ms() + demand_ttl_ms), lang}}, true);
}

std::vector<std::string> redis_cluster::history(const std::string& room) {
    auto r = commands_.command({"LRANGE", key(room, "history"), "0", "-1"});
    std::vector<std::string> out;
    if (!r || r.value().is_error()) {
        spdlog::warn("cluster: cannot load the history of room {}: {}", room,
                     !r ? r.error_message() : r.value().str);
        return out;
    }
    for (auto& m : r.value().elements)
        out.push_back(std::move(m.str));
    return out;
}

std::optional<std::string> redis_cluster::paused_state(const std::string& room) {
    auto r = commands_.command({"GET", key(room, "paused")});
    if (!r || r.value().is_error()) {
        spdlog::warn("cluster: cannot read whether room {} is paused: {}", room,
                     !r ? r.error_message() : r.value().str);
        return std::nullopt;
    }
    if (r.value().type != redis::reply::kind::string)
        return std::nullopt;
    return std::move(r.value().str);
}

void redis_cluster::enqueue(std::vector<command> commands, bool droppable) {
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= queue_limit) {
            // Redis is too slow or away: a partial can go; a final waits its turn unless
            // even that is too much.
            if (droppable || queue_.size() >= 2 * queue_limit) {
                ++lost_;
                return;
            }
        }
        queue_.push_back(std::move(commands));
    }
    wake_.notify_all(); // the writer and the numberer share the condition variable
}

void redis_cluster::writer() {
    auto next_refresh = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_until(lock, next_refresh, [&] { return stopping_ || !queue_.empty() || need_resync_; });
        if (stopping_)
            break;
        if (need_resync_) {
            need_resync_ = false;
            lock.unlock();
            resync();
            lock.lock();
        }
        while (!queue_.empty() && !stopping_) {
            auto batch = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            auto r = writes_.pipeline(batch);
            if (!r)
                ++lost_;
            lock.lock();
        }
        if (std::chrono::steady_clock::now() >= next_refresh) {
            lock.unlock();
            refresh_demand();
            lock.lock();
            next_refresh = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        }
    }
    // Stopping: what is queued (finals shared at shutdown) still goes out, unless Redis fails.
    while (!queue_.empty()) {
        auto batch = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        bool ok = static_cast<bool>(writes_.pipeline(batch));
        lock.lock();
        if (!ok) {
            lost_ += 1 + queue_.size();
            queue_.clear();
        }
    }
}

void redis_cluster::refresh_demand() {
    if (!local_)
        return;
    std::vector<command> batch;
    auto until = std::to_string(now_ms() + demand_ttl_ms);
    for (const auto& [room, st] : local_()) {
        batch.push_back({"ZREMRANGEBYSCORE", key(room, "demand"), "-inf", std::to_string(now_ms())});
        for (const auto& lang : st.languages)
            batch.push_back({"ZADD", key(room, "demand"), "GT", until, lang});
    }
    if (!batch.empty())
        writes_.pipeline(batch);
}

void redis_cluster::resync() {
    // Redis may have restarted empty: numbers must not go back below what viewers have seen,
    // and the cluster keeps its id so pages keep their `since`.
    std::vector<command> batch{{"SET", "lt:cluster-id", cluster_id_, "NX"}};
    // A paused room stays paused unless another node said otherwise meanwhile (NX).
    if (local_)
        for (const auto& [room, st] : local_()) {
            if (st.last_seq > 0)
                batch.push_back({"EVAL", raise_script, "1", key(room, "seq"), std::to_string(st.last_seq)});
            if (st.paused)
                batch.push_back(
                    {"SET", key(room, "paused"), hub::encode(hub::cluster_pause{node_id_, true}), "NX"});
        }
    if (!writes_.pipeline(batch))
        ++lost_;
}

nlohmann::json redis_cluster::health() const {
    std::lock_guard lock(subscriber_mutex_);
    return {{"redis", redis::to_string(where_)},
            {"connected", subscriber_ && subscriber_->connected()},
            {"node_id", node_id_},
            {"cluster_id", cluster_id_},
            {"reconnects", subscriber_ ? subscriber_->reconnects() : 0},
            {"last_error", subscriber_ ? subscriber_->last_error() : std::string()},
            {"finals_shared", shared_.load()},
            {"messages_received", received_.load()},
            {"writes_lost", lost_.load()}};
}

} // namespace lt::cluster
