#include "stt/openai/openai_recognizer.hpp"

#include "net/asio.hpp"
#include "net/backoff.hpp"
#include "net/connect.hpp"
#include "net/endpoint.hpp"
#include "net/reason.hpp"
#include "stt/endpointer.hpp"
#include "stt/openai/wire.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

namespace lt::stt::openai {
namespace {

using steady = std::chrono::steady_clock;
constexpr std::uint64_t rate = endpointer::sample_rate;

// One utterance (or the growing part of one) to transcribe.
struct job {
    std::uint64_t utt = 0; // endpointer utterance number, 1, 2, ...
    bool final = false;
    std::vector<std::int16_t> pcm; // from the pre-roll on
    std::uint64_t start = 0, end = 0;
};

std::string secs(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", s);
    return buf;
}

class openai_engine final : public recognizer {
public:
    openai_engine(const recognizer_options& ro, openai_options oa, net::endpoint ep)
        : oa_(std::move(oa)), ep_(std::move(ep)), lang_(iso639_1(ro.lang)), ep_cut_(ro.endpoint),
          tls_ctx_(net::make_tls_context(oa_.ca_file)), backoff_(oa_.retry_initial, oa_.retry_max, 0.5, 1.0),
          interval_(static_cast<std::uint64_t>(oa_.partial_interval_s * rate)) {
        target_ = ep_.target;
        while (!target_.empty() && target_.back() == '/')
            target_.pop_back();
        target_ += "/audio/transcriptions";
        worker_ = std::thread([this] {
            work();
            worker_done_ = true;
        });
    }

    ~openai_engine() override {
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
        }
        cv_.notify_all();
        // An exchange in flight ends now; repeated, since a stop() just before the worker's
        // restart() would be lost.
        while (!worker_done_) {
            ioc_.stop();
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        worker_.join();
    }

    std::string name() const override {
        return "OpenAI-compatible transcription (" + oa_.model + " at " + ep_.url() + ")";
    }
    bool needs_truecasing() const override { return false; }
    double audio_seconds() const override { return static_cast<double>(samples_) / rate; }

    std::vector<result> feed(std::span<const std::int16_t> pcm) override {
        samples_ += pcm.size();
        ep_cut_.push(pcm, events_);
        handle_events();
        std::lock_guard lock(mu_);
        return std::exchange(results_, {});
    }

    std::vector<result> finish() override {
        if (auto tail = ep_cut_.tail(); in_utt_ && !tail.empty())
            utt_pcm_.insert(utt_pcm_.end(), tail.begin(), tail.end());
        ep_cut_.finish(events_);
        handle_events();

        std::unique_lock lock(mu_);
        partial_.reset(); // the finals follow; a partial now would only delay them
        auto last_progress = steady::now();
        std::size_t left = finals_.size();
        while (!(finals_.empty() && !final_in_flight_) && !dead_) {
            if (finals_.size() != left) {
                left = finals_.size();
                last_progress = steady::now();
            }
            if (steady::now() - last_progress > oa_.finish_timeout)
                break;
            cv_.wait_for(lock, std::chrono::milliseconds(100));
        }
        double lost = 0;
        for (const auto& j : finals_)
            lost += static_cast<double>(j.end - j.start) / rate;
        const std::size_t n = finals_.size();
        finals_.clear();
        auto out = std::exchange(results_, {});
        lock.unlock();
        if (n > 0)
            emit(openai_event::kind::warning,
                 std::to_string(n) + " utterance(s) (" + secs(lost) +
                     " of speech) could not be transcribed: " +
                     (last_error_.empty() ? "the server did not answer in time" : last_error_),
                 lost);
        return out;
    }

private:
    // ---- the caller's thread: cut utterances, queue requests ----

    void handle_events() {
        for (auto& e : events_) {
            switch (e.type) {
            case endpointer::event::kind::begin:
                in_utt_ = true;
                ++utt_seq_;
                utt_pcm_.clear();
                onset_ = e.sample;
                next_partial_ = onset_ + interval_;
                break;
            case endpointer::event::kind::audio:
                utt_pcm_.insert(utt_pcm_.end(), e.pcm.begin(), e.pcm.end());
                fed_end_ = e.sample + e.pcm.size();
                if (interval_ > 0 && fed_end_ >= next_partial_) {
                    next_partial_ = fed_end_ + interval_;
                    queue_partial();
                }
                break;
            case endpointer::event::kind::end:
                in_utt_ = false;
                queue_final(std::max(e.sample, onset_));
                break;
            }
        }
        events_.clear();
    }

    void queue_partial() {
        job j{utt_seq_, false, utt_pcm_, onset_, fed_end_};
        {
            std::lock_guard lock(mu_);
            if (dead_)
                return;
            partial_ = std::move(j); // the newest audio wins
        }
        cv_.notify_all();
    }

    void queue_final(std::uint64_t end) {
        job j{utt_seq_, true, std::move(utt_pcm_), onset_, end};
        utt_pcm_.clear();
        std::optional<job> dropped;
        {
            std::lock_guard lock(mu_);
            if (dead_)
                return;
            if (partial_ && partial_->utt == j.utt)
                partial_.reset();
            closed_utt_ = j.utt;
            // The front may be in flight; the bound counts the ones waiting behind it.
            if (finals_.size() > oa_.queue_max) {
                dropped = std::move(finals_[1]);
                finals_.erase(finals_.begin() + 1);
                ++overflow_;
            }
            finals_.push_back(std::move(j));
        }
        cv_.notify_all();
        if (dropped)
            emit(openai_event::kind::warning,
                 "more than " + std::to_string(oa_.queue_max) +
                     " utterances waiting for the transcription "
                     "server: dropped the oldest waiting one (" +
                     secs(static_cast<double>(dropped->end - dropped->start) / rate) + " of speech; " +
                     std::to_string(overflow_) + " dropped so far)");
    }

    // ---- the worker thread: one request at a time ----

    void emit(openai_event::kind k, const std::string& message, double untranscribed_s = 0) {
        if (oa_.on_event)
            oa_.on_event(openai_event{k, message, untranscribed_s});
        else if (k != openai_event::kind::info || oa_.verbose)
            std::cerr << "lt-speech: openai: " << message << std::endl;
    }

    void work() {
        for (;;) {
            job j;
            {
                std::unique_lock lock(mu_);
                cv_.wait(lock, [&] { return stopping_ || (!dead_ && (!finals_.empty() || partial_)); });
                if (stopping_)
                    return;
                if (!finals_.empty()) {
                    j = finals_.front(); // stays queued until it succeeds
                    final_in_flight_ = true;
                } else {
                    j = std::move(*partial_);
                    partial_.reset();
                }
            }
            answer a = send(j);
            std::unique_lock lock(mu_);
            final_in_flight_ = false;
            if (stopping_)
                return;
            const bool front = j.final && !finals_.empty() && finals_.front().utt == j.utt;
            switch (a.type) {
            case answer::kind::text: {
                backoff_.reset();
                const bool recovered = failing_;
                failing_ = false;
                if (j.final) {
                    if (front)
                        finals_.pop_front();
                    if (!a.text.empty())
                        prompt_ = a.text;
                    push(j, std::move(a.text));
                } else if (j.utt > closed_utt_) {
                    push(j, std::move(a.text));
                }
                lock.unlock();
                cv_.notify_all();
                if (recovered)
                    emit(openai_event::kind::info, "the transcription server answers again");
                break;
            }
            case answer::kind::auth:
                dead_ = true;
                finals_.clear();
                partial_.reset();
                lock.unlock();
                cv_.notify_all();
                emit(openai_event::kind::auth, "the transcription server at " + ep_.url() +
                                                   " refused the key (" + a.message +
                                                   "); check OPENAI_API_KEY");
                break;
            case answer::kind::rejected: {
                if (front)
                    finals_.pop_front();
                // Said for every final (its speech is lost), for partials once per refusal.
                const bool repeated = a.message == last_error_;
                last_error_ = a.message;
                lock.unlock();
                cv_.notify_all();
                if (j.final || !repeated)
                    emit(openai_event::kind::error,
                         "the transcription server refused the request (" + a.message +
                             "); check --openai-url and --stt-model",
                         j.final ? static_cast<double>(j.end - j.start) / rate : 0);
                break;
            }
            case answer::kind::retry: {
                last_error_ = a.message;
                const bool first = !failing_;
                failing_ = true;
                const auto wait = backoff_.next();
                const std::size_t queued = finals_.size();
                lock.unlock();
                if (first)
                    emit(openai_event::kind::warning, "transcription server: " + a.message + " (retrying; " +
                                                          std::to_string(queued) + " utterance(s) waiting)");
                lock.lock();
                // A partial that failed is not retried: a newer one or the final follows.
                cv_.wait_for(lock, wait, [&] { return stopping_; });
                if (stopping_)
                    return;
                break;
            }
            }
        }
    }

    // Under mu_.
    void push(const job& j, std::string text) {
        if (text.empty())
            return; // no words: the utterance gives nothing
        if (j.utt != last_out_utt_) {
            last_out_utt_ = j.utt;
            ++out_id_;
        }
        result r;
        r.text = std::move(text);
        r.final = j.final;
        r.utterance = out_id_;
        r.start_s = static_cast<double>(j.start) / rate;
        r.end_s = static_cast<double>(j.end) / rate;
        results_.push_back(std::move(r));
    }

    answer send(const job& j) {
        transcription_request tr;
        tr.model = oa_.model;
        tr.language = lang_;
        {
            std::lock_guard lock(mu_);
            tr.prompt = prompt_;
        }
        const std::string boundary = new_boundary();
        http::request<http::string_body> req{http::verb::post, target_, 11};
        req.set(http::field::host, ep_.host_header());
        req.set(http::field::user_agent, "lt-speech");
        req.set(http::field::content_type, multipart_content_type(boundary));
        req.set(http::field::accept, "application/json");
        if (!oa_.api_key.empty())
            req.set(http::field::authorization, "Bearer " + oa_.api_key);
        req.keep_alive(true);
        req.body() = multipart_body(tr, wav_file(j.pcm), boundary);
        req.prepare_payload();
        if (oa_.verbose)
            emit(openai_event::kind::info, std::string(j.final ? "final" : "partial") +
                                               " request: utterance " + std::to_string(j.utt) + ", " +
                                               secs(static_cast<double>(j.pcm.size()) / rate));
        http::response<http::string_body> res;
        try {
            run([&]() -> asio::awaitable<void> { co_await request(req, res); });
        } catch (const boost::system::system_error& e) {
            close();
            return answer{answer::kind::retry,
                          {},
                          "cannot reach " + ep_.url() + ": " + net::reason(e) +
                              (net::is_tls_error(e.code()) ? " (--ca-file trusts a private CA)" : "")};
        } catch (const std::exception& e) {
            close();
            return answer{answer::kind::retry, {}, "cannot reach " + ep_.url() + ": " + net::reason(e)};
        }
        if (res.result_int() == 0) { // stopped
            close();
            return answer{answer::kind::retry, {}, "stopped"};
        }
        if (!res.keep_alive())
            close();
        return parse_answer(static_cast<int>(res.result_int()), res.body());
    }

    template <class F>
    void run(F make) {
        ioc_.restart();
        std::exception_ptr err;
        asio::co_spawn(ioc_, make(), [&](std::exception_ptr e) { err = e; });
        ioc_.run();
        if (err)
            std::rethrow_exception(err);
    }

    // A kept-alive connection the server may have closed meanwhile gets one more try on a
    // new one.
    asio::awaitable<void> request(http::request<http::string_body>& req,
                                  http::response<http::string_body>& res) {
        const bool reused = plain_ || tls_;
        try {
            co_await exchange(req, res);
            co_return;
        } catch (const net::connect_error&) {
            throw;
        } catch (const std::exception&) {
            if (!reused)
                throw;
        }
        close();
        co_await exchange(req, res);
    }

    asio::awaitable<void> exchange(http::request<http::string_body>& req,
                                   http::response<http::string_body>& res) {
        net::connect_options co;
        co.connect_timeout = co.handshake_timeout = oa_.request_timeout;
        co.no_delay = true;
        if (ep_.tls()) {
            if (!tls_) {
                tls_ = std::make_unique<net::tls_stream>(ioc_, tls_ctx_);
                co_await net::async_connect(*tls_, ep_, co);
            }
            co_await exchange_on(*tls_, req, res);
        } else {
            if (!plain_) {
                plain_ = std::make_unique<net::tcp_stream>(ioc_);
                co_await net::async_connect(*plain_, ep_, co);
            }
            co_await exchange_on(*plain_, req, res);
        }
    }

    template <class Stream>
    asio::awaitable<void> exchange_on(Stream& s, http::request<http::string_body>& req,
                                      http::response<http::string_body>& res) {
        beast::get_lowest_layer(s).expires_after(oa_.request_timeout);
        co_await http::async_write(s, req, asio::use_awaitable);
        beast::flat_buffer buf;
        http::response_parser<http::string_body> parser;
        parser.body_limit(1 << 20);
        co_await http::async_read(s, buf, parser, asio::use_awaitable);
        beast::get_lowest_layer(s).expires_never();
        res = parser.release();
    }

    void close() {
        plain_.reset();
        tls_.reset();
    }

    openai_options oa_;
    net::endpoint ep_;
    std::string target_;
    std::string lang_;

    // Caller's thread.
    endpointer ep_cut_;
    std::vector<endpointer::event> events_;
    std::vector<std::int16_t> utt_pcm_;
    std::uint64_t samples_ = 0, utt_seq_ = 0, onset_ = 0, fed_end_ = 0, next_partial_ = 0;
    bool in_utt_ = false;

    // Worker thread.
    asio::io_context ioc_;
    ssl::context tls_ctx_;
    std::unique_ptr<net::tcp_stream> plain_;
    std::unique_ptr<net::tls_stream> tls_;
    net::backoff backoff_;
    const std::uint64_t interval_;

    // Shared, under mu_.
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<job> finals_;
    std::optional<job> partial_;
    std::vector<result> results_;
    std::string prompt_, last_error_;
    std::uint64_t closed_utt_ = 0, last_out_utt_ = 0, out_id_ = 0;
    std::size_t overflow_ = 0;
    bool stopping_ = false, dead_ = false, failing_ = false, final_in_flight_ = false;

    std::atomic<bool> worker_done_{false};
    std::thread worker_;
};

} // namespace

core::result<std::unique_ptr<recognizer>> make_openai_recognizer(const recognizer_options& opts,
                                                                 openai_options oa) {
    auto ep = net::parse_url(oa.base_url);
    if (!ep)
        return core::make_error("openai: --openai-url " + oa.base_url + ": " + ep.error_message());
    if (ep.value().scheme != "http" && ep.value().scheme != "https")
        return core::make_error("openai: --openai-url must be http:// or https://, not " + ep.value().scheme);
    if (oa.model.empty())
        return core::make_error("openai: --stt-model is empty (OpenAI's is whisper-1)");
    if (oa.partial_interval_s < 0)
        return core::make_error("openai: --partial-interval must be 0 (finals only) or more");
    if (oa.queue_max < 1)
        oa.queue_max = 1;
    try {
        return std::unique_ptr<recognizer>(std::make_unique<openai_engine>(opts, std::move(oa), ep.value()));
    } catch (const std::exception& e) {
        return core::make_error(std::string("openai: ") + e.what());
    }
}

} // namespace lt::stt::openai
