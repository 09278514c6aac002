// A blocking HTTPS client for AWS's JSON and query APIs: keeps connections open for reuse,
// bounds every step with a timeout, signs each attempt afresh (SigV4 dates must be fresh),
// retries throttling, 5xx and network errors with jittered exponential back-off, and turns
// AWS's error bodies into messages that say what to fix.
// Thread-safe: calls from several threads use separate pooled connections.
#pragma once

#include "aws/credentials.hpp"
#include "aws/endpoint.hpp"
#include "aws/sigv4.hpp"
#include "core/result.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace lt::aws {

struct http_response {
    int status = 0;
    header_list headers;
    std::string body;
    std::string header(std::string_view name) const; // case-insensitive; "" when absent
};

// AWS's error answer: JSON {"__type": "...#Code", "message": "..."} or XML
// <Error><Code>..</Code><Message>..</Message></Error>.
struct service_error {
    int status = 0;
    std::string code; // "ThrottlingException", "ExpiredTokenException", ...
    std::string message;
};
service_error parse_service_error(const http_response& r);
// Throttling (429, Throttling*, TooManyRequests*, RequestLimitExceeded, ...) and 5xx.
bool is_retryable(const service_error& e);

struct client_options {
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds request_timeout{10000}; // per attempt, connect included
    int max_attempts = 3;
    std::chrono::milliseconds base_backoff{100}; // doubles, jittered x0.5-1.5
    std::chrono::milliseconds max_backoff{2000};
    std::size_t max_idle_connections = 16;
    std::string ca_file; // extra CA (tests); system store too
};

// One AWS service at one endpoint with one credentials provider.
class service_client {
public:
    service_client(endpoint ep, std::string region, service_info service,
                   std::shared_ptr<credentials_provider> creds, client_options opts = {});
    ~service_client();

    // Sends `req` (method, target below the endpoint's path prefix, extra headers,
    // body); Host, Content-Length and the signature are added. A non-2xx answer after the
    // retries is an error: "<service> <Code>: <Message>" plus a hint for auth failures
    // (bad key, expired token, missing permission).
    core::result<http_response> send(http_request_parts req);

    // JSON 1.1 protocol (Translate): POST / with X-Amz-Target and
    // Content-Type application/x-amz-json-1.1.
    core::result<std::string> call_json(std::string_view target, std::string body);
    // Query protocol (STS): POST / form-encoded Action=..&Version=..&params.
    core::result<std::string> call_query(const std::vector<std::pair<std::string, std::string>>& params);

    const endpoint& where() const;
    std::uint64_t attempts() const; // every attempt sent, retries included (tests, metrics)

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace lt::aws
