// One running Apertium pipeline: every stage of a mode spawned directly (posix_spawnp, no
// shell), chained by pipes, all in one process group of their own, fed in null-flush mode.
//
// Thread-safety: none. The owner serialises every call (apertium_translator holds the
// pair's mutex), which also keeps requests and replies in order.
//
// SIGPIPE: writing to a pipeline whose first stage died raises SIGPIPE, which would kill
// the server. exchange() blocks SIGPIPE in the calling thread while it writes and consumes
// a SIGPIPE it caused, so the write fails with EPIPE instead; the process-wide disposition
// is left alone. Children get default signal dispositions and an empty signal mask.
#pragma once

#include "translate/apertium/mode_file.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace lt::translate::apertium {

class process_chain {
public:
    enum class status {
        ok,
        timeout,  // no complete reply before the deadline: a stage is stuck or slow
        closed,   // a stage exited or closed its end (EOF, EPIPE)
        overflow, // the reply grew past max_reply_bytes without a NUL
        desync,   // the output does not line up with the request (see exchange())
    };

    struct reply {
        status st = status::ok;
        std::string data;   // the reply without its terminator (status::ok only)
        std::string detail; // what happened, for logs and error messages
    };

    // Replies larger than this are treated as a broken pipeline.
    static constexpr std::size_t max_reply_bytes = 8 * 1024 * 1024;

    explicit process_chain(command_list commands);
    ~process_chain();
    process_chain(const process_chain&) = delete;
    process_chain& operator=(const process_chain&) = delete;

    // Spawns every stage. Returns immediately: the stages load their data while the first
    // request is already being written. Throws std::runtime_error naming the program that
    // could not be started; nothing is left running then.
    void start();

    // Kills the process group (SIGKILL also ends stopped stages) and reaps every stage, so no
    // zombie is left. Safe to call when not running.
    void stop();

    bool running() const noexcept { return !pids_.empty(); }

    // True when a stage has exited (it is reaped here). A pipeline with a dead stage cannot
    // answer and must be stopped and started again.
    bool has_exited_stage();

    // Writes `request` and reads until the output ends with `terminator`; the reply is what
    // came before it. Reads while writing, so neither side can fill a pipe and deadlock.
    // With the default terminator (one NUL) the request must end with a NUL. The translator
    // follows each request with a nonce frame, as apertium-apy does: request NUL, then
    // "[nonce]" NUL, and the terminator is NUL "[nonce]" NUL, so a reply can never be taken
    // for another request's. A NUL inside the reply, or a terminator that arrives early or
    // is followed by more bytes, is status::desync.
    reply exchange(std::string_view request, std::chrono::milliseconds timeout,
                   std::string_view terminator = std::string_view("\0", 1));

    // Process ids of the running stages, first stage first.
    std::vector<pid_t> pids() const { return pids_; }

    const command_list& commands() const noexcept { return commands_; }

private:
    void close_fds() noexcept;

    command_list commands_;
    std::vector<pid_t> pids_; // empty when not running; -1 for a stage already reaped
    pid_t pgid_ = -1;
    int write_fd_ = -1; // first stage's stdin
    int read_fd_ = -1;  // last stage's stdout
};

} // namespace lt::translate::apertium
