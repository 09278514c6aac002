// Several lt-server processes sharing rooms through Redis. The node a speaker is connected
// to numbers each final cluster-wide (INCR, with the speaker's id remembered so a resend is
// recognised on any node), translates it for every language any node's viewers chose (a
// ZSET per room, each entry expiring unless its node refreshes it), and publishes the
// serialized frames on the room's channel and in its capped history. Every node delivers
// what it receives to its own viewers; a room created on a node loads the history, so a
// viewer can resume with `since` on any node.
//
// The operator's pause is published on the room's channel too and kept in lt:R:paused (the
// last pause or resume message), which a node reads when it creates the room or reconnects.
//
// Redis keys, per room R: lt:R:seq, lt:R:id:<id>, lt:R:demand, lt:R:history, lt:R:paused; channel
// lt:R:captions; lt:cluster-id names the cluster (connection_status.server_id).
//
// When Redis is unreachable the node keeps serving its own speakers and viewers: finals
// are numbered locally (counted as unshared) and what could not be sent is counted as lost;
// /health says so. After Redis returns, each node raises the room counters to what it has
// seen, so numbers never go backwards.
//
// What the messages hold is hub/cluster_message.hpp; how they reach a node's rooms is
// cluster/room_sync.hpp.
#pragma once

#include "hub/cluster_hook.hpp"
#include "redis/redis.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace lt::cluster {

class redis_cluster final : public hub::cluster_hook {
public:
    // A message for `room` from another node.
    using ingest_fn = std::function<void(const std::string& room, const std::string& message)>;
    struct room_state {
        std::set<std::string> languages; // chosen by this node's viewers
        std::uint64_t last_seq = 0;      // newest final this node knows
        bool paused = false;             // restored if Redis comes back without it
    };
    using local_fn = std::function<std::map<std::string, room_state>()>;

    redis_cluster(redis::address where, std::string node_id, std::size_t history);
    ~redis_cluster() override;

    // Called on the subscriber's thread each time it (re)connects, before any message that
    // follows: the moment to fetch what was published while this node was not listening.
    using rejoin_fn = std::function<void()>;
    // Starts the subscriber and the writer; the callbacks are called from their threads.
    void start(ingest_fn ingest, local_fn local, rejoin_fn rejoin);
    // Stops the threads: no callback runs after it returns. Idempotent.
    void stop();
    // The cluster's id, agreed through Redis (this node's id when Redis is unreachable at start).
    const std::string& cluster_id() const { return cluster_id_; }
    // The room's shared history, oldest first (empty when Redis is unreachable).
    std::vector<std::string> history(const std::string& room);
    // The room's last pause or resume message (nullopt: never paused, or Redis unreachable).
    std::optional<std::string> paused_state(const std::string& room);
    nlohmann::json health() const;

    void assign(const std::string& room, const std::string& id,
                std::function<void(std::optional<hub::cluster_assignment>)> done) override;
    void share_final(const std::string& room, std::uint64_t seq, std::string message) override;
    void share_partial(const std::string& room, std::string message) override;
    void share_paused(const std::string& room, std::string message) override;
    void want(const std::string& room, const std::string& lang) override;
    const std::string& node_id() const override { return node_id_; }

private:
    using command = std::vector<std::string>;
    void enqueue(std::vector<command> commands, bool droppable);
    void writer();
    void refresh_demand();
    void resync();
    std::optional<hub::cluster_assignment> assign_now(const std::string& room, const std::string& id);
    void numberer();

    const redis::address where_;
    const std::string node_id_;
    std::string cluster_id_;
    const std::size_t history_;
    redis::connection commands_;          // assign() and history(): short timeout
    redis::connection writes_;            // the writer thread's
    mutable std::mutex subscriber_mutex_; // health() against stop()
    std::unique_ptr<redis::subscriber> subscriber_;
    local_fn local_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::vector<command>> queue_;
    bool stopping_ = false;
    bool need_resync_ = false;
    std::thread thread_;
    // Finals waiting for a number, in arrival order, and the thread that numbers them.
    std::deque<std::function<void()>> to_number_;
    std::thread numberer_;
    std::atomic<std::int64_t> assign_paused_until_{0}; // ms since epoch: after a failure

    std::atomic<std::uint64_t> lost_{0};     // writes that failed or overflowed
    std::atomic<std::uint64_t> shared_{0};   // finals published to the cluster
    std::atomic<std::uint64_t> received_{0}; // messages from other nodes
};

} // namespace lt::cluster
