// The openai translator's request and answer without a network: the system prompt (target
// language in words, glossary rows, the two earlier captions), the JSON body, reading a chat
// completion and its errors, and cleaning an answer into the translation alone (each wrapper
// tools/fake_openai.py can produce, and shapes real models give).
#include "translate/openai/chat.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace lt::translate::openai;
using json = nlohmann::json;

namespace {

std::string cleaned(std::string_view answer, std::string_view source = "Hello.",
                    std::string_view target = "es") {
    auto r = clean_answer(answer, source, target);
    return r ? r.value() : "ERROR: " + r.error_message();
}

} // namespace

TEST(openai_clean, the_wrappers_the_fake_produces) {
    EXPECT_EQ(cleaned("[es] Hola."), "[es] Hola.");
    EXPECT_EQ(cleaned("\"[es] Hola.\""), "[es] Hola.");
    EXPECT_EQ(cleaned("\u201c[es] Hola.\u201d"), "[es] Hola.");
    EXPECT_EQ(cleaned("Translation: [es] Hola."), "[es] Hola.");
    EXPECT_EQ(cleaned("[es] Hola.\n\nNote: I kept the tone informal, as the original is spoken."),
              "[es] Hola.");
    EXPECT_EQ(cleaned(""), "ERROR: the model answered with an empty translation");
    auto long_one = clean_answer("[es] Hola. [es] Hola. [es] Hola. [es] Hola. [es] Hola.", "Hello.", "es");
    ASSERT_FALSE(long_one);
    EXPECT_EQ(long_one.error_message(),
              "the model's answer is 54 characters for a caption of 6 (more than 3x): commentary, not a "
              "translation alone");
}

TEST(openai_clean, shapes_real_models_give) {
    EXPECT_EQ(cleaned("\"Hola.\""), "Hola.");
    EXPECT_EQ(cleaned("\u201cHola.\u201d"), "Hola.");
    EXPECT_EQ(cleaned("Translation: Hola."), "Hola.");
    EXPECT_EQ(cleaned("Hola.\n\nNote: \"Hello\" is informal here, so I used \"Hola\"."), "Hola.");
    EXPECT_EQ(cleaned("  Hola.  \n"), "Hola.");
    EXPECT_EQ(cleaned("Here is the translation:\n\nHola."), "Hola.");
    EXPECT_EQ(cleaned("Sure! Here's the Spanish translation: \"Hola.\""), "Hola.");
    EXPECT_EQ(cleaned("Spanish: Hola."), "Hola.");
    EXPECT_EQ(cleaned("Spanish translation:\nHola."), "Hola.");
    EXPECT_EQ(cleaned("\"Translation: Hola.\""), "Hola.");
    EXPECT_EQ(cleaned("Hola.\nNote: informal register."), "Hola.");
    EXPECT_EQ(cleaned("Hola.\n(Note: informal register.)"), "Hola.");
    EXPECT_EQ(cleaned("\u00abBonjour.\u00bb", "Hello.", "fr"), "Bonjour.");
    EXPECT_EQ(cleaned("\u201eHallo.\u201c", "Hello.", "de"), "Hallo.");
    EXPECT_EQ(cleaned("\u300c\u3053\u3093\u306b\u3061\u306f\u3002\u300d", "Hello.", "ja"),
              "\u3053\u3093\u306b\u3061\u306f\u3002");
    EXPECT_EQ(cleaned("\u7ffb\u8bd1\uff1a\u4f60\u597d\u3002", "Hello.", "zh"), "\u4f60\u597d\u3002")
        << "翻译：你好。 has no Latin label; its full-width colon still ends the label";
    EXPECT_EQ(cleaned("'Hola.'"), "Hola.");
    EXPECT_EQ(cleaned("**Translation:** Hola."), "Hola.");
    EXPECT_EQ(cleaned("<think>\nThe user wants Spanish. \"Hello\" is \"Hola\".\n</think>\n\nHola."), "Hola.");
    EXPECT_EQ(cleaned("<think>\nThe user wants Spanish, so"),
              "ERROR: the model answered with an empty translation");
}

TEST(openai_clean, what_belongs_to_the_caption_stays) {
    // A quotation inside, not a wrapper.
    EXPECT_EQ(cleaned("\"S\u00ed\", dijo, \"no\".", "\"Yes\", he said, \"no\"."),
              "\"S\u00ed\", dijo, \"no\".");
    EXPECT_EQ(cleaned("\"S\u00ed\", dijo \u00e9l, \"claro\".", "Yes, he said, of course."),
              "\"S\u00ed\", dijo \u00e9l, \"claro\".");
    // The caption itself is quoted: so is its translation.
    EXPECT_EQ(cleaned("\"Hola.\"", "\"Hello.\""), "\"Hola.\"");
    // The caption has a label of its own.
    EXPECT_EQ(cleaned("Agenda: la conferencia principal a las diez.", "Agenda: the keynote at ten."),
              "Agenda: la conferencia principal a las diez.");
    EXPECT_EQ(cleaned("Traducci\u00f3n: un arte dif\u00edcil.", "Translation: a hard art."),
              "Traducci\u00f3n: un arte dif\u00edcil.");
    // A colon in the caption does not keep a label on the answer.
    EXPECT_EQ(cleaned("Translation: A las 10:30.", "At 10:30."), "A las 10:30.");
    // A colon later in the sentence is not a label.
    EXPECT_EQ(cleaned("Tres cosas: pan, vino y queso.", "Three things: bread, wine and cheese."),
              "Tres cosas: pan, vino y queso.");
    EXPECT_EQ(cleaned("La traducci\u00f3n es dif\u00edcil.", "Translation is hard."),
              "La traducci\u00f3n es dif\u00edcil.");
    // Two lines without a blank line between them are both translation.
    EXPECT_EQ(cleaned("Primera l\u00ednea.\nSegunda l\u00ednea.", "First line. Second line."),
              "Primera l\u00ednea.\nSegunda l\u00ednea.");
}

TEST(openai_clean, lengths_count_letters_not_bytes) {
    EXPECT_EQ(text_length("\u0928\u092e\u0938\u094d\u0924\u0947"), 6u); // नमस्ते: 18 bytes
    EXPECT_EQ(cleaned("\u0928\u092e\u0938\u094d\u0924\u0947", "Hello", "hi"),
              "\u0928\u092e\u0938\u094d\u0924\u0947");
    // Short captions may grow to 20: "OK." -> "D'accord." is fine.
    EXPECT_EQ(cleaned("D'accord.", "OK.", "fr"), "D'accord.");
    std::string source = "Hello everyone and welcome."; // 27
    EXPECT_TRUE(clean_answer(std::string(81, 'a'), source, "es"));
    EXPECT_FALSE(clean_answer(std::string(82, 'a'), source, "es"));
}

TEST(openai_prompt, names_the_languages_in_words) {
    EXPECT_EQ(language_name("es"), "Spanish");
    EXPECT_EQ(language_name("zh"), "Chinese");
    EXPECT_EQ(language_name("xx"), "xx");
    chat_prompt p{"en", "ja", "Good morning.", {}, {}};
    auto s = system_prompt(p);
    EXPECT_NE(s.find("from English into Japanese."), std::string::npos) << s;
    EXPECT_NE(s.find("Reply with the Japanese translation of the user's message and nothing else"),
              std::string::npos)
        << s;
    EXPECT_EQ(s.find("Glossary"), std::string::npos) << s;
    EXPECT_EQ(s.find("context"), std::string::npos) << s;
}

TEST(openai_prompt, glossary_rows_for_the_target_that_occur_in_the_caption) {
    std::vector<glossary_term> g{{"keynote", "es", "conferencia principal"},
                                 {"keynote", "de", "Grundsatzrede"},
                                 {"Kubernetes", "", ""},
                                 {"ACME", "", ""},
                                 {"breakout", "es", "sesi\u00f3n paralela"},
                                 {"Lisboa", "es", ""}};
    chat_prompt p{"en", "es", "The Keynote on kubernetes starts in Lisboa.", {}, g};
    auto s = system_prompt(p);
    EXPECT_NE(
        s.find("Glossary: translate these terms as given:\n- \"keynote\" -> \"conferencia principal\"\n"),
        std::string::npos)
        << s;
    EXPECT_NE(s.find("Keep these names as they are: Kubernetes, Lisboa.\n"), std::string::npos) << s;
    EXPECT_EQ(s.find("Grundsatzrede"), std::string::npos) << "another language's row";
    EXPECT_EQ(s.find("breakout"), std::string::npos) << "not in the caption";
    EXPECT_EQ(s.find("ACME"), std::string::npos) << "not in the caption";
}

TEST(openai_prompt, the_two_earlier_captions_as_context) {
    chat_prompt p{
        "en", "de", "She starts at ten.", {"Our next speaker is Dr. Okafor.", "She\nworks on vaccines."}, {}};
    auto s = system_prompt(p);
    EXPECT_NE(s.find("The captions just before, for context only (do not translate them):\n"
                     "1. Our next speaker is Dr. Okafor.\n2. She works on vaccines.\n"),
              std::string::npos)
        << s;
    auto body = json::parse(request_body("llama3.1:8b", p));
    EXPECT_EQ(body["model"], "llama3.1:8b");
    EXPECT_EQ(body["temperature"], 0);
    EXPECT_EQ(body["stream"], false);
    EXPECT_EQ(body["max_tokens"], 8 * 18 + 200);
    ASSERT_EQ(body["messages"].size(), 2u);
    EXPECT_EQ(body["messages"][0]["role"], "system");
    EXPECT_EQ(body["messages"][0]["content"], s);
    EXPECT_EQ(body["messages"][1], (json{{"role", "user"}, {"content", "She starts at ten."}}));
    // Invalid UTF-8 in a caption does not throw.
    p.text = "bad \xff byte";
    EXPECT_NO_THROW(json::parse(request_body("m", p)));
}

TEST(openai_answer, content_of_a_chat_completion) {
    json ok{{"id", "chatcmpl-1"},
            {"object", "chat.completion"},
            {"choices",
             {{{"index", 0},
               {"message", {{"role", "assistant"}, {"content", "Hola."}}},
               {"finish_reason", "stop"}}}}};
    auto r = answer_content(ok.dump());
    ASSERT_TRUE(r) << r.error_message();
    EXPECT_EQ(r.value(), "Hola.");
    auto cut = ok;
    cut["choices"][0]["finish_reason"] = "length";
    EXPECT_NE(answer_content(cut.dump()).error_message().find("token limit"), std::string::npos);
    auto refused = ok;
    refused["choices"][0]["message"]["content"] = nullptr;
    refused["choices"][0]["message"]["refusal"] = "I can't help with that.";
    EXPECT_EQ(answer_content(refused.dump()).error_message(), "the model refused: I can't help with that.");
    auto empty = ok;
    empty["choices"][0]["message"]["content"] = nullptr;
    EXPECT_EQ(answer_content(empty.dump()).error_message(),
              "the answer has no text (choices[0].message.content)");
    EXPECT_EQ(answer_content("{\"choices\": []}").error_message(),
              "the answer is not a chat completion (no choices[0].message)");
    EXPECT_FALSE(answer_content("<html>proxy</html>"));
}

TEST(openai_answer, error_details_of_several_servers) {
    EXPECT_EQ(error_detail(401, R"({"error": {"message": "Incorrect API key provided.", "type":
        "invalid_request_error", "param": null, "code": "invalid_api_key"}})"),
              "HTTP 401: Incorrect API key provided. (invalid_api_key)");
    EXPECT_EQ(
        error_detail(404, R"({"error": {"message": "model \"llama3.1:8b\" not found, try pulling it first",
        "type": "api_error", "param": null, "code": null}})"),
        "HTTP 404: model \"llama3.1:8b\" not found, try pulling it first");
    EXPECT_EQ(error_detail(500, R"({"error": "out of memory"})"), "HTTP 500: out of memory");
    EXPECT_EQ(error_detail(400, R"({"object": "error", "message": "max_tokens too large", "code": 400})"),
              "HTTP 400: max_tokens too large");
    EXPECT_EQ(error_detail(502, "Bad Gateway\n"), "HTTP 502: Bad Gateway");
    EXPECT_EQ(error_detail(503, ""), "HTTP 503");
}
