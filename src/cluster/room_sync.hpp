// Connects a node's rooms to its cluster: each room's hub gets what other nodes shared, in
// seq order, and the cluster learns what the node's rooms need. The glue between
// hub/rooms.hpp and cluster/redis_cluster.hpp; messages are read with hub/cluster_message.hpp
// (unreadable ones are counted in the hub's bad_messages).
#pragma once

#include "cluster/redis_cluster.hpp"
#include "hub/rooms.hpp"

#include <string>

namespace lt::cluster {

// For room_registry's on_create: loads the room's shared history and whether it is paused into
// its new hub, history only (nobody watches yet). Blocks on Redis; nothing is loaded when it
// is unreachable.
void load_history(redis_cluster& cluster, const std::string& room, hub::hub& h);

// Starts `cluster` (redis_cluster::start) for `rooms`:
// - a message from another node goes to its room's hub; rooms nobody here has joined are
//   skipped (they load the history when created). A final whose seq leaves a gap after
//   the hub's newest means messages went by while this node was not subscribed: the
//   shared history is taken first, so viewers get them in order;
// - the cluster learns each room's languages and newest seq (for demand and resync);
// - after each reconnect every room takes the shared history and pause state again.
// `rooms` must outlive the cluster's threads (until redis_cluster::stop returns).
void connect_rooms(redis_cluster& cluster, hub::room_registry& rooms);

} // namespace lt::cluster
