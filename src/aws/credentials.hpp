// AWS credentials and where they come from: the environment, the shared files
// (~/.aws/credentials, ~/.aws/config, AWS_PROFILE), the ECS/EKS container endpoint, EC2
// instance metadata (aws/metadata.hpp), a server's token, or anything that returns
// credentials with an expiry and must be asked again before they run out.
#pragma once

#include "core/result.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace lt::aws {

using clock = std::chrono::system_clock;

struct credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token; // empty for long-term keys
    std::optional<clock::time_point> expiration;
    std::string source; // "environment", "profile default (~/.aws/credentials)", ...
};

// ISO 8601 / RFC 3339 ("2026-11-26T12:00:00Z", fractions and offsets accepted) <-> time.
core::result<clock::time_point> parse_iso8601(std::string_view text);
std::string format_iso8601(clock::time_point t); // "2026-11-26T12:00:00Z"

// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN). nullopt when unset; an
// error when only one of the pair is set.
core::result<std::optional<credentials>> credentials_from_env();

struct profile_files {
    std::string credentials_file; // empty: AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials
    std::string config_file;      // empty: AWS_CONFIG_FILE or ~/.aws/config
    std::string profile;          // empty: AWS_PROFILE, else "default"
};
// Keys of a profile: [name] in the credentials file, [profile name] (or [default]) in the
// config file. nullopt when neither file has the profile; an error names the file and line
// of a malformed entry.
core::result<std::optional<credentials>> credentials_from_profile(const profile_files& files = {});
// `region` of the profile in the config file, empty when none.
std::string region_from_profile(const profile_files& files = {});
// AWS_REGION, AWS_DEFAULT_REGION, the profile's region; empty when none.
std::string region_from_env();

// Hands out credentials. Thread-safe.
class credentials_provider {
public:
    virtual ~credentials_provider() = default;
    // Valid credentials or an error saying what to set ("no AWS credentials: set ...").
    virtual core::result<credentials> get() = 0;
    // The service refused the credentials (expired, revoked): fetch again on the next get()
    // where that means anything. Default: nothing to do.
    virtual void invalidate() {}
};

std::shared_ptr<credentials_provider> make_static_provider(credentials creds);

// The SDKs' order: environment, the shared files, the container credentials endpoint
// (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI), then EC2 instance metadata (IMDSv2,
// unless AWS_EC2_METADATA_DISABLED=true). Resolved on each get() until found, so a missing
// setup is reported on use, not at start; the error lists every place looked at. The last
// two are refreshed before they expire (refreshing_provider). A failed instance-metadata
// probe (no EC2, unreachable) is remembered for `imds_recheck`, so get() on a machine
// without credentials fails fast; a failed container endpoint for 5 s.
struct chain_options {
    std::chrono::seconds imds_recheck{60};
};
std::shared_ptr<credentials_provider> make_default_chain(profile_files files = {}, chain_options opts = {});

// Credentials that expire (STS, a server's token). fetch() is called on first use, then
// again once `refresh_after` has passed since the last fetch or the credentials are within
// `margin` of their expiration, whichever is first. A failed refresh keeps the old
// credentials while they are valid and is retried on the next get() no sooner than
// `retry_after`.
struct refresh_options {
    std::chrono::seconds refresh_after{20 * 60};
    std::chrono::seconds margin{5 * 60}; // capped at a third of the credentials' lifetime
    std::chrono::seconds retry_after{5};
};
class refreshing_provider : public credentials_provider {
public:
    using fetch_fn = std::function<core::result<credentials>()>;
    refreshing_provider(fetch_fn fetch, refresh_options opts = {});
    core::result<credentials> get() override;
    // How many times fetch() succeeded (tests, logs).
    std::uint64_t fetches() const;
    // Drop the cached credentials so the next get() fetches (after an auth error).
    void invalidate() override;

private:
    bool due(clock::time_point now) const;

    fetch_fn fetch_;
    refresh_options opts_;
    mutable std::mutex mu_;
    std::optional<credentials> current_;
    clock::time_point fetched_at_{};
    clock::time_point last_failure_{};
    std::string last_error_;
    std::uint64_t fetches_ = 0;
    std::condition_variable fetched_cv_; // wakes callers waiting on another thread's fetch
    bool fetching_ = false;
};

} // namespace lt::aws
