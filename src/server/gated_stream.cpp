#include "server/gated_stream.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

namespace lt::server {

namespace {

// The header of an unmasked, final text frame of `size` payload bytes (RFC 6455 5.2).
std::size_t text_header(std::size_t size, unsigned char* h) {
    h[0] = 0x81;
    if (size < 126) {
        h[1] = static_cast<unsigned char>(size);
        return 2;
    }
    if (size < 65536) {
        h[1] = 126;
        h[2] = static_cast<unsigned char>(size >> 8);
        h[3] = static_cast<unsigned char>(size);
        return 4;
    }
    h[1] = 127;
    for (int i = 0; i < 8; ++i)
        h[2 + i] = static_cast<unsigned char>(static_cast<std::uint64_t>(size) >> (56 - 8 * i));
    return 10;
}

} // namespace

gated_stream::gated_stream(tcp::socket&& socket) : stream_(std::move(socket)) {}

gated_stream::sent gated_stream::try_send(const hub::frame_ptr& payload) {
    unsigned char header[10];
    const std::size_t header_size = text_header(payload->size(), header);
    iovec iov[2] = {{header, header_size}, {const_cast<char*>(payload->data()), payload->size()}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    const int fd = stream_.socket().native_handle();
    ssize_t n;
    do
        n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    const std::size_t total = header_size + payload->size();
    if (n >= 0 && static_cast<std::size_t>(n) == total)
        return sent::whole;
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? sent::none : sent::failed;
    if (n == 0)
        return sent::none;

    // Part of the frame is on the wire: nothing else may go out before the rest of it.
    if (!rest_)
        rest_ = std::make_unique<rest_state>(stream_.get_executor());
    rest_->frame = payload;
    std::copy(header, header + header_size, rest_->header);
    rest_->header_size = header_size;
    rest_->offset = static_cast<std::size_t>(n);
    return sent::partly;
}

void gated_stream::send_rest(std::function<void(beast::error_code)> done) {
    auto& r = *rest_;
    r.callback = std::move(done);
    r.done.expires_at(asio::steady_timer::time_point::max());
    std::array<asio::const_buffer, 2> left;
    if (r.offset < r.header_size) {
        left[0] = asio::buffer(r.header + r.offset, r.header_size - r.offset);
        left[1] = asio::buffer(*r.frame);
    } else {
        left[1] = asio::buffer(*r.frame) + (r.offset - r.header_size);
    }
    // The callback holds the connection, and so this stream, until the rest is out.
    asio::async_write(stream_.socket(), left, [this](beast::error_code ec, std::size_t) { on_rest(ec); });
}

void gated_stream::on_rest(beast::error_code ec) {
    rest_->frame.reset();
    rest_->done.cancel(); // Beast's waiting writes go ahead
    auto done = std::move(rest_->callback);
    rest_->callback = nullptr;
    if (done)
        done(ec);
}

void teardown(beast::role_type role, gated_stream& stream, beast::error_code& ec) {
    using beast::websocket::teardown;
    teardown(role, stream.next_layer(), ec);
}

} // namespace lt::server
