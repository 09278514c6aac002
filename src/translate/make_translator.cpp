#include "translate/make_translator.hpp"

#include "translate/apertium/apertium_translator.hpp"
#include "translate/aws/aws_translator.hpp"
#include "translate/openai/openai_translator.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace lt::translate {

core::result<std::shared_ptr<translator>> make_translator(const translator_options& options) {
    if (options.name == "none")
        return std::shared_ptr<translator>(make_none_translator());
    if (options.name == "aws") {
        aws::aws_translator_options o;
        o.auto_source = options.aws_auto_source;
        return aws::make_aws_translator(o);
    }
    if (options.name == "openai") {
        openai::openai_translator_options o;
        o.base_url = options.openai_base_url;
        o.api_key = options.openai_api_key;
        o.model = options.mt_model;
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
                            "' (expected auto, apertium, aws, openai or none)");
}

} // namespace lt::translate
