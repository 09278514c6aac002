// lt-server: parse settings, build the translator and the server, run until a signal.
#include "core/languages.hpp"
#include "server/config.hpp"
#include "server/server.hpp"
#include "translate/apertium/apertium_translator.hpp"
#include "translate/make_translator.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

namespace {

std::string default_web_root() {
    for (const char* candidate : {"web", LT_INSTALL_WEB_ROOT, LT_SOURCE_WEB_ROOT})
        if (std::filesystem::is_regular_file(std::filesystem::path(candidate) / "index.html"))
            return candidate;
    return "web";
}

lt::translate::translator_options translator_options(const lt::server::server_config& c) {
    lt::translate::translator_options o;
    o.name = c.translator;
    o.apertium_modes = c.apertium_modes;
    o.aws_auto_source = c.aws_source == "auto";
    o.aws_terminology = c.aws_terminology;
    o.openai_base_url = c.openai_base_url;
    o.openai_api_key = c.openai_api_key;
    o.mt_model = c.mt_model;
    o.libretranslate_url = c.libretranslate_url;
    o.libretranslate_api_key = c.libretranslate_api_key;
    o.deepl_auth_key = c.deepl_auth_key;
    o.deepl_api_url = c.deepl_api_url;
    o.http_timeout = std::chrono::milliseconds(static_cast<long>(c.mt_timeout * 1000));
    o.http_ca_file = c.mt_ca_file;
    if (!c.glossary.empty()) {
        auto g = lt::translate::glossary::load(c.glossary);
        if (!g)
            throw std::runtime_error(g.error_message());
        spdlog::info("glossary {}: {} terms", c.glossary, g.value().terms().size());
        o.glossary = std::make_shared<const lt::translate::glossary>(std::move(g.value()));
    }
    return o;
}

} // namespace

int main(int argc, char** argv) {
    try {
        auto env = lt::core::env_source::from_process(".env");
        int exit_code = 0;
        auto config = lt::server::parse_server_config(argc, argv, env, exit_code);
        if (!config)
            return exit_code;
        spdlog::set_level(spdlog::level::from_str(config->log_level));

        if (config->list_languages) {
            if (config->translator == "none") {
                std::cout << "translator none: no target languages (captions stay in the original)\n";
                return 0;
            }
            if (config->translator == "aws" || config->translator == "openai") {
                std::cout << (config->translator == "aws" ? "translator aws (AWS Translate): en →"
                                                          : "translator openai (an LLM, any pair): en →");
                for (const auto& l : lt::core::viewer_languages())
                    if (l.code != "en")
                        std::cout << " " << l.code;
                std::cout << "\n";
                return 0;
            }
            if (config->translator == "libretranslate" || config->translator == "deepl") {
                auto made = lt::translate::make_translator(translator_options(*config));
                if (!made) {
                    std::cerr << "lt-server: " << made.error_message() << "\n";
                    return 1;
                }
                std::cout << "translator " << config->translator << ": en →";
                for (const auto& l : made.value()->targets("en"))
                    std::cout << " " << l;
                std::cout << "\n";
                return 0;
            }
            lt::translate::apertium::apertium_params p;
            p.modes_dir = config->apertium_modes;
            std::cout << lt::translate::apertium::describe_languages(p);
            return 0;
        }
        if (config->api_key.empty()) {
            if (config->require_key) {
                std::cerr << "lt-server: --require-key is set but API_KEY is empty; refusing to start\n";
                return 2;
            }
            spdlog::warn("*** API_KEY is not set: ANYONE who can reach this server can publish captions. "
                         "Set API_KEY (environment or .env) for any real event. ***");
        }
        if (config->web_root.empty())
            config->web_root = default_web_root();

        auto made = lt::translate::make_translator(translator_options(*config));
        if (!made) {
            std::cerr << "lt-server: " << made.error_message() << "\n";
            return 1;
        }
        auto backend = std::move(made).value();
        auto languages = backend->targets("en");
        std::string list;
        for (const auto& l : languages)
            list += (list.empty() ? "" : " ") + l;
        std::string host = config->host;
        const char* scheme = config->tls_cert.empty() ? "http" : "https";
        lt::server::server srv(std::move(*config), backend);
        spdlog::info("lt-server listening on {}://{}:{} (translator {}: en → {})", scheme, host, srv.port(),
                     backend->name(), list.empty() ? "no languages" : list);
        srv.run();
        spdlog::info("lt-server stopped");
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "lt-server: " << e.what() << "\n";
        return 1;
    }
}
