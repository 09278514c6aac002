// Plain text ↔ the Apertium stream format, done in-process instead of spawning
// apertium-destxt / apertium-retxt for every caption. The rules follow those two programs for
// a single paragraph, so a caption translates exactly as `echo text | apertium <pair>` does.
#pragma once

#include <string>
#include <string_view>

namespace lt::translate::apertium {

// Text → one null-flush request, NUL included. Like apertium-destxt:
//  - escapes the stream's special characters \ [ ] ^ $ / @ < > { } with a backslash
//    (destxt leaves * and # alone, and so do we: they pass through the pipeline as text);
//  - keeps single spaces as they are and puts any other run of blanks, and `~` (which
//    post-generation would act on), in a superblank `[...]`;
//  - ends the text with "." and the empty superblank "[][\n]": the dot closes the last
//    sentence for the tagger and transfer, and lt-proc flushes at a NUL only when a blank
//    precedes it. reformat() removes the dot again.
// Leading and trailing blanks of `text` are not kept. NUL bytes in `text` are dropped.
std::string deformat(std::string_view text);

// One null-flush reply (with or without its NUL) → text. Like apertium-retxt: drops the
// brackets of superblanks, drops a "." directly followed by "[]" (the one deformat added),
// undoes backslash escapes; then trims blanks at both ends (the "\n" deformat added, and
// the stray leading blank transfer sometimes leaves where it dropped a word).
std::string reformat(std::string_view stream);

} // namespace lt::translate::apertium
