// Builds the translation backend a program asked for by name: "apertium" (offline,
// translate/apertium/), "aws" (AWS Translate, translate/aws/), "openai" (any
// OpenAI-compatible chat server, translate/openai/), "none", or "auto". A new backend is a
// sibling folder and a branch in make_translator().
#pragma once

#include "core/result.hpp"
#include "translate/translator.hpp"

#include <memory>
#include <string>

namespace lt::translate {

struct translator_options {
    std::string name = "auto"; // auto | apertium | aws | openai | none
    std::string apertium_modes = "/usr/share/apertium/modes";
    bool aws_auto_source = false; // aws: let AWS detect the source language
    // openai: the chat server (OPENAI_BASE_URL), its key (OPENAI_API_KEY; empty: none sent)
    // and the model (--mt-model, LT_MT_MODEL; required).
    std::string openai_base_url = "https://api.openai.com/v1";
    std::string openai_api_key = {};
    std::string mt_model = {};
};

// "auto" picks Apertium when pairs are installed and falls back to "none" with a warning.
// An unknown name, or an explicitly named backend that cannot start, is an error saying why.
core::result<std::shared_ptr<translator>> make_translator(const translator_options& options);

} // namespace lt::translate
