// Builds the translation backend a program asked for by name: "apertium" (offline,
// translate/apertium/), "aws" (AWS Translate, translate/aws/), "libretranslate"
// (translate/libretranslate/), "deepl" (translate/deepl/), "openai" (any OpenAI-compatible
// chat server, translate/openai/), "none", or "auto". A new backend is a sibling folder and a
// branch in make_translator().
#pragma once

#include "core/result.hpp"
#include "translate/chain.hpp"
#include "translate/glossary.hpp"
#include "translate/translator.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace lt::translate {

struct translator_options {
    std::string name =
        "auto"; // auto | apertium | aws | libretranslate | deepl | openai | none, or a comma list
    std::string apertium_modes = "/usr/share/apertium/modes";
    bool aws_auto_source = false;       // aws: let AWS detect the source language
    std::string aws_terminology;        // aws: a custom terminology's name (TerminologyNames)
    std::string libretranslate_url;     // libretranslate: LIBRETRANSLATE_URL (required)
    std::string libretranslate_api_key; // libretranslate: LIBRETRANSLATE_API_KEY (optional)
    std::string deepl_auth_key;         // deepl: DEEPL_AUTH_KEY (required)
    std::string deepl_api_url;          // deepl: DEEPL_API_URL; empty: free or pro API by the key
    // openai: the chat server (OPENAI_BASE_URL), its key (OPENAI_API_KEY; empty: none sent)
    // and the model (--mt-model, LT_MT_MODEL; required).
    std::string openai_base_url = "https://api.openai.com/v1";
    std::string openai_api_key = {};
    std::string mt_model = {};
    // libretranslate, deepl, openai: per-attempt timeout (0: the engine's default) and an
    // extra CA (PEM).
    std::chrono::milliseconds http_timeout{0};
    std::string http_ca_file = {};
    chain_options chain; // a comma list of names: the engines in order, with failover
    // Terms to keep right: in an LLM's prompt, protected around the other engines' calls.
    std::shared_ptr<const translate::glossary> glossary;
};

// "auto" picks Apertium when pairs are installed and falls back to "none" with a warning.
// A comma list ("deepl,apertium") is a chain (translate/chain.hpp) of the named engines.
// An unknown name, or an explicitly named backend that cannot start, is an error saying why.
core::result<std::shared_ptr<translator>> make_translator(const translator_options& options);

} // namespace lt::translate
