// lt-speech's settings for the "openai" engine (any OpenAI-compatible transcription server)
// and the "whisper" engine (whisper.cpp in-process): flags, their environment defaults and
// what the engines' events do, kept out of main.cpp.
#pragma once

#include "core/env.hpp"
#include "stt/make_recognizer.hpp"

#include <CLI/CLI.hpp>

#include <atomic>
#include <functional>
#include <string>

namespace lt::speech_cli {

// OPENAI_BASE_URL, LT_STT_MODEL and OPENAI_API_KEY (environment or .env) as defaults, then
// --openai-url, --stt-model, --partial-interval (openai and whisper) and --threads (whisper).
void add_openai_whisper_options(CLI::App& app, stt::engine_options& ro, const core::env_source& env);

// After parsing: the whisper engine's partial interval is --partial-interval, and its keep-up
// control is off for --fast files. Its warnings are notices; speech it had to drop sets
// `audio_lost` (exit 4). Called from the engine's thread.
void watch_whisper_events(stt::engine_options& ro, bool fast, bool verbose,
                          std::function<void(const std::string&)> notice, std::atomic<bool>& audio_lost);

// Sets the engine's remaining options and what its events do: each is a notice
// ("error: ...", "warning: ..."); untranscribed speech sets `audio_lost` (exit 4); a refused
// key sets `refused` (exit 2) and calls `stop_run`. Called from the engine's thread.
void watch_openai_events(stt::openai::openai_options& o, bool verbose, const std::string& ca_file,
                         std::function<void(const std::string&)> notice, std::atomic<bool>& audio_lost,
                         std::atomic<bool>& refused, std::function<void()> stop_run);

} // namespace lt::speech_cli
