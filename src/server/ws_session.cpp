#include "server/ws_session.hpp"

#include "core/languages.hpp"
#include "protocol/messages.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>
#include <type_traits>

namespace lt::server {

ws_session::ws_session(std::shared_ptr<server_state> state, connection_limits::ticket ticket,
                       std::size_t thread, std::string room, std::shared_ptr<hub::hub> room_hub)
    : subscriber(thread), state_(std::move(state)), ticket_(std::move(ticket)), room_(std::move(room)),
      hub_(std::move(room_hub)), messages_(state_->config.message_rate, state_->config.message_rate * 2),
      captions_(state_->config.speaker_rate, state_->config.speaker_rate * 2) {}

ws_session::~ws_session() {
    // No hub call here: the last reference may be dropped inside the hub's own lock (a
    // delivery in progress). The read loop's exit has already left the hub.
    state_->remove(this);
}

template <class Next>
void basic_ws_session<Next>::run(http::request<http::string_body> req) {
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(30);
    // Phones vanish without closing; pings find them within a minute.
    t.idle_timeout = std::chrono::seconds(60);
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "lt-server"); }));
    ws_.read_message_max(64 * 1024);
    // Beast refuses the reserved close codes below 3000 but echoes 5000 and above, which
    // RFC 6455 7.4.2 does not allow: answer those with 1002 and cut the connection.
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
        if (kind == websocket::frame_type::close && ws_.reason().code >= 5000)
            refuse_close_code();
    });
    ws_.async_accept(req, beast::bind_front_handler(&basic_ws_session::on_accept, self_ptr()));
}

template <class Next>
void basic_ws_session<Next>::on_accept(beast::error_code ec) {
    if (ec)
        return fail(ec, "websocket accept");
    state_->metrics.ws_sessions.add(1);
    state_->add(self_ptr());
    hub_->join(self_ptr());
    push(std::make_shared<const std::string>(state_->status_frame(room_)));
    // A console or speaker joining a paused room learns it at once.
    if (hub_->paused())
        push(std::make_shared<const std::string>(protocol::serialize_publishing(true)));
    do_read();
}

template <class Next>
void basic_ws_session<Next>::do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&basic_ws_session::on_read, self_ptr()));
}

template <class Next>
void basic_ws_session<Next>::on_read(beast::error_code ec, std::size_t) {
    if (ec) {
        if (ec == websocket::error::message_too_big) {
            // Beast has already sent close 1009 (message too big).
            state_->metrics.oversized_frames.inc();
            spdlog::info("closed a connection for a frame over 64 KiB");
        } else {
            fail(ec, "websocket read");
        }
        state_->metrics.ws_sessions.add(-1);
        hub_->leave(this);
        close_timer_.cancel();
        return;
    }
    state_->metrics.frames_in.inc();
    if (!closing_) {
        if (!ws_.got_text())
            send_error("binary frames are not supported; send JSON text frames", "bad_request");
        else
            handle(std::string_view(static_cast<const char*>(buffer_.data().data()), buffer_.size()));
    }
    buffer_.consume(buffer_.size());
    do_read();
}

void ws_session::handle(std::string_view text) {
    auto parsed = protocol::parse_client_message(text);
    if (!parsed) {
        if (!messages_.allow()) {
            state_->metrics.rate_limited.inc();
            return;
        }
        return send_error(parsed.error_message(), "bad_request");
    }
    auto& msg = parsed.value();

    if (auto* nt = std::get_if<protocol::new_text>(&msg)) {
        if (!state_->may_publish(room_, nt->api_key)) {
            state_->metrics.unauthorized.inc();
            if (messages_.allow())
                send_error("Unauthorized: Invalid API key", "unauthorized");
            return;
        }
        if (!captions_.allow()) {
            state_->metrics.rate_limited.inc();
            return send_error("too many captions per second; this one was dropped", "rate_limited");
        }
        if (!nt->partial && nt->text.find_first_not_of(" \t\r\n") == std::string::npos)
            return send_error("field 'text' is empty", "bad_request");
        if (!speaker_ && !chose_language_) {
            // A speaker does not watch captions unless it asked to with set_language.
            hub_->leave(this);
        }
        speaker_ = true;
        if (hub_->paused() && !nt->typed) {
            // The operator paused the room: spoken text is not shown. Finals are acknowledged
            // (seq 0) so the speaker does not keep sending them.
            if (!told_paused_) {
                told_paused_ = true;
                push(std::make_shared<const std::string>(protocol::serialize_publishing(true)));
            }
            if (nt->id && !nt->partial)
                push(std::make_shared<const std::string>(protocol::serialize_text_ack(*nt->id, 0)));
            return;
        }
        told_paused_ = false;
        hub::text_in in;
        in.text = std::move(nt->text);
        in.timestamp = std::move(nt->timestamp);
        in.id = nt->id.value_or("");
        in.lang = std::move(nt->lang);
        in.partial = nt->partial;
        in.typed = nt->typed;
        std::optional<std::string> ack_id;
        if (nt->id && !nt->partial)
            ack_id = *nt->id;
        // On a single node the ack comes at once, on this thread: pushed ahead of the fan-out
        // already queued here. From the cluster's thread it is posted to this connection's.
        hub_->publish(std::move(in), [self = shared_from_this(), ack_id,
                                      here = std::this_thread::get_id()](std::uint64_t seq) {
            if (!ack_id) // acks let a speech client drop the caption from its outbox (docs/protocol.md)
                return;
            // seq 0: the data directory could not take it; not published, not acknowledged.
            auto ack = std::make_shared<const std::string>(
                seq ? protocol::serialize_text_ack(*ack_id, seq)
                    : protocol::serialize_error(
                          "the server could not store caption " + *ack_id +
                              " (its log says why); it was not published: send it again",
                          "unavailable"));
            if (std::this_thread::get_id() == here)
                self->push(std::move(ack));
            else
                self->deliver(std::move(ack));
        });
        return;
    }

    if (!messages_.allow()) {
        state_->metrics.rate_limited.inc();
        return send_error("too many messages per second; this one was dropped", "rate_limited");
    }

    if (auto* sl = std::get_if<protocol::set_language>(&msg)) {
        if (!core::is_known_language(sl->lang))
            return send_error("unsupported language '" + sl->lang + "'", "unsupported_language");
        // The catch-up only for clients that ask: the reference page sends set_language on
        // every switch and reconnect and has no seq to drop duplicates with.
        auto last = hub_->last_seq();
        auto since = sl->since;
        if (!since && !sl->history.value_or(sl->partials))
            since = last;
        // A replay costs one more message per 20 captions (docs/protocol.md).
        std::uint64_t replayed =
            since ? std::min<std::uint64_t>(last - std::min(last, *since), state_->config.history)
                  : std::min<std::uint64_t>(last, 20);
        if (replayed >= 20 && !messages_.take(static_cast<double>(replayed / 20))) {
            state_->metrics.rate_limited.inc();
            return send_error("too many history replays per second; this one was dropped", "rate_limited");
        }
        push(std::make_shared<const std::string>(protocol::serialize_language_set(sl->lang)));
        hub_->set_language(shared_from_this(), sl->lang, since, sl->partials);
        chose_language_ = true;
        return;
    }
    if (auto* gt = std::get_if<protocol::generate_token>(&msg)) {
        if (!state_->may_publish(room_, gt->api_key)) {
            state_->metrics.unauthorized.inc();
            return send_error("Unauthorized: Invalid API key", "unauthorized");
        }
        // The STS call blocks; the answer comes back through deliver().
        std::weak_ptr<ws_session> weak = shared_from_this();
        state_->tokens->request(ticket_.ip(), [weak](token_answer a) {
            auto self = weak.lock();
            if (!self)
                return;
            if (!a.code.empty())
                self->state_->metrics.errors_sent.inc();
            self->deliver(
                std::make_shared<const std::string>(protocol::serialize_token_response(a.data, a.code)));
        });
        return;
    }
    if (auto* rt = std::get_if<protocol::request_translation>(&msg))
        return request_translation(*rt);
    if (auto* ct = std::get_if<protocol::correct_text>(&msg)) {
        if (!state_->may_publish(room_, ct->api_key)) {
            state_->metrics.unauthorized.inc();
            return send_error("Unauthorized: correcting a caption needs the room's speaker key",
                              "unauthorized");
        }
        auto r = hub_->correct(ct->seq, std::move(ct->text));
        if (!r)
            return send_error("cannot correct caption " + std::to_string(ct->seq) + ": " + r.error_message(),
                              "bad_request");
        spdlog::info("room {}: caption {} corrected", room_, ct->seq);
        return push(std::make_shared<const std::string>(
            protocol::serialize_text_ack("correct-" + std::to_string(ct->seq), r.value())));
    }
    if (auto* sp = std::get_if<protocol::set_publishing>(&msg)) {
        if (!state_->may_publish(room_, sp->api_key)) {
            state_->metrics.unauthorized.inc();
            return send_error("Unauthorized: pausing captions needs the room's speaker key", "unauthorized");
        }
        spdlog::info("room {}: captions {}", room_, sp->paused ? "paused" : "resumed");
        // The whole room is told (on every node of a cluster): see make_state's on_publishing.
        hub_->set_paused(sp->paused);
        return;
    }
}

void ws_session::request_translation(protocol::request_translation& rt) {
    const auto& cfg = state_->config;
    if (cfg.on_demand_translation == "off")
        return send_error("request_translation is turned off on this server", "not_configured");
    if (cfg.on_demand_translation == "key" && !state_->may_publish(room_, rt.api_key)) {
        state_->metrics.unauthorized.inc();
        return send_error("Unauthorized: request_translation needs the speaker's api_key on this server",
                          "unauthorized");
    }
    if (!core::is_known_language(rt.lang))
        return send_error("unsupported language '" + rt.lang + "'", "unsupported_language");
    if (on_demand_waiting_ >= cfg.on_demand_per_client) {
        state_->metrics.rate_limited.inc();
        return send_error("too many request_translation answers pending on this connection (at most " +
                              std::to_string(cfg.on_demand_per_client) + "); this one was dropped",
                          "rate_limited");
    }
    auto self = shared_from_this();
    auto original = rt.text;
    auto lang = rt.lang;
    bool queued = state_->service->submit_on_demand(
        rt.source, rt.lang, rt.text, [self, original, lang](core::result<translate::translation> r) {
            protocol::translation_result out;
            out.original = original;
            out.lang = lang;
            if (r) {
                out.translated = std::move(r.value().text);
            } else {
                out.translated = original;
                out.error = r.error_message();
            }
            auto frame = std::make_shared<const std::string>(protocol::serialize(out));
            asio::post(self->executor(), [self, frame] {
                --self->on_demand_waiting_;
                self->push(frame);
            });
        });
    if (!queued) {
        state_->metrics.rate_limited.inc();
        return send_error(
            "the server's request_translation budget is spent (too many waiting); try again later",
            "rate_limited");
    }
    ++on_demand_waiting_;
}

template <class Next>
void basic_ws_session<Next>::deliver(hub::frame_ptr frame) {
    asio::post(ws_.get_executor(), [self = self_ptr(), frame = std::move(frame)] { self->push(frame); });
}

void ws_session::send_error(std::string_view message, std::string_view code) {
    state_->metrics.errors_sent.inc();
    push(std::make_shared<const std::string>(protocol::serialize_error(message, code)));
}

template <class Next>
void basic_ws_session<Next>::push(const hub::frame_ptr& frame) {
    if (closing_)
        return;
    const auto& cfg = state_->config;
    if (queue_.size() >= cfg.send_queue_frames || queued_bytes_ + frame->size() > cfg.send_queue_bytes) {
        state_->metrics.slow_viewers_closed.inc();
        state_->metrics.frames_dropped_slow.inc(queue_.size() + 1);
        spdlog::info("closing a slow viewer ({} frames, {} bytes queued)", queue_.size(), queued_bytes_);
        return close_with(websocket::close_code::policy_error, "slow consumer");
    }
    // TLS has no direct path: its records are the TLS stream's to write.
    if constexpr (std::is_same_v<Next, gated_stream>) {
        if (queue_.empty() && ws_.is_open() && ws_.next_layer().idle()) {
            // Nothing of ours or Beast's is on the way out: the frame goes straight to the
            // socket, with no composed write, handler or timer. The queue is the fallback.
            auto s = ws_.next_layer().write_frame(
                frame, [this] { return [self = self_ptr()](beast::error_code ec) { self->on_rest(ec); }; });
            switch (s) {
            case gated_stream::sent::whole:
                state_->metrics.frames_direct.inc();
                state_->metrics.frames_out.inc();
                state_->metrics.bytes_out.inc(frame->size());
                return;
            case gated_stream::sent::partly:
                // The rest is in flight; the frame heads the queue until it is out.
                state_->metrics.frames_direct_partial.inc();
                queued_bytes_ += frame->size();
                queue_.push_back(frame);
                return;
            case gated_stream::sent::failed:
                return; // the read loop sees the broken connection and leaves the hub
            case gated_stream::sent::none:
                break;
            }
        }
    }
    queued_bytes_ += frame->size();
    queue_.push_back(frame);
    if (queue_.size() == 1)
        do_write();
}

template <class Next>
void basic_ws_session<Next>::do_write() {
    ws_.text(true);
    ws_.async_write(asio::buffer(*queue_.front()),
                    beast::bind_front_handler(&basic_ws_session::on_write, self_ptr()));
}

template <class Next>
void basic_ws_session<Next>::on_write(beast::error_code ec, std::size_t bytes) {
    if (ec)
        return fail(ec, "websocket write");
    state_->metrics.frames_out.inc();
    state_->metrics.bytes_out.inc(bytes);
    queued_bytes_ -= queue_.front()->size();
    queue_.pop_front();
    if (!queue_.empty() && !closing_)
        do_write();
}

template <class Next>
void basic_ws_session<Next>::on_rest(beast::error_code ec) {
    if (ec)
        return fail(ec, "websocket write");
    on_write(ec, queue_.front()->size());
}

template <class Next>
void basic_ws_session<Next>::close_with(websocket::close_code code, const char* reason) {
    if (closing_)
        return;
    closing_ = true;
    hub_->leave(this);
    // Keep only the frame being written; the rest will never be sent.
    if (queue_.size() > 1)
        queue_.erase(queue_.begin() + 1, queue_.end());
    ws_.async_close(websocket::close_reason(code, reason), [self = self_ptr()](beast::error_code ec) {
        if (ec)
            fail(ec, "websocket close");
    });
    // A peer that reads nothing never lets the close frame out: cut the socket instead.
    close_timer_.expires_after(std::chrono::seconds(3));
    close_timer_.async_wait([self = self_ptr()](beast::error_code ec) {
        if (!ec) {
            beast::error_code ignored;
            beast::get_lowest_layer(self->ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
            beast::get_lowest_layer(self->ws_).socket().close(ignored);
        }
    });
}

template <class Next>
void basic_ws_session<Next>::refuse_close_code() {
    if (closing_)
        return;
    closing_ = true;
    auto& socket = beast::get_lowest_layer(ws_).socket();
    // Beast must not echo the code, and may not be asked to send a close from here: the
    // frame goes out at once, unless a write is under way (it would interleave). Over TLS it
    // goes through the TLS stream. Non-blocking: a peer that does not read gets no frame,
    // and never holds this thread.
    if (queue_.empty()) {
        static constexpr char frame[] = "\x88\x14\x03\xea"
                                        "invalid close code";
        beast::error_code ec;
        socket.non_blocking(true, ec);
        if constexpr (std::is_same_v<Next, gated_stream>)
            socket.write_some(asio::buffer(frame, sizeof frame - 1), ec);
        else
            asio::write(ws_.next_layer(), asio::buffer(frame, sizeof frame - 1), ec);
    }
    beast::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
}

template <class Next>
void basic_ws_session<Next>::shutdown() {
    asio::post(ws_.get_executor(), [self = self_ptr()] {
        self->close_with(websocket::close_code::going_away, "server shutting down");
    });
}

template class basic_ws_session<gated_stream>;
template class basic_ws_session<tls_stream>;

} // namespace lt::server
