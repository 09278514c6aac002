// One WebSocket connection: a viewer, a speaker, or both. All of its state lives on one
// network thread (its io_context has a single thread, so no strand is needed), which is its
// lane for the hub. The hub hands it frames through deliver(), which posts to that thread,
// or through a batch that the server runs on that thread and that calls push(). A frame
// pushed while nothing is queued or being written goes straight to the socket (one
// sendmsg, see gated_stream.hpp); otherwise it waits in the queue for Beast's async write.
#pragma once

#include "hub/hub.hpp"
#include "server/gated_stream.hpp"
#include "server/net.hpp"
#include "server/rate_limiter.hpp"
#include "server/state.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <string>

namespace lt::server {

class ws_session final : public hub::subscriber, public std::enable_shared_from_this<ws_session> {
public:
    // `thread` is the index of the network thread the socket's io_context runs on (the lane).
    ws_session(tcp::socket&& socket, std::shared_ptr<server_state> state, connection_limits::ticket ticket,
               std::size_t thread, std::string room, std::shared_ptr<hub::hub> room_hub);
    ~ws_session() override;

    // Takes the upgrade request the HTTP session read.
    void run(http::request<http::string_body> req);
    void deliver(hub::frame_ptr frame) override;
    // Queues a frame; only on this session's own network thread.
    void push(const hub::frame_ptr& frame) override;
    // Closes with 1001 going away (server shutdown).
    void shutdown();
    const std::string& room() const { return room_; }

private:
    void on_accept(beast::error_code ec);
    void do_read();
    void on_read(beast::error_code ec, std::size_t bytes);
    void handle(std::string_view text);
    void send_error(std::string_view message, std::string_view code);
    // request_translation: checked against --on-demand-translation and this connection's
    // and the server's on-demand budgets, then queued behind every caption.
    void request_translation(protocol::request_translation& rt);
    void do_write();
    void on_write(beast::error_code ec, std::size_t bytes);
    // The rest of a frame that went out partly through the direct path is written.
    void on_rest(beast::error_code ec);
    void close_with(websocket::close_code code, const char* reason);
    void refuse_close_code();

    websocket::stream<gated_stream> ws_;
    beast::flat_buffer buffer_;
    std::shared_ptr<server_state> state_;
    connection_limits::ticket ticket_;
    std::string room_;
    std::shared_ptr<hub::hub> hub_; // the room's
    // Frames to send; the front one is being written (by Beast, or the rest of a direct write).
    std::deque<hub::frame_ptr> queue_;
    std::size_t queued_bytes_ = 0;
    bool closing_ = false;
    bool speaker_ = false;              // has published text
    bool told_paused_ = false;          // was sent `publishing {paused: true}` for this pause
    bool chose_language_ = false;       // has sent set_language: keeps watching even as a speaker
    std::size_t on_demand_waiting_ = 0; // request_translation answers not yet sent
    rate_limiter messages_;
    rate_limiter captions_;
    asio::steady_timer close_timer_;
};

} // namespace lt::server
