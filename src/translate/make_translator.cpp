#include "translate/make_translator.hpp"

#include "translate/apertium/apertium_translator.hpp"
#include "translate/aws/aws_translator.hpp"
#include "translate/chain.hpp"
#include "translate/deepl/deepl_translator.hpp"
#include "translate/glossary.hpp"
#include "translate/libretranslate/libretranslate_translator.hpp"
#include "translate/openai/openai_translator.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <fstream>

namespace lt::translate {

namespace {

// The shared settings of the engines on net::http_client.
void apply_http(const translator_options& options, net::http_client_options& client) {
    if (options.http_timeout.count() > 0)
        client.request_timeout = options.http_timeout;
    client.ca_file = options.http_ca_file;
}

// One engine by name.
core::result<std::shared_ptr<translator>> make_engine(const translator_options& options) {
    if (!options.http_ca_file.empty() && !std::ifstream(options.http_ca_file))
        return core::make_error("cannot read the CA file " + options.http_ca_file +
                                " (--mt-ca-file, LT_MT_CA_FILE)");
    if (options.name == "none")
        return std::shared_ptr<translator>(make_none_translator());
    if (options.name == "aws") {
        aws::aws_translator_options o;
        o.auto_source = options.aws_auto_source;
        o.terminology = options.aws_terminology;
        return aws::make_aws_translator(o);
    }
    if (options.name == "libretranslate") {
        libretranslate::libretranslate_options o;
        o.url = options.libretranslate_url;
        o.api_key = options.libretranslate_api_key;
        apply_http(options, o.client);
        return libretranslate::make_libretranslate_translator(std::move(o));
    }
    if (options.name == "deepl") {
        deepl::deepl_options o;
        o.auth_key = options.deepl_auth_key;
        o.url = options.deepl_api_url;
        apply_http(options, o.client);
        o.terms = options.glossary;
        return deepl::make_deepl_translator(std::move(o));
    }
    if (options.name == "openai") {
        openai::openai_translator_options o;
        o.base_url = options.openai_base_url;
        o.api_key = options.openai_api_key;
        o.model = options.mt_model;
        apply_http(options, o.client);
        if (options.glossary)
            for (const auto& e : options.glossary->entries())
                o.glossary.push_back({e.term, e.lang, e.translation});
        return openai::make_openai_translator(std::move(o));
    }
    if (options.name == "apertium" || options.name == "auto") {
        apertium::apertium_params p;
        p.modes_dir = options.apertium_modes;
        // Apertium reports a missing installation by throwing (it is found while building).
        try {
            return std::shared_ptr<translator>(apertium::make_apertium_translator(p));
        } catch (const std::exception& e) {
            if (options.name == "apertium")
                return core::make_error(e.what());
            spdlog::warn("{}; running without translation (captions stay in the original language)",
                         e.what());
            return std::shared_ptr<translator>(make_none_translator());
        }
    }
    return core::make_error("unknown translator '" + options.name +
                            "' (expected auto, apertium, aws, libretranslate, deepl, openai or none)");
}

} // namespace

core::result<std::shared_ptr<translator>> make_translator(const translator_options& options) {
    if (options.name.find(',') != std::string::npos) {
        std::vector<std::shared_ptr<translator>> engines;
        std::size_t from = 0;
        for (bool more = true; more;) {
            const auto comma = options.name.find(',', from);
            more = comma != std::string::npos;
            auto one = options;
            one.name = options.name.substr(from, more ? comma - from : std::string::npos);
            from = more ? comma + 1 : options.name.size();
            if (one.name == "auto" || one.name == "none" || one.name.empty())
                return core::make_error("translator chain '" + options.name + "': list engines by name (" +
                                        (one.name.empty() ? "an empty name" : "'" + one.name + "'") +
                                        " cannot be part of a chain)");
            auto e = make_translator(one);
            if (!e)
                return core::make_error("translator chain '" + options.name + "': " + e.error_message());
            engines.push_back(std::move(e.value()));
        }
        return make_chain(std::move(engines), options.chain);
    }
    auto engine = make_engine(options);
    // An LLM has the glossary in its prompt, DeepL makes glossaries of it; the others get its
    // terms protected. AWS with a custom terminology applies the terms itself: placeholders
    // would hide them.
    if (!engine || !options.glossary || options.glossary->empty() || options.name == "openai" ||
        options.name == "deepl" || (options.name == "aws" && !options.aws_terminology.empty()))
        return engine;
    return with_glossary(std::move(engine.value()), options.glossary);
}

} // namespace lt::translate
