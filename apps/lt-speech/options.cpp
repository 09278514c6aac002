#include "options.hpp"

#include "translate/glossary.hpp"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <utility>

namespace lt::speech_cli {

namespace {
std::string ro_glossary; // --glossary, read by settle_engine_options()
} // namespace

settings settings_from_env(const core::env_source& env) {
    settings s;
    s.url = env.get("LT_ENDPOINT").value_or(s.url);
    s.device = env.get("LT_AUDIO_DEVICE").value_or("");
    s.ca_file = env.get("LT_CA_FILE").value_or("");
    return s;
}

void describe(CLI::App& app) {
    app.description("lt-speech: recognise speech and send live captions to lt-server "
                    "(API_KEY from the environment or .env)");
    app.footer("Engine aws (AWS Transcribe streaming): credentials come from the server (generate_token; "
               "the server needs TRANSCRIBE_ROLE_ARN), refreshed every 20 minutes, and the region from the "
               "token unless AWS_REGION is set. With LT_LOCAL_TOKEN=true they come from the environment "
               "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or ~/.aws (AWS_PROFILE), "
               "with AWS_REGION. AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING or AWS_ENDPOINT_URL override the "
               "endpoint, AWS_CA_BUNDLE adds a CA. --lang en means en-US, de de-DE, es es-US, fr fr-FR; "
               "a full code such as en-GB is used as it is. A refused key or a Transcribe error is "
               "printed and the stream retried (1 s doubling to 16 s) while audio is kept (5 minutes); "
               "a server refusing the API key ends lt-speech at start (exit status 2), and audio still "
               "not transcribed at the end gives exit status 4. Engine openai: any OpenAI-compatible "
               "transcription server (POST {--openai-url}/audio/transcriptions, key from OPENAI_API_KEY); "
               "a refused key is exit status 2, utterances wait (up to 100) while the server is down. "
               "Engine whisper: whisper.cpp in this process; a model name is downloaded once into the "
               "cache (SHA-1 checked). When the machine falls behind it decodes partials less often, "
               "then finals only, then switches to a smaller cached model; speech that waited over "
               "30 s is dropped with a warning (exit status 4). The live line shows the real-time "
               "factor (RTF).");
}

void add_source_options(CLI::App& app, settings& s) {
    app.add_option("url", s.url, "Server URL: http, https, ws or wss (LT_ENDPOINT)")->capture_default_str();
    app.add_flag("-l,--list-devices", s.list, "List audio input devices and exit");
    app.add_option("-d,--device", s.device, "Input device: index or part of its name (LT_AUDIO_DEVICE)");
    app.add_option("-i,--input", s.input,
                   "Read audio from a file (WAV, FLAC, ...) or '-' for raw "
                   "16-bit 16 kHz mono PCM on stdin, instead of a device");
    app.add_flag("--fast", s.fast, "With --input FILE: read as fast as possible, not in real time");
    app.add_option("--stop-after", s.stop_after, "Stop after this many seconds of audio");
}

void add_delivery_options(CLI::App& app, settings& s) {
    app.add_option("--finish-timeout", s.finish_timeout,
                   "At exit, seconds to keep trying to deliver captions not yet acknowledged")
        ->capture_default_str();
    app.add_option("--ca-file", s.ca_file,
                   "Also trust this CA (PEM) for wss and --engine openai's https, e.g. a self-signed server "
                   "(LT_CA_FILE)");
    app.add_flag("--no-meter", s.no_meter, "Do not show the input level");
    app.add_flag("-v,--verbose", s.verbosity, "Debug output: partials, delivery; -vv adds the engine's log");
}

void export_aws_settings(const core::env_source& env) {
    for (const char* name :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
          "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
          "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING", "AWS_CA_BUNDLE"}) {
        if (std::getenv(name))
            continue;
        if (auto v = env.get(name))
            setenv(name, v->c_str(), 0);
    }
}

void add_engine_options(CLI::App& app, stt::engine_options& ro, const core::env_source& env) {
    ro.engine = env.get("LT_ENGINE").value_or("pocketsphinx");
    ro.lang = env.get("LT_LANG").value_or("en");
    ro.whisper.model = env.get("LT_WHISPER_MODEL").value_or(ro.whisper.model);
    std::string engines;
    for (const auto& n : stt::engine_names())
        engines += (engines.empty() ? "" : ", ") + n;
    app.add_option("-e,--engine", ro.engine, "Speech recognizer: " + engines + " (LT_ENGINE)")
        ->capture_default_str();
    app.add_option("--lang", ro.lang, "Language spoken, sent with each caption (LT_LANG)")
        ->capture_default_str();
    app.add_option("--model-dir", ro.pocketsphinx.model_dir,
                   "Model folder: pocketsphinx's acoustic model (default: Debian's); whisper's "
                   "model cache (default: ~/.cache/live-translate/models)");
    app.add_option("--model", ro.whisper.model,
                   "whisper: tiny.en, tiny, base.en, base, small.en, small or a ggml file (LT_WHISPER_MODEL)")
        ->capture_default_str();
    app.add_option("--dict", ro.pocketsphinx.dict, "Pronunciation dictionary (default: the model's)");
    app.add_option("--lm", ro.pocketsphinx.lm, "Language model (default: the model's)");
    app.add_option("--end-silence", ro.endpoint.end_silence_s, "Pause in seconds that ends a sentence")
        ->capture_default_str();
    ro_glossary = env.get("LT_GLOSSARY").value_or("");
    app.add_option("--glossary", ro_glossary,
                   "CSV of the event's names and terms (the server's glossary file): whisper gets them in "
                   "its prompt; pocketsphinx names the words its dictionary lacks (LT_GLOSSARY)");
}

void settle_engine_options(stt::engine_options& ro) {
    if (ro.engine == "whisper")
        ro.whisper.model_dir = std::exchange(ro.pocketsphinx.model_dir, {});
    if (!ro_glossary.empty()) {
        auto g = translate::glossary::load(ro_glossary);
        if (!g)
            throw std::invalid_argument(g.error_message());
        ro.whisper_stream.glossary_terms = g.value().terms();
        ro.pocketsphinx.glossary_terms = g.value().terms();
        ro.pocketsphinx.glossary_phones = g.value().phones();
    }
}

std::string caption_language(const std::string& spoken) {
    auto lang = spoken.substr(0, spoken.find('-'));
    for (auto& c : lang)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lang;
}

std::string new_id_prefix() {
    std::mt19937_64 rng{std::random_device{}()};
    char run_id[16];
    std::snprintf(run_id, sizeof run_id, "%08llx", static_cast<unsigned long long>(rng() & 0xffffffffULL));
    return std::string("sp-") + run_id;
}

} // namespace lt::speech_cli
