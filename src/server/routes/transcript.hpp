// GET /transcript.{srt,vtt,txt} and /r/NAME/transcript.{srt,vtt,txt}?lang=xx: every final of
// a room (the data directory's, else the history in memory) in one language, corrections
// applied, as subtitles or text. Captions never translated into `lang` are translated now,
// through the cache and the engine chain on the service's on-demand queue (behind every live
// caption), and kept in the data directory for next time.
// Blocking (it may wait on an engine): the HTTP session runs it on a thread of its own.
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
    std::string body; // the transcript, or the error text
};

// `lang` empty: each caption as spoken. Translation waits at most `budget` in all; captions
// still untranslated then stay in their own language.
transcript_result build_transcript(server_state& state, const transcript_request& req,
                                   const std::string& lang,
                                   std::chrono::milliseconds budget = std::chrono::seconds(60));

} // namespace lt::server
