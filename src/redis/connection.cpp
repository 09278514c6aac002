#include "redis/detail.hpp"
#include "redis/redis.hpp"

#include <poll.h>

namespace lt::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
    return timeval{static_cast<time_t>(ms.count() / 1000),
                   static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

using reply_ptr = std::unique_ptr<redisReply, detail::reply_deleter>;

} // namespace

connection::connection(address a, std::chrono::milliseconds timeout)
    : address_(std::move(a)), timeout_(timeout) {}

connection::~connection() { drop(); }

core::error connection::fail(std::string what) {
    return core::make_error("redis " + to_string(address_) + ": " + what);
}

void connection::drop() {
    if (context_)
        redisFree(context_);
    context_ = nullptr;
    connected_ = false;
}

core::result<bool> connection::ensure_connected() {
    if (context_) {
        // An idle connection must have nothing to read: readable means the server closed it
        // (restart, idle timeout) or sent something unasked. Reconnect now rather than send
        // a command that may or may not run and then fail.
        pollfd p{context_->fd, POLLIN, 0};
        if (context_->err == 0 && ::poll(&p, 1, 0) == 0)
            return true;
        drop();
    }
    const timeval tv = to_timeval(timeout_);
    redisContext* c = redisConnectWithTimeout(address_.host.c_str(), address_.port, tv);
    if (!c)
        return fail("cannot allocate a hiredis context");
    if (c->err) {
        auto e = fail(detail::describe(c, timeout_));
        redisFree(c);
        return e;
    }
    context_ = c;
    // The connect timeout does not cover reads and writes in hiredis 0.14: set it too.
    // A read that times out leaves the context in error for good, so it is dropped.
    if (redisSetTimeout(c, tv) != REDIS_OK || redisEnableKeepAlive(c) != REDIS_OK) {
        auto e = fail(detail::describe(c, timeout_));
        drop();
        return e;
    }
    auto handshake = [&](std::vector<std::string> args, const char* what) -> core::result<bool> {
        detail::argv av(args);
        reply_ptr r(
            static_cast<redisReply*>(redisCommandArgv(context_, av.argc(), av.ptrs.data(), av.lens.data())));
        if (!r) {
            auto e = fail(detail::describe(context_, timeout_));
            drop();
            return e;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            auto e = fail(std::string(what) + " failed: " + std::string(r->str, r->len));
            drop();
            return e;
        }
        return true;
    };
    if (!address_.password.empty()) {
        std::vector<std::string> args{"AUTH"};
        if (!address_.user.empty())
            args.push_back(address_.user);
        args.push_back(address_.password);
        auto r = handshake(std::move(args), "authentication");
        if (!r)
            return r;
    }
    if (address_.db != 0) {
        auto r = handshake({"SELECT", std::to_string(address_.db)}, "SELECT");
        if (!r)
            return r;
    }
    connected_ = true;
    return true;
}

core::result<reply> connection::command(const std::vector<std::string>& args) {
    if (args.empty())
        return fail("empty command");
    std::lock_guard lock(mutex_);
    detail::sigpipe_guard no_sigpipe;
    if (auto ok = ensure_connected(); !ok)
        return core::error{ok.error_message()};
    detail::argv av(args);
    reply_ptr r(
        static_cast<redisReply*>(redisCommandArgv(context_, av.argc(), av.ptrs.data(), av.lens.data())));
    if (!r) {
        auto e = fail(detail::describe(context_, timeout_));
        drop();
        return e;
    }
    return detail::convert(r.get());
}

core::result<std::vector<reply>> connection::pipeline(const std::vector<std::vector<std::string>>& commands) {
    for (const auto& c : commands)
        if (c.empty())
            return fail("empty command in pipeline");
    std::lock_guard lock(mutex_);
    detail::sigpipe_guard no_sigpipe;
    if (auto ok = ensure_connected(); !ok)
        return core::error{ok.error_message()};
    for (const auto& c : commands) {
        detail::argv av(c);
        if (redisAppendCommandArgv(context_, av.argc(), av.ptrs.data(), av.lens.data()) != REDIS_OK) {
            auto e = fail(detail::describe(context_, timeout_));
            drop();
            return e;
        }
    }
    std::vector<reply> out;
    out.reserve(commands.size());
    for (size_t i = 0; i < commands.size(); ++i) {
        void* raw = nullptr;
        // The first call flushes every appended command, then each call reads one reply.
        if (redisGetReply(context_, &raw) != REDIS_OK || !raw) {
            auto e = fail(detail::describe(context_, timeout_));
            drop();
            return e;
        }
        reply_ptr r(static_cast<redisReply*>(raw));
        out.push_back(detail::convert(r.get()));
    }
    return out;
}

} // namespace lt::redis
