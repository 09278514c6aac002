// The glossary's words pocketsphinx's dictionary lacks, with a pronunciation for each: given
// in the glossary ("Okafor,phones,OW K AA F ER"), spelled letter by letter for an acronym
// ("AWS" -> EY D AH B AH L Y UW EH S), or joined from dictionary words for a compound
// ("Livetranslate" -> live + translate). Debian's pocketsphinx has no grapheme-to-phoneme, so
// any other unknown word is only named. Words are added as the glossary spells them, so the
// recogniser writes "Okafor" and "AWS".
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lt::stt::pocketsphinx {

struct glossary_word {
    std::string word;   // as the glossary spells it
    std::string phones; // CMU phones, space-separated
    std::string how;    // "given", "spelled" or "compound"
};

struct glossary_words {
    std::vector<glossary_word> add;
    std::vector<std::string> unknown; // lacking, and no pronunciation found (lower case)
};

// `lookup(word)`: the dictionary's phones for a word (tried as spelled, then in lower case),
// "" when it lacks it. Each word of each term once.
glossary_words plan_glossary_words(const std::vector<std::string>& terms,
                                   const std::map<std::string, std::string>& given,
                                   const std::function<std::string(const std::string&)>& lookup);

} // namespace lt::stt::pocketsphinx
