#include "cluster/room_sync.hpp"

#include "hub/cluster_message.hpp"

#include <map>
#include <variant>

namespace lt::cluster {

namespace {

// Decodes one shared message and hands it to the room's hub.
void ingest(hub::hub& h, const std::string& text, bool deliver) {
    auto m = hub::decode(text);
    if (!m) {
        h.bad_messages.inc();
        return;
    }
    h.ingest(std::move(m).value(), deliver);
}

void ingest_history(redis_cluster& cluster, const std::string& room, hub::hub& h, bool deliver) {
    for (const auto& old : cluster.history(room))
        ingest(h, old, deliver);
}

// Whether the room is paused, from its shared state (unchanged when Redis has none).
void ingest_paused(redis_cluster& cluster, const std::string& room, hub::hub& h, bool deliver) {
    if (auto m = cluster.paused_state(room))
        ingest(h, *m, deliver);
}

} // namespace

void load_history(redis_cluster& cluster, const std::string& room, hub::hub& h) {
    ingest_history(cluster, room, h, false);
    ingest_paused(cluster, room, h, false);
}

void connect_rooms(redis_cluster& cluster, hub::room_registry& rooms) {
    cluster.start(
        [&cluster, &rooms](const std::string& room, const std::string& text) {
            // Rooms nobody here has joined load the history when someone does.
            auto h = rooms.find(room);
            if (!h)
                return;
            auto m = hub::decode(text);
            if (!m) {
                h->bad_messages.inc();
                return;
            }
            // A gap means messages went by while this node was not subscribed: take them
            // from the shared history first, so viewers get them in order.
            if (auto* f = std::get_if<hub::cluster_final>(&m.value()); f && f->seq > h->last_seq() + 1)
                ingest_history(cluster, room, *h, true);
            h->ingest(std::move(m).value());
        },
        [&rooms] {
            std::map<std::string, redis_cluster::room_state> out;
            for (const auto& [name, h] : rooms.all()) {
                auto st = h->snapshot();
                auto& r = out[name];
                r.last_seq = st.last_seq;
                r.paused = st.paused;
                for (const auto& [lang, n] : st.viewers)
                    r.languages.insert(lang);
            }
            return out;
        },
        [&cluster, &rooms] {
            for (const auto& [name, h] : rooms.all()) {
                ingest_history(cluster, name, *h, true);
                ingest_paused(cluster, name, *h, true);
            }
        });
}

} // namespace lt::cluster
