#include "server/http_session.hpp"

#include "hub/rooms.hpp"
#include "server/routes/health.hpp"
#include "server/routes/qr_svg.hpp"
#include "server/routing.hpp"
#include "server/static_files.hpp"
#include "server/tls.hpp"
#include "server/ws_session.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include <sys/resource.h>

namespace lt::server {

void fail(beast::error_code ec, const char* what) {
    if (ec == asio::error::operation_aborted || ec == websocket::error::closed ||
        ec == beast::error::timeout || ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::broken_pipe || ec == http::error::end_of_stream)
        return;
    spdlog::debug("{}: {}", what, ec.message());
}

namespace {

beast::tcp_stream make_stream(tcp::socket&& socket, const std::shared_ptr<ssl::context>&,
                              beast::tcp_stream*) {
    return beast::tcp_stream(std::move(socket));
}

tls_stream make_stream(tcp::socket&& socket, const std::shared_ptr<ssl::context>& ctx, tls_stream*) {
    return tls_stream(std::move(socket), *ctx);
}

std::chrono::steady_clock::duration header_timeout(const server_state& state) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(state.config.header_timeout));
}

} // namespace

template <class Stream>
basic_http_session<Stream>::basic_http_session(tcp::socket&& socket, std::shared_ptr<server_state> state,
                                               connection_limits::ticket ticket, std::size_t thread)
    : tls_(tls ? state->tls->current() : nullptr),
      stream_(make_stream(std::move(socket), tls_, static_cast<Stream*>(nullptr))), state_(std::move(state)),
      ticket_(std::move(ticket)), thread_(thread) {
    state_->metrics.http_sessions.add(1);
}

template <class Stream>
basic_http_session<Stream>::~basic_http_session() {
    state_->metrics.http_sessions.add(-1);
}

template <class Stream>
void basic_http_session<Stream>::run() {
    if constexpr (tls) {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            // The handshake must come within the header timeout too.
            self->lowest().expires_after(header_timeout(*self->state_));
            beast::async_detect_ssl(self->lowest(), self->buffer_,
                                    beast::bind_front_handler(&basic_http_session::on_detect, self));
        });
    } else {
        asio::dispatch(stream_.get_executor(),
                       beast::bind_front_handler(&basic_http_session::do_read, shared_from_this()));
    }
}

template <class Stream>
void basic_http_session<Stream>::on_detect(beast::error_code ec, bool is_tls) {
    if (ec)
        return fail(ec, "tls detect");
    if (!is_tls)
        return refuse_plain_http();
    if constexpr (tls)
        stream_.async_handshake(
            ssl::stream_base::server, buffer_.data(),
            beast::bind_front_handler(&basic_http_session::on_handshake, shared_from_this()));
}

template <class Stream>
void basic_http_session<Stream>::on_handshake(beast::error_code ec, std::size_t used) {
    if (ec) {
        state_->metrics.tls_handshakes_failed.inc();
        return spdlog::debug("tls handshake: {}", ec.message());
    }
    buffer_.consume(used);
    do_read();
}

// A browser or program that asked for http:// on the https port: say so in plain HTTP (it
// cannot read anything else), then close.
template <class Stream>
void basic_http_session<Stream>::refuse_plain_http() {
    static const std::string body = "this port speaks https: use https:// (and wss:// for WebSockets)\n";
    static const std::string text =
        "HTTP/1.1 400 Bad Request\r\nServer: lt-server\r\nContent-Type: text/plain\r\n"
        "Connection: close\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    lowest().expires_after(std::chrono::seconds(5));
    asio::async_write(lowest(), asio::buffer(text),
                      [self = shared_from_this()](beast::error_code, std::size_t) { self->do_close(false); });
}

template <class Stream>
void basic_http_session<Stream>::do_read() {
    parser_.emplace();
    // Only small GETs and upgrades are served.
    parser_->body_limit(16 * 1024);
    parser_->header_limit(16 * 1024);
    // Short: a socket that trickles its headers holds a descriptor until then.
    lowest().expires_after(header_timeout(*state_));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&basic_http_session::on_read, shared_from_this()));
}

namespace {

template <class Body>
void common_headers(http::response<Body>& res, std::string_view type) {
    res.set(http::field::server, "lt-server");
    res.set(http::field::content_type, beast::string_view(type.data(), type.size()));
    res.set(http::field::cache_control, "no-cache");
    res.set("X-Content-Type-Options", "nosniff");
}

http::response<http::string_body> text_response(const http::request<http::string_body>& req,
                                                http::status status, std::string_view type,
                                                std::string body) {
    http::response<http::string_body> res{status, req.version()};
    common_headers(res, type);
    res.keep_alive(req.keep_alive());
    auto size = body.size();
    if (req.method() != http::verb::head)
        res.body() = std::move(body);
    res.prepare_payload();
    if (req.method() == http::verb::head)
        res.content_length(size);
    return res;
}

// Host names and addresses only: a Host header goes into a QR code that phones open.
bool plain_host(std::string_view host) {
    return !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' ||
               c == ']';
    });
}

// 16 bytes in base64 is 22 significant characters and "==", the last of them carrying only
// two bits (RFC 6455 4.1 asks for a random 16-byte value).
bool valid_websocket_key(beast::string_view key) {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (key.size() != 24 || key.substr(22) != "==")
        return false;
    for (std::size_t i = 0; i < 22; ++i)
        if (alphabet.find(key[i]) == std::string_view::npos)
            return false;
    return std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

// Browsers always send Origin; programs (lt-speech, the load generator) do not and are
// not what this guards against.
bool origin_allowed(const std::vector<std::string>& allowed, beast::string_view origin) {
    if (allowed.empty() || origin.empty())
        return true;
    std::string o(origin.data(), origin.size());
    for (auto& c : o)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!o.empty() && o.back() == '/')
        o.pop_back();
    return std::find(allowed.begin(), allowed.end(), o) != allowed.end();
}

} // namespace

// A room with its own key, main, and key holders (X-API-Key or "Authorization: Bearer" on
// the upgrade) may always be created; others come out of the address's budget.
template <class Stream>
bool basic_http_session<Stream>::may_open_room(const http::request<http::string_body>& req,
                                               const std::string& room) {
    if (room == hub::default_room || state_->config.room_keys.count(room))
        return true;
    std::optional<std::string> key;
    if (auto h = req["X-API-Key"]; !h.empty())
        key = std::string(h);
    else if (auto auth = req[http::field::authorization]; auth.starts_with("Bearer "))
        key = std::string(auth.substr(7));
    if (state_->holds_key(room, key))
        return true;
    return state_->may_create_room(ticket_.ip());
}

template <class Stream>
void basic_http_session<Stream>::on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream)
        return do_close();
    if (ec) {
        if (ec == http::error::body_limit || ec == http::error::header_limit) {
            // The rest of the request is still unread: answer once, then close (never parse
            // the leftover body as requests).
            http::request<http::string_body> dummy;
            auto res = text_response(dummy, http::status::payload_too_large, "text/plain",
                                     "request too large: headers and bodies are limited to 16 KiB\n");
            res.keep_alive(false);
            return send(std::move(res));
        }
        return fail(ec, "http read");
    }
    const auto& req = parser_->get();
    std::string_view raw_target(req.target().data(), req.target().size());
    std::string_view path = path_of(raw_target);
    if (auto tr = transcript_route(path);
        tr && (req.method() == http::verb::get || req.method() == http::verb::head))
        return send_transcript(req, std::move(*tr), query_param(raw_target, "lang").value_or(""));
    auto route = route_room_page(raw_target);
    if (route.redirect) {
        // The page's relative links only work from /r/NAME itself.
        auto res = text_response(req, http::status::moved_permanently, "text/plain", "moved\n");
        res.set(http::field::location, *route.redirect);
        return send(std::move(res));
    }
    const std::string& target = route.target;
    path = path_of(target);

    if (websocket::is_upgrade(req)) {
        if (path != "/ws")
            return send(
                text_response(req, http::status::not_found, "text/plain", "no WebSocket here; use /ws\n"));
        if (!valid_websocket_key(req[http::field::sec_websocket_key]))
            return send(text_response(req, http::status::bad_request, "text/plain",
                                      "Sec-WebSocket-Key must be 16 bytes in base64 (24 characters)\n"));
        if (!origin_allowed(state_->config.allowed_origins, req[http::field::origin]))
            return send(
                text_response(req, http::status::forbidden, "text/plain",
                              "pages from this origin may not use this server (LT_ALLOWED_ORIGINS)\n"));
        auto room = query_param(raw_target, "room").value_or(std::string(hub::default_room));
        if (!hub::is_room_name(room))
            return send(text_response(req, http::status::bad_request, "text/plain", bad_room_message(room)));
        auto room_hub = state_->rooms->find(room);
        if (!room_hub && !may_open_room(req, room)) {
            state_->metrics.rooms_refused.inc();
            auto res = text_response(req, http::status::too_many_requests, "text/plain",
                                     "too many new rooms from this address; join an existing room or "
                                     "try again in a minute\n");
            res.set(http::field::retry_after, "60");
            return send(std::move(res));
        }
        if (!room_hub)
            room_hub = state_->rooms->get(room);
        if (!room_hub) {
            auto res = text_response(req, http::status::service_unavailable, "text/plain",
                                     "this server holds its maximum number of rooms\n");
            res.set(http::field::retry_after, "60");
            return send(std::move(res));
        }
        lowest().expires_never();
        if constexpr (tls)
            std::make_shared<tls_ws_session>(std::move(stream_), tls_, state_, std::move(ticket_), thread_,
                                             room, std::move(room_hub))
                ->run(parser_->release());
        else
            std::make_shared<plain_ws_session>(stream_.release_socket(), nullptr, state_, std::move(ticket_),
                                               thread_, room, std::move(room_hub))
                ->run(parser_->release());
        return;
    }

    if (path == "/generate_token")
        return generate_token(req, raw_target);
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
        auto res = text_response(req, http::status::method_not_allowed, "text/plain", "method not allowed\n");
        res.set(http::field::allow, "GET, HEAD");
        return send(std::move(res));
    }
    if (path == "/health")
        return send(text_response(req, http::status::ok, "application/json", health_json(*state_)));
    if (path == "/metrics")
        return send(text_response(req, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                                  metrics_text(*state_)));
    if (path == "/config.json")
        return send(text_response(req, http::status::ok, "application/json", state_->config_json));
    if (path == "/ws")
        return send(text_response(req, http::status::upgrade_required, "text/plain",
                                  "this is the WebSocket endpoint\n"));
    if (path == "/qr.svg")
        return send_qr(req, query_param(target, "room").value_or(std::string(hub::default_room)));

    auto file = resolve_static(state_->web_root, target);
    beast::error_code fec;
    http::file_body::value_type body;
    if (file)
        body.open(file->c_str(), beast::file_mode::scan, fec);
    if (!file || fec)
        return send(text_response(req, http::status::not_found, "text/plain", "not found\n"));
    auto size = body.size();
    if (req.method() == http::verb::head) {
        auto res = text_response(req, http::status::ok, mime_type(file->native()), "");
        res.content_length(size);
        return send(std::move(res));
    }
    http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                        std::make_tuple(http::status::ok, req.version())};
    common_headers(res, mime_type(file->native()));
    res.content_length(size);
    res.keep_alive(req.keep_alive());
    send(std::move(res));
}

bool transcript_pipe::write(std::string piece) {
    if (piece.empty())
        return true; // an empty chunk would end the body
    std::unique_lock lock(mutex);
    if (!cv.wait_until(lock, deadline, [&] { return gone || bytes < limit; }) ||
        std::chrono::steady_clock::now() >= deadline)
        gone = true; // too slow: the session cuts the connection at its next write
    if (gone)
        return false;
    bytes += piece.size();
    pieces.push_back(std::move(piece));
    if (std::exchange(writer_idle, false)) {
        lock.unlock();
        wake(shared_from_this());
    }
    return true;
}

void transcript_pipe::finish() {
    std::unique_lock lock(mutex);
    finished = true;
    if (!gone && std::exchange(writer_idle, false)) {
        lock.unlock();
        wake(shared_from_this());
    }
}

void transcript_pipe::cancel() {
    std::lock_guard lock(mutex);
    gone = true;
    cv.notify_all();
}

void transcript_pipe::written(std::size_t n) {
    std::lock_guard lock(mutex);
    bytes -= n;
    cv.notify_all();
}

template <class Stream>
void basic_http_session<Stream>::send_transcript(const http::request<http::string_body>& req,
                                                 transcript_request tr, std::string lang) {
    if (state_->transcript_builds.fetch_add(1) >= 2) {
        --state_->transcript_builds;
        return send(text_response(req, http::status::service_unavailable, "text/plain",
                                  "busy building other transcripts; try again in a moment\n"));
    }
    auto checked = check_transcript(*state_, tr, lang);
    const bool head = req.method() == http::verb::head;
    if (checked.status != 200 || head)
        --state_->transcript_builds;
    if (checked.status != 200)
        return send(text_response(req, static_cast<http::status>(checked.status), "text/plain",
                                  std::move(checked.body)));

    auto pipe = std::make_shared<transcript_pipe>();
    pipe->chunked = req.version() >= 11;
    pipe->keep_alive = pipe->chunked && req.keep_alive();
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, req.version());
    common_headers(*res, transcript::content_type(tr.format));
    static const char* ext[] = {"srt", "vtt", "txt"};
    res->set(http::field::content_disposition, "attachment; filename=\"" + tr.room +
                                                   (lang.empty() ? "" : "-" + lang) + "." +
                                                   ext[static_cast<int>(tr.format)] + "\"");
    res->keep_alive(pipe->keep_alive);
    res->chunked(pipe->chunked);
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    auto self = shared_from_this();
    lowest().expires_after(std::chrono::seconds(30));
    http::async_write_header(stream_, *sr, [self, res, sr, pipe, head](beast::error_code ec, std::size_t n) {
        if (ec) {
            pipe->cancel();
            return fail(ec, "transcript write");
        }
        if (head)
            return self->on_write(pipe->keep_alive, ec, n);
        self->write_transcript(pipe);
    });
    if (head)
        return;
    pipe->wake = [self](std::shared_ptr<transcript_pipe> p) {
        asio::post(self->stream_.get_executor(), [self, p = std::move(p)] { self->write_transcript(p); });
    };
    std::thread([state = state_, pipe, tr = std::move(tr), lang = std::move(lang)] {
        stream_transcript(*state, tr, lang, *pipe);
        --state->transcript_builds;
        pipe->finish();
    }).detach();
}

template <class Stream>
void basic_http_session<Stream>::write_transcript(std::shared_ptr<transcript_pipe> pipe) {
    std::shared_ptr<std::string> piece;
    {
        std::lock_guard lock(pipe->mutex);
        if (pipe->gone) { // too slow (transcript_pipe::max_time): cut, never end the body cleanly
            beast::error_code ec;
            lowest().socket().close(ec);
            return;
        }
        if (pipe->pieces.empty()) {
            if (!pipe->finished) {
                pipe->writer_idle = true;
                return;
            }
        } else {
            piece = std::make_shared<std::string>(std::move(pipe->pieces.front()));
            pipe->pieces.pop_front();
        }
    }
    auto self = shared_from_this();
    lowest().expires_after(std::chrono::seconds(30));
    if (!piece) { // the end
        if (!pipe->chunked)
            return do_close();
        return asio::async_write(stream_, http::make_chunk_last(),
                                 [self, keep_alive = pipe->keep_alive](beast::error_code ec, std::size_t n) {
                                     self->on_write(keep_alive, ec, n);
                                 });
    }
    auto next = [self, pipe, piece](beast::error_code ec, std::size_t) {
        if (ec) {
            pipe->cancel(); // the transcript's thread stops at its next piece
            return fail(ec, "transcript write");
        }
        pipe->written(piece->size());
        self->write_transcript(pipe);
    };
    if (pipe->chunked)
        asio::async_write(stream_, http::make_chunk(asio::buffer(*piece)), std::move(next));
    else
        asio::async_write(stream_, asio::buffer(*piece), std::move(next));
}

template <class Stream>
void basic_http_session<Stream>::send_qr(const http::request<http::string_body>& req,
                                         const std::string& room) {
    if (!hub::is_room_name(room))
        return send(text_response(req, http::status::bad_request, "text/plain", bad_room_message(room)));
    std::string base = state_->config.public_url;
    if (base.empty()) {
        std::string host(req[http::field::host]);
        if (!plain_host(host))
            return send(text_response(req, http::status::bad_request, "text/plain",
                                      "no usable Host header; set LT_PUBLIC_URL\n"));
        // Behind a TLS-terminating proxy the browser's scheme is in X-Forwarded-Proto; with
        // lt-server's own TLS it is https.
        auto proto_field = req["X-Forwarded-Proto"];
        std::string_view proto(proto_field.data(), proto_field.size());
        base = (proto == "https" || state_->tls ? "https://" : "http://") + host;
    }
    auto svg = qr_svg(room == hub::default_room ? base + "/" : base + "/r/" + room);
    if (!svg)
        return send(text_response(req, http::status::bad_request, "text/plain", svg.error_message() + "\n"));
    send(text_response(req, http::status::ok, "image/svg+xml", std::move(svg).value()));
}

// The reference's HTTP route for speech clients: the API key in a JSON body {"api_key"}, or
// an X-API-Key / "Authorization: Bearer" header; ?room= for a room's own key.
template <class Stream>
void basic_http_session<Stream>::generate_token(const http::request<http::string_body>& req,
                                                std::string_view target) {
    auto json_response = [&req](http::status status, std::string body) {
        return text_response(req, status, "application/json", std::move(body));
    };
    if (req.method() != http::verb::post) {
        auto res =
            json_response(http::status::method_not_allowed, R"({"status":"error","error":"use POST"})");
        res.set(http::field::allow, "POST");
        return send(std::move(res));
    }
    auto room = query_param(target, "room").value_or(std::string(hub::default_room));
    if (!hub::is_room_name(room))
        return send(text_response(req, http::status::bad_request, "text/plain", bad_room_message(room)));
    std::optional<std::string> key;
    if (auto h = req["X-API-Key"]; !h.empty())
        key = std::string(h);
    auto auth = req[http::field::authorization];
    if (!key && auth.starts_with("Bearer "))
        key = std::string(auth.substr(7));
    if (!key && !req.body().empty()) {
        auto body = nlohmann::json::parse(req.body(), nullptr, false);
        if (!body.is_object() || (body.contains("api_key") && !body["api_key"].is_string()))
            return send(
                json_response(http::status::bad_request,
                              R"({"status":"error","error":"body must be JSON: {\"api_key\": \"...\"}"})"));
        if (body.contains("api_key"))
            key = body["api_key"].get<std::string>();
    }
    if (!state_->may_publish(room, key)) {
        state_->metrics.unauthorized.inc();
        return send(json_response(http::status::unauthorized,
                                  R"({"status":"error","error":"Unauthorized: Invalid API key"})"));
    }
    // STS may take a few retries; the answer comes back on this connection's thread.
    lowest().expires_after(std::chrono::seconds(90));
    auto self = shared_from_this();
    state_->tokens->request(ticket_.ip(), [self, &req](token_answer a) {
        asio::post(self->stream_.get_executor(), [self, &req, a = std::move(a)]() mutable {
            auto res = text_response(req, static_cast<http::status>(a.http_status), "application/json",
                                     std::move(a.data));
            if (a.http_status == 429 || a.http_status == 503)
                res.set(http::field::retry_after, "60");
            self->send(std::move(res));
        });
    });
}

template <class Stream>
template <class Response>
void basic_http_session<Stream>::send(Response&& res) {
    using response_type = std::decay_t<Response>;
    auto sp = std::make_shared<response_type>(std::forward<Response>(res));
    response_ = sp;
    lowest().expires_after(std::chrono::seconds(30));
    bool keep_alive = sp->keep_alive();
    http::async_write(
        stream_, *sp,
        beast::bind_front_handler(&basic_http_session::on_write, shared_from_this(), keep_alive));
}

template <class Stream>
void basic_http_session<Stream>::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    response_.reset();
    if (ec)
        return fail(ec, "http write");
    if (!keep_alive)
        return do_close();
    do_read();
}

template <class Stream>
void basic_http_session<Stream>::do_close(bool tls_layer) {
    if constexpr (tls) {
        if (tls_layer) {
            // close_notify, then the socket closes (the peer need not answer within 2 s).
            lowest().expires_after(std::chrono::seconds(2));
            stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
                beast::error_code ignored;
                self->lowest().socket().close(ignored);
            });
            return;
        }
    }
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    // Closing with unread bytes would reset the connection and could take the answer with
    // it: read what is still coming (bounded in time and size) and drop it.
    lowest().expires_after(std::chrono::seconds(2));
    drained_ = 0;
    drain();
}

template <class Stream>
void basic_http_session<Stream>::drain() {
    buffer_.clear();
    lowest().async_read_some(buffer_.prepare(16 * 1024),
                             [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                 self->drained_ += n;
                                 if (!ec && self->drained_ < 1024 * 1024)
                                     self->drain();
                             });
}

template class basic_http_session<beast::tcp_stream>;
template class basic_http_session<tls_stream>;

listener::listener(std::vector<std::unique_ptr<asio::io_context>>& pool, tcp::endpoint endpoint,
                   std::shared_ptr<server_state> state)
    : pool_(pool), acceptor_(*pool.front()), state_(std::move(state)), retry_(acceptor_.get_executor()) {
    beast::error_code ec;
    auto where = [&] { return endpoint.address().to_string() + ":" + std::to_string(endpoint.port()); };
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec)
        acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
        acceptor_.bind(endpoint, ec);
    if (!ec)
        acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::system_error(ec, "cannot listen on " + where());
}

void listener::run() { do_accept(); }

void listener::stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        beast::error_code ec;
        self->retry_.cancel();
        self->acceptor_.close(ec);
    });
}

std::uint16_t listener::port() const { return acceptor_.local_endpoint().port(); }

void listener::do_accept() {
    next_ = (next_ + 1) % pool_.size();
    acceptor_.async_accept(pool_[next_]->get_executor(),
                           beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open())
        return;
    if (ec) {
        // Out of file descriptors, most often: wait instead of spinning.
        spdlog::warn("accept failed: {}", ec.message());
        retry_.expires_after(std::chrono::milliseconds(100));
        retry_.async_wait([self = shared_from_this()](beast::error_code e) {
            if (!e)
                self->do_accept();
        });
        return;
    }
    state_->metrics.connections_total.inc();
    beast::error_code rec;
    auto remote = socket.remote_endpoint(rec);
    std::string ip = rec ? "unknown" : remote.address().to_string();
    std::string why;
    connection_limits::ticket ticket;
    if (!descriptors_left())
        why = "server busy: out of file descriptors";
    else
        ticket = state_->limits.acquire(ip, why);
    if (!ticket) {
        // Answered and closed here: a refused socket must not hold a descriptor.
        state_->metrics.connections_rejected.inc();
        refuse(socket, why);
        return do_accept();
    }
    if (state_->tls)
        std::make_shared<tls_http_session>(std::move(socket), state_, std::move(ticket), next_)->run();
    else
        std::make_shared<http_session>(std::move(socket), state_, std::move(ticket), next_)->run();
    do_accept();
}

bool listener::descriptors_left() const {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return true;
    // Every held connection has a ticket; the rest are the server's own (counted at start).
    auto used = state_->fds_at_start + state_->limits.total() + 1;
    return used + state_->config.fd_reserve <= rl.rlim_cur;
}

void listener::refuse(tcp::socket& socket, const std::string& why) {
    auto body = why + "\n";
    auto text = "HTTP/1.1 503 Service Unavailable\r\nServer: lt-server\r\nContent-Type: text/plain\r\n"
                "Retry-After: 5\r\nConnection: close\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
    beast::error_code ec;
    socket.non_blocking(true, ec);
    // Drop what already arrived, so that closing sends FIN rather than a reset.
    char scratch[4096];
    while (!ec && socket.available(ec) > 0)
        socket.read_some(asio::buffer(scratch), ec);
    ec = {};
    socket.write_some(asio::buffer(text), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
}

} // namespace lt::server
