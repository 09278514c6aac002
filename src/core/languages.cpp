#include "core/languages.hpp"

#include <array>

namespace lt::core {

namespace {
constexpr std::array<language, 16> all{{
    {"en", "English", "English", false},
    {"es", "Spanish", "Español", false},
    {"fr", "French", "Français", false},
    {"de", "German", "Deutsch", false},
    {"it", "Italian", "Italiano", false},
    {"pt", "Portuguese", "Português", false},
    {"zh", "Chinese", "中文", false},
    {"ja", "Japanese", "日本語", false},
    {"ko", "Korean", "한국어", false},
    {"ar", "Arabic", "العربية", true},
    {"ru", "Russian", "Русский", false},
    {"hi", "Hindi", "हिन्दी", false},
    {"nl", "Dutch", "Nederlands", false},
    {"pl", "Polish", "Polski", false},
    {"tr", "Turkish", "Türkçe", false},
    {"ca", "Catalan", "Català", false},
}};
} // namespace

std::span<const language> viewer_languages() { return all; }

const language* find_language(std::string_view code) {
    for (const auto& l : all)
        if (l.code == code)
            return &l;
    return nullptr;
}

bool is_known_language(std::string_view code) { return find_language(code) != nullptr; }

} // namespace lt::core
