// A write to a pipe or socket whose reader is gone raises SIGPIPE, which kills the process.
// This blocks SIGPIPE in the calling thread for its scope and consumes one that became
// pending meanwhile (our own write's); the process-wide disposition is untouched, so a
// library does not change the program's signal handling.
#pragma once

#include <cerrno>
#include <csignal>
#include <ctime>

#include <pthread.h>

namespace lt::core {

class sigpipe_guard {
public:
    sigpipe_guard() {
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &block, &old_);
        was_pending_ = pipe_pending();
    }
    ~sigpipe_guard() {
        int saved = errno;
        if (!was_pending_ && pipe_pending()) {
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGPIPE);
            timespec zero{0, 0};
            while (::sigtimedwait(&set, nullptr, &zero) == -1 && errno == EINTR) {
            }
        }
        ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
        errno = saved;
    }
    sigpipe_guard(const sigpipe_guard&) = delete;
    sigpipe_guard& operator=(const sigpipe_guard&) = delete;

private:
    static bool pipe_pending() {
        sigset_t pending;
        sigemptyset(&pending);
        ::sigpending(&pending);
        return sigismember(&pending, SIGPIPE) == 1;
    }
    sigset_t old_;
    bool was_pending_ = false;
};

} // namespace lt::core
