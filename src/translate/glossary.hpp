// One glossary for an event (`--glossary FILE`): names, places and terms that must come out
// right. A CSV file of `term,lang,translation` rows ("keynote,es,ponencia principal") and bare
// terms that stay as they are in every language ("Live Translate", "Kubernetes"). Quoted
// fields may hold commas ("" is a quote); empty lines and lines starting with # are skipped;
// a first row "term,lang,translation" is a header. A row "Okafor,phones,OW K AA F ER" gives a
// word's pronunciation (CMU phones, as pocketsphinx's en-us model has them) for recognisers that
// cannot guess it; the word is then also a bare term.
//
// An LLM engine gets the glossary in its prompt. For the others, with_glossary() protects the
// terms: each becomes a placeholder the engine passes through untouched (Apertium keeps
// "ZXQ0" as it is, where it turns "Acme" into "Acmé"), and its rendering for the target
// language is put back afterwards.
#pragma once

#include "core/result.hpp"
#include "translate/translator.hpp"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lt::translate {

struct glossary_entry {
    std::string term;        // as it is said in the source language
    std::string lang;        // "" for a bare term
    std::string translation; // "" for a bare term
};

class glossary {
public:
    // Errors name `origin` (the file) and the line.
    static core::result<glossary> parse(std::string_view csv, const std::string& origin);
    static core::result<glossary> load(const std::string& path);

    const std::vector<glossary_entry>& entries() const { return entries_; }
    bool empty() const { return entries_.empty(); }
    // Given pronunciations: word -> phones, upper case, single spaces.
    const std::map<std::string, std::string>& phones() const { return phones_; }
    // Each distinct term once, in file order (for recognition: prompts, dictionaries).
    std::vector<std::string> terms() const;
    // What `term` becomes in `lang`: its translation for that language, else the term itself.
    std::string rendering(const std::string& term, std::string_view lang) const;
    // Every term with its rendering in `lang`, in file order (an LLM's prompt).
    std::vector<std::pair<std::string, std::string>> for_language(std::string_view lang) const;

    struct protected_text {
        std::string text;               // with placeholders
        std::vector<std::string> fills; // placeholder i's rendering
    };
    // Whole-word, case-sensitive matches, longest term first.
    protected_text protect(std::string_view text, std::string_view lang) const;
    // The engine's output with the placeholders filled in; an error when the engine lost one.
    static core::result<std::string> restore(std::string_view translated,
                                             const std::vector<std::string>& fills);

private:
    std::vector<glossary_entry> entries_;
    std::map<std::string, std::string> phones_;
};

// `engine` with the glossary's terms protected around each call. Same name, languages and
// health as `engine`.
std::shared_ptr<translator> with_glossary(std::shared_ptr<translator> engine,
                                          std::shared_ptr<const glossary> g);

} // namespace lt::translate
