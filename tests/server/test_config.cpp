#include "server/config.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using lt::core::env_source;
using lt::server::parse_server_config;

namespace {
std::optional<lt::server::server_config> parse(std::vector<const char*> args, const env_source& env,
                                               int& code) {
    args.insert(args.begin(), "lt-server");
    return parse_server_config(static_cast<int>(args.size()), args.data(), env, code);
}
} // namespace

TEST(server_config, defaults_match_the_reference) {
    int code = 0;
    auto c = parse({}, env_source({}, {}), code);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->host, "0.0.0.0");
    EXPECT_EQ(c->port, 5050);
    EXPECT_TRUE(c->api_key.empty());
    EXPECT_EQ(c->translator, "auto");
}

TEST(server_config, flags_beat_environment_beats_dotenv) {
    int code = 0;
    env_source env({{"LT_PORT", "6000"}, {"API_KEY", "from-env"}}, {{"LT_PORT", "7000"},
                                                                    {"LT_HOST", "127.0.0.1"},
                                                                    {"API_KEY", "from-file"},
                                                                    {"LT_PAGE_TITLE", "Conference"}});
    auto c = parse({}, env, code);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->port, 6000);
    EXPECT_EQ(c->host, "127.0.0.1");
    EXPECT_EQ(c->api_key, "from-env");
    EXPECT_EQ(c->page_title, "Conference");
    auto f = parse({"--port", "8000", "--host", "::1"}, env, code);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->port, 8000);
    EXPECT_EQ(f->host, "::1");
}

TEST(server_config, flask_names_are_aliases) {
    int code = 0;
    auto c = parse({}, env_source({{"FLASK_HOST", "127.0.0.2"}, {"FLASK_PORT", "5151"}}, {}), code);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->host, "127.0.0.2");
    EXPECT_EQ(c->port, 5151);
    // LT_ names win over the aliases.
    auto d = parse({}, env_source({{"FLASK_PORT", "5151"}, {"LT_PORT", "5252"}}, {}), code);
    EXPECT_EQ(d->port, 5252);
}

TEST(server_config, bad_values_are_clear_errors) {
    int code = 0;
    EXPECT_THROW(parse({}, env_source({{"LT_PORT", "fifty"}}, {}), code), std::invalid_argument);
    EXPECT_THROW(parse({}, env_source({{"LT_PORT", "70000"}}, {}), code), std::invalid_argument);
    EXPECT_THROW(parse({}, env_source({{"LT_REQUIRE_KEY", "perhaps"}}, {}), code), std::invalid_argument);
    // (Translator names are checked by make_translator, which knows every engine.)
    auto bad_flag = parse({"--port", "fifty"}, env_source({}, {}), code);
    EXPECT_FALSE(bad_flag);
    EXPECT_NE(code, 0);
    auto help = parse({"--help"}, env_source({}, {}), code);
    EXPECT_FALSE(help);
    EXPECT_EQ(code, 0);
}

TEST(server_config, machine_translation_engines_from_environment_dotenv_and_flags) {
    int code = 0;
    env_source env({{"LT_TRANSLATOR", "deepl"}, {"DEEPL_AUTH_KEY", "abc:fx"}},
                   {{"LIBRETRANSLATE_URL", "http://lt.local:5000"},
                    {"LIBRETRANSLATE_API_KEY", "lt-key"},
                    {"DEEPL_API_URL", "https://deepl.proxy.example"}});
    auto c = parse({}, env, code);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->translator, "deepl");
    EXPECT_EQ(c->deepl_auth_key, "abc:fx");
    EXPECT_EQ(c->deepl_api_url, "https://deepl.proxy.example");
    EXPECT_EQ(c->libretranslate_url, "http://lt.local:5000");
    EXPECT_EQ(c->libretranslate_api_key, "lt-key");
    auto f = parse({"--translator", "libretranslate", "--libretranslate-url", "http://127.0.0.1:5001",
                    "--deepl-auth-key", "flag-key", "--deepl-api-url", "http://127.0.0.1:9"},
                   env, code);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->translator, "libretranslate");
    EXPECT_EQ(f->libretranslate_url, "http://127.0.0.1:5001");
    EXPECT_EQ(f->deepl_auth_key, "flag-key");
    EXPECT_EQ(f->deepl_api_url, "http://127.0.0.1:9");
    // A misspelt engine ("deepL") is refused at start by make_translator (test_translators).
}

TEST(server_config, openai_translator_settings) {
    int code = 0;
    auto d = parse({}, env_source({}, {}), code);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->openai_base_url, "https://api.openai.com/v1");
    EXPECT_TRUE(d->openai_api_key.empty());
    EXPECT_TRUE(d->mt_model.empty());
    env_source env({{"LT_TRANSLATOR", "openai"},
                    {"OPENAI_BASE_URL", "http://localhost:11434/v1"},
                    {"OPENAI_API_KEY", "sk-test"},
                    {"LT_MT_MODEL", "llama3.1:8b"}},
                   {});
    auto c = parse({}, env, code);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->translator, "openai");
    EXPECT_EQ(c->openai_base_url, "http://localhost:11434/v1");
    EXPECT_EQ(c->openai_api_key, "sk-test");
    EXPECT_EQ(c->mt_model, "llama3.1:8b");
    auto f = parse({"--mt-model", "qwen2.5:7b", "--openai-url", "http://10.0.0.2:8080/v1"}, env, code);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->mt_model, "qwen2.5:7b");
    EXPECT_EQ(f->openai_base_url, "http://10.0.0.2:8080/v1");
}

TEST(server_config, on_demand_translation_settings) {
    int code = 0;
    auto d = parse({}, env_source({}, {}), code);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->on_demand_translation, "key") << "with a paid engine each request is billed";
    EXPECT_EQ(d->on_demand_per_client, 2u);
    EXPECT_EQ(d->on_demand_queue, 64u);
    auto e =
        parse({}, env_source({{"LT_ON_DEMAND_TRANSLATION", "off"}, {"LT_ON_DEMAND_QUEUE", "10"}}, {}), code);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->on_demand_translation, "off");
    EXPECT_EQ(e->on_demand_queue, 10u);
    auto f =
        parse({"--on-demand-translation", "any", "--on-demand-per-client", "5"}, env_source({}, {}), code);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->on_demand_translation, "any");
    EXPECT_EQ(f->on_demand_per_client, 5u);
    EXPECT_THROW(parse({}, env_source({{"LT_ON_DEMAND_TRANSLATION", "maybe"}}, {}), code),
                 std::invalid_argument);
    EXPECT_THROW(parse({}, env_source({{"LT_ON_DEMAND_PER_CLIENT", "0"}}, {}), code), std::invalid_argument);
    EXPECT_FALSE(parse({"--on-demand-translation", "maybe"}, env_source({}, {}), code));
    EXPECT_NE(code, 0);
}

TEST(server_config, hardening_settings) {
    int code = 0;
    auto d = parse({}, env_source({}, {}), code);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->room_idle_seconds, 60);
    EXPECT_EQ(d->new_rooms_per_minute, 30);
    EXPECT_EQ(d->header_timeout, 5);
    EXPECT_EQ(d->fd_reserve, 64u);
    EXPECT_TRUE(d->allowed_origins.empty()) << "any origin by default";
    auto c =
        parse({"--header-timeout", "2"},
              env_source({{"LT_ALLOWED_ORIGINS", " https://Captions.example.org/, http://localhost:8080"},
                          {"LT_ROOM_IDLE_SECONDS", "0.5"},
                          {"LT_NEW_ROOMS_PER_MINUTE", "0"}},
                         {}),
              code);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->allowed_origins,
              (std::vector<std::string>{"https://captions.example.org", "http://localhost:8080"}));
    EXPECT_EQ(c->room_idle_seconds, 0.5);
    EXPECT_EQ(c->new_rooms_per_minute, 0);
    EXPECT_EQ(c->header_timeout, 2);
    EXPECT_THROW(parse({}, env_source({{"LT_ALLOWED_ORIGINS", "example.org"}}, {}), code),
                 std::invalid_argument);
    EXPECT_THROW(parse({}, env_source({{"LT_ROOM_IDLE_SECONDS", "0"}}, {}), code), std::invalid_argument);
    EXPECT_THROW(parse({}, env_source({{"LT_HEADER_TIMEOUT", "-1"}}, {}), code), std::invalid_argument);
}

TEST(server_config, tls_certificate_and_key_go_together) {
    int code = 0;
    auto c =
        parse({}, env_source({{"LT_TLS_CERT", "/etc/cert.pem"}, {"LT_TLS_KEY", "/etc/key.pem"}}, {}), code);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->tls_cert, "/etc/cert.pem");
    EXPECT_EQ(c->tls_key, "/etc/key.pem");
    auto f = parse({"--tls-cert", "a.pem", "--tls-key", "b.pem"}, env_source({}, {}), code);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->tls_cert, "a.pem");
    EXPECT_THROW(parse({"--tls-cert", "a.pem"}, env_source({}, {}), code), std::invalid_argument);
    EXPECT_THROW(parse({}, env_source({{"LT_TLS_KEY", "b.pem"}}, {}), code), std::invalid_argument);
    // QR codes and room links of a TLS server are https.
    EXPECT_THROW(parse({"--tls-cert", "a.pem", "--tls-key", "b.pem", "--public-url", "http://example.org"},
                       env_source({}, {}), code),
                 std::invalid_argument);
    EXPECT_TRUE(parse({"--tls-cert", "a.pem", "--tls-key", "b.pem", "--public-url", "https://example.org"},
                      env_source({}, {}), code));
}
