// lt-server with --translator libretranslate and deepl against tools/fake_libretranslate.py and
// tools/fake_deepl.py: local stand-ins in the vendors' published request and answer shapes that
// check each request strictly (content type, fields, key). Not a running LibreTranslate, not
// DeepL. The backends' own background work (LibreTranslate's languages refresh) is tested on
// the library directly.
#include "harness.hpp"
#include "translate/libretranslate/libretranslate_translator.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace lt::test;

namespace {

const std::string key = "speaker-key";
const std::string lt_key = "lt-secret";
const std::string deepl_key = "0123abcd-fake:fx";

using fake_mt = fake_service;

int calls(const fake_mt& f) { return f.stats()["translate_calls"].get<int>(); }

json new_text(const std::string& text, const std::string& id) {
    return {
        {"type", "new_text"},
        {"data", {{"text", text}, {"timestamp", "12:00:00"}, {"id", id}, {"lang", "en"}, {"api_key", key}}}};
}

void publish(unsigned short port, const std::string& text, const std::string& id) {
    ws_client speaker(port);
    speaker.receive_type("connection_status");
    speaker.send(new_text(text, id));
    ASSERT_TRUE(speaker.receive_type("text_ack", 10s)) << "no ack for " << id;
}

json health(unsigned short port) { return json::parse(http_get(port, "/health").body); }

// Waits until /health says the backend is (or is not) available, with a state to match.
bool wait_health(unsigned short port, bool available, const std::string& state_part = "",
                 std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto h = health(port);
        if (h["aws_translate"] == available &&
            h["translator"]["state"].get<std::string>().find(state_part) != std::string::npos)
            return true;
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

std::map<std::string, std::string> lt_env(const fake_mt& f, const std::string& api_key = lt_key) {
    return {{"API_KEY", key}, {"LIBRETRANSLATE_URL", f.url()}, {"LIBRETRANSLATE_API_KEY", api_key}};
}

std::map<std::string, std::string> deepl_env(const fake_mt& f, const std::string& auth = deepl_key) {
    return {{"API_KEY", key}, {"DEEPL_API_URL", f.url()}, {"DEEPL_AUTH_KEY", auth}};
}

std::string error_of(const json& frame) { return frame["data"].value("error", ""); }

// Runs lt-server to its exit; returns the exit status and its stderr.
std::pair<int, std::string> run_to_exit(std::vector<std::string> args,
                                        std::map<std::string, std::string> env) {
    std::vector<std::string> argv{"--host", "127.0.0.1", "--port", std::to_string(free_port())};
    argv.insert(argv.end(), args.begin(), args.end());
    child_process p("apps/lt-server/lt-server", argv, env);
    int status = p.wait(15s);
    return {status, p.err()};
}

} // namespace

TEST(libretranslate, captions_reach_viewers_in_three_languages_once_per_language) {
    fake_mt lt("fake_libretranslate.py", {"--key", lt_key});
    server_process server({"--translator", "libretranslate"}, lt_env(lt));
    ASSERT_TRUE(wait_health(server.port(), true, "ok")) << server.log();
    auto status = std::make_unique<ws_client>(server.port())->receive_type("connection_status");
    ASSERT_TRUE(status);
    EXPECT_EQ((*status)["data"]["translator"], "libretranslate");
    EXPECT_EQ((*status)["data"]["aws_available"], true);
    EXPECT_EQ((*status)["data"]["languages"], json({"de", "es", "fr", "it", "ja", "nl", "pt", "zh"}))
        << "the fake's languages in our codes: zh-Hans as zh, zh-Hant and uk left out";

    auto es = viewer(server.port(), "es");
    auto de = viewer(server.port(), "de");
    auto zh = viewer(server.port(), "zh");
    auto de2 = viewer(server.port(), "de");
    int before = calls(lt);
    lt.configure({{"delay_ms", 500}}); // the three calls overlap when they run in parallel
    publish(server.port(), "Good morning, everyone.", "c1");
    std::vector<std::pair<ws_client*, std::string>> want{{es.get(), "[es] Buenos días, todos."},
                                                         {de.get(), "[de] Guten Morgen, alle."},
                                                         {zh.get(), "[zh-Hans] 早 上好, 大家."},
                                                         {de2.get(), "[de] Guten Morgen, alle."}};
    for (const auto& [v, text] : want) {
        auto got = v->receive_type("translated_text", 10s);
        ASSERT_TRUE(got) << text;
        EXPECT_EQ((*got)["data"]["text"], text);
        EXPECT_EQ((*got)["data"]["original"], "Good morning, everyone.");
        EXPECT_FALSE((*got)["data"].contains("error")) << got->dump();
    }
    auto st = lt.stats();
    EXPECT_EQ(st["translate_calls"].get<int>() - before, 3) << "two German viewers, one call";
    EXPECT_EQ(st["max_concurrent"], 3) << "the languages of a caption are asked in parallel";
    EXPECT_EQ(st["rejected"], 0) << st.dump();
    for (const auto& entry : st["log"]) {
        EXPECT_EQ(entry["api_key"], lt_key);
        EXPECT_EQ(entry["format"], "text");
    }
}

TEST(libretranslate, a_language_the_server_lacks_goes_out_untranslated_with_the_reason) {
    fake_mt lt("fake_libretranslate.py", {"--key", lt_key, "--languages", "en,es"});
    server_process server({"--translator", "libretranslate"}, lt_env(lt));
    ASSERT_TRUE(wait_health(server.port(), true, "ok")) << server.log();
    auto es = viewer(server.port(), "es");
    auto ko = viewer(server.port(), "ko");
    int before = calls(lt);
    publish(server.port(), "Welcome.", "c1");
    auto got_es = es->receive_type("translated_text", 10s);
    ASSERT_TRUE(got_es);
    EXPECT_EQ((*got_es)["data"]["text"], "[es] Bienvenidos.");
    auto got_ko = ko->receive_type("translated_text", 10s);
    ASSERT_TRUE(got_ko);
    EXPECT_EQ((*got_ko)["data"]["text"], "Welcome.");
    EXPECT_EQ(error_of(*got_ko), "no translation from en to ko on this server (libretranslate)");
    EXPECT_EQ(calls(lt) - before, 1) << "Korean is never asked for";
}

TEST(libretranslate, a_wrong_key_is_a_clear_error_in_health_and_on_captions) {
    fake_mt lt("fake_libretranslate.py", {"--key", lt_key});
    server_process server({"--translator", "libretranslate"}, lt_env(lt, "not-the-key"));
    ASSERT_TRUE(wait_health(server.port(), false, "Invalid API key")) << health(server.port()).dump();
    auto state = health(server.port())["translator"]["state"].get<std::string>();
    EXPECT_EQ(state,
              "LibreTranslate: access denied (HTTP 403: Invalid API key); check LIBRETRANSLATE_API_KEY");
    auto es = viewer(server.port(), "es");
    publish(server.port(), "Hello there.", "c1");
    auto got = es->receive_type("translated_text", 10s);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "Hello there.");
    EXPECT_NE(error_of(*got).find("HTTP 403"), std::string::npos) << got->dump();
    EXPECT_EQ(health(server.port())["status"], "healthy");
}

TEST(libretranslate, rate_limited_calls_back_off_then_pause_then_recover) {
    fake_mt lt("fake_libretranslate.py", {"--key", lt_key});
    server_process server({"--translator", "libretranslate"}, lt_env(lt));
    ASSERT_TRUE(wait_health(server.port(), true, "ok")) << server.log();
    auto fr = viewer(server.port(), "fr");
    lt.configure({{"rate_limit_next", 3}});
    publish(server.port(), "Thanks", "c1");
    auto got = fr->receive_type("translated_text", 20s);
    auto paused_since = std::chrono::steady_clock::now(); // the 5 s pause began before this
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "Thanks");
    EXPECT_NE(error_of(*got).find("LibreTranslate: rate limited (HTTP 429: Slowdown:"), std::string::npos)
        << got->dump();
    EXPECT_EQ(lt.stats()["rate_limited"], 3) << "three attempts with back-off";
    EXPECT_EQ(health(server.port())["aws_translate"], true) << "a rate limit is not an outage";

    // Within the pause: no request at all, the reason stays visible.
    int before = lt.stats()["requests"].get<int>();
    publish(server.port(), "Please", "c2");
    auto paused = fr->receive_type("translated_text", 10s);
    ASSERT_TRUE(paused);
    EXPECT_NE(error_of(*paused).find("not asking again for"), std::string::npos) << paused->dump();
    EXPECT_EQ(lt.stats()["requests"].get<int>(), before);

    std::this_thread::sleep_until(paused_since + 5200ms);
    publish(server.port(), "Welcome", "c3");
    auto back = fr->receive_type("translated_text", 10s);
    ASSERT_TRUE(back);
    EXPECT_EQ((*back)["data"]["text"], "[fr] Bienvenue");
}

TEST(libretranslate, languages_are_read_again_in_the_background) {
    fake_mt lt("fake_libretranslate.py", {"--languages", "en,es"});
    lt::translate::libretranslate::libretranslate_options o;
    o.url = lt.url();
    o.refresh = 300ms;
    o.probe = false;
    auto made = lt::translate::libretranslate::make_libretranslate_translator(o);
    ASSERT_TRUE(made) << made.error_message();
    auto& t = *made.value();
    EXPECT_EQ(t.targets("en"), std::vector<std::string>{"es"});
    EXPECT_FALSE(t.available()) << "no call yet";
    lt.configure({{"languages", {"en", "es", "fr"}}});
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (t.targets("en").size() < 2 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    EXPECT_EQ(t.targets("en"), (std::vector<std::string>{"es", "fr"}));
    EXPECT_GE(lt.stats()["languages_calls"].get<int>(), 2);
    auto r = t.translate("en", "fr", "Thanks");
    ASSERT_TRUE(r) << r.error_message();
    EXPECT_EQ(r.value(), "[fr] Merci");
    EXPECT_TRUE(t.available());
}

TEST(libretranslate, a_server_down_at_start_is_found_later) {
    fake_mt lt("fake_libretranslate.py", {"--languages", "en,de"});
    lt.configure({{"down", true}});
    lt::translate::libretranslate::libretranslate_options o;
    o.url = lt.url();
    o.retry = 300ms;
    o.client.max_attempts = 1;
    auto made = lt::translate::libretranslate::make_libretranslate_translator(o);
    ASSERT_TRUE(made) << made.error_message();
    auto& t = *made.value();
    EXPECT_EQ(t.targets("en").size(), 15u) << "unknown yet: every page language is offered";
    EXPECT_NE(t.state().find("LibreTranslate: languages unknown"), std::string::npos) << t.state();
    EXPECT_FALSE(t.available());
    lt.configure({{"down", false}});
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!t.available() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(t.available()) << "the probe after the languages: " << t.state();
    EXPECT_EQ(t.targets("en"), std::vector<std::string>{"de"});
    EXPECT_EQ(t.state(), "ok");
}

TEST(libretranslate, a_missing_url_stops_the_server_at_start) {
    auto [status, err] = run_to_exit({"--translator", "libretranslate"}, {{"API_KEY", key}});
    EXPECT_EQ(status, 1);
    EXPECT_NE(err.find("LibreTranslate needs its URL: set LIBRETRANSLATE_URL"), std::string::npos) << err;
}

TEST(deepl, captions_reach_viewers_in_three_languages_with_deepls_codes) {
    fake_mt dl("fake_deepl.py", {"--key", deepl_key});
    server_process server({"--translator", "deepl"}, deepl_env(dl));
    ASSERT_TRUE(wait_health(server.port(), true, "ok")) << server.log();
    auto status = std::make_unique<ws_client>(server.port())->receive_type("connection_status");
    ASSERT_TRUE(status);
    EXPECT_EQ((*status)["data"]["translator"], "deepl");
    EXPECT_EQ((*status)["data"]["aws_available"], true) << "the key was proven by /v2/languages";

    auto es = viewer(server.port(), "es");
    auto pt = viewer(server.port(), "pt");
    auto zh = viewer(server.port(), "zh");
    auto pt2 = viewer(server.port(), "pt");
    dl.configure({{"delay_ms", 500}});
    publish(server.port(), "Good morning, everyone.", "c1");
    std::vector<std::pair<ws_client*, std::string>> want{{es.get(), "[ES] Buenos días, todos."},
                                                         {pt.get(), "[PT-BR] Bom dia, todos."},
                                                         {zh.get(), "[ZH-HANS] 早 上好, 大家."},
                                                         {pt2.get(), "[PT-BR] Bom dia, todos."}};
    for (const auto& [v, text] : want) {
        auto got = v->receive_type("translated_text", 10s);
        ASSERT_TRUE(got) << text;
        EXPECT_EQ((*got)["data"]["text"], text);
        EXPECT_FALSE((*got)["data"].contains("error")) << got->dump();
    }
    auto st = dl.stats();
    EXPECT_EQ(st["by_target"], json({{"ES", 1}, {"PT-BR", 1}, {"ZH-HANS", 1}}));
    EXPECT_EQ(st["max_concurrent"], 3) << "the languages of a caption are asked in parallel";
    EXPECT_EQ(st["rejected"], 0) << st.dump();
    for (const auto& entry : st["log"]) {
        EXPECT_EQ(entry["source_lang"], "EN");
        EXPECT_EQ(entry["keys"], json({"source_lang", "target_lang", "text"}));
    }
}

TEST(deepl, targets_follow_deepls_list_and_an_unlisted_language_goes_out_untranslated) {
    fake_mt dl("fake_deepl.py", {"--key", deepl_key});
    dl.configure({{"target_languages", {"DE", "EN-GB", "HI"}}});
    server_process server({"--translator", "deepl"}, deepl_env(dl));
    ASSERT_TRUE(wait_health(server.port(), true, "ok")) << server.log();
    EXPECT_EQ(health(server.port())["translator"]["languages"], json({"de", "hi"}));
    auto hi = viewer(server.port(), "hi");
    auto fr = viewer(server.port(), "fr");
    publish(server.port(), "Thanks", "c1");
    auto got_hi = hi->receive_type("translated_text", 10s);
    ASSERT_TRUE(got_hi);
    EXPECT_EQ((*got_hi)["data"]["text"], "[HI] Thanks");
    auto got_fr = fr->receive_type("translated_text", 10s);
    ASSERT_TRUE(got_fr);
    EXPECT_EQ((*got_fr)["data"]["text"], "Thanks");
    EXPECT_EQ(error_of(*got_fr), "no translation from en to fr on this server (deepl)");
    EXPECT_EQ(dl.stats()["by_target"], json({{"HI", 1}}));
}

TEST(deepl, a_wrong_key_is_a_clear_error_at_start_in_health_and_on_captions) {
    fake_mt dl("fake_deepl.py", {"--key", deepl_key});
    server_process server({"--translator", "deepl"}, deepl_env(dl, "wrong-key:fx"));
    ASSERT_TRUE(wait_health(server.port(), false, "HTTP 403")) << health(server.port()).dump();
    auto state = health(server.port())["translator"]["state"].get<std::string>();
    EXPECT_EQ(state.rfind("DeepL: authorization failed (HTTP 403: Authorization failure, check auth_key); "
                          "check DEEPL_AUTH_KEY",
                          0),
              0u)
        << state;
    EXPECT_NE(server.log().find("DeepL: authorization failed"), std::string::npos) << "logged at start";
    auto de = viewer(server.port(), "de");
    publish(server.port(), "Hello there.", "c1");
    auto got = de->receive_type("translated_text", 10s);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "Hello there.");
    EXPECT_NE(error_of(*got).find("DeepL: authorization failed (HTTP 403"), std::string::npos) << got->dump();
}

TEST(deepl, an_exhausted_quota_is_456_once_and_marks_deepl_unavailable) {
    fake_mt dl("fake_deepl.py", {"--key", deepl_key});
    server_process server({"--translator", "deepl"}, deepl_env(dl));
    ASSERT_TRUE(wait_health(server.port(), true, "ok")) << server.log();
    auto de = viewer(server.port(), "de");
    dl.configure({{"quota", 3}});
    int before = dl.stats()["requests"].get<int>();
    publish(server.port(), "Hello there.", "c1");
    auto got = de->receive_type("translated_text", 10s);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "Hello there.");
    EXPECT_NE(error_of(*got).find("DeepL: quota exceeded (HTTP 456: Quota Exceeded)"), std::string::npos)
        << got->dump();
    EXPECT_EQ(dl.stats()["requests"].get<int>() - before, 1) << "456 is not retried";
    auto h = health(server.port());
    EXPECT_EQ(h["aws_translate"], false);
    EXPECT_NE(h["translator"]["state"].get<std::string>().find("quota exceeded"), std::string::npos);

    dl.configure({{"quota", nullptr}});
    publish(server.port(), "Thanks", "c2");
    auto back = de->receive_type("translated_text", 10s);
    ASSERT_TRUE(back);
    EXPECT_EQ((*back)["data"]["text"], "[DE] Danke");
    EXPECT_TRUE(wait_health(server.port(), true, "ok"));
}

TEST(deepl, too_many_requests_back_off_then_pause_then_recover) {
    fake_mt dl("fake_deepl.py", {"--key", deepl_key});
    server_process server({"--translator", "deepl"}, deepl_env(dl));
    ASSERT_TRUE(wait_health(server.port(), true, "ok")) << server.log();
    auto ja = viewer(server.port(), "ja");
    dl.configure({{"rate_limit_next", 3}});
    publish(server.port(), "Welcome", "c1");
    auto got = ja->receive_type("translated_text", 20s);
    auto paused_since = std::chrono::steady_clock::now(); // the 5 s pause began before this
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "Welcome");
    EXPECT_NE(error_of(*got).find("DeepL: too many requests (HTTP 429"), std::string::npos) << got->dump();
    EXPECT_EQ(dl.stats()["rate_limited"], 3);
    int before = dl.stats()["requests"].get<int>();
    publish(server.port(), "Thanks", "c2");
    auto paused = ja->receive_type("translated_text", 10s);
    ASSERT_TRUE(paused);
    EXPECT_NE(error_of(*paused).find("not asking again for"), std::string::npos) << paused->dump();
    EXPECT_EQ(dl.stats()["requests"].get<int>(), before);
    std::this_thread::sleep_until(paused_since + 5200ms);
    publish(server.port(), "Hello", "c3");
    auto back = ja->receive_type("translated_text", 10s);
    ASSERT_TRUE(back);
    EXPECT_EQ((*back)["data"]["text"], "[JA] こんにちは");
}

// --glossary with DeepL: a language pair DeepL has glossaries for gets one (made on its first
// caption, found again by name after a restart, made anew when it was deleted); a pair without
// keeps the terms by placeholders. The stand-in's glossary pairs are DeepL's v2 list (no tr).
TEST(deepl, the_glossary_becomes_deepl_glossaries_and_placeholders_where_deepl_has_none) {
    fake_mt dl("fake_deepl.py", {"--key", deepl_key});
    const std::string file = "/tmp/lt-deepl-glossary-" + std::to_string(::getpid()) + ".csv";
    std::ofstream(file) << "keynote,es,ponencia principal\nAcme\n";
    auto run = [&](const std::string& text, const std::string& id) {
        server_process server({"--translator", "deepl", "--glossary", file}, deepl_env(dl));
        auto es = viewer(server.port(), "es");
        auto tr = viewer(server.port(), "tr");
        publish(server.port(), text, id);
        auto got_es = es->receive_type("translated_text", 10s);
        auto got_tr = tr->receive_type("translated_text", 10s);
        EXPECT_TRUE(got_es && got_tr) << server.log();
        return std::pair{got_es ? (*got_es)["data"]["text"].get<std::string>() : "",
                         got_tr ? (*got_tr)["data"]["text"].get<std::string>() : ""};
    };
    auto [es, tr] = run("Welcome to the Acme keynote.", "g1");
    EXPECT_EQ(es, "[ES] Bienvenidos to el Acme ponencia principal.");
    EXPECT_EQ(tr, "[TR] Welcome to the Acme keynote.");
    auto st = dl.stats();
    EXPECT_EQ(st["glossaries_created"], 1) << "es only: tr has no DeepL glossary";
    for (const auto& entry : st["log"]) {
        if (entry["target_lang"] == "ES") {
            EXPECT_TRUE(entry["glossary_id"].is_string()) << entry.dump();
            EXPECT_EQ(entry["text"][0], "Welcome to the Acme keynote.") << "DeepL applies the terms itself";
        } else {
            EXPECT_TRUE(entry["glossary_id"].is_null()) << entry.dump();
            EXPECT_EQ(entry["text"][0].get<std::string>().find("Acme"), std::string::npos)
                << "tr gets the terms as placeholders: " << entry.dump();
        }
    }

    // A restart with the same file finds the glossary by name.
    std::tie(es, tr) = run("The keynote is over.", "g2");
    EXPECT_EQ(es, "[ES] El ponencia principal is over.");
    EXPECT_EQ(dl.stats()["glossaries_created"], 1);

    // Deleted behind our back: that caption keeps the terms by placeholders, the next makes it anew.
    {
        server_process server({"--translator", "deepl", "--glossary", file}, deepl_env(dl));
        auto v = viewer(server.port(), "es");
        auto next = [&](const std::string& id) {
            publish(server.port(), "Acme keynote " + id + ".", id); // not from the cache
            auto got = v->receive_type("translated_text", 10s);
            return got ? (*got)["data"]["text"].get<std::string>() : "(none)";
        };
        EXPECT_EQ(next("g3"), "[ES] Acme ponencia principal g3.");
        EXPECT_EQ(dl.stats()["glossaries_created"], 1) << "found by name";
        dl.configure({{"drop_glossaries", true}});
        EXPECT_EQ(next("g4"), "[ES] Acme ponencia principal g4.") << server.log();
        EXPECT_EQ(dl.stats()["log"].back()["glossary_id"], nullptr) << "by placeholders after the 404";
        EXPECT_EQ(next("g5"), "[ES] Acme ponencia principal g5.");
        EXPECT_EQ(dl.stats()["glossaries_created"], 2);
        EXPECT_TRUE(dl.stats()["log"].back()["glossary_id"].is_string());
    }
    std::remove(file.c_str());
}

TEST(deepl, a_missing_key_stops_the_server_at_start) {
    auto [status, err] = run_to_exit({"--translator", "deepl"}, {{"API_KEY", key}});
    EXPECT_EQ(status, 1);
    EXPECT_NE(err.find("DeepL needs an API key: set DEEPL_AUTH_KEY"), std::string::npos) << err;
}
