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

} // namespace lt::speech_cli
