#include "openai_engine.hpp"

namespace lt::speech_cli {

namespace {

// A variable set to "" counts as unset.
std::string setting(const core::env_source& env, const char* name, const std::string& otherwise) {
    auto v = env.get(name);
    return v && !v->empty() ? *v : otherwise;
}

} // namespace

void add_openai_options(CLI::App& app, stt::openai::openai_options& o, const core::env_source& env) {
    o.base_url = setting(env, "OPENAI_BASE_URL", o.base_url);
    o.model = setting(env, "LT_STT_MODEL", o.model);
    o.api_key = setting(env, "OPENAI_API_KEY", "");
    app.add_option("--openai-url", o.base_url, "Engine openai: server base URL (OPENAI_BASE_URL)")
        ->capture_default_str();
    app.add_option("--stt-model", o.model, "Engine openai: transcription model (LT_STT_MODEL)")
        ->capture_default_str();
    app.add_option("--partial-interval", o.partial_interval_s,
                   "Engine openai: seconds of speech between partial requests, 0 = finals only")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
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
