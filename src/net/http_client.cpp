#include "net/http_client.hpp"

#include "net/asio.hpp"
#include "net/backoff.hpp"
#include "net/connect.hpp"
#include "net/reason.hpp"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <ctime>
#include <iomanip>
#include <locale>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

namespace lt::net {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// Servers and load balancers drop idle connections after about a minute (AWS's front ends
// included); never offer an older one.
constexpr auto idle_limit = std::chrono::seconds(50);

struct connection {
    asio::io_context ioc; // first: destroyed after the streams that use it
    std::unique_ptr<tcp_stream> plain;
    std::unique_ptr<tls_stream> tls;
    beast::flat_buffer buffer;
    steady::time_point idle_since;

    tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

    // Runs the io_context until the started operation has completed.
    template <class Start>
    beast::error_code run(Start&& start) {
        beast::error_code result = asio::error::would_block;
        start([&result](beast::error_code ec, auto&&...) { result = ec; });
        ioc.restart();
        ioc.run();
        return result;
    }

    template <class Msg>
    beast::error_code write(Msg& msg) {
        if (tls)
            return run([&](auto h) { http::async_write(*tls, msg, h); });
        return run([&](auto h) { http::async_write(*plain, msg, h); });
    }

    // The header first: Beast 1.74 ignores the body limit against a Content-Length when
    // the header and body arrive in one read (its eager parse), so it is checked here.
    template <class Parser>
    beast::error_code read(Parser& parser, std::size_t max_body) {
        parser.body_limit(max_body);
        auto ec = tls ? run([&](auto h) { http::async_read_header(*tls, buffer, parser, h); })
                      : run([&](auto h) { http::async_read_header(*plain, buffer, parser, h); });
        if (ec || parser.is_done())
            return ec;
        if (auto length = parser.content_length(); length && *length > max_body)
            return http::error::body_limit;
        if (tls)
            return run([&](auto h) { http::async_read(*tls, buffer, parser, h); });
        return run([&](auto h) { http::async_read(*plain, buffer, parser, h); });
    }

    void close() {
        if (!plain && !tls)
            return; // never connected
        beast::error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest().socket().close(ec);
    }

    // An idle keep-alive connection with something to read has been closed (or reset) by the
    // server; anything else unread would be a protocol error as well.
    bool unusable() {
        if (buffer.size() != 0)
            return true;
        auto& sock = lowest().socket();
        if (!sock.is_open())
            return true;
        pollfd p{sock.native_handle(), POLLIN | POLLRDHUP, 0};
        return ::poll(&p, 1, 0) != 0;
    }
};

struct attempt_result {
    bool network_error = false;
    std::string error;
    http_response response;
};

// What a pooled connection the server closed meanwhile fails with.
bool stale_error(const beast::error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::connection_aborted || ec == asio::ssl::error::stream_truncated;
}

bool default_retry(const http_response& r) { return r.status == 429 || r.status >= 500; }

// "/x?y" below the endpoint's path prefix -> the target as sent.
std::string full_target(const endpoint& ep, std::string target) {
    if (target.empty())
        target = "/";
    if (target.front() != '/' && target.front() != '?')
        target = "/" + target;
    target = ep.target + target;
    if (target.front() == '?')
        target = "/" + target;
    return target;
}

} // namespace

std::string find_header(const header_list& headers, std::string_view name) {
    for (const auto& [n, v] : headers)
        if (beast::iequals(n, beast::string_view(name.data(), name.size())))
            return v;
    return {};
}

std::string http_response::header(std::string_view name) const { return find_header(headers, name); }

// Retry-After of a 429 or 503: seconds ("120") or an HTTP date ("Wed, 21 Oct 2015 07:28:00
// GMT", RFC 9110's preferred form), as a wait from now.
std::optional<milliseconds> retry_after(const http_response& r) {
    if (r.status != 429 && r.status != 503)
        return std::nullopt;
    const std::string v = r.header("Retry-After");
    long seconds = -1;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
    if (ec == std::errc() && end == v.data() + v.size() && seconds >= 0)
        return std::chrono::duration_cast<milliseconds>(std::chrono::seconds(std::min(seconds, 86400L)));
    std::tm tm{};
    std::istringstream in(v);
    in.imbue(std::locale::classic());
    in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
    if (in.fail())
        return std::nullopt;
    auto when = std::chrono::system_clock::from_time_t(::timegm(&tm));
    auto wait = std::chrono::duration_cast<milliseconds>(when - std::chrono::system_clock::now());
    return std::max(wait, milliseconds(0));
}

std::string body_excerpt(const http_response& r, std::size_t n) {
    std::string text = r.body.substr(0, n);
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return text;
}

struct http_client::impl {
    endpoint ep;
    http_client_options opts;
    std::optional<ssl::context> tls_ctx;
    std::string setup_error;
    std::mutex pool_mu;
    std::vector<std::unique_ptr<connection>> idle;
    std::atomic<std::uint64_t> attempts{0};

    impl(endpoint e, http_client_options o) : ep(std::move(e)), opts(std::move(o)) {
        try {
            tls_ctx.emplace(make_tls_context(opts.ca_file));
        } catch (const std::exception& ex) {
            setup_error = ex.what(); // reported by every send()
            tls_ctx.emplace(make_tls_context());
        }
        opts.max_attempts = std::max(opts.max_attempts, 1);
    }

    ~impl() {
        for (auto& c : idle)
            c->close();
    }

    std::unique_ptr<connection> take_idle() {
        std::lock_guard lock(pool_mu);
        while (!idle.empty()) {
            auto c = std::move(idle.back());
            idle.pop_back();
            if (steady::now() - c->idle_since > idle_limit || c->unusable()) {
                c->close();
                continue;
            }
            return c;
        }
        return nullptr;
    }

    void put_back(std::unique_ptr<connection> c) {
        std::lock_guard lock(pool_mu);
        if (idle.size() >= opts.max_idle_connections) {
            c->close();
            return;
        }
        c->idle_since = steady::now();
        idle.push_back(std::move(c));
    }

    // "host:443", "[::1]:8080": the port even when it is the scheme's default.
    std::string host_port() const {
        return (ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host) + ":" + ep.port;
    }

    std::string describe_network(const beast::error_code& ec, const char* stage) const {
        if (ec == beast::error::timeout || ec == asio::error::timed_out)
            return std::string(stage) + " timed out (connect timeout " +
                   std::to_string(opts.connect_timeout.count()) + " ms, request timeout " +
                   std::to_string(opts.request_timeout.count()) + " ms)";
        if (ec == asio::error::connection_refused)
            return std::string(stage) + ": connection refused (nothing listens at " + host_port() +
                   (opts.endpoint_hint.empty()
                        ? std::string("; is the service running?)")
                        : "; check " + opts.endpoint_hint + ", and that the service is running)");
        if (is_tls_error(ec))
            return std::string(stage) + ": TLS error: " + ec.message() +
                   " (the server's certificate must be trusted by the system CA store" +
                   (opts.ca_file.empty() ? std::string() : " or " + opts.ca_file) + " and name host " +
                   ep.host + ")";
        return std::string(stage) + ": " + reason(ec);
    }

    // Resolve and connect within the connect timeout, then (https) the TLS handshake, all
    // before `deadline`.
    bool connect(connection& c, steady::time_point deadline, std::string& error) {
        connect_options o;
        o.connect_timeout = opts.connect_timeout;
        o.handshake_timeout = opts.request_timeout;
        o.deadline = deadline;
        o.no_delay = true;
        connect_failure failed;
        if (ep.tls()) {
            c.tls = std::make_unique<tls_stream>(c.ioc, *tls_ctx);
            failed = net::connect(c.ioc, *c.tls, ep, o);
        } else {
            c.plain = std::make_unique<tcp_stream>(c.ioc);
            failed = net::connect(c.ioc, *c.plain, ep, o);
        }
        if (!failed)
            return true;
        if (failed.where == step::resolve)
            error = "cannot resolve " + ep.host + ": " + reason(failed.code) +
                    (opts.endpoint_hint.empty() ? std::string() : " (check " + opts.endpoint_hint + ")");
        else
            error =
                describe_network(failed.code, failed.where == step::connect ? "connect" : "TLS handshake");
        return false;
    }

    attempt_result attempt(http::request<http::string_body>& msg) {
        attempt_result out;
        const auto deadline = steady::now() + opts.request_timeout;
        for (;;) {
            auto c = take_idle();
            const bool reused = c != nullptr;
            if (!c) {
                c = std::make_unique<connection>();
                if (!connect(*c, deadline, out.error)) {
                    c->close();
                    out.network_error = true;
                    return out;
                }
            }
            c->lowest().expires_at(deadline);
            auto ec = c->write(msg);
            const bool sent = !ec;
            http::response_parser<http::string_body> parser;
            if (sent)
                ec = c->read(parser, opts.max_body);
            if (ec) {
                c->close();
                // A pooled connection the server has closed meanwhile: not the request's fault.
                if (reused && stale_error(ec) && !parser.got_some())
                    continue;
                out.network_error = true;
                const char* stage = !sent               ? "sending the request"
                                    : parser.got_some() ? "reading the response"
                                                        : "waiting for the response";
                out.error = describe_network(ec, stage);
                return out;
            }
            c->lowest().expires_never();
            auto res = parser.release();
            out.response.status = static_cast<int>(res.result_int());
            for (const auto& f : res)
                out.response.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
            out.response.body = std::move(res.body());
            if (res.keep_alive() && c->buffer.size() == 0)
                put_back(std::move(c));
            else
                c->close();
            return out;
        }
    }

    core::result<http_response> send(http_request req, const prepare_fn& prepare, const retry_fn& retry) {
        if (!setup_error.empty())
            return core::make_error(opts.service + ": " + setup_error);
        const auto verb = http::string_to_verb(req.method);
        if (verb == http::verb::unknown)
            return core::make_error(opts.service + ": unknown HTTP method '" + req.method + "'");
        req.target = full_target(ep, std::move(req.target));
        std::erase_if(req.headers, [](const auto& h) {
            return beast::iequals(h.first, "Host") || beast::iequals(h.first, "Content-Length");
        });
        req.headers.emplace_back("Host", ep.host_header());
        if (!req.body.empty() || (verb != http::verb::get && verb != http::verb::head))
            req.headers.emplace_back("Content-Length", std::to_string(req.body.size()));

        std::string last_error;
        std::optional<milliseconds> wait_asked;
        backoff delays(opts.base_backoff, opts.max_backoff, 0.5, 1.5);
        for (int n = 1; n <= opts.max_attempts; ++n) {
            if (n > 1) {
                auto delay = delays.next();
                if (wait_asked)
                    delay = std::max(delay, std::min(*wait_asked, opts.max_backoff));
                std::this_thread::sleep_for(delay);
            }
            // The hook may change it: each attempt starts from the caller's request.
            http_request sent = n == opts.max_attempts ? std::move(req) : req;
            if (prepare) {
                auto error = prepare(sent);
                if (!error.empty())
                    return core::make_error(opts.service + ": " + error);
            }
            http::request<http::string_body> msg{verb, sent.target, 11};
            for (const auto& [name, value] : sent.headers)
                msg.insert(name, value);
            if (msg.find(http::field::user_agent) == msg.end())
                msg.set(http::field::user_agent, "live-translate");
            msg.body() = std::move(sent.body);
            ++attempts;

            auto r = attempt(msg);
            wait_asked.reset();
            if (r.network_error) {
                last_error = std::move(r.error);
                continue;
            }
            const int status = r.response.status;
            if (status >= 200 && status < 300)
                return std::move(r.response);
            if (n < opts.max_attempts && (retry ? retry(r.response) : default_retry(r.response))) {
                wait_asked = retry_after(r.response);
                continue;
            }
            return std::move(r.response);
        }
        return core::make_error(opts.service + " request to " + ep.url() + " failed after " +
                                std::to_string(opts.max_attempts) + " attempt" +
                                (opts.max_attempts == 1 ? "" : "s") + ": " + last_error);
    }
};

http_client::http_client(endpoint ep, http_client_options opts)
    : impl_(std::make_unique<impl>(std::move(ep), std::move(opts))) {}

http_client::~http_client() = default;

core::result<http_response> http_client::send(http_request req, const prepare_fn& prepare,
                                              const retry_fn& retry) {
    return impl_->send(std::move(req), prepare, retry);
}

const endpoint& http_client::where() const { return impl_->ep; }

const http_client_options& http_client::options() const { return impl_->opts; }

std::uint64_t http_client::attempts() const { return impl_->attempts.load(); }

} // namespace lt::net
