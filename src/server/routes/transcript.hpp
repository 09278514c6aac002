// GET /transcript.{srt,vtt,txt} and /r/NAME/transcript.{srt,vtt,txt}?lang=xx: every final of
// a room (the data directory's, else the history in memory) in one language, corrections
// applied, as subtitles or text. Captions never translated into `lang` are translated now,
// through the cache and the engine chain on the service's on-demand queue (behind every live
// caption), and kept in the data directory for next time.
// Streamed (chunked HTTP), so memory stays bounded however long the room ran. Blocking (it
// may wait on an engine): the HTTP session runs it on a thread of its own.
#pragma once

#include "server/state.hpp"
#include "transcript/transcript.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace lt::server {

struct transcript_request {
    std::string room;
    transcript::format format = transcript::format::txt;
};

// The room and format of a transcript path ("/transcript.srt", "/r/hall-a/transcript.vtt");
// nullopt for any other path.
std::optional<transcript_request> transcript_route(std::string_view path);

struct transcript_result {
    int status = 200; // 404: no such room or no captions; 400: a bad lang
    std::string body; // the error text
};

// Checks a request before anything is sent (cheap: on the network thread): 200 when the room
// has captions and `lang` is empty or known.
transcript_result check_transcript(server_state& state, const transcript_request& req,
                                   const std::string& lang);

// Where a streamed transcript goes, piece by piece.
class transcript_sink {
public:
    virtual ~transcript_sink() = default;
    // Takes the next piece; may wait while the client is behind. False: the client is gone
    // (or too slow): stop.
    virtual bool write(std::string piece) = 0;
};

// Writes the transcript to `out` as it goes: finals read a batch at a time (from the data
// directory, else the history in memory), the missing translations of each batch made a few
// at a time on the on-demand queue, pieces of about 16 KiB (sooner after translating, so a
// client that left is noticed). `lang` empty: each caption as spoken. Translation waits at
// most `budget` in all; captions still untranslated then stay in their own language.
// Returns false when `out` refused a piece (the work stopped there).
bool stream_transcript(server_state& state, const transcript_request& req, const std::string& lang,
                       transcript_sink& out, std::chrono::milliseconds budget = std::chrono::seconds(60));

} // namespace lt::server
