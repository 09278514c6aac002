// generate_token: short-lived AWS credentials for speech clients, made with STS AssumeRole
// on TRANSCRIBE_ROLE_ARN, so that no speaker's laptop holds permanent AWS keys. Answers in
// the reference's token_response shape. STS calls block, so they run on the vendor's own
// thread, never on a network thread; requests are rate-limited per client address.
// Verified against AWS's published STS query API and a local fake (tools/fake_aws.py),
// not against live AWS.
#pragma once

#include "aws/http_client.hpp"
#include "server/rate_limiter.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace lt::server {

struct token_settings {
    std::string role_arn; // empty: not configured
    std::string external_id;
    unsigned seconds = 3600;
    std::string region; // handed to the client with the credentials
    double rate_per_minute = 6;
    std::size_t queue_limit = 64;
};

struct token_answer {
    int http_status = 200; // for POST /generate_token
    std::string code;      // "" on success; not_configured, rate_limited, busy, sts_failed
    std::string data;      // token_response data: {"status":"success",...} or {"status":"error",...}
};

// The reference's text for a server without a role.
inline constexpr const char* token_not_configured =
    "Token generation not configured. TRANSCRIBE_ROLE_ARN required.";

// Reads AssumeRole's XML answer; an error when a field is missing.
core::result<std::string> parse_assume_role(std::string_view xml, const std::string& region);

class token_vendor {
public:
    // `sts` may be null when no role is configured.
    token_vendor(token_settings settings, std::shared_ptr<aws::service_client> sts);
    ~token_vendor();
    token_vendor(const token_vendor&) = delete;
    token_vendor& operator=(const token_vendor&) = delete;

    bool configured() const { return sts_ != nullptr; }
    // `done` runs exactly once: at once (refusals) or on the vendor's thread.
    void request(const std::string& client, std::function<void(token_answer)> done);
    std::uint64_t issued() const;
    std::uint64_t failed() const;

private:
    void run();
    token_answer assume_role();

    token_settings settings_;
    std::shared_ptr<aws::service_client> sts_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void(token_answer)>> queue_;
    std::unordered_map<std::string, rate_limiter> per_client_;
    std::uint64_t issued_ = 0, failed_ = 0, sessions_ = 0;
    bool stopping_ = false;
    std::thread worker_;
};

// Builds the vendor from settings: region from AWS_REGION/AWS_DEFAULT_REGION/profile
// (us-east-1 when none, as the reference), STS endpoint (AWS_ENDPOINT_URL_STS honoured),
// the server's own credentials from the default chain.
std::unique_ptr<token_vendor> make_token_vendor(token_settings settings);

// Refusal answers, shared by WebSocket and HTTP.
token_answer token_error(int http_status, std::string code, const std::string& message);

} // namespace lt::server
