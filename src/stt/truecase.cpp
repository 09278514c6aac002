#include "stt/truecase.hpp"

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

namespace lt::stt {
namespace {

// Words that are always capitalised in English. Kept short on purpose: "may", "march",
// "will", "mark", "bill", "grace" are left alone because they are more often common words.
constexpr std::string_view proper_words[] = {
    // days and months
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    // titles as the en-us model spells them ("mr"): Apertium translates "Mr", not "mr"
    "mr",
    "mrs",
    "ms",
    "dr",
    // common first names
    "john",
    "mary",
    "james",
    "michael",
    "david",
    "sarah",
    "peter",
    "paul",
    "anna",
    "maria",
    "robert",
    "william",
    "elizabeth",
    "thomas",
    "george",
    "richard",
    "susan",
    "jennifer",
    "linda",
    "emma",
    "daniel",
    "joseph",
    "charles",
    "edward",
    "henry",
    "alice",
    "jane",
    "margaret",
    "steven",
    "andrew",
    // countries, continents, cities
    "england",
    "britain",
    "france",
    "germany",
    "spain",
    "italy",
    "portugal",
    "ireland",
    "scotland",
    "europe",
    "america",
    "canada",
    "mexico",
    "china",
    "japan",
    "india",
    "africa",
    "australia",
    "russia",
    "london",
    "paris",
    "berlin",
    "madrid",
    "rome",
    "barcelona",
    "tokyo",
    "chicago",
    "boston",
    "washington",
    "dublin",
    // languages and nationalities
    "english",
    "french",
    "german",
    "spanish",
    "italian",
    "portuguese",
    "irish",
    "american",
    "british",
    "european",
    "chinese",
    "japanese",
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool ends_sentence(char c) { return c == '.' || c == '?' || c == '!'; }

bool is_proper(std::string_view lower_word) {
    return std::find(std::begin(proper_words), std::end(proper_words), lower_word) != std::end(proper_words);
}

// Capitalises one whitespace-free token in place; never lower-cases anything.
void case_token(std::string& tok, bool sentence_start) {
    // The word is the run of letters and apostrophes after any leading punctuation.
    std::size_t b = 0;
    while (b < tok.size() && static_cast<unsigned char>(tok[b]) < 0x80 && !is_alpha(tok[b]))
        ++b;
    if (b == tok.size() || !is_alpha(tok[b]))
        return; // a non-ASCII letter: leave it be
    std::size_t e = b;
    while (e < tok.size() && (is_alpha(tok[e]) || tok[e] == '\''))
        ++e;
    std::string word;
    for (std::size_t i = b; i < e; ++i)
        word += lower(tok[i]);
    const std::string base = word.substr(0, word.find('\'')); // "john's" -> "john"

    // "i", "i'm", "i'll", "i've", "i'd"
    const bool pronoun_i = base == "i";
    if (sentence_start || pronoun_i || is_proper(base))
        tok[b] = upper(tok[b]);
}

} // namespace

std::string truecase(std::string_view text, bool final) {
    std::vector<std::string> tokens;
    std::string cur;
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            if (!cur.empty())
                tokens.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty())
        tokens.push_back(std::move(cur));

    std::string out;
    bool sentence_start = true;
    for (auto& tok : tokens) {
        case_token(tok, sentence_start);
        // A token of punctuation alone ("-") does not take the sentence start.
        if (std::any_of(tok.begin(), tok.end(), is_alpha))
            sentence_start = false;
        if (ends_sentence(tok.back()))
            sentence_start = true;
        if (!out.empty())
            out += ' ';
        out += tok;
    }
    if (final && !out.empty()) {
        // Look inside closing quotes and brackets: 'he said "go."' is already complete.
        std::size_t i = out.size();
        while (i > 0 && (out[i - 1] == '"' || out[i - 1] == '\'' || out[i - 1] == ')'))
            --i;
        const char last = i > 0 ? out[i - 1] : ' ';
        if (i == out.size() && (last == ',' || last == ';' || last == ':'))
            out.back() = '.';
        else if (!ends_sentence(last))
            out += '.';
    }
    return out;
}

} // namespace lt::stt
