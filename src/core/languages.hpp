// The languages a viewer can choose: the reference page's fifteen plus Catalan, which
// Apertium translates from English offline. web/app.js holds the same list (tests/core ties them).
#pragma once

#include <span>
#include <string_view>

namespace lt::core {

struct language {
    std::string_view code;   // ISO 639-1, as the protocol uses
    std::string_view name;   // English name
    std::string_view native; // name in the language itself
    bool rtl;                // written right to left
};

std::span<const language> viewer_languages();
const language* find_language(std::string_view code);
bool is_known_language(std::string_view code);

} // namespace lt::core
