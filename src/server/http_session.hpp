// One HTTP connection: serves the page, /config.json, /health and /metrics, and hands a
// WebSocket upgrade on /ws over to a ws_session. With --tls-cert the same over TLS
// (basic_http_session<tls_stream>), after a first byte that must start a TLS handshake.
#pragma once

#include "server/net.hpp"
#include "server/routes/transcript.hpp"
#include "server/state.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace lt::server {

// The pieces of a streamed transcript between the thread that makes them and the session that
// writes them: at most `limit` bytes wait; the maker waits beyond that. A transcript holds one
// of the server's two build slots until it is made, so a client too slow to take it within
// `max_time` is cut off (the body ends without its last chunk: the client sees it incomplete).
struct transcript_pipe final : transcript_sink, std::enable_shared_from_this<transcript_pipe> {
    static constexpr std::size_t limit = 64 * 1024;
    static constexpr std::chrono::minutes max_time{10};
    const std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + max_time;
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<std::string> pieces;
    std::size_t bytes = 0;
    bool finished = false;    // the maker is done
    bool gone = false;        // a write failed: the client left
    bool writer_idle = false; // the session waits for a piece: wake it
    bool chunked = true;      // false for HTTP/1.0: the body ends with the connection
    bool keep_alive = false;
    // Posts write_transcript to the session's thread.
    std::function<void(std::shared_ptr<transcript_pipe>)> wake;

    bool write(std::string piece) override;
    void finish();
    void cancel();
    void written(std::size_t n);
};

template <class Stream>
class basic_http_session : public std::enable_shared_from_this<basic_http_session<Stream>> {
public:
    static constexpr bool tls = !std::is_same_v<Stream, beast::tcp_stream>;
    // `ticket` holds the connection's slot (listener::on_accept refuses those over a limit).
    basic_http_session(tcp::socket&& socket, std::shared_ptr<server_state> state,
                       connection_limits::ticket ticket, std::size_t thread);
    ~basic_http_session();
    void run();

private:
    using std::enable_shared_from_this<basic_http_session>::shared_from_this;
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
    // TLS: the first bytes are a ClientHello, or a plain request that gets a 400.
    void on_detect(beast::error_code ec, bool is_tls);
    void on_handshake(beast::error_code ec, std::size_t used);
    void refuse_plain_http();
    void do_read();
    void on_read(beast::error_code ec, std::size_t bytes);
    void upgrade();
    void send_qr(const http::request<http::string_body>& req, const std::string& room);
    // Streams the transcript: built on a thread of its own (it may wait on translations),
    // written from this session's thread as chunks (HTTP/1.0: until the connection closes).
    void send_transcript(const http::request<http::string_body>& req, transcript_request tr,
                         std::string lang);
    // Writes the next piece waiting in `pipe`, or ends the body once it is finished.
    void write_transcript(std::shared_ptr<transcript_pipe> pipe);
    void generate_token(const http::request<http::string_body>& req, std::string_view target);
    template <class Response>
    void send(Response&& res);
    void on_write(bool keep_alive, beast::error_code ec, std::size_t bytes);
    // `tls_layer` false: the TLS layer never started (a plain-http refusal): close the TCP way.
    void do_close(bool tls_layer = tls);
    void drain();
    bool may_open_room(const http::request<http::string_body>& req, const std::string& room);

    std::shared_ptr<ssl::context> tls_; // null for plain connections; before stream_, which uses it
    Stream stream_;
    beast::flat_buffer buffer_;
    std::shared_ptr<server_state> state_;
    connection_limits::ticket ticket_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<void> response_; // keeps the response alive during the write
    std::size_t thread_;
    std::size_t drained_ = 0;
};

using http_session = basic_http_session<beast::tcp_stream>;
using tls_http_session = basic_http_session<tls_stream>;

// Accepts connections and starts an http_session for each, spreading them round-robin
// over the network threads' io_contexts (one thread each).
class listener : public std::enable_shared_from_this<listener> {
public:
    listener(std::vector<std::unique_ptr<asio::io_context>>& pool, tcp::endpoint endpoint,
             std::shared_ptr<server_state> state);
    void run();
    void stop();
    std::uint16_t port() const;

private:
    void do_accept();
    void on_accept(beast::error_code ec, tcp::socket socket);
    // Whether a new connection leaves config.fd_reserve descriptors free.
    bool descriptors_left() const;
    // Answers 503 with `why` without waiting for the request, and closes.
    static void refuse(tcp::socket& socket, const std::string& why);

    std::vector<std::unique_ptr<asio::io_context>>& pool_;
    std::size_t next_ = 0;
    tcp::acceptor acceptor_;
    std::shared_ptr<server_state> state_;
    asio::steady_timer retry_;
};

} // namespace lt::server
