// The event glossary: the CSV format and its errors, protecting terms around an engine, and
// the real Apertium keeping names intact with it (without it "Acme" becomes "Acmé").
#include "translate/glossary.hpp"
#include "translate/make_translator.hpp"

#include <gtest/gtest.h>

using namespace lt;
using translate::glossary;

namespace {

glossary parsed(const std::string& csv) {
    auto g = glossary::parse(csv, "test.csv");
    if (!g)
        throw std::runtime_error(g.error_message());
    return std::move(g.value());
}

std::shared_ptr<translate::translator> apertium_with(const std::string& csv) {
    translate::translator_options o;
    o.name = "apertium";
    if (!csv.empty())
        o.glossary = std::make_shared<const glossary>(parsed(csv));
    auto t = translate::make_translator(o);
    if (!t)
        throw std::runtime_error(t.error_message());
    return t.value();
}

} // namespace

TEST(glossary, reads_rows_bare_terms_quotes_comments_and_a_header) {
    auto g = parsed("term,lang,translation\n"
                    "# names first\n"
                    "Acme\n"
                    "\"Live Translate\"\n"
                    "keynote,es,ponencia principal\n"
                    "keynote,FR,conférence principale\n"
                    "\"Q&A, live\",es,\"preguntas, en directo\"\n"
                    "\n"
                    "Kubernetes,,\n");
    ASSERT_EQ(g.entries().size(), 6u);
    EXPECT_EQ(g.terms(),
              (std::vector<std::string>{"Acme", "Live Translate", "keynote", "Q&A, live", "Kubernetes"}));
    EXPECT_EQ(g.rendering("keynote", "es"), "ponencia principal");
    EXPECT_EQ(g.rendering("keynote", "fr"), "conférence principale"); // language codes in lower case
    EXPECT_EQ(g.rendering("keynote", "de"), "keynote");
    EXPECT_EQ(g.rendering("Acme", "es"), "Acme");
    EXPECT_EQ(g.rendering("Q&A, live", "es"), "preguntas, en directo");
    auto es = g.for_language("es");
    ASSERT_EQ(es.size(), 5u);
    EXPECT_EQ(es[2], (std::pair<std::string, std::string>{"keynote", "ponencia principal"}));
}

TEST(glossary, bad_files_are_errors_naming_the_file_and_line) {
    auto check = [](const std::string& csv, const std::string& why) {
        auto g = glossary::parse(csv, "event.csv");
        ASSERT_FALSE(g) << csv;
        EXPECT_NE(g.error_message().find(why), std::string::npos) << g.error_message();
    };
    check("Acme\nkeynote,es\n",
          "glossary event.csv line 2: expected term,lang,translation or a bare term, got 2 fields");
    check("a,b,c,d\n", "line 1: expected term,lang,translation or a bare term, got 4 fields");
    check("\"Acme\n", "line 1: a quote is not closed");
    check("keynote,spanish,ponencia\n", "line 1: 'spanish' is not a language code such as es or de");
    check(",es,x\n", "line 1: term, lang and translation must all be given");
    check("Dr. Okafor,phones,D AA K T ER OW K AH F ER\n", "line 1: phones are given for one word at a time");
    check("Okafor,phones,OW-K\n", "line 1: 'OW-K' is not a list of phones");
    auto missing = glossary::load("/nonexistent/event.csv");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error_message(),
              "cannot read the glossary /nonexistent/event.csv (--glossary, LT_GLOSSARY)");
}

TEST(glossary, phones_rows_give_pronunciations_and_keep_the_word_as_a_name) {
    auto g = glossary::parse("Okafor,phones,ow  k ah f er\nkeynote,es,ponencia\nAcme\nAcme,phones,AE K M IY\n", "g");
    ASSERT_TRUE(g) << g.error_message();
    EXPECT_EQ(g.value().phones(),
              (std::map<std::string, std::string>{{"Okafor", "OW K AH F ER"}, {"Acme", "AE K M IY"}}));
    EXPECT_EQ(g.value().terms(), (std::vector<std::string>{"Okafor", "keynote", "Acme"}));
    EXPECT_EQ(g.value().rendering("Okafor", "es"), "Okafor");
    EXPECT_EQ(g.value().entries().size(), 3u) << "no row for the phones themselves";
}

TEST(glossary, protects_whole_words_longest_first_and_restores_per_language) {
    auto g = parsed("Acme\nAcme Cloud\nkeynote,es,ponencia principal\n");
    auto p = g.protect("The Acme Cloud keynote by Acme, not Acmes or acme.", "es");
    EXPECT_EQ(p.text, "The ZXQ0 ZXQ1 by ZXQ2, not Acmes or acme.");
    EXPECT_EQ(p.fills, (std::vector<std::string>{"Acme Cloud", "ponencia principal", "Acme"}));
    auto back = glossary::restore("La ZXQ1 de ZXQ0 por ZXQ2, no Acmes.", p.fills);
    ASSERT_TRUE(back);
    EXPECT_EQ(back.value(), "La ponencia principal de Acme Cloud por Acme, no Acmes.");
    // An engine that dropped a term: an error, so a chain tries the next engine.
    auto lost = glossary::restore("La ZXQ1 de ZXQ0.", p.fills);
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error_message(), "the glossary term \"Acme\" was lost in translation");
    // Text that already holds the marker is left alone rather than mangled.
    EXPECT_TRUE(g.protect("ZXQ9 meets Acme", "es").fills.empty());
}

TEST(glossary, apertium_keeps_names_and_uses_the_glossary_translations) {
    const std::string caption = "Acme presents the keynote in Berlin.";
    auto plain = apertium_with("")->translate("en", "es", caption);
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain.value().find("Acme "), std::string::npos)
        << "Apertium alone changes the name: " << plain.value();

    auto t = apertium_with("Acme\nkeynote,es,ponencia principal\nkeynote,fr,conférence principale\n");
    auto es = t->translate("en", "es", caption);
    ASSERT_TRUE(es) << es.error_message();
    EXPECT_NE(es.value().find("Acme"), std::string::npos) << es.value();
    EXPECT_EQ(es.value().find("Acmé"), std::string::npos) << es.value();
    EXPECT_NE(es.value().find("ponencia principal"), std::string::npos) << es.value();
    EXPECT_EQ(es.value().find("ZXQ"), std::string::npos) << es.value();
    // French goes through Spanish in Apertium; the placeholders survive both steps.
    auto fr = t->translate("en", "fr", caption);
    ASSERT_TRUE(fr) << fr.error_message();
    EXPECT_NE(fr.value().find("Acme"), std::string::npos) << fr.value();
    EXPECT_NE(fr.value().find("conférence principale"), std::string::npos) << fr.value();
    EXPECT_EQ(t->name(), "apertium");
}
