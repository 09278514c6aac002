#include "stt/transcribe/transcribe_recognizer.hpp"

#include "aws/endpoint.hpp"
#include "aws/event_stream.hpp"
#include "aws/sigv4.hpp"
#include "net/asio.hpp"
#include "net/backoff.hpp"
#include "net/connect.hpp"
#include "net/reason.hpp"
#include "stt/transcribe/transcript.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <list>
#include <mutex>
#include <thread>

namespace lt::stt::transcribe {

namespace es = aws::event_stream;
using asio::awaitable;
using asio::use_awaitable;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t rate = 16000;

// How much already-sent audio a lost stream's successor gets again, from the last final's
// end, so a word the service was still hearing is not cut (words finalised before are not).
constexpr std::uint64_t replay_max = 10 * rate;
// Audio kept while no stream takes it; past this the oldest goes.
constexpr std::uint64_t buffer_max = 5 * 60 * rate;
// A rotation switches streams at a pause between results; after `switch_wait` without one,
// at a quiet moment between words; after `switch_max`, anyway.
constexpr auto switch_wait = 3s;
constexpr auto switch_max = 8s;
// An ended stream's last results.
constexpr auto drain_timeout = 10s;
constexpr auto connect_timeout = 10s;
constexpr auto expiry_margin = 60s;
constexpr auto backoff_initial = 1s;
constexpr auto backoff_max = 16s;

std::string secs(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", s);
    return buf;
}

// Exceptions that mean the credentials are wrong or stale rather than the request.
bool auth_exception(std::string_view type) {
    for (std::string_view t :
         {"UnrecognizedClient", "InvalidSignature", "ExpiredToken", "AccessDenied", "Forbidden",
          "InvalidClientTokenId", "IncompleteSignature", "SignatureDoesNotMatch"})
        if (type.find(t) != std::string_view::npos)
            return true;
    return false;
}

// A service error answer (XML or JSON) in one line.
std::string error_text(const std::string& body) {
    auto tag = [&](const char* name) -> std::string {
        auto open = body.find(std::string("<") + name + ">");
        if (open == std::string::npos)
            return {};
        open += std::strlen(name) + 2;
        auto close = body.find("</", open);
        return body.substr(open, close == std::string::npos ? std::string::npos : close - open);
    };
    std::string code = tag("Code"), msg = tag("Message");
    if (code.empty() && msg.empty()) {
        auto j = nlohmann::json::parse(body, nullptr, false);
        if (j.is_object()) {
            code = j.value("__type", std::string());
            if (auto hash = code.rfind('#'); hash != std::string::npos)
                code = code.substr(hash + 1);
            msg = j.value("message", j.value("Message", std::string()));
        }
    }
    if (code.empty() && msg.empty()) {
        std::string s = body.substr(0, 300);
        for (auto& c : s)
            if (c == '\n' || c == '\r')
                c = ' ';
        return s;
    }
    return code + (code.empty() || msg.empty() ? "" : ": ") + msg;
}

struct stream_error : std::runtime_error {
    stream_error(const std::string& what, bool auth_) : std::runtime_error(what), auth(auth_) {}
    bool auth;
};

} // namespace

class transcribe_engine final : public stt::recognizer {
public:
    transcribe_engine(transcribe_options opts, aws::endpoint ep, std::string region)
        : opts_(std::move(opts)), ep_(std::move(ep)), region_(std::move(region)),
          tls_(net::make_tls_context(opts_.ca_file)) {
        chunk_ = std::max<std::uint64_t>(160, static_cast<std::uint64_t>(opts_.chunk.count()) * rate / 1000);
        asio::co_spawn(ioc_, supervise(), [this](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    emit(transcribe_event::kind::error, std::string("internal error: ") + ex.what());
                }
            }
            std::lock_guard lock(mu_);
            stopped_ = true;
            cv_.notify_all();
        });
        thread_ = std::thread([this] { ioc_.run(); });
    }

    ~transcribe_engine() override {
        asio::post(ioc_, [this] {
            stopping_ = true;
            wake_all();
        });
        std::unique_lock lock(mu_);
        if (!cv_.wait_for(lock, 5s, [&] { return stopped_; }))
            ioc_.stop();
        lock.unlock();
        thread_.join();
        pool_.join();
    }

    std::string name() const override {
        return "AWS Transcribe (" + opts_.language_code + " at " + ep_.host_header() + ")";
    }
    bool needs_truecasing() const override { return false; }
    double audio_seconds() const override { return static_cast<double>(fed_.load()) / rate; }

    std::vector<stt::result> feed(std::span<const std::int16_t> pcm) override {
        std::lock_guard lock(mu_);
        incoming_.insert(incoming_.end(), pcm.begin(), pcm.end());
        fed_ += pcm.size();
        if (!take_posted_) {
            take_posted_ = true;
            asio::post(ioc_, [this] { take_incoming(); });
        }
        return std::exchange(results_, {});
    }

    std::vector<stt::result> finish() override {
        {
            std::lock_guard lock(mu_);
            finished_ = false;
        }
        asio::post(ioc_, [this] {
            take_incoming();
            finishing_ = true;
            finish_deadline_ = steady::now() + opts_.finish_timeout;
            wake_all();
        });
        std::unique_lock lock(mu_);
        // The engine gives up by itself once nothing moved for finish_timeout.
        cv_.wait(lock, [&] { return finished_ || stopped_; });
        return std::exchange(results_, {});
    }

private:
    using plain_ws = websocket::stream<beast::tcp_stream>;
    using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

    struct stream {
        explicit stream(asio::io_context& ioc, utterance_counter& c) : wake(ioc), mapper(c) {}
        enum class phase { connecting, ready, active, draining, closed };
        int id = 0;
        phase ph = phase::connecting;
        aws::credentials creds;
        steady::time_point ready_at{}, drain_since{}, last_result{};
        std::uint64_t start_sample = 0;          // its audio begins here in our timeline
        std::uint64_t next_sample = 0;           // next to send
        std::optional<std::uint64_t> end_sample; // set at a switch: send up to here, then end
        bool eos_sent = false;
        bool got_results = false;
        bool reader_done = false;
        std::string error;
        bool auth_error = false;
        asio::steady_timer wake;
        transcript_mapper mapper;
        std::function<void()> close_socket;
    };
    using stream_ptr = std::shared_ptr<stream>;

    // ---- helpers on the io thread ----

    void emit(transcribe_event::kind k, const std::string& message, double untranscribed_s = 0) {
        if (opts_.on_event)
            opts_.on_event(transcribe_event{k, message, untranscribed_s});
        else if (k != transcribe_event::kind::info || opts_.verbose)
            std::cerr << "lt-speech: transcribe: " << message << std::endl;
    }
    void info(const std::string& m) {
        if (opts_.verbose)
            emit(transcribe_event::kind::info, m);
    }

    void wake_all() {
        wake_.cancel();
        for (auto& s : streams_)
            s->wake.cancel();
    }

    void take_incoming() {
        std::vector<std::int16_t> in;
        {
            std::lock_guard lock(mu_);
            in.swap(incoming_);
            take_posted_ = false;
        }
        audio_.insert(audio_.end(), in.begin(), in.end());
        audio_end_ += in.size();
        if (active_)
            active_->wake.cancel();
        if (!active_ || (next_ && next_->ph == stream::phase::ready))
            wake_.cancel(); // the supervisor looks for a moment to switch
    }

    void push_results(std::vector<stt::result> rs) {
        if (rs.empty())
            return;
        std::lock_guard lock(mu_);
        for (auto& r : rs)
            results_.push_back(std::move(r));
    }

    double at(std::uint64_t sample) const { return static_cast<double>(sample) / rate; }

    // Asks the provider on the pool (a fetch may wait for a server) and polls for the
    // answer, so neither audio nor results wait for it.
    awaitable<core::result<aws::credentials>> get_credentials() {
        struct state {
            std::mutex mu;
            std::optional<core::result<aws::credentials>> value;
        };
        auto st = std::make_shared<state>();
        auto provider = opts_.credentials;
        asio::post(pool_, [st, provider] {
            auto r = provider->get();
            std::lock_guard lock(st->mu);
            st->value.emplace(std::move(r));
        });
        asio::steady_timer t(ioc_);
        for (;;) {
            {
                std::lock_guard lock(st->mu);
                if (st->value)
                    co_return std::move(*st->value);
            }
            t.expires_after(20ms);
            boost::system::error_code ec;
            co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
        }
    }

    // ---- the supervisor: opens, rotates, switches and reopens streams ----

    awaitable<void> supervise() {
        auto next_check = steady::now();
        for (;;) {
            auto now = steady::now();
            for (auto it = streams_.begin(); it != streams_.end();) {
                if ((*it)->ph == stream::phase::closed && (*it)->reader_done) {
                    auto s = *it;
                    it = streams_.erase(it);
                    on_closed(s);
                } else {
                    ++it;
                }
            }
            if (stopping_) {
                for (auto& s : streams_)
                    if (s->close_socket)
                        s->close_socket();
                if (streams_.empty())
                    break;
            } else {
                if (next_ && next_->ph == stream::phase::ready) {
                    if (!active_)
                        activate(next_, resume_);
                    else if (!active_->mapper.partial_pending())
                        switch_to(now, active_->next_sample, "at a pause");
                    else if (now - next_->ready_at >= switch_max)
                        switch_to(now, active_->next_sample, "mid-sentence");
                    else if (now - next_->ready_at >= switch_wait && quiet_end())
                        switch_to(now, audio_end_, "between words");
                }
                if (!active_ && !next_ && audio_end_ > resume_ && now >= retry_at_)
                    next_ = open_stream();
                if (finishing_)
                    check_finished(now);
                else if (active_ && !next_ && now >= next_check && !checking_) {
                    next_check = now + 1s;
                    asio::co_spawn(ioc_, check_rotation(active_), asio::detached);
                }
                trim();
            }
            wake_.expires_after(100ms);
            boost::system::error_code ec;
            co_await wake_.async_wait(asio::redirect_error(use_awaitable, ec));
        }
    }

    awaitable<void> check_rotation(stream_ptr s) {
        checking_ = true;
        std::string why;
        auto now = steady::now();
        if (now - s->ready_at >= opts_.rotate_after) {
            why = "the stream is " + std::to_string(opts_.rotate_after.count()) + " s old";
        } else {
            auto c = co_await get_credentials();
            // Expiring keys alone are no reason: a new stream helps only once the provider
            // (refreshing before the expiry) has newer ones.
            if (c && c.value().access_key_id != s->creds.access_key_id)
                why = "new credentials (" + c.value().source + ")";
            else if (c && s->creds.expiration && c.value().expiration &&
                     *c.value().expiration > *s->creds.expiration &&
                     *s->creds.expiration - aws::clock::now() < expiry_margin)
                why = "the stream's credentials expire within a minute";
        }
        checking_ = false;
        if (!why.empty() && s == active_ && !next_ && !stopping_ && !finishing_ &&
            steady::now() >= retry_at_) {
            info("rotating stream " + std::to_string(s->id) + ": " + why);
            next_ = open_stream();
        }
    }

    stream_ptr open_stream() {
        auto s = std::make_shared<stream>(ioc_, counter_);
        s->id = ++stream_ids_;
        streams_.push_back(s);
        asio::co_spawn(ioc_, run_stream(s), [this, s](std::exception_ptr) {
            s->ph = stream::phase::closed;
            s->reader_done = true;
            wake_.cancel();
        });
        return s;
    }

    void activate(stream_ptr s, std::uint64_t from) { // by value: `s` may be next_, reset here
        s->start_sample = s->next_sample = std::max(from, audio_base_);
        s->mapper.set_offset(at(s->start_sample));
        s->ph = stream::phase::active;
        resume_ = s->start_sample;
        warned_drop_ = false;
        active_ = s;
        next_.reset();
        backoff_.reset();
        s->wake.cancel();
    }

    // Audio sent so far stays with the old stream; everything after goes to the new one.
    // Audio before `point` goes to the old stream only, after it to the new one only.
    void switch_to(steady::time_point now, std::uint64_t point, const char* where) {
        auto old = active_;
        old->end_sample = point;
        old->wake.cancel();
        auto waited = std::chrono::duration<double>(now - next_->ready_at).count();
        info("switching to stream " + std::to_string(next_->id) + " at audio " + secs(at(point)) + " (" +
             where + ", " + secs(waited) + " after it opened)");
        activate(next_, point);
    }

    // The newest 20 ms are well below the last two seconds' level: a gap between words,
    // where a switch cuts none.
    bool quiet_end() const {
        constexpr std::uint64_t frame = rate / 50, window = 2 * rate;
        if (audio_end_ - audio_base_ < window)
            return false;
        auto energy = [&](std::uint64_t from, std::uint64_t n) {
            double e = 0;
            for (std::uint64_t i = from; i < from + n; ++i) {
                double v = audio_[static_cast<std::size_t>(i - audio_base_)];
                e += v * v;
            }
            return e / static_cast<double>(n);
        };
        return energy(audio_end_ - frame, frame) * 16 < energy(audio_end_ - window, window);
    }

    void on_closed(const stream_ptr& s) {
        if (s == next_) {
            next_.reset();
            if (active_ && (finishing_ || stopping_))
                return; // a rotation given up at the end
            fail_later(s, active_ ? "could not open the next Transcribe stream (the current one goes on)"
                                  : "could not open a Transcribe stream");
            return;
        }
        if (s != active_) {
            // Ended by us (a rotation or the end of the input): its last words are final.
            push_results(s->mapper.flush());
            resume_ = std::max(resume_, s->next_sample);
            if (!s->error.empty() && !stopping_)
                info("stream " + std::to_string(s->id) + " after its end: " + s->error);
            return;
        }
        active_.reset();
        bool ended_by_us = s->eos_sent;
        if (ended_by_us) {
            push_results(s->mapper.flush());
            resume_ = s->next_sample;
            return;
        }
        // Lost: the next stream repeats the audio from the last final's end, so the words
        // of a partial left open are heard again, and keeps that partial's number.
        std::uint64_t from = s->start_sample;
        if (auto end = s->mapper.last_final_end())
            from = std::max(from, static_cast<std::uint64_t>(*end * rate));
        if (s->next_sample > replay_max)
            from = std::max(from, s->next_sample - replay_max);
        resume_ = std::min(from, s->next_sample);
        if (auto u = s->mapper.pending_utterance())
            counter_.reuse = u;
        if (stopping_)
            return;
        if (s->auth_error)
            opts_.credentials->invalidate(); // e.g. keys revoked or expired mid-stream
        if (next_ && next_->ph == stream::phase::ready) {
            activate(next_, resume_);
            return;
        }
        if (!s->auth_error && (s->got_results || steady::now() - s->ready_at > 30s)) {
            // It worked for a while: the service's limits or a network blip; reopen at once.
            emit(transcribe_event::kind::warning, "Transcribe stream " + std::to_string(s->id) + " ended (" +
                                                      (s->error.empty() ? "closed" : s->error) +
                                                      "); reopening");
            backoff_.reset();
            retry_at_ = steady::now();
            return;
        }
        fail_later(s, "Transcribe stream " + std::to_string(s->id) + " failed");
    }

    void fail_later(const stream_ptr& s, const std::string& what) {
        if (s->auth_error)
            opts_.credentials->invalidate(); // a refreshing provider fetches anew
        if (stopping_)
            return;
        auto delay = backoff_.next();
        emit(transcribe_event::kind::error,
             what + ": " + (s->error.empty() ? "closed" : s->error) + "; retrying in " +
                 std::to_string(std::chrono::duration_cast<std::chrono::seconds>(delay).count()) +
                 " s (audio is kept)");
        retry_at_ = steady::now() + delay;
    }

    void trim() {
        std::uint64_t keep = active_ ? audio_end_ : std::min(resume_, audio_end_);
        for (auto& s : streams_)
            if (s->ph == stream::phase::active || s->ph == stream::phase::draining)
                keep = std::min(keep, s->next_sample);
        if (active_) {
            // What a replay after losing the stream would need.
            std::uint64_t floor = active_->start_sample;
            if (auto end = active_->mapper.last_final_end())
                floor = std::max(floor, static_cast<std::uint64_t>(*end * rate));
            if (active_->next_sample > replay_max)
                floor = std::max(floor, active_->next_sample - replay_max);
            keep = std::min(keep, std::min(floor, active_->next_sample));
        }
        if (audio_end_ - keep > buffer_max)
            keep = audio_end_ - buffer_max;
        if (keep <= audio_base_)
            return;
        std::uint64_t unsent = 0;
        for (auto& s : streams_)
            if ((s->ph == stream::phase::active || s->ph == stream::phase::draining) &&
                s->next_sample < keep) {
                unsent = std::max(unsent, keep - s->next_sample);
                s->next_sample = keep;
            }
        if (resume_ < keep) {
            if (!active_)
                unsent = std::max(unsent, keep - resume_);
            resume_ = keep;
        }
        if (unsent > 0 && !std::exchange(warned_drop_, true)) {
            emit(transcribe_event::kind::warning, "no Transcribe stream for " + secs(at(buffer_max)) +
                                                      ": dropping the oldest audio until one opens");
        }
        audio_.erase(audio_.begin(), audio_.begin() + static_cast<std::ptrdiff_t>(keep - audio_base_));
        audio_base_ = keep;
    }

    void check_finished(steady::time_point now) {
        if (next_ && active_) {
            // No rotation at the end: the old stream finishes the input.
            if (next_->close_socket)
                next_->close_socket();
        }
        bool done = streams_.empty() && audio_end_ <= resume_;
        // A long input read with --fast is still being sent: wait while it makes progress.
        if (!done && now >= std::max(finish_deadline_, last_progress_ + opts_.finish_timeout)) {
            for (auto& s : streams_) {
                if (s->close_socket)
                    s->close_socket();
                push_results(s->mapper.flush());
            }
            std::uint64_t lost = audio_end_ > resume_ ? audio_end_ - resume_ : 0;
            if (active_ && active_->next_sample < audio_end_)
                lost = audio_end_ - active_->next_sample;
            if (lost > 0 || !streams_.empty())
                emit(transcribe_event::kind::error,
                     "gave up at the end after " + std::to_string(opts_.finish_timeout.count()) +
                         " s without progress: " + secs(at(lost)) + " of audio not transcribed",
                     std::max(at(lost), 0.001));
            resume_ = audio_end_;
            streams_.clear();
            active_.reset();
            next_.reset();
            done = true;
        }
        if (done) {
            finishing_ = false;
            std::lock_guard lock(mu_);
            finished_ = true;
            cv_.notify_all();
        }
    }

    // ---- one stream ----

    std::string presigned_target(const aws::credentials& creds) const {
        aws::http_request_parts req;
        req.method = "GET";
        // Query keys in canonical (sorted) order, values already URI-safe.
        req.target = ep_.target +
                     "/stream-transcription-websocket?enable-partial-results-stabilization=true" +
                     "&language-code=" + aws::uri_encode(opts_.language_code) +
                     "&media-encoding=pcm&partial-results-stability=high&sample-rate=" + std::to_string(rate);
        req.headers = {{"host", ep_.host_header()}};
        aws::signing_params p;
        p.region = region_;
        p.service = aws::transcribe_streaming_service().signing_name;
        p.when = aws::clock::now();
        return aws::presign(req, creds, p, std::chrono::seconds(300));
    }

    awaitable<void> run_stream(stream_ptr s) {
        try {
            auto c = co_await get_credentials();
            if (!c)
                throw stream_error(c.error_message(), false);
            s->creds = c.value();
            if (ep_.tls())
                co_await session<tls_ws>(s);
            else
                co_await session<plain_ws>(s);
        } catch (const stream_error& e) {
            s->error = e.what();
            s->auth_error = e.auth;
        } catch (const std::exception& e) {
            if (s->error.empty())
                s->error = net::reason(e);
        }
        s->close_socket = nullptr;
        s->ph = stream::phase::closed;
    }

    template <class WS>
    awaitable<void> session(stream_ptr s) {
        WS ws = [&] {
            if constexpr (std::is_same_v<WS, tls_ws>)
                return WS(ioc_, tls_);
            else
                return WS(ioc_);
        }();
        auto& tcp_layer = beast::get_lowest_layer(ws);
        s->close_socket = [&tcp_layer] {
            boost::system::error_code ec;
            tcp_layer.socket().close(ec);
        };
        auto where = ep_;
        where.target = presigned_target(s->creds);
        // One time limit for connecting, TLS and the upgrade together.
        net::connect_options limits;
        limits.connect_timeout = limits.handshake_timeout = connect_timeout;
        limits.deadline = steady::now() + connect_timeout;
        co_await net::async_connect(ws.next_layer(), where, limits);
        websocket::response_type res;
        try {
            co_await net::async_upgrade(ws, where, "", limits, &res);
        } catch (const boost::system::system_error& e) {
            if (e.code() != websocket::error::upgrade_declined)
                throw;
            int status = static_cast<int>(res.result_int());
            throw stream_error(
                "Transcribe refused the stream: HTTP " + std::to_string(status) + " " +
                    std::string(res.reason()) + (res.body().empty() ? "" : ": " + error_text(res.body())) +
                    (status == 401 || status == 403 ? " (check the AWS credentials, their permission "
                                                      "transcribe:StartStreamTranscriptionWebSocket, "
                                                      "the clock and the region)"
                                                    : ""),
                status == 401 || status == 403);
        }
        websocket::stream_base::timeout t{};
        t.handshake_timeout = 5s; // the closing handshake
        t.idle_timeout = 20s;     // pings after 10 s without data, gone after 20
        t.keep_alive_pings = true;
        ws.set_option(t);
        ws.binary(true);
        s->ph = stream::phase::ready;
        s->ready_at = steady::now();
        std::string expires =
            s->creds.expiration ? ", credentials expire " + aws::format_iso8601(*s->creds.expiration) : "";
        info("stream " + std::to_string(s->id) + " open (" + s->creds.source + expires + ")");
        wake_.cancel();

        asio::co_spawn(ioc_, read_loop(ws, s), [this, s](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const stream_error& ex) {
                    if (s->error.empty()) {
                        s->error = ex.what();
                        s->auth_error = ex.auth;
                    }
                } catch (const std::exception& ex) {
                    if (s->error.empty() &&
                        !(s->eos_sent && dynamic_cast<const boost::system::system_error*>(&ex) &&
                          static_cast<const boost::system::system_error&>(ex).code() ==
                              websocket::error::closed))
                        s->error = net::reason(ex);
                }
            }
            s->reader_done = true;
            s->wake.cancel();
        });

        try {
            co_await write_loop(ws, *s);
        } catch (const std::exception& e) {
            if (s->error.empty())
                s->error = net::reason(e);
        }
        // The reader refers to `ws`: it must end before `ws` goes.
        if (!s->reader_done)
            s->close_socket();
        while (!s->reader_done) {
            s->wake.expires_after(100ms);
            boost::system::error_code ec;
            co_await s->wake.async_wait(asio::redirect_error(use_awaitable, ec));
        }
        s->close_socket = nullptr;
    }

    template <class WS>
    awaitable<void> write_loop(WS& ws, stream& s) {
        std::string pcm, frame;
        for (;;) {
            if (s.reader_done || stopping_)
                co_return;
            auto now = steady::now();
            if (s.ph == stream::phase::active || s.ph == stream::phase::draining) {
                std::uint64_t limit = std::min(s.end_sample.value_or(audio_end_), audio_end_);
                std::uint64_t avail = limit > s.next_sample ? limit - s.next_sample : 0;
                bool ending = s.end_sample.has_value() || (finishing_ && s.ph == stream::phase::active);
                if (avail >= chunk_ || (ending && avail > 0)) {
                    std::uint64_t n = std::min(avail, chunk_);
                    pcm.resize(n * 2);
                    auto first = audio_.begin() + static_cast<std::ptrdiff_t>(s.next_sample - audio_base_);
                    for (std::uint64_t i = 0; i < n; ++i) {
                        auto v = static_cast<std::uint16_t>(first[static_cast<std::ptrdiff_t>(i)]);
                        pcm[2 * i] = static_cast<char>(v & 0xff);
                        pcm[2 * i + 1] = static_cast<char>(v >> 8);
                    }
                    s.next_sample += n;
                    frame = es::encode(es::audio_event(pcm));
                    co_await ws.async_write(asio::buffer(frame), use_awaitable);
                    last_progress_ = steady::now();
                    continue;
                }
                if (ending && !s.eos_sent) {
                    s.eos_sent = true;
                    s.ph = stream::phase::draining;
                    s.drain_since = now;
                    frame = es::encode(es::end_of_stream());
                    co_await ws.async_write(asio::buffer(frame), use_awaitable);
                    continue;
                }
            }
            auto deadline = now + 200ms;
            // Audio sent fast (--fast, a backlog) may still be in the service's queue: wait
            // while results keep coming.
            if (s.ph == stream::phase::draining &&
                now - std::max(s.drain_since, s.last_result) > drain_timeout) {
                s.error = "no end from the service within " + std::to_string(drain_timeout.count()) + " s";
                emit(transcribe_event::kind::warning,
                     "stream " + std::to_string(s.id) + ": " + s.error + "; closed");
                co_return;
            }
            s.wake.expires_at(deadline);
            boost::system::error_code ec;
            co_await s.wake.async_wait(asio::redirect_error(use_awaitable, ec));
        }
    }

    template <class WS>
    awaitable<void> read_loop(WS& ws, stream_ptr s) {
        for (;;) {
            beast::flat_buffer buffer;
            co_await ws.async_read(buffer, use_awaitable);
            auto m = es::decode(beast::buffers_to_string(buffer.data()));
            if (!m)
                throw stream_error("unreadable frame from Transcribe: " + m.error_message(), false);
            const std::string* type = m.value().string_header(":message-type");
            if (type && *type == "exception") {
                const std::string* ex = m.value().string_header(":exception-type");
                std::string name = ex ? *ex : "exception";
                std::string text = error_text(m.value().payload);
                throw stream_error("Transcribe " + name + (text.empty() || text == name ? "" : ": " + text),
                                   auth_exception(name));
            }
            const std::string* event = m.value().string_header(":event-type");
            if (!type || *type != "event" || !event || *event != "TranscriptEvent")
                continue;
            auto rs = s->mapper.on_event(m.value().payload);
            if (!rs) {
                emit(transcribe_event::kind::warning, rs.error_message());
                continue;
            }
            s->got_results = true;
            s->last_result = last_progress_ = steady::now();
            push_results(std::move(rs.value()));
        }
    }

    transcribe_options opts_;
    aws::endpoint ep_;
    std::string region_;
    std::uint64_t chunk_ = 1600;

    asio::io_context ioc_;
    ssl::context tls_;
    asio::thread_pool pool_{1};
    asio::steady_timer wake_{ioc_};
    std::thread thread_;

    // Owned by the io thread.
    std::deque<std::int16_t> audio_;
    std::uint64_t audio_base_ = 0; // timeline sample of audio_.front()
    std::uint64_t audio_end_ = 0;  // one past audio_.back()
    std::uint64_t resume_ = 0;     // where the next stream begins when none is active
    std::list<stream_ptr> streams_;
    stream_ptr active_, next_;
    utterance_counter counter_;
    int stream_ids_ = 0;
    steady::time_point retry_at_{}, finish_deadline_{}, last_progress_{};
    net::backoff backoff_{backoff_initial, backoff_max}; // no jitter: one stream per speaker
    bool checking_ = false;
    bool warned_drop_ = false;
    bool finishing_ = false;
    bool stopping_ = false;

    // Shared with the feeding thread.
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::int16_t> incoming_;
    std::vector<stt::result> results_;
    bool take_posted_ = false;
    bool finished_ = false;
    bool stopped_ = false;
    std::atomic<std::uint64_t> fed_{0};
};

core::result<std::unique_ptr<stt::recognizer>> make_transcribe_recognizer(transcribe_options opts) {
    if (opts.language_code.empty())
        return core::make_error("no Transcribe language code (use --lang with a code like en-US)");
    if (!opts.credentials)
        return core::make_error("no AWS credentials provider for Transcribe");
    std::string region = opts.region.empty() ? aws::region_from_env() : opts.region;
    std::vector<std::string> warnings;
    auto ep = aws::resolve_endpoint(aws::transcribe_streaming_service(), region, &warnings);
    if (!ep)
        return core::make_error(ep.error_message());
    if (region.empty())
        region = "us-east-1"; // an endpoint override without a region: sign for some region
    for (const auto& w : warnings)
        if (opts.on_event)
            opts.on_event({transcribe_event::kind::warning, w, 0});
        else
            std::cerr << "lt-speech: warning: " << w << "\n";
    try {
        return std::unique_ptr<stt::recognizer>(
            std::make_unique<transcribe_engine>(std::move(opts), ep.value(), std::move(region)));
    } catch (const std::exception& e) {
        return core::make_error(e.what());
    }
}

} // namespace lt::stt::transcribe
