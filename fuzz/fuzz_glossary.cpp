// The glossary CSV parser, and the placeholders it puts around terms: a text protected for a
// language and handed back unchanged must restore without error.
#include "fuzz_util.hpp"
#include "translate/glossary.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using lt::translate::glossary;
    // Input: the CSV, then NUL and a text to protect.
    auto [csv, text] = lt::fuzz::split_nul(lt::fuzz::text(data, size));
    auto g = glossary::parse(csv, "fuzz.csv");
    if (!g) {
        LT_FUZZ_CHECK(g.error_message().find("fuzz.csv") != std::string::npos);
        return 0;
    }
    for (const auto& e : g.value().entries())
        LT_FUZZ_CHECK(!e.term.empty());
    g.value().terms();
    for (const char* lang : {"es", "fr"}) {
        g.value().for_language(lang);
        auto p = g.value().protect(text, lang);
        auto back = glossary::restore(p.text, p.fills);
        LT_FUZZ_CHECK(back);
    }
    return 0;
}
