#include "stt/make_recognizer.hpp"

#include "stt/whisper/whisper_model.hpp"

#include <utility>

namespace lt::stt {

std::vector<std::string> engine_names() {
    std::vector<std::string> names{"pocketsphinx", "aws", "openai"};
    if (whisper::engine_built())
        names.push_back("whisper");
    return names;
}

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
    if (opts.engine == "whisper") {
        if (!whisper::engine_built())
            return core::make_error("the whisper engine is not built into this program (configure with "
                                    "-DLT_WHISPER=ON after scripts/setup.sh): available: " +
                                    names);
        auto path = whisper::resolve_model(opts.whisper);
        if (!path)
            return core::make_error(path.error_message());
        auto model = whisper::load_model(path.value());
        if (!model)
            return core::make_error(model.error_message());
        auto stream = opts.whisper_stream;
        if (!stream.smaller_model)
            stream.smaller_model = [files = opts.whisper] { return whisper::smaller_cached_model(files); };
        return whisper::make_whisper_recognizer(opts, std::move(model.value()), std::move(stream));
    }
    return core::make_error("unknown speech recognition engine '" + opts.engine +
                            "' (--engine): available: " + names);
}

} // namespace lt::stt
