#include "translate/apertium/process_chain.hpp"

#include "core/sigpipe_guard.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace lt::translate::apertium {

namespace {

using clock = std::chrono::steady_clock;

std::string errno_text(int err) { return std::strerror(err); }

void close_fd(int& fd) noexcept {
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

// pipe2 with both ends close-on-exec and above stdio: if the server runs with fd 0/1/2
// closed, a pipe end could land there and the dup2 actions in the child would clobber it.
void make_pipe(int fds[2]) {
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::runtime_error("cannot create a pipe: " + errno_text(errno));
    for (int k = 0; k < 2; ++k) {
        if (fds[k] < 3) {
            int moved = ::fcntl(fds[k], F_DUPFD_CLOEXEC, 3);
            int err = errno;
            ::close(fds[k]);
            fds[k] = moved;
            if (moved < 0) {
                close_fd(fds[1 - k]);
                throw std::runtime_error("cannot create a pipe: " + errno_text(err));
            }
        }
    }
}

void set_nonblocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        throw std::runtime_error("cannot make a pipe non-blocking: " + errno_text(errno));
}

// Spawns one stage reading `in_fd` and writing `out_fd`, in process group `pgid` (0: a new
// group led by this stage).
pid_t spawn_stage(const std::vector<std::string>& argv, int in_fd, int out_fd, pid_t pgid) {
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);

    posix_spawn_file_actions_adddup2(&actions, in_fd, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
    // Other threads' descriptors (sockets, other pairs' pipes) must not leak into stages: a
    // leaked write end would keep a pipe open after its writer died.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);

    // A group of our own lets stop() kill every stage at once, and keeps a terminal's ^C
    // from killing stages behind the server's back.
    posix_spawnattr_setpgroup(&attr, pgid);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2})
        sigaddset(&defaults, sig);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        throw std::runtime_error("cannot start " + argv[0] + ": " + errno_text(rc));
    return pid;
}

using core::sigpipe_guard;

} // namespace

process_chain::process_chain(command_list commands) : commands_(std::move(commands)) {}

process_chain::~process_chain() { stop(); }

void process_chain::start() {
    if (running())
        return;
    if (commands_.empty())
        throw std::runtime_error("empty Apertium pipeline");

    int in[2];
    make_pipe(in);
    write_fd_ = in[1];
    int prev = in[0]; // what the next stage reads
    try {
        for (const auto& argv : commands_) {
            int out[2];
            make_pipe(out);
            pid_t pid;
            try {
                pid = spawn_stage(argv, prev, out[1], pgid_ > 0 ? pgid_ : 0);
            } catch (...) {
                close_fd(out[0]);
                close_fd(out[1]);
                throw;
            }
            if (pids_.empty())
                pgid_ = pid;
            pids_.push_back(pid);
            close_fd(prev);
            close_fd(out[1]);
            prev = out[0];
        }
        read_fd_ = prev;
        prev = -1;
        set_nonblocking(write_fd_);
        set_nonblocking(read_fd_);
    } catch (...) {
        close_fd(prev);
        stop();
        throw;
    }
}

void process_chain::close_fds() noexcept {
    close_fd(write_fd_);
    close_fd(read_fd_);
}

void process_chain::stop() {
    close_fds();
    // The group id is the first stage's pid; only while that stage is unreaped can the id
    // not have been reused by someone else's group.
    if (pgid_ > 0 && !pids_.empty() && pids_.front() == pgid_)
        ::kill(-pgid_, SIGKILL);
    for (pid_t pid : pids_) {
        if (pid <= 0)
            continue;
        // A stage that left our group (setsid) is still killed by its pid. Unreaped pids
        // cannot be reused, so this never hits a stranger.
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    pids_.clear();
    pgid_ = -1;
}

bool process_chain::has_exited_stage() {
    bool exited = false;
    for (pid_t& pid : pids_) {
        if (pid <= 0) {
            exited = true;
            continue;
        }
        int st = 0;
        pid_t r = ::waitpid(pid, &st, WNOHANG);
        // ECHILD: someone else reaped it (or SIGCHLD is ignored); either way it is gone.
        if (r == pid || (r < 0 && errno == ECHILD)) {
            pid = -1;
            exited = true;
        }
    }
    return exited;
}

process_chain::reply process_chain::exchange(std::string_view request, std::chrono::milliseconds timeout,
                                             std::string_view terminator) {
    reply out;
    if (!running() || write_fd_ < 0 || read_fd_ < 0) {
        out.st = status::closed;
        out.detail = "pipeline is not running";
        return out;
    }

    sigpipe_guard guard;
    const auto deadline = clock::now() + timeout;
    std::size_t written = 0;
    char buf[65536];

    for (;;) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0) {
            out.st = status::timeout;
            out.detail = written < request.size() ? "input not accepted" : "no reply";
            return out;
        }

        pollfd fds[2];
        nfds_t n = 0;
        fds[n++] = pollfd{read_fd_, POLLIN, 0};
        bool writing = written < request.size();
        if (writing)
            fds[n++] = pollfd{write_fd_, POLLOUT, 0};

        int rc = ::poll(fds, n, static_cast<int>(std::min<long long>(left.count(), 60'000)));
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            out.st = status::closed;
            out.detail = "poll failed: " + errno_text(errno);
            return out;
        }
        if (rc == 0)
            continue; // the deadline check above decides

        if (writing && fds[1].revents != 0) {
            ssize_t w = ::write(write_fd_, request.data() + written, request.size() - written);
            if (w > 0) {
                written += static_cast<std::size_t>(w);
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                if (errno == EPIPE)
                    out.st = status::closed;
                out.detail = "first stage closed its input (" + errno_text(errno) + ")";
                return out;
            }
        }

        if (fds[0].revents != 0) {
            ssize_t r = ::read(read_fd_, buf, sizeof buf);
            if (r == 0) {
                out.st = status::closed;
                out.detail = "last stage closed its output";
                return out;
            }
            if (r < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    continue;
                out.st = status::closed;
                out.detail = "read failed: " + errno_text(errno);
                return out;
            }
            auto old_size = out.data.size();
            out.data.append(buf, static_cast<std::size_t>(r));
            auto from = old_size >= terminator.size() ? old_size - terminator.size() + 1 : 0;
            auto end = out.data.find(terminator, from);
            if (end != std::string::npos) {
                // One request is in flight at a time, so its terminator is the only one to
                // come: one that arrives early, bytes after it, or a NUL inside the reply
                // (a stale reply) mean the pipeline is out of step.
                if (written < request.size() || end + terminator.size() != out.data.size() ||
                    out.data.find('\0') < end) {
                    out.st = status::desync;
                    out.detail = "reply out of step with requests";
                    out.data.clear();
                    return out;
                }
                out.data.resize(end);
                return out;
            }
            if (out.data.size() > max_reply_bytes) {
                out.st = status::overflow;
                out.detail = "reply larger than " + std::to_string(max_reply_bytes) + " bytes";
                out.data.clear();
                return out;
            }
        }
    }
}

} // namespace lt::translate::apertium
