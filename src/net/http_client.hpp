// A blocking HTTP(S) client for JSON APIs (AWS, DeepL, LibreTranslate, OpenAI-compatible
// servers): keeps connections to one endpoint open for reuse (idle ones for 50 s at most,
// and checked for a close by the server before reuse), bounds every step with a
// timeout, and retries network errors, 429 and 5xx with jittered exponential back-off
// (a Retry-After of a 429/503, seconds or a date, is honoured up to max_backoff). A hook runs before each
// attempt, so a signature is made afresh for each (SigV4 dates must be fresh). Thread-safe: calls from
// several threads use separate pooled connections.
#pragma once

#include "core/result.hpp"
#include "net/endpoint.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lt::net {

using header_list = std::vector<std::pair<std::string, std::string>>;

// The value of the first header `name` (case-insensitive); "" when absent.
std::string find_header(const header_list& headers, std::string_view name);

struct http_request {
    std::string method = "GET";
    std::string target = "/"; // below the endpoint's target (its path prefix): "/translate?x=1"
    header_list headers;      // Host and Content-Length are set by the client, User-Agent if absent
    std::string body;
};

struct http_response {
    int status = 0;
    header_list headers;
    std::string body;
    std::string header(std::string_view name) const; // case-insensitive; "" when absent
};

struct http_client_options {
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds request_timeout{10000}; // per attempt, connect included
    int max_attempts = 3;
    std::chrono::milliseconds base_backoff{100}; // doubles, jittered x0.5-1.5
    std::chrono::milliseconds max_backoff{2000};
    std::size_t max_idle_connections = 16;
    std::size_t max_body = 64 * 1024 * 1024;
    std::string ca_file; // extra CA (tests, private servers); the system store too
    // Names the service in errors: "DeepL", "LibreTranslate", "translate" (AWS).
    std::string service = "HTTP";
    // What to check when the endpoint cannot be reached (name not resolved, connection
    // refused): "--deepl-url", "AWS_ENDPOINT_URL_TRANSLATE / AWS_ENDPOINT_URL or AWS_REGION".
    std::string endpoint_hint;
};

// How long a 429 or 503 asks the caller to wait (Retry-After in seconds or as an HTTP date);
// nullopt for other statuses or no usable header.
std::optional<std::chrono::milliseconds> retry_after(const http_response& r);

// The first `n` bytes of the body on one line, for error messages ("" for an empty body).
std::string body_excerpt(const http_response& r, std::size_t n = 200);

class http_client {
public:
    // Runs before each attempt on the request as it will be sent (full target, Host and
    // Content-Length set): adds a signature. A non-empty return is an error that stops the
    // call (credentials that cannot be had).
    using prepare_fn = std::function<std::string(http_request&)>;
    // Whether a non-2xx answer is worth another attempt; empty: 429 and 5xx are.
    using retry_fn = std::function<bool(const http_response&)>;

    explicit http_client(endpoint ep, http_client_options opts = {});
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    // Sends `req` with retries. Returns the last answer, 2xx or not, so the caller can word
    // its service's errors; an error only when no answer came: "<service> request to <url>
    // failed after 3 attempts: connect: connection refused (...)", naming the step (resolve,
    // connect, TLS handshake, sending the request, waiting for or reading the response), or
    // when `prepare` failed ("<service>: <its error>").
    core::result<http_response> send(http_request req, const prepare_fn& prepare = {},
                                     const retry_fn& retry = {});

    const endpoint& where() const;
    const http_client_options& options() const;
    std::uint64_t attempts() const; // every attempt sent, retries included (tests, metrics)

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace lt::net
