// A small Redis client on hiredis 0.14: commands on one connection, and a pub/sub
// subscriber that reconnects and re-subscribes by itself (the design of boostorg/redis
// example/cpp20_subscriber.cpp, written synchronously because Debian 12 has Boost 1.74).
//
// Thread-safety:
// - parse_url is a pure function.
// - connection: every member is thread-safe; one mutex serialises the commands, so share
//   one connection between threads only when they issue few commands.
// - subscriber: subscribe/unsubscribe/psubscribe/punsubscribe, connected(), reconnects()
//   and last_error() are thread-safe and may be called while disconnected. The callbacks
//   run on the subscriber's own thread, one at a time; they must not throw (exceptions are
//   swallowed) and must not destroy the subscriber.
//
// Network trouble never throws: connection returns an error result that names the server
// ("redis 127.0.0.1:6390: Connection refused"), and subscriber reports it to state_fn.
#pragma once

#include "core/result.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

struct redisContext; // hiredis, kept out of this header

namespace lt::redis {

struct address {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string user;     // Redis 6 ACL user; empty sends the one-argument AUTH
    std::string password; // empty: no AUTH
    int db = 0;           // SELECT on connect when not 0 (pub/sub ignores it)
};

// "redis://[[user]:password@]host[:port][/db]" or "host[:port]"; IPv6 hosts in brackets.
// rediss:// (TLS) and unix sockets are refused: hiredis 0.14 as built by Debian lacks TLS.
core::result<address> parse_url(std::string_view url);

// "host:port" as used in error messages.
std::string to_string(const address& a);

struct reply {
    enum class kind { nil, integer, string, array, status, error };
    kind type = kind::nil;
    long long integer = 0;
    std::string str; // string, status and error text; binary-safe
    std::vector<reply> elements;

    bool is_error() const { return type == kind::error; }
};

class connection {
public:
    // timeout bounds the connect and every read and write of a command.
    explicit connection(address a, std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // Connects lazily; after a network failure the connection is dropped and the next call
    // reconnects. An error reply from Redis is a successful result of kind::error.
    core::result<reply> command(const std::vector<std::string>& args);
    // Several commands in one round trip: one reply per command, or one error if the
    // connection failed (then none of the replies is known, some commands may have run).
    core::result<std::vector<reply>> pipeline(const std::vector<std::vector<std::string>>& commands);

    bool connected() const { return connected_.load(); }
    const address& where() const { return address_; }

private:
    core::error fail(std::string what);
    core::result<bool> ensure_connected();
    void drop();

    const address address_;
    const std::chrono::milliseconds timeout_;
    std::mutex mutex_;
    redisContext* context_ = nullptr; // guarded by mutex_
    std::atomic<bool> connected_{false};
};

class subscriber {
public:
    using message_fn = std::function<void(const std::string& channel, const std::string& payload)>;
    using state_fn = std::function<void(bool connected, const std::string& reason)>;

    struct options {
        // Bounds the connect, the AUTH/SUBSCRIBE handshake and each health PING reply.
        std::chrono::milliseconds timeout{2000};
        // Back-off between attempts: doubles from min to max, each wait drawn from
        // [wait/2, wait] so many servers do not reconnect in lock-step.
        std::chrono::milliseconds backoff_min{100};
        std::chrono::milliseconds backoff_max{5000};
        // A PING this often finds a server that vanished without closing the socket.
        std::chrono::milliseconds ping_interval{10000};
    };

    // Starts the thread at once; it connects in the background.
    subscriber(address a, message_fn on_message, state_fn on_state = {});
    subscriber(address a, message_fn on_message, state_fn on_state, options o);
    ~subscriber(); // stops promptly (well under a second) whatever the thread is doing
    subscriber(const subscriber&) = delete;
    subscriber& operator=(const subscriber&) = delete;

    // Remembered and re-sent after every reconnect; binary-safe names.
    void subscribe(const std::string& channel);
    void unsubscribe(const std::string& channel);
    void psubscribe(const std::string& pattern);
    void punsubscribe(const std::string& pattern);

    // True once every remembered subscription is confirmed by the server.
    bool connected() const { return connected_.load(); }
    // Successful connections after the first one.
    std::uint64_t reconnects() const { return reconnects_.load(); }
    // Why the last connection ended or failed; empty if none did.
    std::string last_error() const;

private:
    struct op {
        enum class kind { subscribe, unsubscribe, psubscribe, punsubscribe } what;
        std::string name;
    };
    struct session;

    void change(op o);
    void run();
    bool run_session(session& s, std::string& reason);
    void set_state(bool up, const std::string& reason);
    void wake();

    const address address_;
    const message_fn on_message_;
    const state_fn on_state_;
    const options options_;

    mutable std::mutex mutex_;
    std::condition_variable stopped_cv_;
    std::set<std::string> channels_; // guarded by mutex_: what should be subscribed
    std::set<std::string> patterns_; // guarded by mutex_
    std::vector<op> pending_;        // guarded by mutex_: changes not yet sent
    std::string last_error_;         // guarded by mutex_
    bool stop_ = false;              // guarded by mutex_ (also mirrored in stopping_)
    bool in_session_ = false;        // guarded by mutex_: connected, pending_ gets sent
    bool ever_connected_ = false;    // the thread's own

    std::atomic<bool> stopping_{false};
    std::atomic<bool> connected_{false};
    std::atomic<std::uint64_t> reconnects_{0};
    int wake_fd_ = -1; // eventfd: wakes the thread's poll() for new changes and for stop
    std::thread thread_;
};

} // namespace lt::redis
