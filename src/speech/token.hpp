// AWS credentials for the speaker's Transcribe engine from lt-server (generate_token), so
// the speaker's machine needs no AWS keys: the server assumes a Transcribe-only role and
// hands out its short-lived credentials.
#pragma once

#include "aws/credentials.hpp"
#include "speech/endpoint.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace lt::speech {

struct server_token {
    aws::credentials credentials; // with expiration; source "lt-server <url>"
    std::string region;           // where the server's role lives (may be empty)
};

struct token_reply {
    std::optional<server_token> token;
    std::string error;    // why there is no token
    bool refused = false; // the server refused the API key: retrying cannot help
};

// Opens a short WebSocket connection of its own to the server's socket URL, waits for
// connection_status, sends generate_token with `api_key` and waits for token_response (or an
// error). Everything within `timeout`.
token_reply fetch_server_token(const endpoint& server, const std::string& api_key, const std::string& ca_file,
                               std::chrono::milliseconds timeout = std::chrono::seconds(15));

// The data of a token_response or error frame -> a reply (exposed for tests).
token_reply parse_token_frame(std::string_view frame, const std::string& source);

} // namespace lt::speech
