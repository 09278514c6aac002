// The next layer of a viewer's WebSocket stream: a TCP stream that can also take whole
// prepared text frames straight to the socket, one sendmsg() each, beside Beast's own writes.
//
// Beast writes on its own (pongs, keep-alive pings, the close frame, and messages the session
// queues). A frame written here must never land inside one of Beast's: write_frame() is only
// allowed while no Beast write is in flight (idle()), and while the rest of a partly written
// frame is still going out, Beast's next write waits behind it. The caller also checks that
// the WebSocket is still open (no close frame sent or received). Frames are unmasked server
// frames without permessage-deflate (lt-server never negotiates it). A TLS stream has no such
// layer: its session keeps Beast's ordinary async writes.
//
// Thread-safety: none; everything runs on the connection's one network thread.
#pragma once

#include "hub/frame.hpp"
#include "server/net.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace lt::server {

class gated_stream {
public:
    using next_layer_type = beast::tcp_stream;
    using executor_type = next_layer_type::executor_type;

    explicit gated_stream(tcp::socket&& socket);

    executor_type get_executor() noexcept { return stream_.get_executor(); }
    next_layer_type& next_layer() noexcept { return stream_; }
    const next_layer_type& next_layer() const noexcept { return stream_; }

    // True when a frame may go out through write_frame(): no Beast write in flight and no
    // earlier frame still partly unsent.
    bool idle() const noexcept { return beast_writes_ == 0 && !writing_rest(); }

    enum class sent {
        whole,  // the frame is in the kernel
        none,   // the socket's buffer is full: nothing was written, queue it the usual way
        partly, // the rest goes out asynchronously; `make_done()` gave what runs once it has
        failed, // the connection is broken (reset, broken pipe)
    };
    // Writes `payload` as one final text frame with one sendmsg(); only when idle(). On
    // `partly` the frame is kept alive until the rest is written, and make_done()'s result
    // (a void(beast::error_code), which should hold the connection) then runs on this thread;
    // make_done is called only then, so a whole write costs no allocation.
    template <class MakeDone>
    sent write_frame(const hub::frame_ptr& payload, MakeDone&& make_done) {
        sent s = try_send(payload);
        if (s == sent::partly)
            send_rest(make_done());
        return s;
    }

    template <class MutableBuffers, class Handler>
    auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        return stream_.async_read_some(buffers, std::forward<Handler>(handler));
    }

    template <class ConstBuffers, class Handler>
    auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        return asio::async_initiate<Handler, void(beast::error_code, std::size_t)>(
            [this](auto h, const ConstBuffers& b) {
                ++beast_writes_;
                if (!writing_rest()) {
                    stream_.async_write_some(b, counted<decltype(h)>{this, std::move(h)});
                    return;
                }
                // The rest of a frame of ours is still going out: this write waits for it.
                rest_->done.async_wait([this, b, h = std::move(h)](beast::error_code) mutable {
                    stream_.async_write_some(b, counted<decltype(h)>{this, std::move(h)});
                });
            },
            handler, buffers);
    }

private:
    // Beast's completion handler, counting the write as finished before it runs. Keeps the
    // handler's executor and allocator.
    template <class Handler>
    struct counted {
        gated_stream* self;
        Handler handler;

        using executor_type = asio::associated_executor_t<Handler, gated_stream::executor_type>;
        executor_type get_executor() const noexcept {
            return asio::get_associated_executor(handler, self->get_executor());
        }
        using allocator_type = asio::associated_allocator_t<Handler>;
        allocator_type get_allocator() const noexcept { return asio::get_associated_allocator(handler); }

        void operator()(beast::error_code ec, std::size_t n) {
            --self->beast_writes_;
            std::move(handler)(ec, n);
        }
    };

    sent try_send(const hub::frame_ptr& payload);
    void send_rest(std::function<void(beast::error_code)> done);
    void on_rest(beast::error_code ec);

    // A frame partly sent: its header, payload and how much of both is out. Made on the first
    // partial write and kept: most viewers never need it, and it is ~200 bytes a viewer.
    struct rest_state {
        explicit rest_state(const executor_type& ex) : done(ex) {}
        hub::frame_ptr frame; // null: nothing of ours is going out
        unsigned char header[10] = {};
        std::size_t header_size = 0;
        std::size_t offset = 0;
        std::function<void(beast::error_code)> callback;
        // Beast writes that arrive while `frame` is set wait on this timer; cancelled once it is out.
        asio::steady_timer done;
    };
    bool writing_rest() const noexcept { return rest_ && rest_->frame; }

    beast::tcp_stream stream_;
    std::size_t beast_writes_ = 0;
    std::unique_ptr<rest_state> rest_;
};

// Closing the WebSocket tears down the TCP stream below (found by Beast through ADL).
void teardown(beast::role_type role, gated_stream& stream, beast::error_code& ec);

template <class Handler>
void async_teardown(beast::role_type role, gated_stream& stream, Handler&& handler) {
    using beast::websocket::async_teardown;
    async_teardown(role, stream.next_layer(), std::forward<Handler>(handler));
}

} // namespace lt::server
