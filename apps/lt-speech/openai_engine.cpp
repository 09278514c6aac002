#include "openai_engine.hpp"

namespace lt::speech_cli {

void add_openai_options(CLI::App& app, stt::openai::openai_options& o, const core::env_source& env) {
    o.base_url = env.get("OPENAI_BASE_URL").value_or(o.base_url);
    o.model = env.get("LT_STT_MODEL").value_or(o.model);
    o.api_key = env.get("OPENAI_API_KEY").value_or("");
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
