#include "speech/client.hpp"

#include "net/asio.hpp"
#include "net/backoff.hpp"
#include "net/connect.hpp"
#include "net/reason.hpp"
#include "protocol/messages.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace lt::speech {

using asio::awaitable;
using asio::use_awaitable;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// The server refused us for good (a wrong API key): retrying cannot help.
struct fatal_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Far above any utterance (15 s of speech is a few hundred bytes) and below the server's
// 64 KiB frame limit, so a runaway final cannot make the connection close forever.
constexpr std::size_t max_text_bytes = 16 * 1024;

std::string clip_utf8(std::string text) {
    if (text.size() <= max_text_bytes)
        return text;
    std::size_t n = max_text_bytes;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80)
        --n; // do not cut a UTF-8 sequence
    text.resize(n);
    return text;
}

} // namespace

class client::impl {
public:
    impl(client_options opts, event_fn on_event)
        : opts_(std::move(opts)), on_event_(std::move(on_event)), tls_(net::make_tls_context(opts_.ca_file)),
          box_(opts_.outbox_capacity), backoff_(opts_.backoff_initial, opts_.backoff_max, 0.8, 1.2) {
        asio::co_spawn(ioc_, run(), [this](std::exception_ptr) { finished(); });
        thread_ = std::thread([this] { ioc_.run(); });
    }

    ~impl() {
        asio::post(ioc_, [this] { abort(); });
        // A stuck resolve or TLS handshake must not hold up the exit.
        std::unique_lock lock(mutex_);
        if (!done_cv_.wait_for(lock, 3s, [&] { return done_; }))
            ioc_.stop();
        lock.unlock();
        thread_.join();
    }

    void send_partial(caption c) {
        c.text = clip_utf8(std::move(c.text));
        asio::post(ioc_, [this, c = std::move(c)]() mutable {
            partial_ = std::move(c);
            wake();
        });
    }

    void send_final(caption c) {
        c.text = clip_utf8(std::move(c.text));
        asio::post(ioc_, [this, c = std::move(c)]() mutable {
            if (partial_ && partial_->id == c.id)
                partial_.reset(); // the final replaces it
            if (auto lost = box_.push(std::move(c)))
                emit({client_event::kind::warning, "outbox full (" + std::to_string(opts_.outbox_capacity) +
                                                       " finals): dropped the oldest, \"" + lost->text +
                                                       "\""});
            update_stats();
            wake();
        });
    }

    std::size_t finish(std::chrono::milliseconds timeout) {
        asio::post(ioc_, [this] {
            finishing_ = true;
            retry_timer_.cancel();
            wake();
        });
        std::unique_lock lock(mutex_);
        if (!done_cv_.wait_for(lock, timeout, [&] { return done_; })) {
            lock.unlock();
            asio::post(ioc_, [this] { abort(); });
            lock.lock();
            done_cv_.wait_for(lock, 3s, [&] { return done_; });
        }
        return stats_.pending;
    }

    stats snapshot() const {
        std::lock_guard lock(mutex_);
        return stats_;
    }

private:
    using plain_ws = websocket::stream<beast::tcp_stream>;
    using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

    // What the reader coroutine shares with the writer of one connection.
    struct connection {
        bool reader_done = false;
        std::string reader_error;
        bool greeted = false; // connection_status received
        bool acks = true;     // the server sends text_ack (ours does; the reference does not)
    };

    void emit(client_event e) {
        if (on_event_)
            on_event_(e);
    }

    void update_stats() {
        std::lock_guard lock(mutex_);
        stats_.pending = box_.size();
        stats_.finals_dropped = box_.dropped() + refused_;
    }

    void wake() { wake_.cancel(); }

    awaitable<void> sleep_until_woken(clock_type::time_point deadline) {
        wake_.expires_at(deadline);
        boost::system::error_code ec;
        co_await wake_.async_wait(asio::redirect_error(use_awaitable, ec));
    }

    void abort() {
        stopping_ = true;
        retry_timer_.cancel();
        if (close_socket_)
            close_socket_();
        wake();
    }

    void finished() {
        std::lock_guard lock(mutex_);
        stats_.connected = false;
        stats_.pending = box_.size();
        done_ = true;
        done_cv_.notify_all();
    }

    awaitable<void> run() {
        while (!stopping_ && !(finishing_ && box_.empty())) {
            emit({client_event::kind::connecting, opts_.server.url()});
            std::string why;
            bool had_connection = false;
            bool fatal = false;
            try {
                if (opts_.server.tls())
                    co_await session<tls_ws>(had_connection);
                else
                    co_await session<plain_ws>(had_connection);
            } catch (const fatal_error& e) {
                std::lock_guard lock(mutex_);
                stats_.failed = true;
                stats_.failure = e.what();
                why = e.what();
                fatal = true;
                stopping_ = true;
            } catch (const std::exception& e) {
                why = net::reason(e);
            }
            {
                std::lock_guard lock(mutex_);
                stats_.connected = false;
            }
            close_socket_ = nullptr;
            if (fatal) {
                emit({client_event::kind::failed, why});
                break;
            }
            if (stopping_ || (finishing_ && box_.empty()))
                break;
            if (had_connection)
                backoff_.reset();
            auto delay = backoff_.next();
            emit({client_event::kind::disconnected, why, delay});
            retry_timer_.expires_after(delay);
            boost::system::error_code ec;
            co_await retry_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
        }
    }

    template <class WS>
    awaitable<void> session(bool& had_connection) {
        const auto& ep = opts_.server;
        WS ws = make_stream<WS>();
        auto& tcp_layer = beast::get_lowest_layer(ws);
        close_socket_ = [&tcp_layer] { tcp_layer.socket().close(); };

        net::connect_options limits;
        limits.connect_timeout = limits.handshake_timeout = opts_.connect_timeout;
        co_await net::async_connect(ws.next_layer(), ep, limits);
        ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
        co_await net::async_upgrade(ws, ep, opts_.client_name, limits);
        had_connection = true;
        {
            std::lock_guard lock(mutex_);
            ++stats_.connections;
            stats_.connected = true;
        }
        emit({client_event::kind::connected, ep.url()});

        auto conn = std::make_shared<connection>();
        asio::co_spawn(ioc_, read_loop(ws, conn), [this, conn](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    conn->reader_error = net::reason(ex);
                }
            }
            conn->reader_done = true;
            wake();
        });

        std::optional<std::string> error;
        try {
            co_await write_loop(ws, *conn);
        } catch (const std::exception& e) {
            error = net::reason(e);
        }
        // The reader holds a reference to `ws`: it must end before `ws` goes away.
        if (!conn->reader_done)
            tcp_layer.socket().close();
        while (!conn->reader_done)
            co_await sleep_until_woken(clock_type::now() + 100ms);
        if (failure_)
            throw fatal_error(*failure_);
        if (error)
            throw std::runtime_error(*error);
    }

    template <class WS>
    WS make_stream() {
        if constexpr (std::is_same_v<WS, tls_ws>)
            return WS(ioc_, tls_);
        else
            return WS(ioc_);
    }

    template <class WS>
    awaitable<void> write_loop(WS& ws, connection& conn) {
        auto& in_flight = in_flight_;
        in_flight.reset(); // a final unacknowledged on the last connection is sent again
        auto sent_at = clock_type::now();
        auto greeting_deadline = clock_type::now() + opts_.connect_timeout;

        for (;;) {
            auto now = clock_type::now();
            if (conn.reader_done)
                throw std::runtime_error(conn.reader_error.empty() ? "the server closed the connection"
                                                                   : conn.reader_error);
            if (stopping_)
                break;
            if (!conn.greeted) {
                // connection_status tells whether the server acknowledges finals.
                if (now > greeting_deadline)
                    throw std::runtime_error("no connection_status from the server");
                co_await sleep_until_woken(greeting_deadline);
                continue;
            }
            if (!in_flight && !box_.empty() && now >= not_before_) {
                const caption& c = *box_.front();
                co_await ws.async_write(asio::buffer(frame(c, false)), use_awaitable);
                {
                    std::lock_guard lock(mutex_);
                    ++stats_.finals_sent;
                }
                if (conn.acks) {
                    in_flight = c.id;
                    sent_at = clock_type::now();
                } else {
                    box_.pop(); // an old server: sent is all we can know
                    update_stats();
                }
                continue;
            }
            if (!in_flight && partial_) {
                auto p = std::move(*partial_);
                partial_.reset();
                if (!conn.acks)
                    continue; // the reference server would show each partial as a caption
                co_await ws.async_write(asio::buffer(frame(p, true)), use_awaitable);
                std::lock_guard lock(mutex_);
                ++stats_.partials_sent;
                continue;
            }
            if (finishing_ && box_.empty() && !in_flight) {
                co_await ws.async_close(websocket::close_code::normal, use_awaitable);
                break;
            }
            auto deadline = clock_type::time_point::max();
            if (in_flight) {
                if (now - sent_at > opts_.ack_timeout)
                    throw std::runtime_error("no acknowledgement from the server for " +
                                             std::to_string(opts_.ack_timeout.count() / 1000) + " s");
                deadline = sent_at + opts_.ack_timeout + 10ms;
            } else if (!box_.empty()) {
                deadline = not_before_;
            }
            co_await sleep_until_woken(deadline);
        }
    }

    template <class WS>
    awaitable<void> read_loop(WS& ws, std::shared_ptr<connection> conn) {
        for (;;) {
            beast::flat_buffer buffer;
            co_await ws.async_read(buffer, use_awaitable);
            auto reply = protocol::parse_speaker_reply(beast::buffers_to_string(buffer.data()));
            if (!reply)
                continue; // a viewer frame of some newer server; nothing to act on
            on_reply(reply.value(), *conn);
            wake();
            if (failure_)
                co_return; // the session sees it and stops for good
        }
    }

    void on_reply(const protocol::speaker_reply& r, connection& conn) {
        using kind = protocol::speaker_reply::kind;
        auto& in_flight = in_flight_;
        switch (r.type) {
        case kind::status:
            conn.greeted = true;
            conn.acks = !r.server_id.empty();
            if (!conn.acks)
                emit({client_event::kind::warning,
                      "the server does not acknowledge captions (an older or reference server): "
                      "sending finals only, and those sent just before a connection drop may be lost"});
            return;
        case kind::ack:
            if (in_flight && *in_flight == r.id) {
                box_.acknowledge(r.id);
                in_flight.reset();
                {
                    std::lock_guard lock(mutex_);
                    ++stats_.finals_acked;
                }
                update_stats();
                emit({client_event::kind::acknowledged, r.id, {}, r.seq});
            }
            return;
        case kind::error:
            if (r.code == "unauthorized" || r.message.find("Unauthorized") != std::string::npos) {
                failure_ = "the server refused the API key (" + r.message +
                           "); set API_KEY in the environment or .env to the server's key";
                return;
            }
            if ((r.code == "rate_limited" || r.code == "unavailable") && in_flight) {
                // Resending is safe: the server drops a final whose id it already has.
                in_flight.reset();
                not_before_ = clock_type::now() + 1s;
                emit({client_event::kind::warning,
                      r.code == "rate_limited"
                          ? "the server is rate-limiting captions; resending in 1 s"
                          : "the server could not keep a caption (" + r.message + "); resending in 1 s"});
                return;
            }
            if (r.code == "bad_request" && in_flight) {
                auto lost = box_.pop();
                in_flight.reset();
                ++refused_;
                update_stats();
                emit({client_event::kind::warning, "the server refused a final (" + r.message + "): \"" +
                                                       (lost ? lost->text : "") + "\""});
                return;
            }
            emit({client_event::kind::warning, "server error: " + r.message});
            return;
        case kind::publishing:
            emit({client_event::kind::warning,
                  r.paused ? "the operator paused captions: what is said now is not shown"
                           : "the operator resumed captions"});
            return;
        case kind::other:
            return;
        }
    }

    std::string frame(const caption& c, bool partial) const {
        protocol::new_text m;
        m.text = c.text;
        m.timestamp = c.timestamp;
        m.id = c.id;
        m.lang = c.lang;
        m.partial = partial;
        if (!opts_.api_key.empty())
            m.api_key = opts_.api_key;
        return protocol::serialize(m);
    }

    client_options opts_;
    event_fn on_event_;
    asio::io_context ioc_;
    ssl::context tls_;
    asio::steady_timer wake_{ioc_};
    asio::steady_timer retry_timer_{ioc_};
    std::thread thread_;

    // Owned by the network thread.
    outbox box_;
    std::optional<caption> partial_;
    std::optional<std::string> in_flight_; // id of the final awaiting its text_ack
    std::optional<std::string> failure_;
    clock_type::time_point not_before_{};
    std::function<void()> close_socket_;
    bool finishing_ = false;
    bool stopping_ = false;
    std::uint64_t refused_ = 0;
    net::backoff backoff_;

    mutable std::mutex mutex_;
    std::condition_variable done_cv_;
    bool done_ = false;
    stats stats_;
};

client::client(client_options opts, event_fn on_event)
    : impl_(std::make_shared<impl>(std::move(opts), std::move(on_event))) {}
client::~client() = default;
void client::send_partial(caption c) { impl_->send_partial(std::move(c)); }
void client::send_final(caption c) { impl_->send_final(std::move(c)); }
std::size_t client::finish(std::chrono::milliseconds timeout) { return impl_->finish(timeout); }
client::stats client::snapshot() const { return impl_->snapshot(); }

} // namespace lt::speech
