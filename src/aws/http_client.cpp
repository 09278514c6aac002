#include "aws/http_client.hpp"

#include "net/asio.hpp"
#include "net/backoff.hpp"
#include "net/connect.hpp"
#include "net/reason.hpp"

#include <nlohmann/json.hpp>

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

namespace lt::aws {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr std::size_t max_body = 64 * 1024 * 1024;
// AWS front ends drop idle connections after about a minute; never offer an older one.
constexpr auto idle_limit = std::chrono::seconds(50);

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string xml_unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '&') {
            static const std::pair<std::string_view, char> entities[] = {
                {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
            bool done = false;
            for (auto [name, c] : entities) {
                if (s.substr(i, name.size()) == name) {
                    out += c;
                    i += name.size() - 1;
                    done = true;
                    break;
                }
            }
            if (done)
                continue;
        }
        out += s[i];
    }
    return out;
}

std::string xml_tag(std::string_view body, std::string_view tag) {
    std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
    auto b = body.find(open);
    if (b == std::string_view::npos)
        return {};
    b += open.size();
    auto e = body.find(close, b);
    if (e == std::string_view::npos)
        return {};
    return xml_unescape(body.substr(b, e - b));
}

// "com.amazon.coral.service#ExpiredTokenException" or "Code:http://internal..." -> the code.
std::string clean_code(std::string code) {
    if (auto hash = code.rfind('#'); hash != std::string::npos)
        code = code.substr(hash + 1);
    if (auto colon = code.find(':'); colon != std::string::npos)
        code = code.substr(0, colon);
    return code;
}

std::string json_string(const nlohmann::json& j, std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
        auto it = j.find(k);
        if (it != j.end() && it->is_string())
            return it->get<std::string>();
    }
    return {};
}

struct connection {
    asio::io_context ioc; // first: destroyed after the streams that use it
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::flat_buffer buffer;
    steady::time_point idle_since;

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

    // Runs the io_context until the started operation has completed.
    template <class Start>
    beast::error_code run(Start&& start) {
        beast::error_code result = asio::error::would_block;
        start([&result](beast::error_code ec, auto&&...) { result = ec; });
        ioc.restart();
        ioc.run();
        return result;
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
        int n = ::poll(&p, 1, 0);
        return n != 0;
    }
};

struct attempt_result {
    bool network_error = false;
    std::string error;
    http_response response;
};

bool stale_error(const beast::error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::connection_aborted || ec == asio::ssl::error::stream_truncated;
}

std::string action_of_target(std::string_view target) {
    auto dot = target.rfind('.');
    return std::string(dot == std::string_view::npos ? target : target.substr(dot + 1));
}

} // namespace

std::string http_response::header(std::string_view name) const {
    for (const auto& [n, v] : headers)
        if (iequals(n, name))
            return v;
    return {};
}

service_error parse_service_error(const http_response& r) {
    service_error e;
    e.status = r.status;
    std::string_view body = r.body;
    auto first = body.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && body[first] == '{') {
        auto j = nlohmann::json::parse(body, nullptr, false);
        if (!j.is_discarded() && j.is_object()) {
            e.code = json_string(j, {"__type", "code", "Code"});
            e.message = json_string(j, {"message", "Message", "errorMessage"});
        }
    } else if (first != std::string_view::npos && body[first] == '<') {
        e.code = xml_tag(body, "Code");
        e.message = xml_tag(body, "Message");
    }
    if (e.code.empty())
        e.code = r.header("x-amzn-ErrorType");
    e.code = clean_code(e.code);
    return e;
}

bool is_retryable(const service_error& e) {
    if (e.status >= 500 || e.status == 429)
        return true;
    static const std::unordered_set<std::string> codes = {"Throttling",
                                                          "ThrottlingException",
                                                          "ThrottledException",
                                                          "RequestThrottledException",
                                                          "TooManyRequestsException",
                                                          "ProvisionedThroughputExceededException",
                                                          "TransactionInProgressException",
                                                          "RequestLimitExceeded",
                                                          "BandwidthLimitExceeded",
                                                          "RequestThrottled",
                                                          "SlowDown",
                                                          "PriorRequestNotComplete",
                                                          "EC2ThrottledException",
                                                          "InternalError",
                                                          "InternalFailure",
                                                          "InternalServerException",
                                                          "ServiceUnavailable",
                                                          "ServiceUnavailableException",
                                                          "IDPCommunicationError"};
    return codes.count(e.code) > 0 || starts_with(e.code, "Throttling") ||
           starts_with(e.code, "TooManyRequests");
}

struct service_client::impl {
    endpoint ep;
    std::string region;
    service_info service;
    std::shared_ptr<credentials_provider> creds;
    client_options opts;
    std::optional<ssl::context> tls_ctx;
    std::string setup_error;
    std::mutex pool_mu;
    std::vector<std::unique_ptr<connection>> idle;
    std::atomic<std::uint64_t> attempts{0};

    impl(endpoint e, std::string r, service_info s, std::shared_ptr<credentials_provider> c, client_options o)
        : ep(std::move(e)), region(std::move(r)), service(std::move(s)), creds(std::move(c)),
          opts(std::move(o)) {
        try {
            tls_ctx.emplace(net::make_tls_context(opts.ca_file));
        } catch (const std::exception& ex) {
            setup_error = ex.what(); // reported by every send()
            tls_ctx.emplace(net::make_tls_context());
        }
        if (opts.max_attempts < 1)
            opts.max_attempts = 1;
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

    std::string describe_network(const beast::error_code& ec, const char* stage) const {
        if (ec == beast::error::timeout || ec == asio::error::timed_out)
            return std::string(stage) + " timed out (connect timeout " +
                   std::to_string(opts.connect_timeout.count()) + " ms, request timeout " +
                   std::to_string(opts.request_timeout.count()) + " ms)";
        if (ec == asio::error::connection_refused)
            return std::string(stage) + ": connection refused (nothing listens at " + ep.host + ":" +
                   ep.port + "; check AWS_ENDPOINT_URL_" + service.env_id +
                   " / AWS_ENDPOINT_URL or AWS_REGION, and that "
                   "the service is running)";
        if (net::is_tls_error(ec))
            return std::string(stage) + ": TLS error: " + ec.message() +
                   " (the server's certificate must be trusted by the system CA store" +
                   (opts.ca_file.empty() ? std::string() : " or " + opts.ca_file) + " and name host " +
                   ep.host + ")";
        return std::string(stage) + ": " + net::reason(ec);
    }

    // Resolve and connect within the connect timeout, then (https) the TLS handshake, all
    // before `deadline`.
    bool connect(connection& c, steady::time_point deadline, std::string& error) {
        net::connect_options o;
        o.connect_timeout = opts.connect_timeout;
        o.handshake_timeout = opts.request_timeout;
        o.deadline = deadline;
        o.no_delay = true;
        net::connect_failure failed;
        if (ep.tls()) {
            c.tls = std::make_unique<net::tls_stream>(c.ioc, *tls_ctx);
            failed = net::connect(c.ioc, *c.tls, ep, o);
        } else {
            c.plain = std::make_unique<net::tcp_stream>(c.ioc);
            failed = net::connect(c.ioc, *c.plain, ep, o);
        }
        if (!failed)
            return true;
        if (failed.where == net::step::resolve)
            error = "cannot resolve " + ep.host + ": " + net::reason(failed.code) +
                    " (check the region and endpoint URL)";
        else
            error = describe_network(failed.code,
                                     failed.where == net::step::connect ? "connect" : "TLS handshake");
        return false;
    }

    template <class Msg>
    beast::error_code write(connection& c, Msg& msg) {
        if (c.tls)
            return c.run([&](auto h) { http::async_write(*c.tls, msg, h); });
        return c.run([&](auto h) { http::async_write(*c.plain, msg, h); });
    }

    template <class Parser>
    beast::error_code read(connection& c, Parser& parser) {
        if (c.tls)
            return c.run([&](auto h) { http::async_read(*c.tls, c.buffer, parser, h); });
        return c.run([&](auto h) { http::async_read(*c.plain, c.buffer, parser, h); });
    }

    attempt_result attempt(http::request<http::string_body>& req) {
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
            auto ec = write(*c, req);
            const bool sent = !ec;
            http::response_parser<http::string_body> parser;
            parser.body_limit(max_body);
            if (sent)
                ec = read(*c, parser);
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

    std::string hint(const service_error& e, const std::string& action) const {
        const std::string& code = e.code;
        if (code == "UnrecognizedClientException" || code == "InvalidClientTokenId")
            return " (the access key ID is not valid: check AWS_ACCESS_KEY_ID or the profile's "
                   "aws_access_key_id, "
                   "and that a session token comes with temporary keys)";
        if (code == "InvalidSignatureException" || code == "SignatureDoesNotMatch" ||
            code == "IncompleteSignature")
            return " (the secret access key does not match the key ID, or this machine's clock is off by "
                   "more "
                   "than 5 minutes: check AWS_SECRET_ACCESS_KEY and the system time)";
        if (code == "RequestExpired" || code == "SignatureExpired" || code == "RequestTimeTooSkewed")
            return " (this machine's clock is off: sync the system time, e.g. with NTP)";
        if (starts_with(code, "ExpiredToken") || code == "TokenRefreshRequired")
            return " (the AWS credentials have expired; refresh them or ask the server for a new token)";
        if (starts_with(code, "AccessDenied") || e.status == 403) {
            std::string what = action;
            auto at = e.message.find("perform: ");
            if (at != std::string::npos) {
                auto start = at + 9;
                auto end = e.message.find_first_of(" \t,;", start);
                what = e.message.substr(start, end == std::string::npos ? std::string::npos : end - start);
            }
            return " (the IAM identity lacks a permission: allow " +
                   (what.empty() ? std::string("this action") : what) + " in its IAM policy)";
        }
        if (is_retryable(e))
            return " (gave up after " + std::to_string(opts.max_attempts) + " attempt" +
                   (opts.max_attempts == 1 ? "" : "s") + "; lower the request rate or try again later)";
        return {};
    }

    std::string describe(const service_error& e, const http_response& r, const std::string& action) const {
        std::string text = service.signing_name + " ";
        if (!e.code.empty()) {
            text += e.code + ": " + (e.message.empty() ? "HTTP " + std::to_string(r.status) : e.message);
        } else {
            std::string body = r.body.substr(0, 300);
            std::replace(body.begin(), body.end(), '\n', ' ');
            text += "HTTP " + std::to_string(r.status) + (body.empty() ? std::string() : ": " + body);
        }
        return text + hint(e, action);
    }

    core::result<http_response> send(http_request_parts req, const std::string& action) {
        if (!setup_error.empty())
            return core::make_error(service.signing_name + ": " + setup_error);
        auto verb = http::string_to_verb(req.method);
        if (verb == http::verb::unknown)
            return core::make_error("unknown HTTP method '" + req.method + "'");
        std::string target = req.target.empty() ? "/" : req.target;
        if (target.front() != '/' && target.front() != '?')
            target = "/" + target;
        target = ep.target + target;
        if (target.front() == '?')
            target = "/" + target;
        std::erase_if(req.headers, [](const auto& h) {
            return iequals(h.first, "Host") || iequals(h.first, "Content-Length");
        });

        std::string last_error;
        net::backoff delays(opts.base_backoff, opts.max_backoff, 0.5, 1.5);
        for (int n = 1; n <= opts.max_attempts; ++n) {
            if (n > 1)
                std::this_thread::sleep_for(delays.next());
            auto c = creds->get();
            if (!c)
                return core::make_error(service.signing_name + ": " + c.error_message());
            http_request_parts parts;
            parts.method = req.method;
            parts.target = target;
            parts.headers = req.headers;
            parts.headers.emplace_back("Host", ep.host_header());
            parts.body = req.body;
            signing_params sp;
            sp.region = region;
            sp.service = service.signing_name;
            sp.when = clock::now();
            sign_request(parts, c.value(), sp);

            http::request<http::string_body> msg{verb, target, 11};
            for (const auto& [name, value] : parts.headers)
                msg.insert(name, value);
            msg.set(http::field::user_agent, "live-translate");
            msg.body() = parts.body;
            msg.prepare_payload();
            ++attempts;

            auto r = attempt(msg);
            if (r.network_error) {
                last_error = r.error;
                continue;
            }
            if (r.response.status >= 200 && r.response.status < 300)
                return std::move(r.response);
            auto e = parse_service_error(r.response);
            if (is_retryable(e) && n < opts.max_attempts)
                continue;
            if (starts_with(e.code, "ExpiredToken") || e.code == "UnrecognizedClientException" ||
                e.code == "InvalidClientTokenId") {
                // Cached credentials are wrong: fetch again on the next call.
                creds->invalidate();
            }
            return core::make_error(describe(e, r.response, action));
        }
        return core::make_error(service.signing_name + " request to " + ep.url() + " failed after " +
                                std::to_string(opts.max_attempts) + " attempt" +
                                (opts.max_attempts == 1 ? "" : "s") + ": " + last_error);
    }
};

service_client::service_client(endpoint ep, std::string region, service_info service,
                               std::shared_ptr<credentials_provider> creds, client_options opts)
    : impl_(std::make_unique<impl>(std::move(ep), std::move(region), std::move(service), std::move(creds),
                                   std::move(opts))) {}

service_client::~service_client() = default;

core::result<http_response> service_client::send(http_request_parts req) {
    std::string action;
    for (const auto& [n, v] : req.headers)
        if (iequals(n, "X-Amz-Target"))
            action = impl_->service.signing_name + ":" + action_of_target(v);
    return impl_->send(std::move(req), action);
}

core::result<std::string> service_client::call_json(std::string_view target, std::string body) {
    http_request_parts req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"X-Amz-Target", std::string(target)}, {"Content-Type", "application/x-amz-json-1.1"}};
    req.body = std::move(body);
    auto r = impl_->send(std::move(req), impl_->service.signing_name + ":" + action_of_target(target));
    if (!r)
        return core::make_error(r.error_message());
    return std::move(r.value().body);
}

core::result<std::string>
service_client::call_query(const std::vector<std::pair<std::string, std::string>>& params) {
    http_request_parts req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    std::string action;
    for (const auto& [k, v] : params) {
        if (!req.body.empty())
            req.body += '&';
        req.body += uri_encode(k) + "=" + uri_encode(v);
        if (k == "Action")
            action = impl_->service.signing_name + ":" + v;
    }
    auto r = impl_->send(std::move(req), action);
    if (!r)
        return core::make_error(r.error_message());
    return std::move(r.value().body);
}

const endpoint& service_client::where() const { return impl_->ep; }

std::uint64_t service_client::attempts() const { return impl_->attempts.load(); }

} // namespace lt::aws
