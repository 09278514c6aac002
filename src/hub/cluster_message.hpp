// What the nodes of a cluster share about a room, and its one codec: the only code that
// writes or reads these messages (published on the room's channel and kept in its shared
// history; see cluster/redis_cluster.hpp). JSON text:
//   final:   {"node","seq","id","text","lang","timestamp","frames":{lang: caption frame}}
//   partial: {"node","partial": caption frame}
//   pause:   {"node","paused": bool}  (the operator paused or resumed the room; also kept
//            as the room's current state, so a node that joins later learns it)
// The frames are the serialized captions as local viewers get them, so a receiving node
// forwards the same bytes. All functions are pure and thread-safe.
#pragma once

#include "core/result.hpp"
#include "hub/frame.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>

namespace lt::hub {

struct cluster_final {
    std::string node;                        // the sender; a node drops its own
    std::uint64_t seq = 0;                   // cluster-wide number
    std::string id;                          // the speaker's id (or "s-<seq>")
    std::string text;                        // the original
    std::string lang;                        // of `text`
    std::string timestamp;                   // may be empty
    std::map<std::string, frame_ptr> frames; // per target language; never null
};

struct cluster_partial {
    std::string node;
    frame_ptr frame; // the partial caption as viewers get it; never null
};

struct cluster_pause {
    std::string node;
    bool paused = false;
};

using cluster_message = std::variant<cluster_final, cluster_partial, cluster_pause>;

// Invalid UTF-8 in the text is replaced, never an error.
std::string encode(const cluster_final& m);
std::string encode(const cluster_partial& m);
std::string encode(const cluster_pause& m);

// Errors: not JSON, not an object, a missing or ill-typed field (seq must be an unsigned
// integer, frames an object of strings, paused a bool). `node` and `timestamp` may be absent ("").
core::result<cluster_message> decode(std::string_view text);

} // namespace lt::hub
