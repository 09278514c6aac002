// CMU PocketSphinx (Debian's 0.8+5prealpha) behind stt::recognizer: offline, English with
// Debian's en-us model, utterances cut by stt::endpointer. The engine "pocketsphinx" of
// stt::make_recognizer, which is the usual way in.
#pragma once

#include "stt/recognizer.hpp"

#include <memory>
#include <string>

namespace lt::stt::pocketsphinx {

// The model's files (--model-dir, --dict, --lm).
struct pocketsphinx_options {
    std::string model_dir; // acoustic model folder; empty: the engine's default (en-us)
    std::string dict;      // pronunciation dictionary; empty: the model's default
    std::string lm;        // language model; empty: the model's default
};

// Errors name the missing file and the option to set, or the language the default model
// cannot recognise.
core::result<std::unique_ptr<recognizer>> make_pocketsphinx_recognizer(const recognizer_options& opts,
                                                                       const pocketsphinx_options& model);

} // namespace lt::stt::pocketsphinx
