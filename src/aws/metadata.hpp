// Credentials from the services that hand them to servers running on AWS: the ECS / EKS
// container credentials endpoint and the EC2 instance metadata service (IMDSv2). Both
// are plain-http services on link-local or loopback addresses, reached with a small
// blocking client with short timeouts (no TLS, no signing).
#pragma once

#include "aws/credentials.hpp"
#include "aws/endpoint.hpp"
#include "aws/sigv4.hpp"
#include "core/result.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace lt::aws {

struct metadata_options {
    std::chrono::milliseconds connect_timeout{1000};
    std::chrono::milliseconds read_timeout{1000}; // sending and receiving, after connecting
    int max_attempts = 2;                         // 1 attempt + 1 retry on network errors and 5xx
};

struct metadata_reply {
    int status = 0;
    std::string body;
};

// One plain-http request. `network_error` (optional) is set when nothing answered
// (refused, timed out, reset): the service is unreachable rather than unhappy.
core::result<metadata_reply> metadata_request(const endpoint& ep, std::string_view method,
                                              std::string_view target, const header_list& headers,
                                              const metadata_options& opts, bool* network_error = nullptr);

// --- ECS / EKS container credentials ---

// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI is set.
bool container_credentials_configured();

struct container_source {
    endpoint ep;
    std::string target;        // path and query
    std::string url;           // for messages
    std::string authorization; // "" when no token is configured
};
// Where to ask and with which Authorization header: http://169.254.170.2<RELATIVE_URI>, or
// FULL_URI when its host is loopback, 169.254.170.2 (ECS) or 169.254.170.23 / fd00:ec2::23
// (EKS Pod Identity); AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every call, as it
// rotates) or AWS_CONTAINER_AUTHORIZATION_TOKEN. Errors say which setting is wrong and why.
core::result<container_source> container_source_from_env();

// The container agent is the configured source when these variables are set: a little
// more patience than for IMDS (2 s connect, 5 s read, 3 attempts).
metadata_options container_metadata_options();
// GET the credentials JSON {AccessKeyId, SecretAccessKey, Token, Expiration}.
core::result<credentials>
fetch_container_credentials(const metadata_options& opts = container_metadata_options());

// --- EC2 instance metadata (IMDSv2) ---

// AWS_EC2_METADATA_DISABLED=true.
bool imds_disabled();
// http://169.254.169.254, or AWS_EC2_METADATA_SERVICE_ENDPOINT, or http://[fd00:ec2::254] with
// AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6.
core::result<endpoint> imds_endpoint();

// A fetch function for refreshing_provider: PUT /latest/api/token (kept for its 6 h TTL),
// GET /latest/meta-data/iam/security-credentials/ for the role, then the role's JSON
// {Code: "Success", AccessKeyId, SecretAccessKey, Token, Expiration}. The endpoint is read
// from the environment on each call. Copies share the cached token. Thread-safe.
class imds_fetcher {
public:
    explicit imds_fetcher(metadata_options opts = {});
    core::result<credentials> fetch();

private:
    struct state;
    std::shared_ptr<state> state_;
};

} // namespace lt::aws
