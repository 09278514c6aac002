// Any OpenAI-compatible chat server as a translation backend (`--translator openai`): OpenAI,
// Ollama, llama.cpp's server, vLLM. Each caption and target language is one POST
// {base}/chat/completions (temperature 0) whose system prompt names the target language in
// words, the glossary rows that apply, and the previous two captions of the same source
// language as context (published captions only, from note_caption()); the answer is cleaned to the
// translation alone (chat.hpp), and one that is empty or more than 3x the caption is an error, so a chain
// falls through to the next engine. An LLM translates into every page language, so targets() lists them all.
// Built on net::http_client (429 and 5xx retried with back-off). Verified only against
// tools/fake_openai.py, which speaks OpenAI's published request and answer shapes; not against
// OpenAI, Ollama or a real model.
#pragma once

#include "net/http_client.hpp"
#include "translate/openai/chat.hpp"
#include "translate/translator.hpp"

#include <memory>
#include <string>
#include <vector>

namespace lt::translate::openai {

struct openai_translator_options {
    std::string base_url = "https://api.openai.com/v1"; // OPENAI_BASE_URL; Ollama: http://localhost:11434/v1
    std::string api_key;                                // OPENAI_API_KEY; empty: no Authorization (Ollama)
    std::string model;                                  // --mt-model, LT_MT_MODEL; required
    std::vector<glossary_term> glossary;
    net::http_client_options client = default_client();
    bool probe = true; // one call at start decides available()
    // Captions in flight at once; 0: 8 for a server on this machine (a local model runs few
    // at a time, e.g. OLLAMA_NUM_PARALLEL), 16 for a remote one (a cloud API: every language
    // of a caption together).
    std::size_t parallelism = 0;

    // A local model on a CPU may take seconds per caption and far more for its first call (it
    // loads the weights), so the per-attempt timeout is longer than the client's default.
    static net::http_client_options default_client() {
        net::http_client_options o;
        o.request_timeout = std::chrono::milliseconds(20000);
        o.service = "openai";
        o.endpoint_hint = "OPENAI_BASE_URL / --openai-url";
        return o;
    }
};

// Errors (saying what to set): no model, a base URL that is not http(s) or carries a query.
// A wrong key or an unreachable server shows up in the probe, state() and each call's error.
core::result<std::shared_ptr<translator>> make_openai_translator(openai_translator_options opts);

} // namespace lt::translate::openai
