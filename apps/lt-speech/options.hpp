// lt-speech's settings other than the engine's: where audio comes from, where captions go,
// how the console looks. Defaults come from the environment or .env; the flags override.
#pragma once

#include "core/env.hpp"
#include "stt/make_recognizer.hpp"

#include <CLI/CLI.hpp>

#include <string>

namespace lt::speech_cli {

struct settings {
    std::string url = "http://localhost:5050"; // LT_ENDPOINT
    std::string device;                        // LT_AUDIO_DEVICE
    std::string input;                         // a file or "-" instead of a device
    bool list = false, fast = false, no_meter = false;
    int verbosity = 0;
    double stop_after = 0;
    double finish_timeout = 10;
    std::string ca_file; // LT_CA_FILE
};

settings settings_from_env(const core::env_source& env);

// The program's description and the footer about the AWS engine.
void describe(CLI::App& app);
// Audio and server flags, shown before the engine's.
void add_source_options(CLI::App& app, settings& s);
// The engine's flags (--engine, --lang, model files, --end-silence), with LT_ENGINE, LT_LANG
// and LT_WHISPER_MODEL as defaults.
void add_engine_options(CLI::App& app, stt::engine_options& ro, const core::env_source& env);
// After parsing: --model-dir is the chosen engine's model folder.
void settle_engine_options(stt::engine_options& ro);
// Delivery and console flags, shown after the engine's.
void add_delivery_options(CLI::App& app, settings& s);

// The AWS settings the SDKs read from the environment may also sit in .env: copied into
// the process environment where not already set.
void export_aws_settings(const core::env_source& env);

// What captions carry for a spoken language: its primary tag in lower case ("en-GB" -> "en"),
// since translators key on it.
std::string caption_language(const std::string& spoken);
// "sp-" and 8 random hex digits: the ids of this run's finals, new on every start.
std::string new_id_prefix();

} // namespace lt::speech_cli
