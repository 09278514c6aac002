#include "engines/engines.hpp"

namespace lt::engines {

std::vector<std::string> engine_names() {
    auto names = stt::engine_names();
    names.push_back("aws");
    return names;
}

bool is_aws(const std::string& engine) { return engine == "aws"; }

core::result<std::unique_ptr<stt::recognizer>> make_recognizer(options opts) {
    if (!is_aws(opts.stt.engine)) {
        auto r = stt::make_recognizer(opts.stt);
        if (r)
            return r;
        std::string names;
        for (const auto& n : engine_names())
            names += (names.empty() ? "" : ", ") + n;
        if (r.error_message().find("unknown speech recognition engine") != std::string::npos)
            return core::make_error("unknown speech recognition engine '" + opts.stt.engine +
                                    "' (--engine): available: " + names);
        return r;
    }
    opts.aws.language_code = stt::transcribe::language_code(opts.stt.lang);
    if (opts.aws.language_code.empty())
        return core::make_error("AWS Transcribe: no language code for --lang " + opts.stt.lang +
                                "; give one such as en-US, de-DE or es-ES");
    return stt::transcribe::make_transcribe_recognizer(std::move(opts.aws));
}

} // namespace lt::engines
