// lt-speech's settings for the "openai" engine (any OpenAI-compatible transcription server):
// flags and their environment defaults, kept out of main.cpp.
#pragma once

#include "core/env.hpp"
#include "stt/openai/openai_recognizer.hpp"

#include <CLI/CLI.hpp>

#include <atomic>
#include <functional>
#include <string>

namespace lt::speech_cli {

// OPENAI_BASE_URL, LT_STT_MODEL and OPENAI_API_KEY (environment or .env) as defaults, then
// --openai-url, --stt-model and --partial-interval.
void add_openai_options(CLI::App& app, stt::openai::openai_options& o, const core::env_source& env);

// Sets the engine's remaining options and what its events do: each is a notice
// ("error: ...", "warning: ..."); untranscribed speech sets `audio_lost` (exit 4); a refused
// key sets `refused` (exit 2) and calls `stop_run`. Called from the engine's thread.
void watch_openai_events(stt::openai::openai_options& o, bool verbose, const std::string& ca_file,
                         std::function<void(const std::string&)> notice, std::atomic<bool>& audio_lost,
                         std::atomic<bool>& refused, std::function<void()> stop_run);

} // namespace lt::speech_cli
