// AWS Transcribe streaming as a speech engine (`lt-speech --engine aws`), over its
// WebSocket interface: a presigned wss:// URL, event-stream framed audio events of
// ~100 ms, TranscriptEvents back. Results with IsPartial become partials, the rest finals;
// with partial-results stabilization, a stable sentence is finalised early.
// Credentials come from a provider (the lt-server's generate_token, or local ones); when
// they are due for refresh a new stream is opened before the old one is ended, and audio
// switches over at a pause, so no words are lost or doubled. A stream the service ends
// (silence timeout, 4-hour limit, network loss) is reopened and fed the audio that arrived
// meanwhile. Verified against AWS's published protocol and a local fake
// (tools/fake_aws.py), not against live AWS.
#pragma once

#include "aws/credentials.hpp"
#include "stt/recognizer.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace lt::stt::transcribe {

// What the engine has to say beyond results: service errors (refused credentials, an
// exception from Transcribe), reconnects and, with `verbose`, stream changes. Errors do not
// stop the engine: it keeps the audio and retries with back-off (1 s doubling to 16 s).
struct transcribe_event {
    enum class kind { info, warning, error };
    kind type = kind::info;
    std::string message;
    double untranscribed_s = 0; // set when the engine gave up on audio at finish()
};

struct transcribe_options {
    std::string language_code = "en-US"; // --lang (en -> en-US)
    std::string region;                  // empty: AWS_REGION / AWS_DEFAULT_REGION / profile
    std::shared_ptr<aws::credentials_provider> credentials;
    std::string ca_file;                        // extra CA for the endpoint (tests)
    std::chrono::milliseconds chunk{100};       // audio per AudioEvent
    std::chrono::seconds rotate_after{20 * 60}; // new stream with fresh credentials
    std::chrono::seconds finish_timeout{10};    // finish() gives up after this long without progress
    bool verbose = false;
    // Called from the engine's network thread; unset: errors and warnings go to stderr.
    std::function<void(const transcribe_event&)> on_event;
};

// Maps lt-speech's --lang ("en", "de", "en-GB") to a Transcribe language code; empty for a
// bare language it does not know.
std::string language_code(std::string_view lang);

core::result<std::unique_ptr<stt::recognizer>> make_transcribe_recognizer(transcribe_options opts);

} // namespace lt::stt::transcribe
