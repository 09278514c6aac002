// Every speech engine behind one factory, so lt-speech and the tools pick one by name:
// "pocketsphinx" (offline, stt/pocketsphinx/), "aws" (AWS Transcribe streaming,
// stt/transcribe/), "openai" (any OpenAI-compatible transcription server, stt/openai/) and "whisper"
// (whisper.cpp, stt/whisper/; only when built with it). A new engine is a sibling folder, a field here and a
// branch in make_recognizer().
#pragma once

#include "core/result.hpp"
#include "stt/openai/openai_recognizer.hpp"
#include "stt/pocketsphinx/pocketsphinx_recognizer.hpp"
#include "stt/recognizer.hpp"
#include "stt/transcribe/transcribe_recognizer.hpp"
#include "stt/whisper/model_files.hpp"
#include "stt/whisper/whisper_recognizer.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lt::stt {

// The options every engine takes (language, endpointing, logging), the engine's name, and
// each engine's own settings; only the chosen engine's are read.
struct engine_options : recognizer_options {
    // Not an aggregate: GCC 12 warns falsely (-Wmaybe-uninitialized) about `{}` of an
    // aggregate with a base class.
    engine_options() = default;

    std::string engine = "pocketsphinx";
    stt::pocketsphinx::pocketsphinx_options pocketsphinx; // model files
    // "aws"; its language_code is derived from `lang` (en -> en-US, see language_code()).
    stt::transcribe::transcribe_options transcribe;
    // "whisper": the model (name or path) and its cache folder; the streaming settings
    // (threads, partials, keep-up control). Its smaller_model is filled in when unset.
    stt::whisper::model_options whisper;
    stt::whisper::whisper_options whisper_stream;
    stt::openai::openai_options openai; // "openai": server, model, key
};

// Names make_recognizer accepts, for --help and error messages: "pocketsphinx", "aws", "openai",
// and "whisper" when whisper.cpp is built in (LT_WHISPER).
std::vector<std::string> engine_names();

// True for engines that need AWS credentials (transcribe.credentials).
bool needs_aws_credentials(std::string_view engine);

// Builds the engine. An unknown engine (the message lists engine_names()), a --lang the
// engine has no code for, a missing model file or an engine that fails to load is an
// error naming the file or the setting to change.
core::result<std::unique_ptr<recognizer>> make_recognizer(const engine_options& opts);

} // namespace lt::stt
