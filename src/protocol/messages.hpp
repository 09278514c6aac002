// The wire protocol: the reference system's messages (see docs/protocol.md) plus our
// additions as extra fields. Every frame is a JSON text frame {"type": ..., "data": {...}}.
// Parsing never throws; it returns an error whose message can be sent back to the client.
// All functions are pure and thread-safe.
#pragma once

#include "core/result.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lt::protocol {

// ---- client -> server ----

struct new_text {
    std::string text;
    std::string timestamp; // "HH:MM:SS" as the speaker sent it (may be empty)
    std::optional<std::string> api_key;
    std::optional<std::string> id; // utterance id; partials and their final share it
    bool partial = false;
    std::string lang = "en"; // source language
    bool typed = false;      // "source": "typed": the operator typed it (a console), not spoken
};

struct set_language {
    std::string lang;
    std::optional<std::uint64_t> since; // resume: send only finals with a larger seq
    bool partials = false;              // viewer wants live partial lines
    // Asks for the catch-up; absent: only with `since` or `partials` (the reference page
    // sends neither and gets none: it has no seq to drop duplicates with).
    std::optional<bool> history;
};

// Asks for short-lived AWS credentials for Transcribe; answered with token_response.
struct generate_token {
    std::optional<std::string> api_key;
};

struct request_translation {
    std::string text;
    std::string lang; // target
    std::string source = "en";
    std::optional<std::string> api_key; // addition: needed with --on-demand-translation key
};

// The operator replaces the text of a published final (speaker key of the room); answered with
// text_ack {id, seq} or error. Viewers get the final again with `corrected: true`.
struct correct_text {
    std::uint64_t seq = 0;
    std::string text;
    std::optional<std::string> api_key;
};

// The operator stops (paused) or restarts publishing in the room (speaker key): while paused
// spoken finals and partials are not shown; speakers are told with `publishing`.
struct set_publishing {
    bool paused = false;
    std::optional<std::string> api_key;
};

using client_message =
    std::variant<new_text, set_language, generate_token, request_translation, correct_text, set_publishing>;

// Parses one text frame. Errors: invalid JSON, missing/ill-typed fields, unknown type.
// Language codes are checked for shape ([a-z]{2,3}, optional -region), not for support.
core::result<client_message> parse_client_message(std::string_view frame);

// ---- server -> client ----

struct connection_status {
    bool aws_available = false;         // reference name: "translation works" for its page
    std::string translator;             // backend name
    std::vector<std::string> languages; // targets the translator provides from `source`
    std::string source = "en";
    std::string server_id;     // random per process start: seq restarts with it
    std::string room = "main"; // the room this connection is in
    // Ours, for chains of engines: which engine translates each language from `source` now,
    // and each engine's health. Omitted when empty.
    std::map<std::string, std::string> routes;
    std::vector<std::pair<std::string, bool>> engines; // (name, healthy), in the chain's order
};

struct caption {
    std::string text; // in `lang`
    std::string original;
    std::string timestamp;
    std::string lang;
    std::string id;
    std::optional<std::uint64_t> seq; // finals only
    bool partial = false;
    std::optional<std::string> error; // why `text` is the untranslated original
    std::string source_lang = "en";
    std::string engine;     // the translation engine that made `text`; omitted when empty
    bool corrected = false; // the operator replaced the final's text (sent only when true)
    bool typed = false;     // "source": "typed" (sent only when true)
    // A translated partial: the source text after its translated (settled) part, not yet
    // translated. Sent only when set.
    std::optional<std::string> pending;
};

struct translation_result {
    std::string original;
    std::string translated;
    std::string lang;
    std::optional<std::string> error;
};

std::string serialize(const connection_status& m);
std::string serialize_language_set(std::string_view lang);
std::string serialize(const caption& m); // type translated_text
std::string serialize(const translation_result& m);
// Tells a speaker that the final with `id` was received and given `seq`.
std::string serialize_text_ack(std::string_view id, std::uint64_t seq);
// Tells the room's speakers and operators whether publishing is paused.
std::string serialize_publishing(bool paused);
// `code` is a short machine-readable reason (unauthorized, bad_request, ...).
std::string serialize_error(std::string_view message, std::string_view code);

// The answer to generate_token, in the reference's shape: {"status":"success",
// "credentials":{AccessKeyId, SecretAccessKey, SessionToken, Expiration}, "region"} or
// {"status":"error","error":...}, plus our `code` on errors.
struct token_credentials {
    std::string access_key_id;     // AccessKeyId
    std::string secret_access_key; // SecretAccessKey
    std::string session_token;     // SessionToken
    std::string expiration;        // Expiration, ISO 8601 as STS gave it
};
struct token_response {
    std::optional<token_credentials> credentials; // set: status "success"; unset: "error"
    std::string region;                           // with credentials: where the role lives
    std::string error;                            // without: why (the reference's texts)
    std::string code; // without: not_configured, rate_limited, busy, sts_failed, ... (addition)
};
std::string serialize(const token_response& m);
// The data object alone, without `code`: the body of POST /generate_token, whose HTTP
// status says what `code` says.
std::string serialize_token_data(const token_response& m);
// token_response around `data_json` (serialize_token_data's output); a non-empty `code` is
// added to data as "code".
std::string serialize_token_response(std::string_view data_json, std::string_view code);

// ---- speaker side (lt-speech, lt-send) ----

// The reference fields always; `id`, `partial` (only when true) and `lang` as additions.
std::string serialize(const new_text& m);
// data {"api_key": ...}, or {} without a key.
std::string serialize(const generate_token& m);
// A token_response frame. Missing credential fields are left empty (the caller says which
// it needs). Errors: not a protocol message, or another type ("unexpected 'x' frame").
core::result<token_response> parse_token_response(std::string_view frame);

// What a speaker needs from the server's frames: acknowledgements, errors, and the
// connection greeting. Other types are `other` (viewer frames a speaker may still get).
struct speaker_reply {
    enum class kind { ack, error, status, publishing, other };
    kind type = kind::other;
    std::string id;        // ack
    std::uint64_t seq = 0; // ack
    std::string message;   // error
    std::string code;      // error (empty from the reference server)
    std::string server_id; // status
    bool paused = false;   // publishing: the operator paused the room
};
core::result<speaker_reply> parse_speaker_reply(std::string_view frame);

// True for "en", "es", "zh", "pt-BR" ...: the shape of a code, not whether it is served.
bool is_language_code(std::string_view code);

} // namespace lt::protocol
