#include "stt/pocketsphinx_recognizer.hpp"
#include "stt/recognizer.hpp"

namespace lt::stt {

std::vector<std::string> engine_names() { return {"pocketsphinx"}; }

core::result<std::unique_ptr<recognizer>> make_recognizer(const recognizer_options& opts) {
    if (opts.engine == "pocketsphinx") return make_pocketsphinx_recognizer(opts);
    std::string names;
    for (const auto& n : engine_names()) names += (names.empty() ? "" : ", ") + n;
    return core::make_error("unknown speech recognition engine '" + opts.engine +
                            "' (--engine): available: " + names);
}

} // namespace lt::stt
