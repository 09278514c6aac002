#include "backends/make_translator.hpp"

#include "apertium/apertium_translator.hpp"
#include "backends/aws_translator.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace lt::backends {

std::shared_ptr<translate::translator> make_translator(const backend_options& options) {
    if (options.name == "none")
        return translate::make_none_translator();
    if (options.name == "aws") {
        aws_translator_options o;
        o.auto_source = options.aws_auto_source;
        auto t = make_aws_translator(o);
        if (!t)
            throw std::runtime_error(t.error_message());
        return t.value();
    }
    if (options.name == "apertium" || options.name == "auto") {
        apertium::apertium_params p;
        p.modes_dir = options.apertium_modes;
        try {
            return apertium::make_apertium_translator(p);
        } catch (const std::exception& e) {
            if (options.name == "apertium")
                throw;
            spdlog::warn("{}; running without translation (captions stay in the original language)",
                         e.what());
            return translate::make_none_translator();
        }
    }
    throw std::runtime_error("unknown translator '" + options.name + "' (expected auto, apertium, aws or none)");
}

} // namespace lt::backends
