// A blocking HTTPS client for AWS's JSON and query APIs on net::http_client (pooled
// connections, timeouts, jittered back-off): signs each attempt afresh (SigV4 dates must be
// fresh), retries throttling, 5xx and network errors, and turns AWS's error bodies into
// messages that say what to fix.
// Thread-safe: calls from several threads use separate pooled connections.
#pragma once

#include "aws/credentials.hpp"
#include "aws/endpoint.hpp"
#include "aws/sigv4.hpp"
#include "core/result.hpp"
#include "net/http_client.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace lt::aws {

using http_response = net::http_response;

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

// Timeouts, attempts, back-off, pool size, extra CA; service and endpoint_hint are set by
// service_client (the signing name, the AWS_ENDPOINT_URL_* variables).
using client_options = net::http_client_options;

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
