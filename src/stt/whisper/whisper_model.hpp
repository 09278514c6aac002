// A whisper.cpp model loaded in memory (the engine's context), and whether this build has
// whisper.cpp at all (CMake option LT_WHISPER). The context is used by one thread at a time.
#pragma once

#include "core/result.hpp"

#include <memory>
#include <string>

struct whisper_context;

namespace lt::stt::whisper {

// False when the project was configured with -DLT_WHISPER=OFF: load_model() then fails.
bool engine_built();

// The shape read from the file, for messages and tests.
struct model_info {
    int n_vocab = 0;
    int n_audio_state = 0;
    int n_audio_layer = 0;
    int n_text_layer = 0;
    bool multilingual = false;
    std::string type; // "tiny", "base", ... as whisper.cpp names it
};

class model {
public:
    ~model();
    model(const model&) = delete;
    model& operator=(const model&) = delete;

    whisper_context* context() const { return ctx_; }
    const std::string& path() const { return path_; }
    model_info info() const;

private:
    friend core::result<std::unique_ptr<model>> load_model(const std::string& path);
    model(whisper_context* ctx, std::string path) : ctx_(ctx), path_(std::move(path)) {}
    whisper_context* ctx_;
    std::string path_;
};

// Checks the file (check_model_file) and loads it on the CPU. A file whisper.cpp rejects is
// an error naming it, with whisper.cpp's own first error line.
core::result<std::unique_ptr<model>> load_model(const std::string& path);

} // namespace lt::stt::whisper
