// The whisper engine's model files: which names exist (with the SHA-1 that whisper.cpp's
// models/README.md lists for each), where a name is cached, a check that a file is a ggml
// model, and resolve_model(), which turns `--model NAME|PATH` into a file on disk, downloading
// a missing named model once into the cache (resumable, SHA-1 checked before it is used).
#pragma once

#include "core/result.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace lt::stt::whisper {

struct known_model {
    std::string name; // "base.en"
    std::string sha1; // 40 lower-case hex digits
};

// tiny.en, tiny, base.en, base, small.en, small with the SHA-1 of whisper.cpp 1.9.1's
// models/README.md (test_whisper_models ties the two together).
const std::vector<known_model>& known_models();

// Where whisper.cpp's own download script fetches models from.
inline constexpr std::string_view default_model_url =
    "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";

// The ggml magic ("ggml" as a little-endian uint32) every whisper.cpp model file starts with.
inline constexpr std::uint32_t ggml_magic = 0x67676d6c;

// $XDG_CACHE_HOME/live-translate/models, else $HOME/.cache/live-translate/models; an error
// when neither variable is set.
core::result<std::string> default_cache_dir();

// The file a named model is kept in: "ggml-base.en.bin".
std::string model_file_name(std::string_view name);

// An existing, readable file that starts with the ggml magic; returns `path`. Errors name the
// file and say what is wrong with it.
core::result<std::string> check_model_file(const std::string& path);

// The SHA-1 of a file in lower-case hex, or an error naming the file.
core::result<std::string> sha1_of_file(const std::string& path);

struct model_options {
    std::string model = "base.en"; // a name of `models` or a path to a ggml file
    std::string model_dir;         // the cache; empty: default_cache_dir()
    // Where names are downloaded from (NAME -> BASE/ggml-NAME.bin); empty: the environment's
    // LT_WHISPER_MODEL_URL, else default_model_url. http and https.
    std::string base_url;
    std::string ca_file; // extra trusted CA (PEM) for https; empty: the system's only
    // The names that may be downloaded and their SHA-1; empty: known_models().
    std::vector<known_model> models;
    // Called as bytes arrive (done, total; total 0 when the server does not say). Empty: a
    // progress bar on standard error when it is a terminal, else nothing.
    std::function<void(std::uint64_t, std::uint64_t)> progress;
    // Each network step (connect, TLS, each read) is limited to this.
    std::chrono::milliseconds timeout{30000};
};

// The path of a usable model file for opts.model:
// - a known name: the cached file, downloaded first if it is not there. The download goes to
//   a `.part` file that a later call resumes (HTTP Range); the SHA-1 is checked before the
//   file takes its final name, and a mismatching file is deleted.
// - anything else is a path, which must exist and be a ggml model.
// Errors say what to do: an unknown name lists the names; a failed download names the URL and
// says how to fetch the file by hand.
core::result<std::string> resolve_model(const model_options& opts);

// The cached file of a smaller model of the same kind (small.en -> base.en, else tiny.en;
// base -> tiny), or "" when opts.model is not a name or none is cached. Never downloads: the
// whisper engine's keep-up control asks for it on a machine that is already behind.
std::string smaller_cached_model(const model_options& opts);

} // namespace lt::stt::whisper
