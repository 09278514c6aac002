// The pure part of routing an HTTP request: the path and query of a request target and the
// rewriting of a room's page (/r/NAME). No sockets, so it can be tested and fuzzed alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lt::server {

// The target without its query string.
std::string_view path_of(std::string_view target);

// The raw value of `name` in the query string (room names need no decoding); nullopt when
// absent, "" for "?name" or "?name=".
std::optional<std::string> query_param(std::string_view target, std::string_view name);

// A room's page lives at /r/NAME; its relative links (app.js, config.json, qr.svg) land
// under /r/ and are served as from the root. /r/NAME/operator and /r/NAME/screen (and
// /operator, /screen for the main room) are operator.html and screen.html, whose relative
// links under /r/NAME/ are served from the root too.
struct room_page_route {
    std::string target;                  // what to serve: "/index.html", "/app.js?x", or the target
    std::optional<std::string> redirect; // "/r/NAME" for "/r/NAME/" (the links need no slash)
};
room_page_route route_room_page(std::string_view raw_target);

// The 400 body for a `room` that is not a room name (cut to 80 bytes).
std::string bad_room_message(std::string_view room);

} // namespace lt::server
