// lt-server's settings. Precedence: command-line flags > environment > `.env` file in the
// working directory > defaults.
#pragma once

#include "core/env.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lt::server {

struct server_config {
    std::string host = "0.0.0.0";
    std::uint16_t port = 5050;
    std::string api_key;      // empty: anyone may send captions (reference behaviour)
    bool require_key = false; // refuse to start without API_KEY
    std::string web_root;     // empty: <install prefix>/share/live-translate/web or ./web
    // Branding served as /config.json, with the reference page's field names.
    std::string page_title = "🌍 Live Translation";
    std::string logo_file;
    std::string contact_text = "your support team";
    std::string websocket_url; // empty: the page uses its own host
    std::string translator =
        "auto"; // auto | apertium | aws | libretranslate | deepl | openai | none, or a comma list
    std::string aws_source = "caption"; // aws: "caption" (the caption's lang) or "auto" (detect)
    std::string aws_terminology;        // aws: a custom terminology's name; empty: none
    std::string libretranslate_url;     // libretranslate: the server's base URL (required)
    std::string libretranslate_api_key; // libretranslate: sent as api_key when set
    std::string deepl_auth_key;         // deepl: the account's API key (required)
    std::string deepl_api_url;          // deepl: empty = the free API for ":fx" keys, else pro
    // openai: any OpenAI-compatible chat server. lt-speech reads the same OPENAI_BASE_URL and
    // OPENAI_API_KEY for its transcription engine: one server for both is intended.
    std::string openai_base_url = "https://api.openai.com/v1";
    std::string openai_api_key; // empty: no Authorization header (Ollama)
    std::string mt_model;       // required for openai
    std::string glossary;       // a glossary CSV (translate/glossary.hpp); empty: none
    // HTTP engines (libretranslate, deepl, openai): seconds per attempt (0: the engine's own
    // default, 10 s, 20 s for openai) and an extra CA for a private server's certificate.
    double mt_timeout = 0;
    std::string mt_ca_file;
    std::string apertium_modes = "/usr/share/apertium/modes";
    unsigned io_threads = 0;        // 0: one per core
    unsigned translate_workers = 0; // 0: what the backend wants (4 apertium, 32 aws, 8 openai)
    std::size_t max_connections = 20000;
    // Venues put hundreds of phones behind one NAT address, so this is generous.
    std::size_t max_connections_per_ip = 2000;
    double message_rate = 20;               // messages/s per connection (burst: twice as many)
    double speaker_rate = 100;              // new_text/s per keyed connection (partials are frequent)
    std::size_t send_queue_bytes = 1 << 20; // per viewer; past it: closed as a slow consumer
    std::size_t send_queue_frames = 1024;
    // request_translation (a translation on demand, not a caption): who may ask (any | key:
    // those with the speaker key, as for new_text | off), how many one connection may have
    // waiting or running, and how many may wait in all. With a paid engine each is billed.
    std::string on_demand_translation = "key";
    std::size_t on_demand_per_client = 2;
    std::size_t on_demand_queue = 64;
    std::size_t history = 200;
    // Durable rooms: finals and translations in SQLite here (empty: memory only), kept this
    // many days (0: forever).
    std::string data_dir;
    unsigned retain_days = 30;
    // Per-room API keys (LT_ROOMS, --rooms-file); API_KEY works in every room as well.
    std::map<std::string, std::string> room_keys;
    std::size_t max_rooms = 1000;
    // A room nobody uses is removed after this long; one holding captions only this server
    // has in memory (no Redis, no data directory) after 60 times as long. Configured rooms stay.
    double room_idle_seconds = 60;
    // Rooms one address may create per minute without a key (bursts of twice as many);
    // configured rooms, `main` and key holders are not counted. 0: no limit.
    double new_rooms_per_minute = 30;
    // Time a connection has to send a whole request (and between keep-alive requests).
    double header_timeout = 5;
    // Descriptors kept free for the server itself: past this, new sockets are refused.
    std::size_t fd_reserve = 64;
    // Origins a browser page may open /ws from, e.g. https://captions.example.org; empty: any.
    std::vector<std::string> allowed_origins;
    std::string redis_url;  // empty: a single node, no Redis anywhere
    std::string public_url; // base URL for room links and QR codes; empty: the request's Host
    // Built-in TLS: PEM certificate (chain) and key; both or neither. Reloaded on SIGHUP.
    std::string tls_cert;
    std::string tls_key;
    // Token vending (generate_token): STS AssumeRole on this role for speech clients.
    std::string transcribe_role_arn; // empty: generate_token answers "not configured"
    std::string transcribe_external_id;
    unsigned token_seconds = 3600;
    double token_rate_per_minute = 6; // per client address (bursts of twice as many)
    std::string log_level = "info";
    bool list_languages = false;
};

// LT_ALLOWED_ORIGINS: a comma list of http(s) origins, lower-cased, trailing '/' dropped.
// Throws std::invalid_argument for an entry that is not an origin.
std::vector<std::string> parse_origins(std::string_view text);

// Parses flags and settings; returns nullopt when the program should exit with `exit_code`
// (after --help, or on a bad flag, having printed the message). Throws
// std::invalid_argument for bad environment values.
std::optional<server_config> parse_server_config(int argc, const char* const* argv,
                                                 const core::env_source& env, int& exit_code);

} // namespace lt::server
