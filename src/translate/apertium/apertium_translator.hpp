// The offline Apertium backend: one long-running pipeline per language pair, built from
// the pair's mode file (as apertium-apy does), fed in null-flush mode, so no process is
// spawned per caption. Pairs missing from the source are reached through a pivot language
// (Spanish by default) when both legs are installed: en→fr = eng-spa then es-fr.
//
// Thread-safety: every member of apertium_translator may be called from several threads.
// Each pair has one pipeline and one mutex: requests on the same pair run one at a time in
// arrival order (so replies cannot be swapped), different pairs run in parallel.
//
// Processes: stages are direct children of this process, spawned without a shell, one process
// group per pipeline. A pipeline that times out, closes its output or has a stage that died
// (e.g. killed by SIGKILL) is killed as a whole, reaped, and started again; the caption that
// timed out gets an error, a caption that met a dead pipeline is retried once on the fresh
// one. SIGPIPE from a dead stage is absorbed in the writing thread (see process_chain.hpp); the
// process-wide SIGPIPE disposition is not changed.
#pragma once

#include "translate/translator.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lt::translate::apertium {

struct apertium_params {
    // Where Debian's apertium-* packages install their *.mode files.
    std::filesystem::path modes_dir = "/usr/share/apertium/modes";
    // A pipeline that has not answered by then is stuck: it is killed and restarted and the
    // caption is reported as failed for that language.
    std::chrono::milliseconds timeout{5000};
    // Restart a pipeline after this many requests, as apertium-apy does, to bound the
    // memory that long-running lttoolbox processes accumulate.
    std::size_t max_uses = 20000;
    // Language used to bridge pairs that are not installed directly.
    std::string pivot = "es";
    // Keep Apertium's marks on unknown words (*word, #word, @word). Off: viewers get clean
    // text, as `apertium -u` gives (apertium-apy's markUnknown=no).
    bool mark_unknown = false;
    // Pipelines on every route from these languages are spawned at construction so the first
    // caption does not wait for dictionaries to load (about 190 MB resident per pipeline).
    // Spawning does not wait for the loading, so construction stays fast. Other pipelines
    // start on first use. Empty: all start on first use.
    std::vector<std::string> warm_sources{"en"};
    // Longer captions are refused with an error.
    std::size_t max_input_bytes = 64 * 1024;
};

// One installed direction, as found in modes_dir.
struct pair_info {
    std::string source; // ISO 639-1 ("en")
    std::string target; // ISO 639-1 ("es")
    std::filesystem::path mode_file;
    std::string mode; // the mode's name, as `apertium <mode>` takes it ("eng-spa")
};

// Reads modes_dir; only plain pairs (no variants like eng-cat_valencia) are listed.
// Sorted by source then target; when two files name the same direction ("en-es" and
// "eng-spa") the first by file name wins. A missing or unreadable directory gives an
// empty list.
std::vector<pair_info> installed_pairs(const std::filesystem::path& modes_dir);

// Apertium's language code (ISO 639-3 "eng" or ISO 639-1 "en") → ISO 639-1 ("en"). Codes
// with no two-letter form (e.g. "ast") are returned unchanged.
std::string to_iso639_1(std::string_view apertium_code);

// Throws std::runtime_error when modes_dir has no usable pair ("Apertium is not installed").
std::unique_ptr<translate::translator> make_apertium_translator(const apertium_params& params);

// Human-readable listing for `lt-server --list-languages`: each source, its targets, and
// the route taken (direct or via the pivot).
std::string describe_languages(const apertium_params& params);

// The backend itself. make_apertium_translator() is the usual way in; the class is public so
// tests and diagnostics can see its pipelines.
class apertium_translator final : public translate::translator {
public:
    // Reads the pairs and parses their mode files; spawns the warm_sources pipelines.
    // Throws std::runtime_error when no pair is usable.
    explicit apertium_translator(apertium_params params);
    // Kills and reaps every pipeline. No translate() may be running.
    ~apertium_translator() override;
    apertium_translator(const apertium_translator&) = delete;
    apertium_translator& operator=(const apertium_translator&) = delete;

    std::string name() const override;
    std::vector<std::string> targets(std::string_view source) const override;
    // Errors: "apertium has no route en→de", "apertium eng-spa timed out after 5000 ms",
    // "apertium eng-spa failed: ...", "text too long for apertium (70000 bytes, max 65536)".
    // Codes may also be given as Apertium's three-letter codes.
    core::result<std::string> translate(std::string_view source, std::string_view target,
                                        std::string_view text) override;
    // Local pipelines, nothing paid: cheap for every pair it has a route for.
    bool cheap(std::string_view source, std::string_view target) const override {
        return !route(source, target).empty();
    }
    // "ok", "ok (eng-spa restarted 1 time)", or what is failing now.
    std::string state() const override;

    // The modes a translation goes through, in order: {"eng-spa"} or {"eng-spa", "es-fr"};
    // empty when there is no route.
    std::vector<std::string> route(std::string_view source, std::string_view target) const;
    // Process ids of the mode's running pipeline, first stage first; empty when it is not
    // running or the mode is unknown. Does not wait for a request in progress.
    std::vector<int> pipeline_pids(std::string_view mode) const;
    // Restarts of the mode's pipeline after a failure (timeout, dead stage, lost sync); the
    // planned max_uses restarts are not counted.
    std::size_t failure_restarts(std::string_view mode) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace lt::translate::apertium
