#include "server/config.hpp"

#include <CLI/CLI.hpp>

#include "hub/rooms.hpp"
#include "redis/redis.hpp"

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lt::server {

namespace {

template <class T>
void number_from_env(const core::env_source& env, std::initializer_list<const char*> names, T& out) {
    auto v = env.get(names);
    if (!v)
        return;
    T parsed{};
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), parsed);
    if (ec != std::errc{} || ptr != v->data() + v->size())
        throw std::invalid_argument(std::string(*names.begin()) + ": not a valid number: '" + *v + "'");
    out = parsed;
}

void string_from_env(const core::env_source& env, std::initializer_list<const char*> names,
                     std::string& out) {
    if (auto v = env.get(names))
        out = *v;
}

} // namespace

std::vector<std::string> parse_origins(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        auto comma = text.find(',');
        auto item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t' || item.back() == '/'))
            item.remove_suffix(1);
        if (item.empty())
            continue;
        if (!item.starts_with("http://") && !item.starts_with("https://"))
            throw std::invalid_argument(
                "LT_ALLOWED_ORIGINS: expected origins like https://example.org, got '" + std::string(item) +
                "'");
        std::string o(item);
        for (auto& ch : o)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        out.push_back(std::move(o));
    }
    return out;
}

std::optional<server_config> parse_server_config(int argc, const char* const* argv,
                                                 const core::env_source& env, int& exit_code) {
    server_config c;
    // Environment (and .env) first, so that flags given below override it.
    string_from_env(env, {"LT_HOST", "FLASK_HOST"}, c.host);
    number_from_env(env, {"LT_PORT", "FLASK_PORT"}, c.port);
    string_from_env(env, {"API_KEY"}, c.api_key);
    if (auto v = env.get("LT_REQUIRE_KEY"))
        c.require_key = core::parse_bool("LT_REQUIRE_KEY", *v);
    string_from_env(env, {"LT_WEB_ROOT"}, c.web_root);
    string_from_env(env, {"LT_PAGE_TITLE"}, c.page_title);
    string_from_env(env, {"LT_LOGO_FILE"}, c.logo_file);
    string_from_env(env, {"LT_CONTACT_TEXT"}, c.contact_text);
    string_from_env(env, {"LT_WEBSOCKET_URL"}, c.websocket_url);
    string_from_env(env, {"LT_TRANSLATOR"}, c.translator);
    string_from_env(env, {"LT_APERTIUM_MODES"}, c.apertium_modes);
    string_from_env(env, {"LT_AWS_SOURCE"}, c.aws_source);
    string_from_env(env, {"LT_AWS_TERMINOLOGY"}, c.aws_terminology);
    string_from_env(env, {"LIBRETRANSLATE_URL"}, c.libretranslate_url);
    string_from_env(env, {"LIBRETRANSLATE_API_KEY"}, c.libretranslate_api_key);
    string_from_env(env, {"DEEPL_AUTH_KEY"}, c.deepl_auth_key);
    string_from_env(env, {"DEEPL_API_URL"}, c.deepl_api_url);
    string_from_env(env, {"LT_GLOSSARY"}, c.glossary);
    string_from_env(env, {"OPENAI_BASE_URL"}, c.openai_base_url);
    string_from_env(env, {"OPENAI_API_KEY"}, c.openai_api_key);
    string_from_env(env, {"LT_MT_MODEL"}, c.mt_model);
    number_from_env(env, {"LT_MT_TIMEOUT"}, c.mt_timeout);
    string_from_env(env, {"LT_MT_CA_FILE"}, c.mt_ca_file);
    string_from_env(env, {"TRANSCRIBE_ROLE_ARN"}, c.transcribe_role_arn);
    string_from_env(env, {"TRANSCRIBE_EXTERNAL_ID"}, c.transcribe_external_id);
    number_from_env(env, {"LT_TOKEN_SECONDS"}, c.token_seconds);
    number_from_env(env, {"LT_IO_THREADS"}, c.io_threads);
    number_from_env(env, {"LT_TRANSLATE_WORKERS"}, c.translate_workers);
    number_from_env(env, {"LT_MAX_CONNECTIONS"}, c.max_connections);
    number_from_env(env, {"LT_MAX_CONNECTIONS_PER_IP"}, c.max_connections_per_ip);
    string_from_env(env, {"LT_ON_DEMAND_TRANSLATION"}, c.on_demand_translation);
    number_from_env(env, {"LT_ON_DEMAND_PER_CLIENT"}, c.on_demand_per_client);
    number_from_env(env, {"LT_ON_DEMAND_QUEUE"}, c.on_demand_queue);
    string_from_env(env, {"LT_LOG_LEVEL"}, c.log_level);
    number_from_env(env, {"LT_MAX_ROOMS"}, c.max_rooms);
    string_from_env(env, {"LT_DATA_DIR"}, c.data_dir);
    number_from_env(env, {"LT_RETAIN_DAYS"}, c.retain_days);
    string_from_env(env, {"LT_PUBLIC_URL"}, c.public_url);
    string_from_env(env, {"LT_REDIS_URL"}, c.redis_url);
    string_from_env(env, {"LT_TLS_CERT"}, c.tls_cert);
    string_from_env(env, {"LT_TLS_KEY"}, c.tls_key);
    number_from_env(env, {"LT_ROOM_IDLE_SECONDS"}, c.room_idle_seconds);
    number_from_env(env, {"LT_NEW_ROOMS_PER_MINUTE"}, c.new_rooms_per_minute);
    number_from_env(env, {"LT_HEADER_TIMEOUT"}, c.header_timeout);
    number_from_env(env, {"LT_FD_RESERVE"}, c.fd_reserve);
    std::string origins;
    string_from_env(env, {"LT_ALLOWED_ORIGINS"}, origins);
    std::string rooms_inline, rooms_file;
    string_from_env(env, {"LT_ROOMS"}, rooms_inline);
    string_from_env(env, {"LT_ROOMS_FILE"}, rooms_file);

    CLI::App app{"lt-server: live caption hub. Receives text from speech clients, translates it "
                 "once per language and sends it to every viewer over WebSocket.\n"
                 "Settings come from flags, then the environment, then a .env file in the "
                 "working directory."};
    app.add_option("--host", c.host, "Address to listen on (LT_HOST, FLASK_HOST)")->capture_default_str();
    app.add_option("--port", c.port, "TCP port (LT_PORT, FLASK_PORT)")->capture_default_str();
    app.add_option("--api-key", c.api_key,
                   "Key speech clients must send with new_text/generate_token (API_KEY); prefer the "
                   "environment, flags show up in `ps`");
    app.add_flag("--require-key", c.require_key, "Refuse to start without an API key (LT_REQUIRE_KEY)");
    app.add_option("--web-root", c.web_root, "Directory of the viewer page (LT_WEB_ROOT)");
    app.add_option("--page-title", c.page_title, "Page title in /config.json (LT_PAGE_TITLE)")
        ->capture_default_str();
    app.add_option("--logo-file", c.logo_file, "Logo path or URL in /config.json (LT_LOGO_FILE)");
    app.add_option("--contact-text", c.contact_text, "Contact line in /config.json (LT_CONTACT_TEXT)")
        ->capture_default_str();
    app.add_option("--websocket-url", c.websocket_url,
                   "WebSocket URL for the page, when not its own host (LT_WEBSOCKET_URL)");
    app.add_option("--translator", c.translator,
                   "Translation engine: auto (apertium when installed, else none), apertium, "
                   "aws (AWS Translate; credentials and region as the AWS CLI finds them), "
                   "libretranslate (a LibreTranslate server at LIBRETRANSLATE_URL), deepl (DeepL's API "
                   "with DEEPL_AUTH_KEY), openai (any OpenAI-compatible chat server: OpenAI, Ollama, "
                   "llama.cpp, vLLM; see --mt-model), none; or a comma list tried in order per "
                   "language with failover, e.g. deepl,apertium (LT_TRANSLATOR)")
        ->capture_default_str();
    app.add_option("--apertium-modes", c.apertium_modes,
                   "Directory of Apertium mode files (LT_APERTIUM_MODES)")
        ->capture_default_str();
    app.add_option("--aws-source", c.aws_source,
                   "aws: source language sent to AWS Translate: caption (the speaker's --lang) or "
                   "auto (AWS detects it) (LT_AWS_SOURCE)")
        ->check(CLI::IsMember({"caption", "auto"}))
        ->capture_default_str();
    app.add_option("--libretranslate-url", c.libretranslate_url,
                   "libretranslate: base URL of the LibreTranslate server, e.g. http://localhost:5000 "
                   "(LIBRETRANSLATE_URL)");
    app.add_option("--libretranslate-api-key", c.libretranslate_api_key,
                   "libretranslate: API key, for servers that require one (LIBRETRANSLATE_API_KEY; prefer "
                   "the environment, flags show up in `ps`)");
    app.add_option("--deepl-auth-key", c.deepl_auth_key,
                   "deepl: DeepL API key (DEEPL_AUTH_KEY; prefer the environment, flags show up in `ps`)");
    app.add_option("--deepl-api-url", c.deepl_api_url,
                   "deepl: API base URL (DEEPL_API_URL; default https://api-free.deepl.com for keys ending "
                   "in :fx, else https://api.deepl.com)");
    app.add_option("--aws-terminology", c.aws_terminology,
                   "aws: the name of a custom terminology imported into AWS Translate (aws translate "
                   "import-terminology), sent as TerminologyNames; the glossary's placeholders are then "
                   "left to it (LT_AWS_TERMINOLOGY)");
    app.add_option("--glossary", c.glossary,
                   "CSV of names and terms to keep right: term,lang,translation rows and bare terms "
                   "(LT_GLOSSARY; see docs/translation.md)");
    app.add_option("--openai-url", c.openai_base_url,
                   "openai: the chat server's base URL; POST {url}/chat/completions. Ollama: "
                   "http://localhost:11434/v1. The key comes from OPENAI_API_KEY (none sent when "
                   "unset). lt-speech's openai engine reads the same variables: one server for both "
                   "(OPENAI_BASE_URL)")
        ->capture_default_str();
    app.add_option("--mt-model", c.mt_model,
                   "openai: the model that translates, e.g. llama3.1:8b (Ollama) or gpt-4o-mini; "
                   "required with --translator openai (LT_MT_MODEL)");
    app.add_option("--mt-timeout", c.mt_timeout,
                   "libretranslate, deepl, openai: seconds one attempt may take, 0 = the engine's "
                   "default (10, 20 for openai: a CPU model is slow) (LT_MT_TIMEOUT)")
        ->check(CLI::Range(0.0, 600.0));
    app.add_option("--mt-ca-file", c.mt_ca_file,
                   "libretranslate, deepl, openai: also trust this CA (PEM), e.g. a private "
                   "server's self-signed certificate (LT_MT_CA_FILE)");
    app.add_option("--transcribe-role-arn", c.transcribe_role_arn,
                   "IAM role that generate_token assumes (STS AssumeRole) to hand speech clients "
                   "short-lived AWS Transcribe credentials (TRANSCRIBE_ROLE_ARN)");
    app.add_option("--transcribe-external-id", c.transcribe_external_id,
                   "External id the role's trust policy asks for (TRANSCRIBE_EXTERNAL_ID)");
    app.add_option("--token-seconds", c.token_seconds,
                   "Lifetime of the credentials generate_token hands out (LT_TOKEN_SECONDS)")
        ->check(CLI::Range(60u, 43200u))
        ->capture_default_str();
    app.add_option("--token-rate", c.token_rate_per_minute,
                   "generate_token requests per minute per client address (bursts of twice as many)")
        ->capture_default_str();
    app.add_flag("--list-languages", c.list_languages,
                 "Print the languages the translation backend provides, then exit");
    app.add_option("--io-threads", c.io_threads, "Network threads, 0 = one per core (LT_IO_THREADS)")
        ->capture_default_str();
    app.add_option("--translate-workers", c.translate_workers,
                   "Translation worker threads, 0 = what the backend wants: 4 for Apertium, 32 for "
                   "AWS, LibreTranslate and DeepL; openai: 8 for a server on this machine (a local LLM: "
                   "as many as it runs at once, e.g. OLLAMA_NUM_PARALLEL), 16 for a remote one "
                   "(LT_TRANSLATE_WORKERS)")
        ->check(CLI::Range(0u, 256u))
        ->capture_default_str();
    app.add_option("--max-connections", c.max_connections,
                   "Connections in all; past it new ones get 503 (LT_MAX_CONNECTIONS)")
        ->capture_default_str();
    app.add_option("--max-connections-per-ip", c.max_connections_per_ip,
                   "Connections per client address, 0 = no limit (LT_MAX_CONNECTIONS_PER_IP)")
        ->capture_default_str();
    app.add_option("--message-rate", c.message_rate,
                   "Messages per second a connection may send (bursts of twice as many)")
        ->capture_default_str();
    app.add_option("--speaker-rate", c.speaker_rate,
                   "new_text messages per second from a connection with a valid key")
        ->capture_default_str();
    app.add_option("--on-demand-translation", c.on_demand_translation,
                   "Who may send request_translation (a translation outside the captions, maybe a "
                   "billed call): any, key (only with the speaker key; anyone when API_KEY is unset) "
                   "or off (LT_ON_DEMAND_TRANSLATION)")
        ->check(CLI::IsMember({"any", "key", "off"}))
        ->capture_default_str();
    app.add_option("--on-demand-per-client", c.on_demand_per_client,
                   "request_translation answers one connection may wait for at once; more are refused "
                   "with rate_limited (LT_ON_DEMAND_PER_CLIENT)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000}))
        ->capture_default_str();
    app.add_option("--on-demand-queue", c.on_demand_queue,
                   "request_translation jobs waiting in all, on their own queue behind the captions; "
                   "more are refused with rate_limited (LT_ON_DEMAND_QUEUE)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
        ->capture_default_str();
    app.add_option("--send-queue-bytes", c.send_queue_bytes,
                   "Bytes queued for one viewer before it is closed as a slow consumer")
        ->capture_default_str();
    app.add_option("--send-queue-frames", c.send_queue_frames,
                   "Frames queued for one viewer before it is closed as a slow consumer")
        ->capture_default_str();
    app.add_option("--history", c.history, "Final captions kept for late joiners and resume")
        ->capture_default_str();
    app.add_option("--data-dir", c.data_dir,
                   "Keep every final and its translations in SQLite here (live-translate.db), written "
                   "before the speaker's acknowledgement: a restart or crash loses nothing, and "
                   "transcripts cover the whole event (LT_DATA_DIR; default: memory only)");
    app.add_option("--retain-days", c.retain_days,
                   "With --data-dir: days captions are kept, 0 = forever (LT_RETAIN_DAYS)")
        ->capture_default_str();
    app.add_option("--rooms-file", rooms_file,
                   "File of per-room API keys, one room=key per line (LT_ROOMS_FILE; LT_ROOMS takes "
                   "the same entries inline, comma-separated)");
    app.add_option("--max-rooms", c.max_rooms, "Rooms this server holds at most (LT_MAX_ROOMS)")
        ->capture_default_str();
    app.add_option("--room-idle-seconds", c.room_idle_seconds,
                   "Seconds before a room with no connection is removed; one holding captions that "
                   "only this server has in memory (no Redis, no --data-dir) is kept 60 times as long; rooms "
                   "with their own "
                   "key stay (LT_ROOM_IDLE_SECONDS)")
        ->capture_default_str();
    app.add_option("--new-rooms-per-minute", c.new_rooms_per_minute,
                   "Rooms one address may create per minute without a key (bursts of twice as many); "
                   "rooms with their own key, main and key holders do not count; 0 = no limit "
                   "(LT_NEW_ROOMS_PER_MINUTE)")
        ->capture_default_str();
    app.add_option("--header-timeout", c.header_timeout,
                   "Seconds a connection has to send a whole HTTP request (LT_HEADER_TIMEOUT)")
        ->capture_default_str();
    app.add_option("--fd-reserve", c.fd_reserve,
                   "File descriptors kept free for the server itself; new connections past it get "
                   "503 (LT_FD_RESERVE)")
        ->capture_default_str();
    app.add_option("--allowed-origins", origins,
                   "Comma list of page origins that may open /ws, e.g. https://captions.example.org; "
                   "others get 403; clients that send no Origin (programs) are not affected "
                   "(LT_ALLOWED_ORIGINS; default: any)");
    app.add_option("--redis", c.redis_url,
                   "Share rooms with other lt-server processes through this Redis, e.g. "
                   "redis://10.0.0.5:6379/0 (LT_REDIS_URL; default: a single node)");
    app.add_option("--public-url", c.public_url,
                   "Base URL viewers use, for room links and QR codes, e.g. https://captions.example.org "
                   "(LT_PUBLIC_URL; default: the Host the browser asked for)");
    app.add_option("--tls-cert", c.tls_cert,
                   "Serve https and wss on --port with this PEM certificate (its chain after it), e.g. "
                   "Let's Encrypt's fullchain.pem; TLS 1.2 and 1.3; SIGHUP reloads it and the key "
                   "(LT_TLS_CERT; default: plain http behind a proxy)");
    app.add_option("--tls-key", c.tls_key, "The PEM private key for --tls-cert (LT_TLS_KEY)");
    app.add_option("--log-level", c.log_level, "trace, debug, info, warn, error (LT_LOG_LEVEL)")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        exit_code = app.exit(e);
        return std::nullopt;
    }
    // The engine names are make_translator's to check: it knows every engine.
    if (c.aws_source != "caption" && c.aws_source != "auto")
        throw std::invalid_argument("LT_AWS_SOURCE: expected caption or auto, got '" + c.aws_source + "'");
    if (c.on_demand_translation != "any" && c.on_demand_translation != "key" &&
        c.on_demand_translation != "off")
        throw std::invalid_argument("LT_ON_DEMAND_TRANSLATION: expected any, key or off, got '" +
                                    c.on_demand_translation + "'");
    if (c.on_demand_per_client == 0 || c.on_demand_queue == 0)
        throw std::invalid_argument("LT_ON_DEMAND_PER_CLIENT and LT_ON_DEMAND_QUEUE must be at least 1 "
                                    "(turn request_translation off with LT_ON_DEMAND_TRANSLATION=off)");
    if (c.token_seconds < 60 || c.token_seconds > 43200)
        throw std::invalid_argument("LT_TOKEN_SECONDS: expected 60..43200 (STS allows 900..43200), got " +
                                    std::to_string(c.token_seconds));
    std::string room_text = rooms_inline;
    if (!rooms_file.empty()) {
        std::ifstream f(rooms_file);
        if (!f)
            throw std::invalid_argument("cannot read the rooms file " + rooms_file);
        std::stringstream text;
        text << f.rdbuf();
        room_text += "\n" + text.str();
    }
    auto keys = hub::parse_room_keys(room_text);
    if (!keys)
        throw std::invalid_argument(keys.error_message());
    c.room_keys = std::move(keys).value();
    if (!c.redis_url.empty())
        if (auto r = redis::parse_url(c.redis_url); !r)
            throw std::invalid_argument("LT_REDIS_URL: " + r.error_message());
    if (c.max_rooms == 0)
        throw std::invalid_argument("--max-rooms must be at least 1");
    if (!c.public_url.empty() && c.public_url.rfind("http://", 0) != 0 &&
        c.public_url.rfind("https://", 0) != 0)
        throw std::invalid_argument("LT_PUBLIC_URL: expected an http:// or https:// URL, got '" +
                                    c.public_url + "'");
    while (!c.public_url.empty() && c.public_url.back() == '/')
        c.public_url.pop_back();
    if (c.tls_cert.empty() != c.tls_key.empty())
        throw std::invalid_argument("LT_TLS_CERT and LT_TLS_KEY go together: give both or neither");
    if (!c.tls_cert.empty() && c.public_url.rfind("http://", 0) == 0)
        throw std::invalid_argument("LT_PUBLIC_URL: this server speaks https (LT_TLS_CERT), got '" +
                                    c.public_url + "'");
    if (!(c.room_idle_seconds > 0))
        throw std::invalid_argument("LT_ROOM_IDLE_SECONDS: expected more than 0");
    if (!(c.new_rooms_per_minute >= 0))
        throw std::invalid_argument("LT_NEW_ROOMS_PER_MINUTE: expected 0 or more");
    if (!(c.header_timeout > 0))
        throw std::invalid_argument("LT_HEADER_TIMEOUT: expected more than 0");
    c.allowed_origins = parse_origins(origins);
    return c;
}

} // namespace lt::server
