// Makes lower-case, unpunctuated recognizer output readable and translatable: Apertium
// treats "i", "monday" or "john" as unknown words, and viewers read sentences better.
#pragma once

#include <string>
#include <string_view>

namespace lt::stt {

// Sentence case; "I" and its contractions (i'm, i'll, i've, i'd); days, months and a short
// list of common names and places; "mister"/"missus"/"doctor" before a name as "Mr."/"Mrs."/
// "Dr." is NOT done (it changes words). A final also gets a full stop unless it already ends
// in punctuation; a partial gets none. Whitespace is collapsed to single spaces.
std::string truecase(std::string_view text, bool final);

} // namespace lt::stt
