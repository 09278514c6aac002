// Shared by connection.cpp and subscriber.cpp; not part of the public API.
#pragma once

#include "redis/redis.hpp"

#include <hiredis/hiredis.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace lt::redis::detail {

inline reply convert(const redisReply* r) {
    reply out;
    switch (r->type) {
    case REDIS_REPLY_INTEGER:
        out.type = reply::kind::integer;
        out.integer = r->integer;
        break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        out.type = r->type == REDIS_REPLY_STRING   ? reply::kind::string
                   : r->type == REDIS_REPLY_STATUS ? reply::kind::status
                                                   : reply::kind::error;
        out.str.assign(r->str, r->len);
        break;
    case REDIS_REPLY_ARRAY:
        out.type = reply::kind::array;
        out.elements.reserve(r->elements);
        for (size_t i = 0; i < r->elements; ++i)
            out.elements.push_back(convert(r->element[i]));
        break;
    default:
        out.type = reply::kind::nil;
    }
    return out;
}

struct reply_deleter {
    void operator()(void* r) const { freeReplyObject(r); }
};

// Argument vectors for redisCommandArgv/redisAppendCommandArgv (binary-safe).
struct argv {
    explicit argv(const std::vector<std::string>& args) {
        ptrs.reserve(args.size());
        lens.reserve(args.size());
        for (const auto& a : args) {
            ptrs.push_back(a.data());
            lens.push_back(a.size());
        }
    }
    int argc() const { return static_cast<int>(ptrs.size()); }
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
};

// hiredis reports a socket timeout (SO_RCVTIMEO) as REDIS_ERR_IO with strerror(EAGAIN).
inline std::string describe(const redisContext* c, std::chrono::milliseconds timeout) {
    if (c->err == REDIS_ERR_IO && (std::strcmp(c->errstr, std::strerror(EAGAIN)) == 0 ||
                                   std::strcmp(c->errstr, std::strerror(EWOULDBLOCK)) == 0))
        return "no reply within " + std::to_string(timeout.count()) + " ms";
    if (c->errstr[0] == '\0')
        return "I/O error";
    return c->errstr;
}

} // namespace lt::redis::detail

#include "core/sigpipe_guard.hpp"

namespace lt::redis::detail {

// hiredis writes with write(): a server that closed the socket would raise SIGPIPE.
using core::sigpipe_guard;

} // namespace lt::redis::detail
