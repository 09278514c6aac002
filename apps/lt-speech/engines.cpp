#include "engines.hpp"

namespace lt::speech_cli {

namespace {

// A variable set to "" counts as unset.
std::string setting(const core::env_source& env, const char* name, const std::string& otherwise) {
    auto v = env.get(name);
    return v && !v->empty() ? *v : otherwise;
}

} // namespace

void add_openai_whisper_options(CLI::App& app, stt::engine_options& ro, const core::env_source& env) {
    auto& o = ro.openai;
    o.base_url = setting(env, "OPENAI_BASE_URL", o.base_url);
    o.model = setting(env, "LT_STT_MODEL", o.model);
    o.api_key = setting(env, "OPENAI_API_KEY", "");
    app.add_option("--openai-url", o.base_url, "Engine openai: server base URL (OPENAI_BASE_URL)")
        ->capture_default_str();
    app.add_option("--stt-model", o.model, "Engine openai: transcription model (LT_STT_MODEL)")
        ->capture_default_str();
    app.add_option("--partial-interval", o.partial_interval_s,
                   "Engines openai and whisper: seconds of speech between partials, 0 = finals only")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--threads", ro.whisper_stream.threads,
                   "Engine whisper: decoding threads (default: cores - 1, at least 1)")
        ->check(CLI::PositiveNumber);
}

void watch_whisper_events(stt::engine_options& ro, bool fast, bool verbose,
                          std::function<void(const std::string&)> notice, std::atomic<bool>& audio_lost) {
    auto& w = ro.whisper_stream;
    w.partial_interval_s = ro.openai.partial_interval_s;
    w.live = !fast;
    w.verbose = verbose;
    w.on_event = [notice = std::move(notice), verbose, &audio_lost](const stt::whisper::whisper_event& e) {
        if (e.untranscribed_s > 0)
            audio_lost = true;
        if (e.type == stt::whisper::whisper_event::kind::warning)
            notice("warning: " + e.message);
        else if (verbose)
            notice(e.message);
    };
}

void watch_openai_events(stt::openai::openai_options& o, bool verbose, const std::string& ca_file,
                         std::function<void(const std::string&)> notice, std::atomic<bool>& audio_lost,
                         std::atomic<bool>& refused, std::function<void()> stop_run) {
    o.verbose = verbose;
    o.ca_file = ca_file;
    o.on_event = [notice = std::move(notice), stop_run = std::move(stop_run), &audio_lost,
                  &refused](const stt::openai::openai_event& e) {
        using kind = stt::openai::openai_event::kind;
        if (e.untranscribed_s > 0)
            audio_lost = true;
        notice(std::string(e.type == kind::auth || e.type == kind::error ? "error: "
                           : e.type == kind::warning                     ? "warning: "
                                                                         : "") +
               e.message);
        if (e.type == kind::auth) {
            refused = true;
            stop_run();
        }
    };
}

} // namespace lt::speech_cli
