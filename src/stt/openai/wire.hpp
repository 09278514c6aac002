// The OpenAI audio transcription request and answer, as bytes and without a network: the
// WAV file of an utterance, the multipart/form-data body of POST {base}/audio/transcriptions
// (OpenAI's published API shape), and what an answer means (text, or which kind of error).
// Kept apart from the engine so each piece is tested on its own.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lt::stt::openai {

// A RIFF/WAVE file: 16 kHz, mono, 16-bit little-endian PCM, 44-byte header.
std::string wav_file(std::span<const std::int16_t> pcm);

// One request's form fields besides the file; empty optional fields are left out.
struct transcription_request {
    std::string model;    // required
    std::string language; // ISO-639-1 ("en"); empty: the server detects it
    std::string prompt;   // previous sentence, for context; empty: none
};

// The multipart/form-data body: `file` (utterance.wav, audio/wav), model, response_format
// json, language and prompt when set. `boundary` must not occur in the WAV bytes (a random
// 24+ character token makes that practically certain).
std::string multipart_body(const transcription_request& req, const std::string& wav,
                           const std::string& boundary);
// "multipart/form-data; boundary=<boundary>"
std::string multipart_content_type(const std::string& boundary);
// A random boundary token.
std::string new_boundary();

// What to do with an answer.
struct answer {
    enum class kind {
        text,     // 2xx with {"text": ...}: the transcript (may be empty: no words)
        auth,     // 401/403: the key is wrong; retrying does not help
        rejected, // other 4xx (bad model, bad audio, 404 path): this request cannot succeed
        retry,    // 408, 429, 5xx, or a 2xx that is not the expected JSON: try again later
    };
    kind type = kind::retry;
    std::string text;    // kind::text
    std::string message; // otherwise: "HTTP 401: Incorrect API key provided (invalid_api_key)"
};
answer parse_answer(int status, std::string_view body);

// "en" from "en", "en-GB", "EN_us"; empty for an empty tag.
std::string iso639_1(std::string_view lang);

} // namespace lt::stt::openai
