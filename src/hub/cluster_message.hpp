// What the nodes of a cluster share about a room, and its one codec: the only code that
// writes or reads these messages (published on the room's channel and kept in its shared
// history; see cluster/redis_cluster.hpp). JSON text:
//   final:   {"node","seq","id","text","lang","timestamp","frames":{lang: caption frame}}
//   partial: {"node","partial": caption frame}
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

using cluster_message = std::variant<cluster_final, cluster_partial>;

// Invalid UTF-8 in the text is replaced, never an error.
std::string encode(const cluster_final& m);
std::string encode(const cluster_partial& m);

// Errors: not JSON, not an object, a missing or ill-typed field (seq must be an unsigned
// integer, frames an object of strings). `node` and `timestamp` may be absent ("").
core::result<cluster_message> decode(std::string_view text);

} // namespace lt::hub
