#include "stt/make_recognizer.hpp"

#include <utility>

namespace lt::stt {

std::vector<std::string> engine_names() { return {"pocketsphinx", "aws", "openai"}; }

bool needs_aws_credentials(std::string_view engine) { return engine == "aws"; }

core::result<std::unique_ptr<recognizer>> make_recognizer(const engine_options& opts) {
    if (opts.engine == "pocketsphinx")
        return pocketsphinx::make_pocketsphinx_recognizer(opts, opts.pocketsphinx);
    if (opts.engine == "aws") {
        auto aws = opts.transcribe;
        aws.language_code = transcribe::language_code(opts.lang);
        if (aws.language_code.empty())
            return core::make_error("AWS Transcribe: no language code for --lang " + opts.lang +
                                    "; give one such as en-US, de-DE or es-ES");
        return transcribe::make_transcribe_recognizer(std::move(aws));
    }
    if (opts.engine == "openai")
        return openai::make_openai_recognizer(opts, opts.openai);
    std::string names;
    for (const auto& n : engine_names())
        names += (names.empty() ? "" : ", ") + n;
    return core::make_error("unknown speech recognition engine '" + opts.engine +
                            "' (--engine): available: " + names);
}

} // namespace lt::stt
