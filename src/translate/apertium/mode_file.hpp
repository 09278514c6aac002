// Apertium mode files: a one-line shell pipeline (`prog args | prog args ...`) that a pair
// installs as <modes_dir>/<pair>.mode. We never hand it to a shell; it is split here into
// one argv per stage, which the pipeline spawns itself.
//
// Understood syntax: words separated by blanks, single quotes, double quotes, backslash
// escapes, `|` between stages, and the `$1`/`$2` placeholders the `apertium` script fills
// in. Anything else a shell would interpret (redirections, `;`, `&`, backticks, `$(`) is
// rejected rather than guessed at.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lt::translate::apertium {

// One argv per stage, first stage first.
using command_list = std::vector<std::vector<std::string>>;

struct mode_options {
    // `$1` is the generator's option. The `apertium` script passes "-g" (mark unknown words
    // with * # @) or, with -u, "-n" (no marks); apertium-apy always passes "-g".
    std::string generation_flag = "-g";
    // `$2` is the tagger's option: "-m" shows ambiguity in `apertium -a`; empty otherwise.
    std::string tagger_flag;
    // Add "-z" after each program so it flushes its output at every NUL byte (what
    // apertium-apy does), except the few programs that do not take it.
    bool null_flush = true;
};

// Splits a mode pipeline into argv vectors and applies `options`.
// Throws std::invalid_argument (with the reason) on an empty pipeline, an empty stage,
// an unterminated quote or shell syntax we do not run.
command_list parse_mode(std::string_view text, const mode_options& options = {});

// Reads and parses a mode file. Throws std::runtime_error naming the file when it cannot be
// read or parsed.
command_list read_mode_file(const std::filesystem::path& file, const mode_options& options = {});

// The command line for logs: stages joined with " | ", arguments quoted when needed.
std::string to_string(const command_list& commands);

} // namespace lt::translate::apertium
