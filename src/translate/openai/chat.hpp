// The openai translator's chat request and answer, without a network: the system prompt
// (target language in words, glossary, earlier captions), the JSON body of POST
// {base}/chat/completions in OpenAI's published non-streaming shape, the assistant's text of
// an answer, and the cleaning of that text into the translation alone (small local models
// wrap it in quotes, prefix it, or explain it). Kept apart from the backend so each piece is
// tested on its own.
#pragma once

#include "core/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lt::translate::openai {

// One glossary row, as the server's glossary file gives it (term,lang,translation).
struct glossary_term {
    std::string term;        // as said in the source language: "keynote", "Kubernetes"
    std::string lang;        // the language of `translation`; empty: a bare term (a name)
    std::string translation; // empty: keep the term as it is
};

// "Spanish" for "es" (core/languages.hpp's English names); the code itself otherwise.
std::string language_name(std::string_view code);

struct chat_prompt {
    std::string source; // ISO 639-1
    std::string target;
    std::string text;                 // the caption
    std::vector<std::string> context; // earlier captions of the same source, oldest first
    std::vector<glossary_term> glossary;
};

// The rules for the model: from and into which language in words, the translation alone,
// the glossary rows that apply (bare terms and rows for `target` whose term occurs in the
// caption, so a long glossary does not slow every call), and the earlier captions marked as
// context not to be translated.
std::string system_prompt(const chat_prompt& p);

// {"model", "temperature": 0, "stream": false, "max_tokens": 8 x the caption's length + 200
// (a model stuck repeating itself stops; an answer that long is refused anyway), "messages":
// [system, user = the caption]}
std::string request_body(const std::string& model, const chat_prompt& p);

// The assistant's content of a chat.completion answer; an error when the answer is not that
// shape, the model refused, or it stopped at its token limit (a cut translation).
core::result<std::string> answer_content(std::string_view body);

// "HTTP 401: Incorrect API key provided (invalid_api_key)" from an error answer in OpenAI's
// shape, or Ollama's, vLLM's and llama.cpp's variants; the status and a cut body otherwise.
std::string error_detail(int status, std::string_view body);

// Code points, not bytes: a Hindi or Japanese caption takes three bytes a letter.
std::size_t text_length(std::string_view utf8);

// The translation alone: surrounding quotes (straight, curly, guillemets) dropped, a leading
// "Translation:" / "Here is the translation:" / "Spanish:" label dropped, and anything after a
// blank line (an explanation) or a trailing "Note:" line dropped, a reasoning model's leading
// <think>...</think> dropped; each (but the last) only when the caption
// itself does not start or end that way. An error when nothing is left, or when the answer
// is more than 3x the caption's length (in code points; captions under 7 may grow to 20,
// "OK." -> "D'accord."): that is commentary, not a translation.
core::result<std::string> clean_answer(std::string_view answer, std::string_view source_text,
                                       std::string_view target = {});

} // namespace lt::translate::openai
