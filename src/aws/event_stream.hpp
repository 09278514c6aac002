// AWS event-stream binary framing (application/vnd.amazon.eventstream), as Transcribe
// streaming uses it inside WebSocket binary frames:
//   prelude: total length (u32 BE), headers length (u32 BE), prelude CRC32 (u32 BE)
//   headers: name length (u8), name, type (u8), value
//   payload, then message CRC32 (u32 BE) over everything before it.
#pragma once

#include "core/result.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lt::aws::event_stream {

struct bytes {
    std::string data;
}; // type 6
struct timestamp {
    std::int64_t ms = 0;
}; // type 8, ms since the epoch
struct uuid {
    std::array<std::uint8_t, 16> data{};
}; // type 9

// Types 0/1 (bool true/false), 2 (byte), 3 (int16), 4 (int32), 5 (int64), 6, 7 (string), 8, 9.
using header_value = std::variant<bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t, bytes,
                                  std::string, timestamp, uuid>;

struct header {
    std::string name;
    header_value value;
};

struct message {
    std::vector<header> headers;
    std::string payload;
    // The string value of a header (":event-type", ":message-type", ...); nullptr if absent
    // or not a string.
    const std::string* string_header(std::string_view name) const;
};

inline constexpr std::size_t max_message_size = 16 * 1024 * 1024;
inline constexpr std::size_t max_headers_size = 128 * 1024;

std::string encode(const message& m);

// One whole message (a WebSocket frame). Errors: short/long buffer, bad lengths, prelude
// or message CRC mismatch (with both values), unknown header type, truncated header.
core::result<message> decode(std::string_view frame);

// Messages split across reads (HTTP/2 or TCP streams): feed bytes, take whole messages.
class decoder {
public:
    void feed(std::string_view data);
    // A message when one is complete; nullopt when more bytes are needed; an error when
    // the stream is corrupt (the decoder then stays failed).
    core::result<std::optional<message>> next();

private:
    std::string buffer_;
    std::string failed_;
};

// Transcribe helpers.
message audio_event(std::string_view pcm_s16le); // :message-type event, :event-type AudioEvent
message end_of_stream();                         // an AudioEvent with an empty payload

} // namespace lt::aws::event_stream
