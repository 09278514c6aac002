// lt-speech's settings for the "openai" engine (any OpenAI-compatible transcription server):
// flags and their environment defaults, kept out of main.cpp.
#pragma once

#include "core/env.hpp"
#include "stt/openai/openai_recognizer.hpp"

#include <CLI/CLI.hpp>

namespace lt::speech_cli {

// OPENAI_BASE_URL, LT_STT_MODEL and OPENAI_API_KEY (environment or .env) as defaults, then
// --openai-url, --stt-model and --partial-interval.
void add_openai_options(CLI::App& app, stt::openai::openai_options& o, const core::env_source& env);

} // namespace lt::speech_cli
