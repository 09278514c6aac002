// AWS credentials for the speaker's Transcribe engine from lt-server: a provider that serves
// the token fetched at start (fetch_server_token, speech/token.hpp) and asks the server
// again (generate_token) before the credentials run out, so the speaker's machine holds no
// AWS keys of its own. Thread-safe, like every credentials provider.
#pragma once

#include "aws/credentials.hpp"
#include "speech/endpoint.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace lt::speech {

struct server_credentials_options {
    endpoint server;                          // the caption server's socket URL
    std::string api_key;                      // sent with generate_token; empty: none
    std::string ca_file;                      // extra trusted CA for wss
    std::chrono::milliseconds timeout{15000}; // per fetch
    aws::refresh_options refresh{};           // every 20 minutes, or 5 minutes before the expiry
    bool verbose = false;                     // also report each successful refresh
    // Told about a failed refresh ("warning: ...") and, with verbose, a successful one.
    // Called on the thread that asked for credentials.
    std::function<void(const std::string&)> notice;
};

class server_credentials_provider final : public aws::credentials_provider {
public:
    // `first`: the credentials of the token fetched at start, served on the first get().
    server_credentials_provider(server_credentials_options opts, aws::credentials first);

    core::result<aws::credentials> get() override;
    // The service refused the credentials: ask the server anew on the next get().
    void invalidate() override;
    // Tokens handed out so far, the first included.
    std::uint64_t fetches() const;

private:
    core::result<aws::credentials> fetch();

    server_credentials_options opts_;
    std::mutex mu_;
    std::optional<aws::credentials> first_;
    aws::refreshing_provider inner_;
};

// Credentials for the AWS engine. With `local`, the default AWS chain (environment,
// ~/.aws, container, instance metadata), checked now. Otherwise the server's token, fetched
// once now and then refreshed by a server_credentials_provider; the region is the token's
// unless AWS_REGION or AWS_DEFAULT_REGION is set. opts.notice hears where the credentials
// come from, or why there are none.
struct engine_credentials {
    std::shared_ptr<aws::credentials_provider> provider; // null: none (told to notice)
    std::string region;                                  // empty: the engine's own choice
    bool refused = false;                                // the server refused the API key
};
engine_credentials aws_engine_credentials(bool local, const server_credentials_options& opts);

} // namespace lt::speech
