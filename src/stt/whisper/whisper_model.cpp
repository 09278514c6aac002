#include "stt/whisper/whisper_model.hpp"

#include "stt/whisper/model_files.hpp"

#ifdef LT_HAVE_WHISPER
#include <whisper.h>
#endif
#include <spdlog/spdlog.h>

#include <mutex>

namespace lt::stt::whisper {

#ifdef LT_HAVE_WHISPER

namespace {

// whisper.cpp and ggml log through one global callback: their lines go to our debug log, and
// the first error line of a load is kept so a failed load can say why (the later ones only
// say that it failed).
std::mutex log_mutex;
std::string first_error; // guarded by log_mutex

void on_log(ggml_log_level level, const char* text, void*) {
    std::string line(text ? text : "");
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
        line.pop_back();
    if (line.empty())
        return;
    if (level == GGML_LOG_LEVEL_ERROR) {
        std::lock_guard lock(log_mutex);
        if (first_error.empty())
            first_error = line;
    }
    spdlog::debug("whisper.cpp: {}", line);
}

} // namespace

bool engine_built() { return true; }

model::~model() { whisper_free(ctx_); }

model_info model::info() const {
    model_info i;
    i.n_vocab = whisper_model_n_vocab(ctx_);
    i.n_audio_state = whisper_model_n_audio_state(ctx_);
    i.n_audio_layer = whisper_model_n_audio_layer(ctx_);
    i.n_text_layer = whisper_model_n_text_layer(ctx_);
    i.multilingual = whisper_is_multilingual(ctx_) != 0;
    i.type = whisper_model_type_readable(ctx_);
    return i;
}

core::result<std::unique_ptr<model>> load_model(const std::string& path) {
    if (auto ok = check_model_file(path); !ok)
        return core::make_error(ok.error_message());
    static std::once_flag logging;
    std::call_once(logging, [] { whisper_log_set(on_log, nullptr); });
    {
        std::lock_guard lock(log_mutex);
        first_error.clear();
    }
    auto params = whisper_context_default_params();
    params.use_gpu = false;
    whisper_context* ctx = whisper_init_from_file_with_params(path.c_str(), params);
    if (!ctx) {
        std::lock_guard lock(log_mutex);
        return core::make_error("whisper.cpp could not load the model file " + path +
                                (first_error.empty() ? std::string() : ": " + first_error) +
                                " (a damaged or incomplete file? delete it to download it again)");
    }
    return std::unique_ptr<model>(new model(ctx, path));
}

#else

bool engine_built() { return false; }

model::~model() = default;

model_info model::info() const { return {}; }

core::result<std::unique_ptr<model>> load_model(const std::string&) {
    return core::make_error("the whisper engine is not built: configure with -DLT_WHISPER=ON after "
                            "scripts/setup.sh has fetched whisper.cpp");
}

#endif

} // namespace lt::stt::whisper
