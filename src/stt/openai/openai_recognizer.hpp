// Any OpenAI-compatible transcription server as a speech engine (`lt-speech --engine openai`):
// OpenAI's API, speaches/faster-whisper-server, whisper.cpp's server, vLLM. Our endpointer
// cuts utterances; each is sent as POST {base}/audio/transcriptions (multipart WAV, model,
// language, the previous sentence as prompt). While a person speaks, the growing utterance
// is re-sent after each further `partial_interval_s` of speech (audio time) for partials.
// One request is in flight at a time: finals go first, in order, and are never dropped
// (within the queue bound); a waiting partial is replaced by a newer one. Failures are
// retried with jittered back-off while utterances queue; a refused key (401/403) stops the
// engine with an error of kind auth. Verified only against tools/fake_openai.py.
#pragma once

#include "stt/recognizer.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace lt::stt::openai {

// What the engine reports besides results; called from its network thread.
struct openai_event {
    enum class kind { info, warning, error, auth };
    kind type = kind::info;
    std::string message;
    double untranscribed_s = 0; // set when finish() gave up on queued audio
};

struct openai_options {
    std::string base_url = "https://api.openai.com/v1"; // --openai-url, OPENAI_BASE_URL
    std::string model = "whisper-1";                    // --stt-model, LT_STT_MODEL
    std::string api_key;                                // OPENAI_API_KEY; empty: no Authorization
    double partial_interval_s = 1.0;                    // speech between partial requests; 0: finals only
    std::size_t queue_max = 100;                        // finals waiting; past this the oldest is dropped
    std::string ca_file;                                // extra CA (tests, self-signed servers)
    std::chrono::milliseconds request_timeout{30000};   // one request, connect to answer
    std::chrono::milliseconds retry_initial{500};
    std::chrono::milliseconds retry_max{8000};
    std::chrono::seconds finish_timeout{10}; // finish() gives up after this long without progress
    bool verbose = false;
    // Unset: warnings and errors go to stderr.
    std::function<void(const openai_event&)> on_event;
};

// Errors: a base URL that is not http(s), an empty model, an unreadable CA file.
core::result<std::unique_ptr<recognizer>> make_openai_recognizer(const recognizer_options& opts,
                                                                 openai_options oa);

} // namespace lt::stt::openai
