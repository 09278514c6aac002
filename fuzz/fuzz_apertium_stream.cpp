// The Apertium stream format: reformat() reads whatever a pipeline replies; and a text
// framed by deformat() must come back from reformat() as it was (blanks at the ends and
// NUL bytes aside).
#include "fuzz_util.hpp"
#include "translate/apertium/stream_format.hpp"

#include <string>

namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string trimmed(std::string_view s) {
    while (!s.empty() && blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && blank(s.back()))
        s.remove_suffix(1);
    return std::string(s);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lt::translate::apertium;
    auto input = lt::fuzz::text(data, size);
    reformat(input);
    auto framed = deformat(input);
    LT_FUZZ_CHECK(!framed.empty() && framed.back() == '\0');
    LT_FUZZ_CHECK(framed.find('\0') == framed.size() - 1);
    std::string no_nul;
    for (char c : trimmed(input))
        if (c != '\0')
            no_nul += c;
    LT_FUZZ_CHECK(reformat(framed) == trimmed(no_nul));
    return 0;
}
