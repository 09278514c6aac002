// One WebSocket connection: a viewer, a speaker, or both. All of its state lives on one
// network thread (its io_context has a single thread, so no strand is needed), which is its
// lane for the hub. The hub hands it frames through deliver(), which posts to that thread,
// or through a batch that the server runs on that thread and that calls push(). A frame
// pushed while nothing is queued or being written goes straight to the socket (one
// sendmsg, see gated_stream.hpp); otherwise it waits in the queue for Beast's async write.
// Over TLS (basic_ws_session<tls_stream>) every frame takes Beast's async write.
//
// ws_session holds what does not depend on the stream (the protocol's messages, limits);
// basic_ws_session<Next> holds the WebSocket stream and its writes.
#pragma once

#include "hub/hub.hpp"
#include "protocol/messages.hpp"
#include "server/gated_stream.hpp"
#include "server/net.hpp"
#include "server/rate_limiter.hpp"
#include "server/state.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <string>

namespace lt::server {

class ws_session : public hub::subscriber, public std::enable_shared_from_this<ws_session> {
public:
    // Closes with 1001 going away (server shutdown).
    virtual void shutdown() = 0;
    const std::string& room() const { return room_; }

protected:
    // `thread` is the index of the network thread the socket's io_context runs on (the lane).
    ws_session(std::shared_ptr<server_state> state, connection_limits::ticket ticket, std::size_t thread,
               std::string room, std::shared_ptr<hub::hub> room_hub);
    ~ws_session() override;

    // One text message from the client.
    void handle(std::string_view text);
    void send_error(std::string_view message, std::string_view code);
    // request_translation: checked against --on-demand-translation and this connection's
    // and the server's on-demand budgets, then queued behind every caption.
    void request_translation(protocol::request_translation& rt);
    // The connection's network thread.
    virtual asio::any_io_executor executor() = 0;

    std::shared_ptr<server_state> state_;
    connection_limits::ticket ticket_;
    std::string room_;
    std::shared_ptr<hub::hub> hub_; // the room's
    bool closing_ = false;
    bool speaker_ = false;              // has published text
    bool told_paused_ = false;          // was sent `publishing {paused: true}` for this pause
    bool chose_language_ = false;       // has sent set_language: keeps watching even as a speaker
    std::size_t on_demand_waiting_ = 0; // request_translation answers not yet sent
    rate_limiter messages_;
    rate_limiter captions_;
};

// `Next` is gated_stream (plain, with direct writes) or tls_stream. Instantiated for both in
// ws_session.cpp.
template <class Next>
class basic_ws_session final : public ws_session {
public:
    // `next` is a tcp::socket (plain) or the tls_stream after its handshake; `tls` keeps the
    // certificate the connection was made with.
    template <class Arg>
    basic_ws_session(Arg&& next, std::shared_ptr<ssl::context> tls, std::shared_ptr<server_state> state,
                     connection_limits::ticket ticket, std::size_t thread, std::string room,
                     std::shared_ptr<hub::hub> room_hub)
        : ws_session(std::move(state), std::move(ticket), thread, std::move(room), std::move(room_hub)),
          tls_(std::move(tls)), ws_(std::forward<Arg>(next)), close_timer_(ws_.get_executor()) {}

    // Takes the upgrade request the HTTP session read.
    void run(http::request<http::string_body> req);
    void deliver(hub::frame_ptr frame) override;
    // Queues a frame; only on this session's own network thread.
    void push(const hub::frame_ptr& frame) override;
    void shutdown() override;

private:
    asio::any_io_executor executor() override { return ws_.get_executor(); }
    std::shared_ptr<basic_ws_session> self_ptr() {
        return std::static_pointer_cast<basic_ws_session>(shared_from_this());
    }
    void on_accept(beast::error_code ec);
    void do_read();
    void on_read(beast::error_code ec, std::size_t bytes);
    void do_write();
    void on_write(beast::error_code ec, std::size_t bytes);
    // The rest of a frame that went out partly through the direct path is written.
    void on_rest(beast::error_code ec);
    void close_with(websocket::close_code code, const char* reason);
    void refuse_close_code();

    std::shared_ptr<ssl::context> tls_; // null for plain connections
    websocket::stream<Next> ws_;
    beast::flat_buffer buffer_;
    // Frames to send; the front one is being written (by Beast, or the rest of a direct write).
    std::deque<hub::frame_ptr> queue_;
    std::size_t queued_bytes_ = 0;
    asio::steady_timer close_timer_;
};

using plain_ws_session = basic_ws_session<gated_stream>;
using tls_ws_session = basic_ws_session<tls_stream>;

} // namespace lt::server
