// What a hub needs from a cluster of servers sharing its room (the Redis implementation is
// cluster/redis_cluster.hpp); absent on a single node. Calls must not call back into the hub.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lt::hub {

struct cluster_assignment {
    std::uint64_t seq = 0;              // cluster-wide number of the final
    bool duplicate = false;             // the id was published before (by any node): seq is its number
    std::vector<std::string> languages; // chosen by viewers anywhere in the cluster
};

class cluster_hook {
public:
    virtual ~cluster_hook() = default;
    // Numbers a final across the cluster, off the caller's thread (a network round trip);
    // `done` gets nullopt when the cluster cannot be reached (the hub then numbers the final
    // locally and it stays on this node). Finals are numbered in the order they are given.
    virtual void assign(const std::string& room, const std::string& id,
                        std::function<void(std::optional<cluster_assignment>)> done) = 0;
    // Hands a translated final (with its frames, encoded by hub/cluster_message.hpp) to the
    // other nodes and the shared history. Must not block: the hub calls it with its lock held.
    virtual void share_final(const std::string& room, std::uint64_t seq, std::string message) = 0;
    virtual void share_partial(const std::string& room, std::string message) = 0;
    // The operator paused or resumed the room (a cluster_pause message): other nodes are
    // told, and it is kept as the room's state for nodes that join later. Must not block.
    virtual void share_paused(const std::string& room, std::string message) = 0;
    // A local viewer chose `lang`: finals from other nodes should include it from now on.
    virtual void want(const std::string& room, const std::string& lang) = 0;
    // Identifies this node's own messages when they come back.
    virtual const std::string& node_id() const = 0;
};

} // namespace lt::hub
