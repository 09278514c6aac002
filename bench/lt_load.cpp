// lt_load: fan-out load generator for lt-server.
//
// Opens N viewer WebSockets over loopback (round-robin over the 16 viewer languages), waits
// until every one has its language_set, measures the server's idle memory, then lets one
// speaker send R final captions per second and records, for every (viewer, caption), the
// time from the speaker's send to the viewer's receipt. All clients share one io_context on
// one or two threads; the main thread only drives the phases and reads /proc.
//
// Output: a one-line summary, then one JSON line (starts with '{') for scripts.
// Exit code: 0 clean run, 2 run finished but something was lost/dropped/failed, 1 setup error.
//
// Usage: lt_load --port P --viewers N --rate R --duration D --server-pid PID  (API_KEY in env)
// With --viewer-ports P1,P2,... (cluster nodes) the viewers go round-robin over those ports and
// the output adds latency per port; the speaker stays on --port.
// With --tls (and --ca-file) every connection is wss: lt::net's TLS connect (certificate and
// address checked), the same load.
#include "net/asio.hpp"
#include "net/connect.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr std::array<const char*, 16> viewer_languages{"en", "es", "fr", "de", "it", "pt", "zh", "ja",
                                                       "ko", "ar", "ru", "hi", "nl", "pl", "tr", "ca"};

// Distinct sentences (plus a counter and the marker) so a translation cache cannot make
// later captions free.
constexpr std::array<const char*, 30> sentences{
    "Good morning everyone and welcome to the annual meeting",
    "Today we will talk about the results of the last quarter",
    "The new library opens next week near the train station",
    "Please turn off your phones before the concert begins",
    "Our team finished the project two days ahead of schedule",
    "The weather will be cold and windy for the rest of the week",
    "I would like to thank the volunteers who helped us this year",
    "The bus to the airport leaves every twenty minutes",
    "We need more teachers in the schools of the northern region",
    "The museum has a new exhibition about ancient maps",
    "Lunch will be served in the main hall at noon",
    "The city council approved the budget for the new bridge",
    "Children under twelve can visit the park for free",
    "The doctor recommends walking for thirty minutes every day",
    "Our company opened a small office in the old town",
    "The students presented their research to the whole class",
    "Remember to bring your passport and your ticket",
    "The river is higher than usual after the heavy rain",
    "She wrote a book about the history of the harbour",
    "The market sells fresh bread, fruit and cheese on Saturdays",
    "The next speaker will explain the plan for the coming year",
    "We are looking for people who can speak several languages",
    "The festival brings thousands of visitors to the village",
    "The hospital will open a new wing in the spring",
    "Questions can be sent by email after the presentation",
    "The train was late because of a problem with the signals",
    "Many families moved to the suburbs during the last decade",
    "The garden behind the house is full of flowers in May",
    "The committee will publish its report at the end of the month",
    "Thank you for your attention and have a pleasant evening",
};

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}

std::string now_hms() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    return buf;
}

// Counts events by their reason text; thread-safe.
class reason_counter {
public:
    void add(const std::string& why) {
        std::lock_guard lock(mutex_);
        ++counts_[why];
    }
    json to_json() const {
        std::lock_guard lock(mutex_);
        json j = json::object();
        for (const auto& [k, v] : counts_)
            j[k] = v;
        return j;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::size_t> counts_;
};

// Counters every connection updates; atomics because clients run on up to two threads.
struct shared_stats {
    std::atomic<std::size_t> pending{0};  // handshakes in flight
    std::atomic<std::size_t> finished{0}; // connect attempts done (ok or failed)
    std::atomic<std::size_t> connected{0};
    std::atomic<std::size_t> connect_failed{0};
    std::atomic<std::size_t> subscribed{0};
    std::atomic<std::size_t> open{0};     // read loops still running
    std::atomic<std::size_t> received{0}; // first receipts of our captions
    std::atomic<std::size_t> duplicates{0};
    std::atomic<std::size_t> out_of_order{0};
    std::atomic<std::size_t> wrong_lang{0};
    std::atomic<std::size_t> marker_mismatch{0};
    std::atomic<std::size_t> foreign{0}; // captions not from this run (catch-up)
    std::atomic<std::size_t> dropped{0}; // closed by the server before we closed
    std::atomic<bool> closing{false};    // from here on a close is ours
    reason_counter connect_failures;
    reason_counter drop_reasons;
    reason_counter server_errors;
    reason_counter wrong_langs; // soak: "wanted -> got"
    // Soak: captions that came before language_set, in the language every viewer starts in (en).
    std::atomic<std::size_t> before_language_set{0};
};

// Caption ids are "<prefix><index>"; returns the index, or -1 for anything else.
std::int64_t caption_index(std::string_view id, std::string_view prefix, std::size_t count) {
    if (id.size() <= prefix.size() || id.substr(0, prefix.size()) != prefix)
        return -1;
    std::int64_t v = 0;
    for (char c : id.substr(prefix.size())) {
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
        if (v > static_cast<std::int64_t>(count))
            return -1;
    }
    return v < static_cast<std::int64_t>(count) ? v : -1;
}

std::string close_text(const websocket::close_reason& r) {
    std::string s = "close " + std::to_string(static_cast<unsigned>(r.code));
    if (!r.reason.empty())
        s += " " + std::string(r.reason.data(), r.reason.size());
    return s;
}

using plain_stream = beast::tcp_stream;
using tls_stream = lt::net::tls_stream;

// A client WebSocket on its own strand: plain, or TLS with the run's client context.
template <class Stream>
websocket::stream<Stream> make_ws(net::io_context& ioc, net::ssl::context* tls) {
    if constexpr (std::is_same_v<Stream, tls_stream>)
        return websocket::stream<Stream>(net::make_strand(ioc), *tls);
    else
        return websocket::stream<Stream>(net::make_strand(ioc));
}

// Holds the endpoint for lt::net::async_connect, which takes it by reference.
net::awaitable<void> tls_connect(tls_stream& stream, lt::net::endpoint to) {
    co_await lt::net::async_connect(stream, to);
}

// The TCP connect within 10 s and, over TLS, the handshake (lt::net's: the certificate is
// checked against the address); `done(ec)` runs on the stream's strand.
template <class Stream, class Done>
void connect_stream(websocket::stream<Stream>& ws, const tcp::endpoint& ep, Done done) {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
        lt::net::endpoint to{"wss", ep.address().to_string(), std::to_string(ep.port()), "/ws"};
        net::co_spawn(ws.get_executor(), tls_connect(ws.next_layer(), std::move(to)),
                      [done = std::move(done)](std::exception_ptr e) mutable {
                          beast::error_code ec;
                          try {
                              if (e)
                                  std::rethrow_exception(e);
                          } catch (const lt::net::connect_error& x) {
                              ec = x.code();
                          } catch (const std::exception& x) {
                              std::cerr << "lt_load: TLS connect: " << x.what() << "\n";
                              ec = net::error::fault;
                          }
                          done(ec);
                      });
    } else {
        beast::get_lowest_layer(ws).expires_after(10s);
        beast::get_lowest_layer(ws).async_connect(ep, std::move(done));
    }
}
// What a soak run (--soak) shares between the speaker, the viewers and main: each caption's
// send time, readable from any thread at receipt, and a latency histogram per minute of
// captions (by the caption's index), so a long run keeps no per-delivery records.
struct soak_log {
    static constexpr std::size_t buckets = 800; // 2 % wide from 0.05 ms: up to ~3 min
    soak_log(std::size_t captions, double rate)
        : send_ns(captions), per_minute(captions / static_cast<std::size_t>(std::ceil(rate * 60)) + 1),
          captions_per_minute(static_cast<std::size_t>(std::ceil(rate * 60))) {
        for (auto& s : send_ns)
            s.store(-1);
    }
    static std::size_t bucket(double ms) {
        if (ms <= 0.05)
            return 0;
        auto i = static_cast<std::size_t>(std::log(ms / 0.05) / std::log(1.02)) + 1;
        return std::min(i, buckets - 1);
    }
    static double bucket_ms(std::size_t i) { return 0.05 * std::pow(1.02, static_cast<double>(i)); }
    std::size_t minute_of(std::size_t k) const { return k / captions_per_minute; }
    void record(std::size_t k, std::int64_t t) {
        std::int64_t s = send_ns[k].load(std::memory_order_acquire);
        if (s >= 0)
            per_minute[minute_of(k)][bucket((t - s) / 1e6)].fetch_add(1, std::memory_order_relaxed);
    }
    std::vector<std::atomic<std::int64_t>> send_ns;
    std::vector<std::array<std::atomic<std::uint32_t>, buckets>> per_minute;
    std::size_t captions_per_minute;
};

// One viewer connection. Everything but the counters lives on its strand; receipts_ is
// read by main only after the io threads have been joined.
template <class Stream>
class viewer : public std::enable_shared_from_this<viewer<Stream>> {
public:
    viewer(net::io_context& ioc, net::ssl::context* tls, tcp::endpoint ep, std::string host, std::string lang,
           const std::string& id_prefix, std::size_t captions, shared_stats& stats, std::size_t node = 0,
           soak_log* soak = nullptr)
        : ws_(make_ws<Stream>(ioc, tls)), ep_(ep), host_(std::move(host)), lang_(std::move(lang)),
          id_prefix_(id_prefix), captions_(captions), receipts_(soak ? 0 : captions, -1), stats_(stats),
          node_(node), soak_(soak) {}

    // A stalled viewer (soak): a small receive buffer, and it stops reading once subscribed,
    // until resume(). Call before run().
    void stall_once_subscribed() { stall_ = stalls_ = true; }
    void resume() {
        net::dispatch(ws_.get_executor(), [self = this->shared_from_this()] {
            self->stall_ = false;
            if (self->read_stopped_) {
                self->read_stopped_ = false;
                self->do_read();
            }
        });
    }

    void run() {
        net::dispatch(ws_.get_executor(), [self = this->shared_from_this()] { self->do_connect(); });
    }

    // Closes with 1000; safe to call in any state.
    void close() {
        net::dispatch(ws_.get_executor(), [self = this->shared_from_this()] {
            if (self->leave_ns_ < 0 && !self->stats_.closing.load()) // the end of the run is no leave
                self->leave_ns_ = now_ns();
            self->do_close();
        });
    }

    const std::vector<std::int64_t>& receipts() const { return receipts_; }
    bool was_subscribed() const { return subscribed_; }
    bool was_dropped() const { return dropped_; }
    const std::string& lang() const { return lang_; }
    bool was_connected() const { return connected_; }
    std::size_t node() const { return node_; } // index into the viewer ports
    // Soak figures, read by main after the io threads are joined.
    std::int64_t subscribed_ns() const { return subscribed_ns_; }
    std::int64_t leave_ns() const { return leave_ns_; } // -1: never closed by us
    std::int64_t dropped_ns() const { return dropped_ns_; }
    const std::string& drop_reason() const { return drop_reason_; }
    // Runs of consecutive caption indices received, in order of receipt.
    const std::vector<std::pair<std::int64_t, std::int64_t>>& runs() const { return runs_; }

private:
    void do_connect() {
        if (stall_) {
            // So the server's queue, not the kernel's buffers, takes the backlog soon.
            beast::error_code ec;
            auto& s = beast::get_lowest_layer(ws_).socket();
            s.open(ep_.protocol(), ec);
            if (!ec)
                s.set_option(net::socket_base::receive_buffer_size(4096), ec);
        }
        connect_stream(ws_, ep_, beast::bind_front_handler(&viewer::on_connect, this->shared_from_this()));
    }

    void on_connect(beast::error_code ec) {
        if (ec)
            return connect_failed("connect: " + ec.message());
        // The websocket stream has its own timeouts; the tcp_stream one would cut idle viewers.
        beast::get_lowest_layer(ws_).expires_never();
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "lt_load"); }));
        ws_.async_handshake(res_, host_, "/ws",
                            beast::bind_front_handler(&viewer::on_handshake, this->shared_from_this()));
    }

    void on_handshake(beast::error_code ec) {
        if (ec) {
            std::string why = "handshake: " + ec.message();
            if (res_.result_int() != 0 && res_.result_int() != 101)
                why += " (HTTP " + std::to_string(res_.result_int()) + ")";
            return connect_failed(why);
        }
        res_ = {}; // the response is not needed any more
        open_ = true;
        connected_ = true;
        stats_.open++;
        stats_.connected++;
        stats_.pending--;
        stats_.finished++;
        do_read();
        request_ = json{{"type", "set_language"}, {"data", {{"lang", lang_}}}}.dump();
        writing_ = true;
        ws_.text(true);
        ws_.async_write(net::buffer(request_),
                        beast::bind_front_handler(&viewer::on_write, this->shared_from_this()));
    }

    void connect_failed(const std::string& why) {
        stats_.connect_failed++;
        stats_.pending--;
        stats_.finished++;
        stats_.connect_failures.add(why);
    }

    void on_write(beast::error_code ec, std::size_t) {
        writing_ = false;
        request_.clear();
        request_.shrink_to_fit();
        if (ec && ec != net::error::operation_aborted && ec != websocket::error::closed)
            stats_.server_errors.add("set_language write: " + ec.message());
        if (close_requested_)
            do_close();
    }

    void do_read() {
        ws_.async_read(buffer_, beast::bind_front_handler(&viewer::on_read, this->shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        // Take the time first: parsing the frame is not part of the delivery.
        std::int64_t t = now_ns();
        if (ec)
            return on_closed(ec);
        auto data = buffer_.data();
        handle(std::string_view(static_cast<const char*>(data.data()), data.size()), t);
        buffer_.consume(buffer_.size());
        if (stall_ && subscribed_) {
            read_stopped_ = true;
            return;
        }
        do_read();
    }

    void handle(std::string_view text, std::int64_t t) {
        // Captions are most of the traffic: read them without a full parse, so the client's
        // own CPU adds as little as possible to the latency it measures.
        if (text.find(R"("type":"translated_text")") != std::string_view::npos) {
            if (text.find(R"("partial":true)") != std::string_view::npos)
                return;
            auto id = string_field(text, "id");
            auto lang = string_field(text, "lang");
            if (id && lang)
                return on_caption(*id, *lang, text, t);
        }
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            stats_.server_errors.add("invalid JSON from server");
            return;
        }
        const std::string type = j.value("type", "");
        const json& d = j.contains("data") ? j["data"] : json::object();
        if (type == "translated_text") {
            if (!d.value("partial", false))
                on_caption(d.value("id", ""), d.value("lang", ""), text, t);
        } else if (type == "language_set") {
            if (!subscribed_) {
                subscribed_ = true;
                subscribed_ns_ = t;
                stats_.subscribed++;
            }
        } else if (type == "error") {
            stats_.server_errors.add("viewer got error: " + d.value("code", std::string("?")) + ": " +
                                     d.value("message", std::string("?")));
        }
    }

    // The value of "key":"..." when it has no escapes. Inside a JSON string every quote is
    // escaped, so an unescaped `"key":"` is a real key (server frames are flat objects).
    static std::optional<std::string_view> string_field(std::string_view text, std::string_view key) {
        std::string pattern = "\"" + std::string(key) + "\":\"";
        auto at = text.find(pattern);
        if (at == std::string_view::npos)
            return std::nullopt;
        auto begin = at + pattern.size();
        auto end = text.find('"', begin);
        if (end == std::string_view::npos)
            return std::nullopt;
        auto value = text.substr(begin, end - begin);
        if (value.find('\\') != std::string_view::npos)
            return std::nullopt;
        return value;
    }

    void on_caption(std::string_view id, std::string_view lang, std::string_view frame, std::int64_t t) {
        std::int64_t k = caption_index(id, id_prefix_, captions_);
        if (k < 0) {
            stats_.foreign++;
            return;
        }
        if (soak_)
            return on_soak_caption(k, lang, t);
        if (receipts_[k] >= 0) {
            stats_.duplicates++;
            return;
        }
        receipts_[k] = t;
        stats_.received++;
        if (k < last_index_)
            stats_.out_of_order++;
        last_index_ = std::max(last_index_, k);
        if (lang != lang_)
            stats_.wrong_lang++;
        // The marker travels in `original` (and the id field): it must show up twice.
        auto first = frame.find(id);
        if (first == std::string_view::npos || frame.find(id, first + id.size()) == std::string_view::npos)
            stats_.marker_mismatch++;
    }

    // Soak: no receipt per caption; the runs of indices give the gaps, and the latency goes
    // to the histogram of the caption's minute (live captions only, sent after we subscribed).
    void on_soak_caption(std::int64_t k, std::string_view lang, std::int64_t t) {
        // Before language_set the connection is in the server's default language, and a caption
        // fanned out to both languages around the switch comes once in each: only what arrives
        // after it counts for gaps and duplicates.
        if (!subscribed_) {
            stats_.before_language_set++;
            return;
        }
        if (!runs_.empty() && k <= runs_.back().second) {
            ++(k == runs_.back().second ? stats_.duplicates : stats_.out_of_order);
            return;
        }
        if (!runs_.empty() && k == runs_.back().second + 1)
            runs_.back().second = k;
        else
            runs_.emplace_back(k, k);
        stats_.received++;
        if (lang != lang_) {
            stats_.wrong_lang++;
            stats_.wrong_langs.add(lang_ + " -> " + std::string(lang));
        }
        std::int64_t sent = soak_->send_ns[k].load(std::memory_order_acquire);
        if (subscribed_ && sent > subscribed_ns_ && !stalls_) // a stalled viewer's latency is its own doing
            soak_->record(static_cast<std::size_t>(k), t);
    }

    void on_closed(beast::error_code ec) {
        open_ = false;
        // A close we started (churn, or the end of the run) is not a drop.
        if (!stats_.closing.load() && !closing_) {
            dropped_ = true;
            dropped_ns_ = now_ns();
            stats_.dropped++;
            drop_reason_ =
                ec == websocket::error::closed ? close_text(ws_.reason()) : "read: " + ec.message();
            stats_.drop_reasons.add(drop_reason_);
        }
        stats_.open--;
    }

    void do_close() {
        if (!open_ || closing_)
            return;
        if (writing_) {
            // One write at a time: close once set_language is out.
            close_requested_ = true;
            return;
        }
        closing_ = true;
        // A server that never answers the close must not hold the run.
        beast::get_lowest_layer(ws_).expires_after(5s);
        ws_.async_close(websocket::close_code::normal,
                        [self = this->shared_from_this()](beast::error_code) {});
    }

    websocket::stream<Stream> ws_;
    tcp::endpoint ep_;
    std::string host_;
    std::string lang_;
    const std::string& id_prefix_;
    std::size_t captions_;
    websocket::response_type res_;
    beast::flat_buffer buffer_;
    std::string request_;
    std::vector<std::int64_t> receipts_; // steady ns per caption index, -1 until received
    std::int64_t last_index_ = -1;
    shared_stats& stats_;
    std::int64_t subscribed_ns_ = -1;
    std::int64_t leave_ns_ = -1;
    std::int64_t dropped_ns_ = -1;
    std::string drop_reason_;
    std::vector<std::pair<std::int64_t, std::int64_t>> runs_;
    bool stall_ = false;  // stop reading once subscribed
    bool stalls_ = false; // a stalled viewer (for the whole run)
    bool read_stopped_ = false;
    bool open_ = false;
    bool writing_ = false;
    bool closing_ = false;
    bool close_requested_ = false;
    bool subscribed_ = false;
    bool dropped_ = false;
    bool connected_ = false;
    std::size_t node_ = 0;
    soak_log* soak_ = nullptr;
};

// Starts viewers at `rate` per second with at most `max_pending` handshakes in flight.
template <class Viewer>
class connector : public std::enable_shared_from_this<connector<Viewer>> {
public:
    connector(net::io_context& ioc, std::vector<std::shared_ptr<Viewer>>& viewers, double rate,
              std::size_t max_pending, shared_stats& stats)
        : timer_(net::make_strand(ioc)), viewers_(viewers), rate_(rate), max_pending_(max_pending),
          stats_(stats) {}

    void run() {
        net::dispatch(timer_.get_executor(), [self = this->shared_from_this()] {
            self->start_ = clock_type::now();
            self->on_tick({});
        });
    }
    void stop() {
        net::dispatch(timer_.get_executor(), [self = this->shared_from_this()] {
            self->stopped_ = true;
            self->timer_.cancel();
        });
    }
    std::size_t started() const { return started_.load(); }

private:
    void on_tick(beast::error_code ec) {
        if (ec || stopped_)
            return;
        double elapsed = std::chrono::duration<double>(clock_type::now() - start_).count();
        auto due = std::min<std::size_t>(viewers_.size(), static_cast<std::size_t>(elapsed * rate_) + 1);
        std::size_t n = started_.load();
        while (n < due && stats_.pending.load() < max_pending_) {
            stats_.pending++;
            viewers_[n++]->run();
        }
        started_ = n;
        if (n >= viewers_.size())
            return;
        timer_.expires_after(5ms);
        timer_.async_wait(beast::bind_front_handler(&connector::on_tick, this->shared_from_this()));
    }

    net::steady_timer timer_;
    std::vector<std::shared_ptr<Viewer>>& viewers_;
    double rate_;
    std::size_t max_pending_;
    shared_stats& stats_;
    clock_type::time_point start_;
    std::atomic<std::size_t> started_{0};
    bool stopped_ = false;
};

// The one speaker: sends `count` finals at `rate` per second and keeps each send time.
template <class Stream>
class speaker : public std::enable_shared_from_this<speaker<Stream>> {
public:
    speaker(net::io_context& ioc, net::ssl::context* tls, tcp::endpoint ep, std::string host,
            std::string api_key, const std::string& id_prefix, std::size_t count, shared_stats& stats,
            soak_log* soak = nullptr)
        : ws_(make_ws<Stream>(ioc, tls)), timer_(ws_.get_executor()), ep_(ep), host_(std::move(host)),
          api_key_(std::move(api_key)), id_prefix_(id_prefix), send_ns_(count, -1), ack_ns_(count, -1),
          stats_(stats), soak_(soak) {}

    void connect() {
        net::dispatch(ws_.get_executor(), [self = this->shared_from_this()] {
            connect_stream(self->ws_, self->ep_, beast::bind_front_handler(&speaker::on_connect, self));
        });
    }

    void start(double rate) {
        net::dispatch(ws_.get_executor(), [self = this->shared_from_this(), rate] {
            self->rate_ = rate;
            self->start_ = clock_type::now();
            self->on_timer({});
        });
    }

    void close() {
        net::dispatch(ws_.get_executor(), [self = this->shared_from_this()] {
            self->stopped_ = true;
            self->timer_.cancel();
            if (!self->open_ || !self->queue_.empty())
                return; // a write in flight; the process exit will cut it
            beast::get_lowest_layer(self->ws_).expires_after(5s);
            self->ws_.async_close(websocket::close_code::normal, [self](beast::error_code) {});
        });
    }

    std::atomic<int> state{0}; // 0 connecting, 1 open, -1 failed
    std::atomic<std::size_t> sent{0};
    std::atomic<std::size_t> acks{0};
    std::atomic<std::int64_t> last_send_ns{0};
    std::string failure; // set before state becomes -1
    const std::vector<std::int64_t>& send_times() const { return send_ns_; }
    const std::vector<std::int64_t>& ack_times() const { return ack_ns_; }

private:
    void on_connect(beast::error_code ec) {
        if (ec)
            return fail("speaker connect: " + ec.message());
        beast::get_lowest_layer(ws_).expires_never();
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
        ws_.async_handshake(host_, "/ws", [self = this->shared_from_this()](beast::error_code e) {
            if (e)
                return self->fail("speaker handshake: " + e.message());
            self->open_ = true;
            self->state = 1;
            self->do_read();
        });
    }

    void fail(const std::string& why) {
        failure = why;
        state = -1;
    }

    void on_timer(beast::error_code ec) {
        if (ec || stopped_)
            return;
        std::size_t k = sent.load();
        if (k >= send_ns_.size() || !open_)
            return;
        std::string id = id_prefix_ + std::to_string(k);
        std::string text = std::string(sentences[k % sentences.size()]) + ", part " +
                           std::to_string(k / sentences.size() + 1) + ". [" + id + "]";
        json d{{"text", text}, {"timestamp", now_hms()}, {"id", id}};
        if (!api_key_.empty())
            d["api_key"] = api_key_;
        queue_.push_back(json{{"type", "new_text"}, {"data", d}}.dump());
        send_ns_[k] = now_ns();
        if (soak_)
            soak_->send_ns[k].store(send_ns_[k], std::memory_order_release);
        last_send_ns = send_ns_[k];
        sent = k + 1;
        if (queue_.size() == 1)
            do_write();
        if (k + 1 >= send_ns_.size())
            return;
        // Fixed schedule from the start, so a late tick does not slow the rate down.
        timer_.expires_at(start_ + std::chrono::duration_cast<clock_type::duration>(
                                       std::chrono::duration<double>((k + 1) / rate_)));
        timer_.async_wait(beast::bind_front_handler(&speaker::on_timer, this->shared_from_this()));
    }

    void do_write() {
        ws_.text(true);
        ws_.async_write(net::buffer(queue_.front()),
                        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                            if (ec) {
                                self->stats_.server_errors.add("speaker write: " + ec.message());
                                self->queue_.clear();
                                return;
                            }
                            self->queue_.pop_front();
                            if (!self->queue_.empty())
                                self->do_write();
                        });
    }

    void do_read() {
        ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            std::int64_t t = now_ns();
            if (ec) {
                self->open_ = false;
                if (!self->stats_.closing.load())
                    self->stats_.server_errors.add("speaker closed: " + (ec == websocket::error::closed
                                                                             ? close_text(self->ws_.reason())
                                                                             : ec.message()));
                return;
            }
            auto data = self->buffer_.data();
            self->handle(std::string_view(static_cast<const char*>(data.data()), data.size()), t);
            self->buffer_.consume(self->buffer_.size());
            self->do_read();
        });
    }

    void handle(std::string_view text, std::int64_t t) {
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            return;
        const std::string type = j.value("type", "");
        const json& d = j.contains("data") ? j["data"] : json::object();
        if (type == "text_ack") {
            std::int64_t k = caption_index(d.value("id", ""), id_prefix_, ack_ns_.size());
            if (k >= 0 && ack_ns_[k] < 0) {
                ack_ns_[k] = t;
                acks++;
            }
        } else if (type == "error") {
            stats_.server_errors.add("speaker got error: " + d.value("code", std::string("?")) + ": " +
                                     d.value("message", std::string("?")));
        }
    }

    websocket::stream<Stream> ws_;
    net::steady_timer timer_;
    tcp::endpoint ep_;
    std::string host_;
    std::string api_key_;
    const std::string& id_prefix_;
    beast::flat_buffer buffer_;
    std::deque<std::string> queue_;
    std::vector<std::int64_t> send_ns_;
    std::vector<std::int64_t> ack_ns_;
    shared_stats& stats_;
    soak_log* soak_;
    double rate_ = 1;
    clock_type::time_point start_;
    bool open_ = false;
    bool stopped_ = false;
};

// ---- the server process, from /proc ----

struct proc_memory {
    long rss_kib = -1;
    long hwm_kib = -1;
    long threads = -1;
};

proc_memory read_memory(int pid) {
    proc_memory m;
    if (pid <= 0)
        return m;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        auto field = [&](const char* name, long& out) {
            if (line.rfind(name, 0) == 0)
                out = std::strtol(line.c_str() + std::strlen(name), nullptr, 10);
        };
        field("VmRSS:", m.rss_kib);
        field("VmHWM:", m.hwm_kib);
        field("Threads:", m.threads);
    }
    return m;
}

// Fields 3.. of /proc/<pid>/stat (f[0] is the state), or empty when unreadable.
std::vector<std::string> read_stat_fields(const std::string& path) {
    std::ifstream in(path);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    auto paren = all.rfind(')');
    if (paren == std::string::npos || paren + 2 >= all.size())
        return {};
    std::istringstream rest(all.substr(paren + 2));
    std::vector<std::string> f;
    std::string tok;
    while (rest >> tok && f.size() < 13)
        f.push_back(tok);
    if (f.size() < 13)
        return {};
    return f;
}

struct cpu_times {
    double user = -1;   // seconds
    double system = -1; // seconds; on loopback this includes the receivers' TCP work
    bool valid() const { return user >= 0 && system >= 0; }
};

cpu_times read_cpu(int pid) {
    if (pid <= 0)
        return {};
    auto f = read_stat_fields("/proc/" + std::to_string(pid) + "/stat");
    if (f.empty())
        return {};
    // utime is field 14, stime field 15.
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    return {std::strtod(f[11].c_str(), nullptr) / tick, std::strtod(f[12].c_str(), nullptr) / tick};
}

// The process's time on CPU in nanoseconds, summed over its threads' schedstat: finer than
// /proc/PID/stat's clock ticks (10 ms), which a few hundred ms of fan-out CPU needs. -1 when
// unreadable. Threads that exit between two readings drop out; lt-server's do not.
double read_sched_cpu(int pid) {
    if (pid <= 0)
        return -1;
    double ns = 0;
    std::error_code ec;
    std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/task", ec), end;
    if (ec)
        return -1;
    for (; it != end; it.increment(ec)) {
        std::ifstream in(it->path() / "schedstat");
        double on_cpu = 0;
        if (in >> on_cpu)
            ns += on_cpu;
    }
    return ns / 1e9;
}

// Child processes of the server (Apertium pipelines): their CPU and memory are not in the
// server's own /proc figures.
struct children_usage {
    std::size_t processes = 0;
    long rss_kib = 0;
    double cpu_seconds = 0;
};

children_usage read_descendants(int pid) {
    children_usage u;
    if (pid <= 0)
        return u;
    struct proc_row {
        int ppid;
        double cpu;
    };
    std::map<int, proc_row> rows;
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    for (const auto& entry : std::filesystem::directory_iterator(
             "/proc", std::filesystem::directory_options::skip_permission_denied)) {
        const std::string name = entry.path().filename();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        auto f = read_stat_fields(entry.path() / "stat");
        if (f.empty())
            continue;
        rows[std::stoi(name)] = {std::stoi(f[1]),
                                 (std::strtod(f[11].c_str(), nullptr) + std::strtod(f[12].c_str(), nullptr)) /
                                     tick};
    }
    // Bounded walk up the parent chain (the tree is shallow; 64 hops is plenty).
    for (const auto& [child, row] : rows) {
        int up = row.ppid;
        for (int hops = 0; hops < 64 && up > 1 && up != pid; ++hops) {
            auto it = rows.find(up);
            up = it == rows.end() ? 0 : it->second.ppid;
        }
        if (up != pid)
            continue;
        ++u.processes;
        u.cpu_seconds += row.cpu;
        long rss = read_memory(child).rss_kib;
        if (rss > 0)
            u.rss_kib += rss;
    }
    return u;
}

// The 1-minute load average: on a shared machine it says how much of the CPU we had.
double read_loadavg() {
    std::ifstream in("/proc/loadavg");
    double v = -1;
    in >> v;
    return v;
}

double self_cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto sec = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
    return sec(ru.ru_utime) + sec(ru.ru_stime);
}

// Raises the soft fd limit to the hard one; returns the resulting soft limit.
rlim_t raise_fd_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty())
        return 0;
    auto i = static_cast<std::size_t>(std::ceil(p / 100.0 * sorted.size()));
    return sorted[std::min(sorted.size() - 1, i == 0 ? 0 : i - 1)];
}

double round2(double v) { return std::round(v * 100) / 100; }

// Polls the server's /metrics from its own thread and io_context, so a backlog in our
// viewers does not delay it. The response time is how long the server's io threads take to
// get to a new request; lt_frames_out_total against our receipts says on which side of the
// socket a backlog sits.
class metrics_probe {
public:
    metrics_probe(tcp::endpoint ep, std::string host, const shared_stats& stats, double interval)
        : ep_(ep), host_(std::move(host)), stats_(stats), interval_(interval) {}
    ~metrics_probe() { stop(); }

    void start(clock_type::time_point origin) {
        origin_ = origin;
        thread_ = std::thread([this] { loop(); });
    }
    void stop() {
        stop_ = true;
        if (thread_.joinable())
            thread_.join();
    }

    // Call after stop().
    json to_json() const {
        std::vector<double> ms;
        json series = json::array();
        std::size_t failed = 0;
        for (const auto& s : samples_) {
            if (s.frames_out < 0) {
                ++failed;
                continue;
            }
            ms.push_back(s.response_ms);
            series.push_back({round2(s.t), round2(s.response_ms), s.frames_out, s.received});
        }
        std::sort(ms.begin(), ms.end());
        return {{"samples", samples_.size()},
                {"failed", failed},
                {"response_ms_p50", round2(percentile(ms, 50))},
                {"response_ms_max", round2(ms.empty() ? 0 : ms.back())},
                {"series", series}}; // [s since captions began, response ms, server frames out, our receipts]
    }

private:
    struct sample {
        double t;
        double response_ms;
        long long frames_out; // -1: the request failed
        std::size_t received;
    };

    void loop() {
        auto next = clock_type::now();
        // Bounded by the caller's stop() and by a hard cap on samples.
        while (!stop_ && samples_.size() < 10000) {
            auto t0 = clock_type::now();
            long long frames = fetch_frames_out();
            auto t1 = clock_type::now();
            samples_.push_back({std::chrono::duration<double>(t0 - origin_).count(),
                                std::chrono::duration<double, std::milli>(t1 - t0).count(), frames,
                                stats_.received.load()});
            next +=
                std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(interval_));
            while (!stop_ && clock_type::now() < next)
                std::this_thread::sleep_for(10ms);
        }
    }

    // One GET /metrics on a fresh connection, 5 s limit; -1 on any failure.
    long long fetch_frames_out() {
        namespace http = beast::http;
        net::io_context ioc;
        beast::tcp_stream stream(ioc);
        http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
        req.set(http::field::host, host_);
        req.keep_alive(false);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        bool ok = false;
        stream.expires_after(5s);
        stream.async_connect(ep_, [&](beast::error_code ec) {
            if (ec)
                return;
            http::async_write(stream, req, [&](beast::error_code ec2, std::size_t) {
                if (ec2)
                    return;
                http::async_read(stream, buffer, res, [&](beast::error_code ec3, std::size_t) { ok = !ec3; });
            });
        });
        ioc.run();
        if (!ok || res.result() != http::status::ok)
            return -1;
        const std::string key = "\nlt_frames_out_total ";
        auto at = res.body().find(key);
        if (at == std::string::npos)
            return -1;
        return std::strtoll(res.body().c_str() + at + key.size(), nullptr, 10);
    }

    tcp::endpoint ep_;
    std::string host_;
    const shared_stats& stats_;
    double interval_;
    clock_type::time_point origin_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::vector<sample> samples_;
};

struct params {
    std::string host = "127.0.0.1";
    std::uint16_t port = 5050;
    std::size_t viewers = 100;
    double rate = 2;               // captions per second
    double duration = 15;          // seconds of captions
    std::size_t count = 0;         // captions; 0 = rate * duration
    double connect_rate = 1000;    // new viewer connections per second
    std::size_t max_pending = 256; // handshakes in flight
    int server_pid = 0;
    std::string api_key;
    double drain = 5;    // seconds to wait for the last deliveries
    double settle = 1;   // seconds idle before reading the idle RSS
    double deadline = 0; // whole-run limit in seconds; 0 = derived from the others
    unsigned threads = 2;
    std::string label;
    double probe_interval = 0.5;             // seconds between /metrics polls; 0 = no probe
    std::vector<std::uint16_t> viewer_ports; // empty = --port
    std::vector<int> cpu_pids;               // more processes whose CPU to report
    std::vector<std::string> langs;          // viewer languages, round-robin; empty = all 16
    bool tls = false;                        // wss for every connection
    std::string ca_file;                     // PEM trusted beside the system's CAs (with tls)
    // Soak (--soak): viewers come and go and some stall; figures per minute instead of per delivery.
    bool soak = false;
    double churn = 0.1;       // share of the viewers replaced each minute
    double stall_every = 300; // seconds between stalled viewers; 0 = none
    double stall_for = 0;     // seconds a stalled viewer does not read; 0 = 0.8 x stall_every
    double rss_interval = 10; // seconds between RSS samples
    std::string rss_csv;      // t_s,rss_kib,viewers_open (written as the run goes)
    std::string minutes_csv;  // one row per minute of captions
};

// Polls `done` every 10 ms until it holds or `until` passes; returns done().
bool wait_until(const std::function<bool()>& done, clock_type::time_point until) {
    while (!done()) {
        if (clock_type::now() >= until)
            return done();
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

template <class Stream>
int run(const params& p, net::ssl::context* tls) {
    rlim_t fds = raise_fd_limit();
    if (fds < p.viewers + 64)
        std::cerr << "lt_load: warning: fd limit " << fds << " is below " << p.viewers + 64
                  << "; connections will fail with 'Too many open files'\n";

    auto address = net::ip::make_address(p.host);
    if (!address.is_loopback())
        throw std::invalid_argument("only loopback hosts are allowed, got " + p.host);
    tcp::endpoint ep{address, p.port};
    std::string host_header = p.host + ":" + std::to_string(p.port);
    const std::vector<std::uint16_t> vports =
        p.viewer_ports.empty() ? std::vector<std::uint16_t>{p.port} : p.viewer_ports;

    std::size_t count = p.count ? p.count : static_cast<std::size_t>(std::llround(p.rate * p.duration));
    if (count == 0 || p.rate <= 0)
        throw std::invalid_argument("need at least one caption and a positive --rate");
    if (p.viewers * count > 50'000'000)
        throw std::invalid_argument("viewers x captions is over 50 million receipts; lower one of them");
    double caption_seconds = count / p.rate;
    double deadline_s = p.deadline > 0
                            ? p.deadline
                            : 60 + p.viewers / p.connect_rate * 2 + caption_seconds + p.drain + p.settle + 30;
    const auto t_begin = clock_type::now();
    const auto deadline =
        t_begin + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(deadline_s));
    auto phase_limit = [&](double seconds) {
        return std::min(deadline, clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                          std::chrono::duration<double>(seconds)));
    };

    std::random_device rd;
    std::ostringstream prefix_s;
    prefix_s << "ltl-" << std::hex << (rd() & 0xffffff) << "-";
    const std::string id_prefix = prefix_s.str();

    shared_stats stats;
    net::io_context ioc{static_cast<int>(p.threads)};
    auto work = net::make_work_guard(ioc);
    std::vector<std::thread> pool;
    for (unsigned i = 0; i < p.threads; ++i)
        pool.emplace_back([&ioc] { ioc.run(); });
    bool deadline_hit = false;
    std::vector<std::string> notes;

    // Speaker first, so the baseline includes it and the per-viewer figure does not.
    auto spk =
        std::make_shared<speaker<Stream>>(ioc, tls, ep, host_header, p.api_key, id_prefix, count, stats);
    spk->connect();
    wait_until([&] { return spk->state.load() != 0; }, phase_limit(15));
    if (spk->state.load() != 1) {
        work.reset();
        ioc.stop();
        for (auto& t : pool)
            t.join();
        throw std::runtime_error(spk->state.load() == -1 ? spk->failure : "speaker did not connect in time");
    }
    std::this_thread::sleep_for(200ms);
    proc_memory mem_before = read_memory(p.server_pid);

    // Viewers.
    std::vector<std::shared_ptr<viewer<Stream>>> viewers;
    viewers.reserve(p.viewers);
    // With 2 (or 4, 8) ports each port gets a subset of the 16 languages; all cost the same with
    // --translator none.
    std::vector<std::string> langs = p.langs;
    if (langs.empty())
        langs.assign(viewer_languages.begin(), viewer_languages.end());
    for (std::size_t i = 0; i < p.viewers; ++i) {
        std::size_t node = i % vports.size();
        viewers.push_back(std::make_shared<viewer<Stream>>(
            ioc, tls, tcp::endpoint{address, vports[node]}, p.host + ":" + std::to_string(vports[node]),
            langs[i % langs.size()], id_prefix, count, stats, node));
    }
    auto conn =
        std::make_shared<connector<viewer<Stream>>>(ioc, viewers, p.connect_rate, p.max_pending, stats);
    const auto t_connect = clock_type::now();
    conn->run();
    double connect_budget = p.viewers / p.connect_rate * 3 + 30;
    if (!wait_until([&] { return stats.finished.load() >= p.viewers; }, phase_limit(connect_budget))) {
        notes.push_back("connect phase timed out after " + std::to_string(stats.finished.load()) + " of " +
                        std::to_string(p.viewers) + " attempts");
        conn->stop();
    }
    double connect_seconds = std::chrono::duration<double>(clock_type::now() - t_connect).count();
    if (!wait_until([&] { return stats.subscribed.load() >= stats.connected.load(); }, phase_limit(30)))
        notes.push_back("only " + std::to_string(stats.subscribed.load()) + " of " +
                        std::to_string(stats.connected.load()) + " viewers got language_set");
    double subscribe_seconds = std::chrono::duration<double>(clock_type::now() - t_connect).count();
    std::this_thread::sleep_for(std::chrono::duration<double>(p.settle));
    proc_memory mem_idle = read_memory(p.server_pid);
    const std::size_t subscribed_at_start = stats.subscribed.load();
    const std::size_t dropped_before = stats.dropped.load();

    // Captions.
    cpu_times cpu_before = read_cpu(p.server_pid);
    double sched_before = read_sched_cpu(p.server_pid);
    std::vector<cpu_times> others_before;
    for (int pid : p.cpu_pids)
        others_before.push_back(read_cpu(pid));
    children_usage kids_before = read_descendants(p.server_pid);
    double load_before = read_loadavg();
    double self_before = self_cpu_seconds();
    const auto t_captions = clock_type::now();
    metrics_probe probe(ep, host_header, stats, p.probe_interval);
    if (p.probe_interval > 0)
        probe.start(t_captions);
    spk->start(p.rate);
    if (!wait_until([&] { return spk->sent.load() >= count; }, phase_limit(caption_seconds + 10)))
        notes.push_back("speaker sent only " + std::to_string(spk->sent.load()) + " of " +
                        std::to_string(count));
    // Drain: stop early once every viewer that is still open has everything.
    wait_until(
        [&] {
            return stats.received.load() >= spk->sent.load() * subscribed_at_start || stats.open.load() == 0;
        },
        phase_limit(p.drain));
    double caption_phase_seconds = std::chrono::duration<double>(clock_type::now() - t_captions).count();
    probe.stop();
    cpu_times cpu_after = read_cpu(p.server_pid);
    double sched_after = read_sched_cpu(p.server_pid);
    std::vector<cpu_times> others_after;
    for (int pid : p.cpu_pids)
        others_after.push_back(read_cpu(pid));
    children_usage kids_after = read_descendants(p.server_pid);
    double load_after = read_loadavg();
    double self_after = self_cpu_seconds();
    proc_memory mem_after = read_memory(p.server_pid);
    deadline_hit = clock_type::now() >= deadline;

    // Close everything and stop the clients.
    stats.closing = true;
    conn->stop();
    for (auto& v : viewers)
        v->close();
    spk->close();
    if (!wait_until([&] { return stats.open.load() == 0; }, clock_type::now() + 10s))
        notes.push_back(std::to_string(stats.open.load()) + " viewers did not finish closing in 10 s");
    // Give the server a moment to free the sessions (glibc may keep some freed pages).
    std::this_thread::sleep_for(std::chrono::duration<double>(p.settle));
    proc_memory mem_closed = read_memory(p.server_pid);
    work.reset();
    ioc.stop();
    for (auto& t : pool)
        t.join();

    // ---- results ----
    const auto& sends = spk->send_times();
    const std::size_t sent = spk->sent.load();
    std::vector<double> lat;
    lat.reserve(subscribed_at_start * sent);
    std::vector<double> per_caption_max(sent, 0.0);
    std::vector<double> per_caption_min(sent, 1e18);
    std::vector<std::size_t> per_caption_got(sent, 0);
    std::size_t lost = 0, lost_alive = 0, expected = 0;
    std::size_t dropped_viewers = 0;
    std::map<std::string, std::size_t> lost_by_lang;
    std::map<std::string, std::vector<double>> lat_by_lang;
    // Per viewer port, and grouped: the speaker's node against the others.
    struct port_stats {
        std::size_t viewers = 0, connected = 0, subscribed = 0, lost = 0;
        std::vector<double> lat;
        std::vector<double> first; // per caption: its first receipt in this group
    };
    std::vector<port_stats> by_port(vports.size());
    port_stats same_node, other_nodes;
    same_node.first.assign(sent, 1e18);
    other_nodes.first.assign(sent, 1e18);
    for (const auto& v : viewers) {
        auto& ps = by_port[v->node()];
        ++ps.viewers;
        ps.connected += v->was_connected();
        if (!v->was_subscribed())
            continue;
        ++ps.subscribed;
        auto& group = vports[v->node()] == p.port ? same_node : other_nodes;
        if (v->was_dropped())
            ++dropped_viewers;
        const auto& r = v->receipts();
        for (std::size_t k = 0; k < sent; ++k) {
            ++expected;
            if (r[k] < 0) {
                ++lost;
                ++ps.lost;
                ++group.lost;
                if (!v->was_dropped()) {
                    ++lost_alive;
                    ++lost_by_lang[v->lang()];
                }
                continue;
            }
            double ms = (r[k] - sends[k]) / 1e6;
            lat.push_back(ms);
            lat_by_lang[v->lang()].push_back(ms);
            ps.lat.push_back(ms);
            group.lat.push_back(ms);
            group.first[k] = std::min(group.first[k], ms);
            per_caption_max[k] = std::max(per_caption_max[k], ms);
            per_caption_min[k] = std::min(per_caption_min[k], ms);
            ++per_caption_got[k];
        }
    }
    std::sort(lat.begin(), lat.end());
    for (auto& ps : by_port)
        std::sort(ps.lat.begin(), ps.lat.end());
    std::sort(same_node.lat.begin(), same_node.lat.end());
    std::sort(other_nodes.lat.begin(), other_nodes.lat.end());
    for (auto* g : {&same_node, &other_nodes}) {
        std::erase_if(g->first, [](double x) { return x >= 1e18; });
        std::sort(g->first.begin(), g->first.end());
    }
    double mean = 0;
    for (double x : lat)
        mean += x;
    mean = lat.empty() ? 0 : mean / lat.size();
    std::vector<double> ack_ms;
    for (std::size_t k = 0; k < sent; ++k)
        if (spk->ack_times()[k] >= 0)
            ack_ms.push_back((spk->ack_times()[k] - sends[k]) / 1e6);
    std::sort(ack_ms.begin(), ack_ms.end());

    const std::size_t connected = stats.connected.load();
    double kib_per_viewer = -1;
    if (mem_before.rss_kib >= 0 && mem_idle.rss_kib >= 0 && connected > 0)
        kib_per_viewer = static_cast<double>(mem_idle.rss_kib - mem_before.rss_kib) / connected;
    bool cpu_ok = cpu_before.valid() && cpu_after.valid();
    double server_user = cpu_ok ? cpu_after.user - cpu_before.user : -1;
    double server_system = cpu_ok ? cpu_after.system - cpu_before.system : -1;
    double server_cpu = cpu_ok ? server_user + server_system : -1;
    double sched_cpu = sched_before >= 0 && sched_after >= 0 ? sched_after - sched_before : -1;

    json out{
        {"label", p.label},
        {"tls", p.tls},
        {"viewers", p.viewers},
        {"connected", connected},
        {"connect_failed", stats.connect_failed.load()},
        {"connect_failures", stats.connect_failures.to_json()},
        {"connect_seconds", round2(connect_seconds)},
        {"subscribe_seconds", round2(subscribe_seconds)},
        {"subscribed", subscribed_at_start},
        {"dropped_before_captions", dropped_before},
        {"rate", p.rate},
        {"captions_planned", count},
        {"captions_sent", sent},
        {"acks", spk->acks.load()},
        {"ack_ms_p50", round2(percentile(ack_ms, 50))},
        {"ack_ms_max", round2(ack_ms.empty() ? 0 : ack_ms.back())},
        {"expected", expected},
        {"received", lat.size()},
        {"lost", lost},
        {"lost_alive", lost_alive},
        {"lost_alive_by_lang", lost_by_lang},
        {"duplicates", stats.duplicates.load()},
        {"out_of_order", stats.out_of_order.load()},
        {"wrong_lang", stats.wrong_lang.load()},
        {"marker_mismatch", stats.marker_mismatch.load()},
        {"foreign", stats.foreign.load()},
        {"latency_ms",
         {{"p50", round2(percentile(lat, 50))},
          {"p90", round2(percentile(lat, 90))},
          {"p99", round2(percentile(lat, 99))},
          {"p999", round2(percentile(lat, 99.9))},
          {"max", round2(lat.empty() ? 0 : lat.back())},
          {"mean", round2(mean)}}},
        {"latency_by_lang_ms",
         [&] {
             json o = json::object();
             for (auto& [lang, v] : lat_by_lang) {
                 std::sort(v.begin(), v.end());
                 o[lang] = {{"p50", round2(percentile(v, 50))},
                            {"p99", round2(percentile(v, 99))},
                            {"max", round2(v.back())}};
             }
             return o;
         }()},
        {"per_caption_max_ms",
         [&] {
             json a = json::array();
             for (double x : per_caption_max)
                 a.push_back(round2(x));
             return a;
         }()},
        // Per caption, its time to the last viewer that got it (every language delivered) and to
        // the first: percentiles over captions; "complete" counts captions every viewer got.
        {"last_viewer_ms",
         [&] {
             std::vector<double> last, first;
             std::size_t complete = 0;
             for (std::size_t k = 0; k < sent; ++k) {
                 if (!per_caption_got[k])
                     continue;
                 last.push_back(per_caption_max[k]);
                 first.push_back(per_caption_min[k]);
                 complete += per_caption_got[k] == subscribed_at_start;
             }
             std::sort(last.begin(), last.end());
             std::sort(first.begin(), first.end());
             return json{{"p50", round2(percentile(last, 50))},
                         {"p99", round2(percentile(last, 99))},
                         {"max", round2(last.empty() ? 0 : last.back())},
                         {"first_p50", round2(percentile(first, 50))},
                         {"captions", last.size()},
                         {"complete", complete}};
         }()},
        // Time to the first viewer of each caption: the server's own path, before fan-out.
        {"per_caption_min_ms",
         [&] {
             json a = json::array();
             for (std::size_t k = 0; k < sent; ++k)
                 a.push_back(per_caption_got[k] ? round2(per_caption_min[k]) : -1.0);
             return a;
         }()},
        {"dropped_viewers", stats.dropped.load()},
        {"dropped_subscribed_viewers", dropped_viewers},
        {"drop_reasons", stats.drop_reasons.to_json()},
        {"errors", stats.server_errors.to_json()},
        {"server",
         {{"pid", p.server_pid},
          {"rss_before_kib", mem_before.rss_kib},
          {"rss_idle_kib", mem_idle.rss_kib},
          {"rss_after_kib", mem_after.rss_kib},
          {"peak_rss_kib", std::max(mem_after.hwm_kib, mem_closed.hwm_kib)},
          {"rss_after_close_kib", mem_closed.rss_kib},
          {"threads", mem_after.threads},
          {"kib_per_idle_viewer", round2(kib_per_viewer)},
          {"cpu_seconds", round2(server_cpu)},
          {"cpu_user_seconds", round2(server_user)},
          {"cpu_system_seconds", round2(server_system)},
          {"cpu_us_per_delivery", lat.empty() ? -1.0 : round2(server_cpu * 1e6 / lat.size())},
          // From schedstat, in ns: the figure to compare runs of a few hundred ms of CPU.
          {"sched_cpu_seconds", std::round(sched_cpu * 1e5) / 1e5},
          {"sched_cpu_us_per_delivery",
           lat.empty() || sched_cpu < 0 ? -1.0 : round2(sched_cpu * 1e6 / lat.size())}}},
        {"children",
         {{"processes", kids_after.processes},
          {"rss_kib", kids_after.rss_kib},
          {"cpu_seconds", round2(kids_after.cpu_seconds - kids_before.cpu_seconds)}}},
        {"probe", probe.to_json()},
        {"caption_phase_seconds", round2(caption_phase_seconds)},
        {"client_cpu_seconds", round2(self_after - self_before)},
        {"client_cpu_us_per_delivery",
         lat.empty() ? -1.0 : round2((self_after - self_before) * 1e6 / lat.size())},
        {"client_threads", p.threads},
        {"loadavg_before", load_before},
        {"loadavg_after", load_after},
        {"deadline_hit", deadline_hit},
        {"notes", notes},
    };

    auto latency_json = [](const std::vector<double>& v) {
        return json{{"p50", round2(percentile(v, 50))},
                    {"p90", round2(percentile(v, 90))},
                    {"p99", round2(percentile(v, 99))},
                    {"max", round2(v.empty() ? 0 : v.back())},
                    {"received", v.size()}};
    };
    if (!p.viewer_ports.empty()) {
        json a = json::array();
        for (std::size_t i = 0; i < vports.size(); ++i)
            a.push_back({{"port", vports[i]},
                         {"speaker_node", vports[i] == p.port},
                         {"viewers", by_port[i].viewers},
                         {"connected", by_port[i].connected},
                         {"subscribed", by_port[i].subscribed},
                         {"lost", by_port[i].lost},
                         {"latency_ms", latency_json(by_port[i].lat)}});
        out["by_port"] = a;
        // Percentiles do not add up across ports: computed here over the pooled receipts.
        // first_ms: per caption, the first viewer of the group to get it (the path before fan-out).
        out["speaker_node"] = {{"lost", same_node.lost},
                               {"latency_ms", latency_json(same_node.lat)},
                               {"first_ms", latency_json(same_node.first)}};
        out["other_nodes"] = {{"lost", other_nodes.lost},
                              {"latency_ms", latency_json(other_nodes.lat)},
                              {"first_ms", latency_json(other_nodes.first)}};
    }
    if (!p.cpu_pids.empty()) {
        json a = json::array();
        for (std::size_t i = 0; i < p.cpu_pids.size(); ++i) {
            bool ok = others_before[i].valid() && others_after[i].valid();
            double s = ok ? others_after[i].user + others_after[i].system - others_before[i].user -
                                others_before[i].system
                          : -1;
            a.push_back({{"pid", p.cpu_pids[i]}, {"cpu_seconds", round2(s)}});
        }
        out["cpu_by_pid"] = a; // during the caption phase
    }

    char line[1024];
    std::snprintf(line, sizeof line,
                  "lt_load%s%s: %zu/%zu viewers connected (%zu failed), %zu captions x %zu viewers: "
                  "%zu/%zu delivered, lost %zu (%zu at live viewers), dropped %zu; latency ms "
                  "p50 %.1f p99 %.1f max %.1f; server RSS %+.2f KiB/idle viewer, peak %.1f MiB, CPU %.2f s "
                  "(+%.2f s in %zu child processes; client CPU %.2f s); /metrics answered in max %.0f ms",
                  p.label.empty() ? "" : " ", p.label.c_str(), connected, p.viewers,
                  stats.connect_failed.load(), sent, subscribed_at_start, lat.size(), expected, lost,
                  lost_alive, stats.dropped.load(), percentile(lat, 50), percentile(lat, 99),
                  lat.empty() ? 0.0 : lat.back(), kib_per_viewer, mem_after.hwm_kib / 1024.0, server_cpu,
                  kids_after.cpu_seconds - kids_before.cpu_seconds, kids_after.processes,
                  self_after - self_before, out["probe"]["response_ms_max"].get<double>());
    std::cout << line << "\n";
    if (!p.viewer_ports.empty()) {
        for (std::size_t i = 0; i < vports.size(); ++i) {
            const auto& ps = by_port[i];
            std::snprintf(line, sizeof line,
                          "lt_load: port %u%s: %zu/%zu viewers connected, latency ms p50 %.1f p99 %.1f max "
                          "%.1f, lost %zu",
                          static_cast<unsigned>(vports[i]), vports[i] == p.port ? " (speaker's)" : "",
                          ps.connected, ps.viewers, percentile(ps.lat, 50), percentile(ps.lat, 99),
                          ps.lat.empty() ? 0.0 : ps.lat.back(), ps.lost);
            std::cout << line << "\n";
        }
    }
    for (const auto& n : notes)
        std::cout << "lt_load: note: " << n << "\n";
    std::cout << out.dump() << std::endl;

    bool clean = connected == p.viewers && lost == 0 && stats.dropped.load() == 0 && sent == count &&
                 !deadline_hit && notes.empty();
    return clean ? 0 : 2;
}

// ---- soak ----

// The captions viewer v had to get: every caption sent after it subscribed and acked at
// least `grace_ns` before it left (or before the end). [first, last]; empty when first > last.
std::pair<std::int64_t, std::int64_t> required_range(const viewer<plain_stream>& v,
                                                     const std::vector<std::int64_t>& sends,
                                                     const std::vector<std::int64_t>& acks, std::size_t sent,
                                                     std::int64_t grace_ns) {
    std::int64_t first = 0;
    while (first < static_cast<std::int64_t>(sent) && sends[first] <= v.subscribed_ns())
        ++first;
    std::int64_t until = v.leave_ns() >= 0 ? v.leave_ns() : v.dropped_ns();
    std::int64_t last = static_cast<std::int64_t>(sent) - 1;
    if (until >= 0)
        while (last >= first && (acks[last] < 0 || acks[last] > until - grace_ns))
            --last;
    return {first, last};
}

// A soak run: `viewers` connected for the whole run, `churn` of them replaced each minute
// (one leave and one join at a time, spread over the minute), a stalled viewer every
// `stall_every` s, one speaker at `rate`. Main drives churn and stalls and samples the
// server's RSS; after the run each viewer's runs of received indices are checked against
// the captions it had to get.
int run_soak(const params& p) {
    using soak_viewer = viewer<plain_stream>;
    rlim_t fds = raise_fd_limit();
    if (fds < p.viewers + 256)
        std::cerr << "lt_load: warning: fd limit " << fds << " is low for " << p.viewers << " viewers\n";
    auto address = net::ip::make_address(p.host);
    if (!address.is_loopback())
        throw std::invalid_argument("only loopback hosts are allowed, got " + p.host);
    tcp::endpoint ep{address, p.port};
    std::string host_header = p.host + ":" + std::to_string(p.port);
    const std::size_t count = static_cast<std::size_t>(std::llround(p.rate * p.duration));
    if (count == 0 || p.rate <= 0 || p.churn < 0 || p.churn > 1)
        throw std::invalid_argument("need a positive --rate and --duration, and --churn in [0, 1]");
    const double stall_for = p.stall_for > 0 ? p.stall_for : 0.8 * p.stall_every;
    // A viewer that leaves must have every caption acked this long before it closed.
    const std::int64_t grace_ns = 2'000'000'000;

    std::random_device rd;
    std::ostringstream prefix_s;
    prefix_s << "ltl-" << std::hex << (rd() & 0xffffff) << "-";
    const std::string id_prefix = prefix_s.str();
    std::mt19937 rng(rd());

    shared_stats stats;
    soak_log log(count, p.rate);
    net::io_context ioc{static_cast<int>(p.threads)};
    auto work = net::make_work_guard(ioc);
    std::vector<std::thread> pool;
    for (unsigned i = 0; i < p.threads; ++i)
        pool.emplace_back([&ioc] { ioc.run(); });
    auto stop_pool = [&] {
        work.reset();
        ioc.stop();
        for (auto& t : pool)
            if (t.joinable())
                t.join();
    };
    std::vector<std::string> notes;

    auto spk = std::make_shared<speaker<plain_stream>>(ioc, nullptr, ep, host_header, p.api_key, id_prefix,
                                                       count, stats, &log);
    spk->connect();
    wait_until([&] { return spk->state.load() != 0; }, clock_type::now() + 15s);
    if (spk->state.load() != 1) {
        stop_pool();
        throw std::runtime_error(spk->state.load() == -1 ? spk->failure : "speaker did not connect in time");
    }

    std::vector<std::string> langs = p.langs;
    if (langs.empty())
        langs.assign(viewer_languages.begin(), viewer_languages.end());
    std::vector<std::shared_ptr<soak_viewer>> everyone; // every viewer ever started, kept for the check
    std::vector<std::shared_ptr<soak_viewer>> live;     // the normal viewers now connected (main's)
    std::vector<std::shared_ptr<soak_viewer>> stalled;
    auto make_viewer = [&] {
        auto v = std::make_shared<soak_viewer>(ioc, nullptr, ep, host_header,
                                               langs[everyone.size() % langs.size()], id_prefix, count, stats,
                                               0, &log);
        everyone.push_back(v);
        return v;
    };
    auto start = [&](const std::shared_ptr<soak_viewer>& v) {
        stats.pending++;
        v->run();
    };

    // The first viewers, through the connector's pacing.
    {
        std::vector<std::shared_ptr<soak_viewer>> first;
        for (std::size_t i = 0; i < p.viewers; ++i)
            first.push_back(make_viewer());
        live = first;
        auto conn =
            std::make_shared<connector<soak_viewer>>(ioc, first, p.connect_rate, p.max_pending, stats);
        conn->run();
        if (!wait_until([&] { return stats.finished.load() >= p.viewers; },
                        clock_type::now() +
                            std::chrono::duration_cast<clock_type::duration>(
                                std::chrono::duration<double>(p.viewers / p.connect_rate * 3 + 30))))
            notes.push_back("connect phase timed out");
        conn->stop();
        wait_until([&] { return stats.subscribed.load() >= stats.connected.load(); },
                   clock_type::now() + 30s);
        wait_until([&] { return conn.use_count() == 1; }, clock_type::now() + 2s); // its timer lets go
    }
    const std::size_t first_connected = stats.connected.load();
    if (first_connected < p.viewers)
        notes.push_back(std::to_string(p.viewers - first_connected) +
                        " of the first viewers did not connect");

    std::ofstream rss_out;
    if (!p.rss_csv.empty()) {
        rss_out.open(p.rss_csv);
        rss_out << "t_s,rss_kib,viewers_open\n" << std::flush;
    }
    const double minutes = p.duration / 60;
    const std::size_t minute_rows = static_cast<std::size_t>(std::ceil(minutes));
    std::vector<std::size_t> joins(minute_rows + 1), leaves(minute_rows + 1), open_at(minute_rows + 1);
    std::vector<long> rss_at(minute_rows + 1, -1);
    std::size_t joins_failed_before = stats.connect_failed.load();
    std::size_t stalls_started = 0;
    std::vector<std::pair<std::shared_ptr<soak_viewer>, clock_type::time_point>> stall_until;

    const auto t0 = clock_type::now();
    auto since = [&](clock_type::time_point t) { return std::chrono::duration<double>(t - t0).count(); };
    spk->start(p.rate);
    const double churn_interval = p.churn > 0 ? 60.0 / (p.churn * static_cast<double>(p.viewers)) : 0;
    std::size_t churned = 0;
    double next_rss = 0;
    std::size_t next_minute = 1;
    std::size_t last_progress_minute = 0;
    // Bounded by the duration (plus the speaker's 10 s of slack).
    while (spk->sent.load() < count && since(clock_type::now()) < p.duration + 10) {
        const double t = since(clock_type::now());
        const std::size_t minute = std::min(static_cast<std::size_t>(t / 60), minute_rows);
        if (t >= next_rss) {
            auto m = read_memory(p.server_pid);
            if (rss_out)
                rss_out << round2(t) << "," << m.rss_kib << "," << stats.open.load() << "\n" << std::flush;
            next_rss += p.rss_interval;
        }
        if (t >= next_minute * 60.0 && next_minute <= minute_rows) {
            open_at[next_minute - 1] = stats.open.load();
            rss_at[next_minute - 1] = read_memory(p.server_pid).rss_kib;
            ++next_minute;
        }
        // Churn: one leave and one join every churn_interval seconds.
        while (churn_interval > 0 && static_cast<double>(churned + 1) * churn_interval <= t &&
               !live.empty()) {
            std::uniform_int_distribution<std::size_t> pick(0, live.size() - 1);
            std::size_t i = pick(rng);
            live[i]->close();
            live[i] = live.back();
            live.pop_back();
            ++leaves[minute];
            auto v = make_viewer();
            live.push_back(v);
            start(v);
            ++joins[minute];
            ++churned;
        }
        // Stalls: the first after one interval, and only those that end before the run does.
        if (p.stall_every > 0 && static_cast<double>(stalls_started + 1) * p.stall_every <= t &&
            t + stall_for < p.duration) {
            auto v = make_viewer();
            v->stall_once_subscribed();
            stalled.push_back(v);
            start(v);
            stall_until.emplace_back(v, clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                                std::chrono::duration<double>(stall_for)));
            ++stalls_started;
        }
        // A stalled viewer reads again after stall_for: what it then reads ends in the
        // server's close if the server dropped it.
        for (auto& [v, until] : stall_until)
            if (v && clock_type::now() >= until) {
                v->resume();
                v.reset();
            }
        if (minute > last_progress_minute) {
            last_progress_minute = minute;
            std::cerr << "lt_load soak: minute " << minute << ", " << stats.open.load() << " open, "
                      << spk->sent.load() << " captions, RSS " << read_memory(p.server_pid).rss_kib
                      << " KiB\n";
        }
        std::this_thread::sleep_for(20ms);
    }
    if (spk->sent.load() < count)
        notes.push_back("speaker sent only " + std::to_string(spk->sent.load()) + " of " +
                        std::to_string(count));
    for (auto& [v, until] : stall_until)
        if (v)
            v->resume();
    // Drain: until every ack is in and deliveries stop for 2 s, at most p.drain s.
    {
        const auto limit = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                   std::chrono::duration<double>(std::max(p.drain, 2.0)));
        std::size_t seen = stats.received.load();
        auto quiet_since = clock_type::now();
        while (clock_type::now() < limit) {
            std::this_thread::sleep_for(100ms);
            std::size_t r = stats.received.load();
            if (r != seen) {
                seen = r;
                quiet_since = clock_type::now();
            } else if (spk->acks.load() >= spk->sent.load() && clock_type::now() - quiet_since >= 2s) {
                break;
            }
        }
    }
    const double run_seconds = since(clock_type::now());
    if (rss_out)
        rss_out << round2(run_seconds) << "," << read_memory(p.server_pid).rss_kib << "," << stats.open.load()
                << "\n";
    if (next_minute <= minute_rows) {
        open_at[next_minute - 1] = stats.open.load();
        rss_at[next_minute - 1] = read_memory(p.server_pid).rss_kib;
    }

    stats.closing = true;
    for (auto& v : everyone)
        v->close();
    spk->close();
    if (!wait_until([&] { return stats.open.load() == 0; }, clock_type::now() + 15s))
        notes.push_back(std::to_string(stats.open.load()) + " viewers did not finish closing in 15 s");
    stop_pool();

    // ---- the check ----
    const auto& sends = spk->send_times();
    const auto& acks = spk->ack_times();
    const std::size_t sent = spk->sent.load();
    std::vector<std::size_t> lost_by_minute(minute_rows + 1);
    std::size_t lost = 0, checked = 0, required = 0, never_subscribed = 0, dropped_normal = 0;
    std::size_t stalled_dropped = 0, stalled_slow = 0;
    json drops = json::object(), stalled_drops = json::object();
    std::vector<bool> is_stalled(everyone.size());
    for (const auto& v : stalled) {
        if (v->was_dropped()) {
            ++stalled_dropped;
            stalled_drops[v->drop_reason()] = stalled_drops.value(v->drop_reason(), 0) + 1;
            stalled_slow += v->drop_reason().find("slow consumer") != std::string::npos;
        }
    }
    for (const auto& v : everyone) {
        if (std::find(stalled.begin(), stalled.end(), v) != stalled.end())
            continue;
        if (!v->was_subscribed()) {
            // Churn may close a viewer before its language_set: only the others count.
            never_subscribed += v->leave_ns() < 0;
            continue;
        }
        if (v->was_dropped()) {
            ++dropped_normal;
            drops[v->drop_reason()] = drops.value(v->drop_reason(), 0) + 1;
        }
        ++checked;
        auto [first, last] = required_range(*v, sends, acks, sent, grace_ns);
        if (first > last)
            continue;
        required += static_cast<std::size_t>(last - first + 1);
        // Every required index not inside one of the received runs is lost.
        std::int64_t k = first;
        for (const auto& [a, b] : v->runs()) {
            if (b < k)
                continue;
            for (; k < std::min(a, last + 1); ++k) {
                ++lost;
                ++lost_by_minute[log.minute_of(static_cast<std::size_t>(k))];
            }
            k = std::max(k, b + 1);
            if (k > last)
                break;
        }
        for (; k <= last; ++k) {
            ++lost;
            ++lost_by_minute[log.minute_of(static_cast<std::size_t>(k))];
        }
    }
    std::size_t unacked = 0;
    for (std::size_t k = 0; k < sent; ++k)
        unacked += acks[k] < 0;

    // Per minute: deliveries and percentiles from the histograms.
    json per_minute = json::array();
    std::vector<double> all_p99;
    std::ofstream min_out;
    if (!p.minutes_csv.empty()) {
        min_out.open(p.minutes_csv);
        min_out << "minute,deliveries,p50_ms,p99_ms,max_ms,viewers_open,joins,leaves,lost,rss_kib\n";
    }
    std::array<std::uint64_t, soak_log::buckets> total{};
    auto pct = [](const auto& h, std::uint64_t n, double q) {
        if (n == 0)
            return 0.0;
        auto want = static_cast<std::uint64_t>(std::ceil(q / 100 * static_cast<double>(n)));
        std::uint64_t c = 0;
        for (std::size_t i = 0; i < h.size(); ++i) {
            c += h[i];
            if (c >= want)
                return round2(soak_log::bucket_ms(i));
        }
        return round2(soak_log::bucket_ms(h.size() - 1));
    };
    std::size_t deliveries = 0;
    for (std::size_t m = 0; m < minute_rows; ++m) {
        std::array<std::uint64_t, soak_log::buckets> h{};
        std::uint64_t n = 0;
        std::size_t top = 0;
        for (std::size_t i = 0; i < soak_log::buckets; ++i) {
            h[i] = log.per_minute[m][i].load();
            total[i] += h[i];
            n += h[i];
            if (h[i])
                top = i;
        }
        deliveries += n;
        json row{{"minute", m + 1},
                 {"deliveries", n},
                 {"p50_ms", pct(h, n, 50)},
                 {"p99_ms", pct(h, n, 99)},
                 {"max_ms", n ? round2(soak_log::bucket_ms(top)) : 0.0},
                 {"viewers_open", open_at[m]},
                 {"joins", joins[m]},
                 {"leaves", leaves[m]},
                 {"lost", lost_by_minute[m]},
                 {"rss_kib", rss_at[m]}};
        if (min_out)
            min_out << m + 1 << "," << n << "," << row["p50_ms"] << "," << row["p99_ms"] << ","
                    << row["max_ms"] << "," << open_at[m] << "," << joins[m] << "," << leaves[m] << ","
                    << lost_by_minute[m] << "," << rss_at[m] << "\n";
        per_minute.push_back(std::move(row));
    }
    std::uint64_t n_all = 0;
    for (auto c : total)
        n_all += c;
    std::size_t joined = 0, left = 0;
    for (std::size_t m = 0; m <= minute_rows; ++m) {
        joined += joins[m];
        left += leaves[m];
    }

    json out{
        {"label", p.label},
        {"mode", "soak"},
        {"viewers", p.viewers},
        {"duration_s", p.duration},
        {"run_seconds", round2(run_seconds)},
        {"rate", p.rate},
        {"captions_sent", sent},
        {"acks", spk->acks.load()},
        {"unacked", unacked},
        {"first_connected", first_connected},
        {"viewers_started", everyone.size()},
        {"joins", joined},
        {"leaves", left},
        {"connect_failed", stats.connect_failed.load()},
        {"join_failures_after_start", stats.connect_failed.load() - joins_failed_before},
        {"connect_failures", stats.connect_failures.to_json()},
        {"never_subscribed", never_subscribed},
        {"viewers_checked", checked},
        {"required_deliveries", required},
        {"deliveries", deliveries},
        {"lost", lost},
        {"dropped_normal_viewers", dropped_normal},
        {"normal_drop_reasons", drops},
        {"stalled", stalled.size()},
        {"stalled_dropped", stalled_dropped},
        {"stalled_dropped_slow_consumer", stalled_slow},
        {"stalled_drop_reasons", stalled_drops},
        {"stall_for_s", stall_for},
        {"duplicates", stats.duplicates.load()},
        {"out_of_order", stats.out_of_order.load()},
        {"wrong_lang", stats.wrong_lang.load()},
        {"wrong_langs", stats.wrong_langs.to_json()},
        {"before_language_set", stats.before_language_set.load()},
        {"foreign", stats.foreign.load()},
        {"errors", stats.server_errors.to_json()},
        {"latency_ms",
         {{"p50", pct(total, n_all, 50)}, {"p99", pct(total, n_all, 99)}, {"p999", pct(total, n_all, 99.9)}}},
        {"per_minute", per_minute},
        {"notes", notes}};
    char line[512];
    std::snprintf(
        line, sizeof line,
        "lt_load soak%s%s: %.0f s, %zu captions, %zu viewers (+%zu joined, %zu left), %zu deliveries, "
        "lost %zu of %zu required, %zu normal viewers dropped, %zu/%zu stalled viewers dropped "
        "(%zu as slow consumers); latency ms p50 %.2f p99 %.2f",
        p.label.empty() ? "" : " ", p.label.c_str(), run_seconds, sent, first_connected, joined, left,
        deliveries, lost, required, dropped_normal, stalled_dropped, stalled.size(), stalled_slow,
        out["latency_ms"]["p50"].get<double>(), out["latency_ms"]["p99"].get<double>());
    std::cout << line << "\n";
    for (const auto& n : notes)
        std::cout << "lt_load: note: " << n << "\n";
    std::cout << out.dump() << std::endl;
    bool clean = lost == 0 && dropped_normal == 0 && unacked == 0 && sent == count && notes.empty() &&
                 stats.out_of_order.load() == 0 && stats.duplicates.load() == 0 && never_subscribed == 0;
    return clean ? 0 : 2;
}

} // namespace

int main(int argc, char** argv) {
    params p;
    if (const char* key = std::getenv("API_KEY"))
        p.api_key = key;
    CLI::App app{"lt_load: opens many viewer WebSockets to lt-server, sends captions from one speaker and "
                 "measures delivery latency, loss and server memory/CPU. Loopback only."};
    app.add_option("--host", p.host, "Server address (loopback only)")->capture_default_str();
    app.add_option("--port", p.port, "Server port")->required();
    app.add_option("-n,--viewers", p.viewers, "Viewer connections")->capture_default_str();
    app.add_option("-r,--rate", p.rate, "Final captions per second")->capture_default_str();
    app.add_option("-d,--duration", p.duration, "Seconds of captions")->capture_default_str();
    app.add_option("--count", p.count, "Number of captions (overrides --duration)");
    app.add_option("--connect-rate", p.connect_rate, "New connections per second")->capture_default_str();
    app.add_option("--max-pending", p.max_pending, "Handshakes in flight at most")->capture_default_str();
    app.add_option("--server-pid", p.server_pid, "lt-server pid, for RSS and CPU from /proc");
    app.add_option("--api-key", p.api_key, "Speaker key (default: $API_KEY)");
    app.add_option("--drain", p.drain, "Seconds to wait for deliveries after the last caption")
        ->capture_default_str();
    app.add_option("--settle", p.settle, "Idle seconds before the idle RSS is read")->capture_default_str();
    app.add_option("--deadline", p.deadline, "Limit for the whole run in seconds (0 = derived)")
        ->capture_default_str();
    app.add_option("--threads", p.threads, "Client io threads")
        ->check(CLI::Range(1u, 2u))
        ->capture_default_str();
    app.add_option("--label", p.label, "Name for this run in the output");
    app.add_option("--probe-interval", p.probe_interval,
                   "Seconds between GET /metrics polls during the caption phase (0 = off)")
        ->capture_default_str();
    app.add_option("--viewer-ports", p.viewer_ports,
                   "Viewers go round-robin over these ports, e.g. 5051,5052 (default: --port); the "
                   "speaker stays on --port")
        ->delimiter(',');
    app.add_option("--langs", p.langs, "Viewer languages, round-robin, e.g. en or en,es (default: all 16)")
        ->delimiter(',');
    app.add_option("--cpu-pids", p.cpu_pids, "More pids whose CPU in the caption phase to report, e.g. 12,34")
        ->delimiter(',');
    app.add_flag("--tls", p.tls, "Connect with wss (TLS); the certificate must match --host");
    app.add_option("--ca-file", p.ca_file, "PEM file of CAs to trust with --tls, beside the system's")
        ->check(CLI::ExistingFile);
    app.add_flag("--soak", p.soak,
                 "Soak run: viewers churn and stall over --duration; per-minute figures instead of "
                 "per-delivery ones");
    app.add_option("--churn", p.churn, "Soak: share of the viewers replaced per minute")
        ->capture_default_str();
    app.add_option("--stall-every", p.stall_every, "Soak: seconds between stalled viewers (0 = none)")
        ->capture_default_str();
    app.add_option("--stall-for", p.stall_for,
                   "Soak: seconds a stalled viewer stops reading (0 = 0.8 x --stall-every)")
        ->capture_default_str();
    app.add_option("--rss-interval", p.rss_interval, "Soak: seconds between server RSS samples")
        ->capture_default_str();
    app.add_option("--rss-csv", p.rss_csv, "Soak: CSV of the server's RSS over time");
    app.add_option("--minutes-csv", p.minutes_csv, "Soak: CSV with one row per minute");
    CLI11_PARSE(app, argc, argv);
    if (p.connect_rate <= 0 || p.max_pending == 0 || p.viewers == 0) {
        std::cerr << "lt_load: --connect-rate, --max-pending and --viewers must be positive\n";
        return 1;
    }
    if (p.tls && p.probe_interval > 0) {
        std::cerr << "lt_load: --tls needs --probe-interval 0 (the /metrics probe speaks plain HTTP)\n";
        return 1;
    }
    try {
        if (p.soak) {
            if (p.tls) {
                std::cerr << "lt_load: --soak runs over plain ws only\n";
                return 1;
            }
            return run_soak(p);
        }
        if (p.tls) {
            auto ctx = lt::net::make_tls_context(p.ca_file);
            return run<tls_stream>(p, &ctx);
        }
        return run<plain_stream>(p, nullptr);
    } catch (const std::exception& e) {
        std::cerr << "lt_load: " << e.what() << "\n";
        return 1;
    }
}
