// The one include for Boost.Asio and Beast (TCP, TLS, HTTP, WebSocket, coroutines), and the
// short names the network code uses for them. Include this instead of the Boost headers.
//
// The names live in namespace lt, so every module sees them; `net` is this layer's own
// namespace (lt::net), which is why Asio goes by `asio` here rather than Beast's `net`.
#pragma once

// Boost 1.74 asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace lt {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

} // namespace lt
