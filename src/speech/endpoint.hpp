// Where lt-speech sends captions: the server URL as users write it.
#pragma once

#include "core/result.hpp"
#include "net/endpoint.hpp"

#include <string>
#include <string_view>

namespace lt::speech {

// scheme ws or wss; host without brackets for IPv6; target the WebSocket path, "/ws" unless
// the URL names another. url() is the normalised form for the console ("ws://host:5050/ws").
using endpoint = net::endpoint;

// Accepts http, https, ws and wss URLs (http means ws, https means wss), with or without a
// port and path; a bare "host:port" is taken as http. A path of "" or "/" becomes "/ws"
// (the server's WebSocket path); http(s) URLs pointing at the page ("/index.html") too, and
// a room's page "/r/NAME" becomes that room's socket "/ws?room=NAME".
core::result<endpoint> parse_endpoint(std::string_view url);

} // namespace lt::speech
