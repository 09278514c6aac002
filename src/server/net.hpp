// Beast/Asio aliases shared by the session classes. Internal to the server module.
#pragma once

#include "net/asio.hpp"

namespace lt::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// Logs a failed operation, except the ones that are a normal end of a connection.
void fail(beast::error_code ec, const char* what);

} // namespace lt::server
