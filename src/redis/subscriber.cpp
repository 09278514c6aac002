// How the subscriber reads without blocking, and why (facts about hiredis 0.14.1):
// - redisBufferRead() returns at once with REDIS_ERR when c->err is already set, and a read
//   that fails with EAGAIN on a *blocking* context (SO_RCVTIMEO from redisSetTimeout) sets
//   c->err = REDIS_ERR_IO ("Resource temporarily unavailable"). So a read timeout ruins a
//   blocking context for good; it cannot serve as a periodic wake-up.
// - On a non-blocking context (redisConnectNonBlock) EAGAIN is "try again later":
//   redisBufferRead() and redisBufferWrite() never block and never fail for it.
// So the thread owns a non-blocking context and poll()s its fd together with an eventfd
// that subscribe()/unsubscribe() and the destructor signal; replies are taken with
// redisGetReplyFromReader(). The connect itself is polled too, so stopping never waits for
// a connect timeout (only name resolution, getaddrinfo, cannot be interrupted).
#include "net/backoff.hpp"
#include "redis/detail.hpp"
#include "redis/redis.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <system_error>

namespace lt::redis {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct subscriber::session {
    redisContext* c = nullptr;
    bool auth_pending = false; // the next reply answers AUTH
    bool handshaking = true;   // connected once the PING after the SUBSCRIBEs is answered
    bool up = false;           // reached the connected state
    std::optional<clock::time_point> ping_sent;
    clock::time_point next_ping{};

    ~session() {
        if (c)
            redisFree(c);
    }
    bool append(const std::vector<std::string>& args) {
        detail::argv av(args);
        return redisAppendCommandArgv(c, av.argc(), av.ptrs.data(), av.lens.data()) == REDIS_OK;
    }
    void ping() {
        append({"PING"});
        ping_sent = clock::now();
    }
};

subscriber::subscriber(address a, message_fn on_message, state_fn on_state)
    : subscriber(std::move(a), std::move(on_message), std::move(on_state), options{}) {}

subscriber::subscriber(address a, message_fn on_message, state_fn on_state, options o)
    : address_(std::move(a)), on_message_(std::move(on_message)), on_state_(std::move(on_state)),
      options_(o) {
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0)
        throw std::system_error(errno, std::generic_category(), "eventfd");
    thread_ = std::thread([this] { run(); });
}

subscriber::~subscriber() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    stopping_ = true;
    stopped_cv_.notify_all();
    wake();
    if (thread_.joinable())
        thread_.join();
    ::close(wake_fd_);
}

void subscriber::wake() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void subscriber::subscribe(const std::string& channel) { change({op::kind::subscribe, channel}); }
void subscriber::unsubscribe(const std::string& channel) { change({op::kind::unsubscribe, channel}); }
void subscriber::psubscribe(const std::string& pattern) { change({op::kind::psubscribe, pattern}); }
void subscriber::punsubscribe(const std::string& pattern) { change({op::kind::punsubscribe, pattern}); }

std::string subscriber::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}

void subscriber::change(op o) {
    {
        std::lock_guard lock(mutex_);
        bool changed = false;
        switch (o.what) {
        case op::kind::subscribe:
            changed = channels_.insert(o.name).second;
            break;
        case op::kind::unsubscribe:
            changed = channels_.erase(o.name) > 0;
            break;
        case op::kind::psubscribe:
            changed = patterns_.insert(o.name).second;
            break;
        case op::kind::punsubscribe:
            changed = patterns_.erase(o.name) > 0;
            break;
        }
        // Outside a session the sets alone are enough: a new session subscribes them all.
        if (!changed || !in_session_)
            return;
        pending_.push_back(std::move(o));
    }
    wake();
}

void subscriber::set_state(bool up, const std::string& reason) {
    {
        std::lock_guard lock(mutex_);
        if (!up)
            last_error_ = reason;
    }
    connected_ = up;
    if (!on_state_)
        return;
    try {
        on_state_(up, reason);
    } catch (...) {
        // A throwing callback must not end the thread.
    }
}

void subscriber::run() {
    // Writes to a closed socket then fail with EPIPE instead of killing the process.
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &block, nullptr);

    // Half to all of the current step: nodes that lost Redis together do not return together.
    net::backoff wait(options_.backoff_min, options_.backoff_max, 0.5, 1.0);
    bool reported_down = false;
    while (!stopping_) {
        std::string reason;
        bool was_up = false;
        {
            session s;
            was_up = run_session(s, reason);
            std::lock_guard lock(mutex_);
            in_session_ = false;
            pending_.clear();
        }
        if (stopping_)
            break;
        reason = "redis " + to_string(address_) + ": " + reason;
        if (was_up) {
            wait.reset();
            set_state(false, reason);
        } else if (!reported_down) {
            set_state(false, reason); // the first failure; later ones only update last_error
        } else {
            std::lock_guard lock(mutex_);
            last_error_ = reason;
        }
        reported_down = true;

        milliseconds sleep = std::max(wait.next(), milliseconds(1));
        if (was_up)
            wait.reset(); // the first two tries after a lost session both wait the least
        {
            std::unique_lock lock(mutex_);
            if (stopped_cv_.wait_for(lock, sleep, [this] { return stop_; }))
                break;
        }
    }
    connected_ = false;
}

namespace {

std::string errno_text(int e) { return std::generic_category().message(e); }

void drain(int fd) {
    std::uint64_t n;
    while (::read(fd, &n, sizeof n) > 0) {
    }
}

bool is(const reply& r, std::string_view word) {
    if (r.type != reply::kind::string && r.type != reply::kind::status)
        return false;
    return std::equal(r.str.begin(), r.str.end(), word.begin(), word.end(),
                      [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

} // namespace

// Returns whether the session reached the connected state; reason says why it ended.
bool subscriber::run_session(session& s, std::string& reason) {
    const auto timeout = options_.timeout;
    s.c = redisConnectNonBlock(address_.host.c_str(), address_.port);
    if (!s.c) {
        reason = "cannot allocate a hiredis context";
        return false;
    }
    if (s.c->err) {
        reason = detail::describe(s.c, timeout);
        return false;
    }

    // Wait for the non-blocking connect, waking for stop.
    const auto connect_deadline = clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<milliseconds>(connect_deadline - clock::now());
        if (left.count() <= 0) {
            reason = "connect timed out after " + std::to_string(timeout.count()) + " ms";
            return false;
        }
        pollfd fds[2] = {{s.c->fd, POLLOUT, 0}, {wake_fd_, POLLIN, 0}};
        int n = ::poll(fds, 2, static_cast<int>(left.count()) + 1);
        if (stopping_)
            return false;
        if (n < 0 && errno != EINTR) {
            reason = "poll: " + errno_text(errno);
            return false;
        }
        if (fds[1].revents)
            drain(wake_fd_);
        if (fds[0].revents)
            break;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(s.c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err != 0) {
        reason = errno_text(err);
        return false;
    }
    redisEnableKeepAlive(s.c);

    // Handshake in one write: AUTH, every remembered subscription, then a PING whose reply
    // proves all of them are in effect. SELECT is skipped: channels span all databases.
    if (!address_.password.empty()) {
        std::vector<std::string> args{"AUTH"};
        if (!address_.user.empty())
            args.push_back(address_.user);
        args.push_back(address_.password);
        s.append(args);
        s.auth_pending = true;
    }
    {
        std::lock_guard lock(mutex_);
        in_session_ = true;
        pending_.clear();
        if (!channels_.empty()) {
            std::vector<std::string> args{"SUBSCRIBE"};
            args.insert(args.end(), channels_.begin(), channels_.end());
            s.append(args);
        }
        if (!patterns_.empty()) {
            std::vector<std::string> args{"PSUBSCRIBE"};
            args.insert(args.end(), patterns_.begin(), patterns_.end());
            s.append(args);
        }
    }
    s.ping();

    for (;;) {
        int done = 0;
        if (redisBufferWrite(s.c, &done) != REDIS_OK) {
            reason = detail::describe(s.c, timeout);
            return s.up;
        }
        // Sleep until data, a wake-up, or the next timer (PING due or its reply overdue).
        auto now = clock::now();
        auto due = s.ping_sent ? *s.ping_sent + timeout : s.next_ping;
        auto left = std::chrono::duration_cast<milliseconds>(due - now).count();
        int wait_ms = static_cast<int>(std::clamp<long long>(left + 1, 0, 1000));
        pollfd fds[2] = {{s.c->fd, static_cast<short>(POLLIN | (done ? 0 : POLLOUT)), 0},
                         {wake_fd_, POLLIN, 0}};
        int n = ::poll(fds, 2, wait_ms);
        if (stopping_)
            return s.up;
        if (n < 0 && errno != EINTR) {
            reason = "poll: " + errno_text(errno);
            return s.up;
        }
        if (n > 0 && fds[1].revents) {
            drain(wake_fd_);
            std::vector<op> ops;
            {
                std::lock_guard lock(mutex_);
                ops.swap(pending_);
            }
            static const char* const verbs[] = {"SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE", "PUNSUBSCRIBE"};
            for (auto& o : ops)
                s.append({verbs[static_cast<int>(o.what)], o.name});
        }
        if (n > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP))) {
            if (redisBufferRead(s.c) != REDIS_OK) {
                reason = detail::describe(s.c, timeout);
                return s.up;
            }
            for (;;) {
                void* raw = nullptr;
                if (redisGetReplyFromReader(s.c, &raw) != REDIS_OK) {
                    reason = detail::describe(s.c, timeout);
                    return s.up;
                }
                if (!raw)
                    break;
                reply r;
                {
                    std::unique_ptr<redisReply, detail::reply_deleter> owned(static_cast<redisReply*>(raw));
                    r = detail::convert(owned.get());
                }
                if (s.auth_pending) {
                    s.auth_pending = false;
                    if (r.is_error()) {
                        reason = "authentication failed: " + r.str;
                        return false;
                    }
                    continue;
                }
                if (r.is_error()) {
                    // We only send (P)(UN)SUBSCRIBE and PING, so this is unexpected: start over.
                    reason = (s.handshaking ? "SUBSCRIBE failed: " : "error reply: ") + r.str;
                    return s.up;
                }
                const auto& e = r.elements;
                if (r.type == reply::kind::array && !e.empty()) {
                    if (is(e[0], "message") && e.size() == 3) {
                        try {
                            on_message_(e[1].str, e[2].str);
                        } catch (...) {
                        }
                        continue;
                    }
                    if (is(e[0], "pmessage") && e.size() == 4) {
                        try {
                            on_message_(e[2].str, e[3].str);
                        } catch (...) {
                        }
                        continue;
                    }
                }
                // PONG is a status outside subscribed mode and ["pong", ""] inside it.
                bool pong = is(r, "pong") || (r.type == reply::kind::array && !e.empty() && is(e[0], "pong"));
                if (pong) {
                    s.ping_sent.reset();
                    s.next_ping = clock::now() + options_.ping_interval;
                    if (s.handshaking) {
                        s.handshaking = false;
                        s.up = true;
                        if (ever_connected_)
                            ++reconnects_;
                        ever_connected_ = true;
                        set_state(true, "");
                    }
                }
                // Subscription confirmations need nothing.
            }
        }
        now = clock::now();
        if (s.ping_sent && now - *s.ping_sent > timeout) {
            reason = std::string(s.handshaking ? "no reply to the handshake" : "no reply to PING") +
                     " within " + std::to_string(timeout.count()) + " ms";
            return s.up;
        }
        if (!s.ping_sent && now >= s.next_ping)
            s.ping();
    }
}

} // namespace lt::redis
