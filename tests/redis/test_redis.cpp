#include "redis/redis.hpp" // first: the header compiles on its own

#include "missing_dependency.hpp"
#include "redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;
using lt::redis::address;
using lt::redis::connection;
using lt::redis::reply;
using lt::redis::subscriber;
using lt::test::redis_server;
using clock_type = std::chrono::steady_clock;

namespace {

#define NEED_REDIS()                                                                                         \
    LT_REQUIRE_DEPENDENCY(!redis_server::binary().empty(), "redis", "redis-server is not installed")

address at(const redis_server& s) {
    address a;
    a.port = s.port();
    return a;
}

// Polls pred every 5 ms until it holds or the time is up.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
    auto deadline = clock_type::now() + limit;
    while (clock_type::now() < deadline) {
        if (pred())
            return true;
        std::this_thread::sleep_for(5ms);
    }
    return pred();
}

// What a subscriber delivered, for checks from the test thread.
struct inbox {
    std::mutex m;
    std::vector<std::pair<std::string, std::string>> messages;
    std::vector<std::pair<bool, std::string>> states;

    subscriber::message_fn on_message() {
        return [this](const std::string& c, const std::string& p) {
            std::lock_guard l(m);
            messages.emplace_back(c, p);
        };
    }
    subscriber::state_fn on_state() {
        return [this](bool up, const std::string& why) {
            std::lock_guard l(m);
            states.emplace_back(up, why);
        };
    }
    size_t count() {
        std::lock_guard l(m);
        return messages.size();
    }
    size_t downs() {
        std::lock_guard l(m);
        size_t n = 0;
        for (auto& s : states)
            n += !s.first;
        return n;
    }
    std::vector<std::pair<std::string, std::string>> snapshot() {
        std::lock_guard l(m);
        return messages;
    }
};

long long publish(connection& c, const std::string& channel, const std::string& payload) {
    auto r = c.command({"PUBLISH", channel, payload});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error_message());
    return r.ok() ? r.value().integer : -1;
}

// Subscriptions are confirmed once the server counts the subscriber.
bool wait_numsub(connection& c, const std::string& channel, long long want) {
    return wait_until(
        [&] {
            auto r = c.command({"PUBSUB", "NUMSUB", channel});
            return r.ok() && r.value().elements.size() == 2 && r.value().elements[1].integer == want;
        },
        5s);
}

} // namespace

TEST(redis_url, parses_the_usual_forms) {
    auto a = lt::redis::parse_url("redis://localhost");
    ASSERT_TRUE(a.ok()) << a.error_message();
    EXPECT_EQ(a.value().host, "localhost");
    EXPECT_EQ(a.value().port, 6379);
    EXPECT_EQ(a.value().password, "");
    EXPECT_EQ(a.value().db, 0);

    a = lt::redis::parse_url("redis://:s3cret@redis.example:6380/2");
    ASSERT_TRUE(a.ok()) << a.error_message();
    EXPECT_EQ(a.value().host, "redis.example");
    EXPECT_EQ(a.value().port, 6380);
    EXPECT_EQ(a.value().user, "");
    EXPECT_EQ(a.value().password, "s3cret");
    EXPECT_EQ(a.value().db, 2);

    a = lt::redis::parse_url("redis://alice:p%40ss:w@10.0.0.5/");
    ASSERT_TRUE(a.ok()) << a.error_message();
    EXPECT_EQ(a.value().user, "alice");
    EXPECT_EQ(a.value().password, "p@ss:w");
    EXPECT_EQ(a.value().host, "10.0.0.5");
    EXPECT_EQ(a.value().db, 0);

    a = lt::redis::parse_url("redis://oldstyle@h"); // password only
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a.value().password, "oldstyle");

    a = lt::redis::parse_url("cache:7000");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a.value().host, "cache");
    EXPECT_EQ(a.value().port, 7000);

    a = lt::redis::parse_url("redis://[::1]:6390/1");
    ASSERT_TRUE(a.ok()) << a.error_message();
    EXPECT_EQ(a.value().host, "::1");
    EXPECT_EQ(a.value().port, 6390);
    EXPECT_EQ(lt::redis::to_string(a.value()), "[::1]:6390");
}

TEST(redis_url, errors_name_the_problem) {
    auto err = [](std::string_view url) {
        auto r = lt::redis::parse_url(url);
        EXPECT_FALSE(r.ok()) << url;
        return r.ok() ? std::string() : r.error_message();
    };
    EXPECT_NE(err("rediss://h:6380").find("TLS"), std::string::npos);
    EXPECT_NE(err("http://h").find("scheme"), std::string::npos);
    EXPECT_NE(err("unix:///tmp/redis.sock").find("unix"), std::string::npos);
    EXPECT_NE(err("redis://h:0").find("port"), std::string::npos);
    EXPECT_NE(err("redis://h:70000").find("port"), std::string::npos);
    EXPECT_NE(err("redis://h:abc").find("port"), std::string::npos);
    EXPECT_NE(err("redis://h:").find("port"), std::string::npos);
    EXPECT_NE(err("redis://h/x").find("database"), std::string::npos);
    EXPECT_NE(err("redis://").find("host"), std::string::npos);
    EXPECT_NE(err(":6379").find("host"), std::string::npos);
    EXPECT_NE(err("").find("empty"), std::string::npos);
    EXPECT_NE(err("redis://[::1").find("]"), std::string::npos);
    EXPECT_NE(err("redis://h?timeout=1").find("query"), std::string::npos);
    EXPECT_NE(err("redis://:%zz@h").find("escape"), std::string::npos);
    EXPECT_NE(err("redis://h:x").find("redis://h:x"), std::string::npos); // quotes the URL
}

TEST(redis_connection, commands_round_trip) {
    NEED_REDIS();
    redis_server server;
    connection c(at(server));
    EXPECT_FALSE(c.connected()); // lazy

    auto r = c.command({"SET", "k", "v"});
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_TRUE(c.connected());
    EXPECT_EQ(r.value().type, reply::kind::status);
    EXPECT_EQ(r.value().str, "OK");
    r = c.command({"GET", "k"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().type, reply::kind::string);
    EXPECT_EQ(r.value().str, "v");
    r = c.command({"GET", "missing"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().type, reply::kind::nil);

    for (long long i = 1; i <= 3; ++i) {
        r = c.command({"INCR", "seq"});
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r.value().type, reply::kind::integer);
        EXPECT_EQ(r.value().integer, i);
    }

    // A capped history: newest first, at most 3.
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(c.command({"LPUSH", "history", "m" + std::to_string(i)}).ok());
        ASSERT_TRUE(c.command({"LTRIM", "history", "0", "2"}).ok());
    }
    r = c.command({"LRANGE", "history", "0", "-1"});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r.value().type, reply::kind::array);
    ASSERT_EQ(r.value().elements.size(), 3u);
    EXPECT_EQ(r.value().elements[0].str, "m4");
    EXPECT_EQ(r.value().elements[2].str, "m2");

    // Language demand: ZADD GT only moves a score forward (an expiry time).
    ASSERT_TRUE(c.command({"ZADD", "demand", "GT", "100", "es"}).ok());
    ASSERT_TRUE(c.command({"ZADD", "demand", "GT", "200", "fr"}).ok());
    ASSERT_TRUE(c.command({"ZADD", "demand", "GT", "50", "es"}).ok()); // ignored
    ASSERT_TRUE(c.command({"ZADD", "demand", "GT", "300", "es"}).ok());
    r = c.command({"ZRANGEBYSCORE", "demand", "150", "+inf"});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r.value().elements.size(), 2u);
    EXPECT_EQ(r.value().elements[0].str, "fr");
    EXPECT_EQ(r.value().elements[1].str, "es");
    r = c.command({"ZSCORE", "demand", "es"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().str, "300");

    // Binary-safe keys and values.
    const std::string key("bin\0key", 7), value("a\0b\r\n\xff\0", 8);
    ASSERT_TRUE(c.command({"SET", key, value}).ok());
    r = c.command({"GET", key});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().str, value);

    // An error reply is a reply, not a failure, and the connection stays usable.
    r = c.command({"INCR", "k"});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.value().is_error());
    EXPECT_NE(r.value().str.find("not an integer"), std::string::npos) << r.value().str;
    r = c.command({"NOSUCHCOMMAND"});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.value().is_error());
    EXPECT_TRUE(c.command({"PING"}).ok());
    EXPECT_FALSE(c.command({}).ok());
}

TEST(redis_connection, pipeline_returns_one_reply_per_command) {
    NEED_REDIS();
    redis_server server;
    connection c(at(server));
    auto r = c.pipeline({{"INCR", "n"}, {"INCRBY", "n", "10"}, {"GET", "n"}});
    ASSERT_TRUE(r.ok()) << r.error_message();
    ASSERT_EQ(r.value().size(), 3u);
    EXPECT_EQ(r.value()[0].integer, 1);
    EXPECT_EQ(r.value()[1].integer, 11);
    EXPECT_EQ(r.value()[2].str, "11");

    // An error in the middle stays in its slot.
    r = c.pipeline({{"SET", "s", "x"}, {"INCR", "s"}, {"GET", "s"}});
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.value()[0].is_error());
    EXPECT_TRUE(r.value()[1].is_error());
    EXPECT_EQ(r.value()[2].str, "x");
    EXPECT_TRUE(c.pipeline({}).ok());
}

TEST(redis_connection, selects_the_database) {
    NEED_REDIS();
    redis_server server;
    address a = at(server);
    a.db = 3;
    connection c3(a);
    connection c0(at(server));
    ASSERT_TRUE(c3.command({"SET", "where", "three"}).ok());
    EXPECT_EQ(c0.command({"GET", "where"}).value().type, reply::kind::nil);
    EXPECT_EQ(c3.command({"GET", "where"}).value().str, "three");
}

TEST(redis_connection, authenticates) {
    NEED_REDIS();
    redis_server server({"--requirepass", "s3cret"});
    address a = at(server);

    connection none(a);
    auto r = none.command({"GET", "x"});
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_TRUE(r.value().is_error()); // NOAUTH

    a.password = "s3cret";
    connection right(a);
    r = right.command({"SET", "x", "1"});
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_FALSE(r.value().is_error()) << r.value().str;

    a.password = "wrong";
    connection wrong(a);
    r = wrong.command({"GET", "x"});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("authentication failed"), std::string::npos) << r.error_message();
    EXPECT_NE(r.error_message().find(std::to_string(server.port())), std::string::npos);
    EXPECT_FALSE(wrong.connected());

    // The subscriber authenticates too, and says so when it cannot.
    inbox bad;
    {
        subscriber s(a, bad.on_message(), bad.on_state());
        ASSERT_TRUE(wait_until([&] { return bad.downs() > 0; }, 5s)) << s.last_error();
        EXPECT_NE(s.last_error().find("authentication failed"), std::string::npos) << s.last_error();
        EXPECT_FALSE(s.connected());
    }
    a.password = "s3cret";
    inbox good;
    subscriber s(a, good.on_message(), good.on_state());
    s.subscribe("c");
    ASSERT_TRUE(wait_until([&] { return s.connected(); }, 5s)) << s.last_error();
    EXPECT_EQ(publish(right, "c", "hi"), 1);
    ASSERT_TRUE(wait_until([&] { return good.count() == 1; }, 5s)) << good.count();
}

TEST(redis_connection, no_server_fails_fast_and_clearly) {
    int port = redis_server::free_port();
    address a;
    a.port = port;
    connection c(a, 1000ms);
    auto t0 = clock_type::now();
    auto r = c.command({"PING"});
    auto took = clock_type::now() - t0;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error_message(), "redis 127.0.0.1:" + std::to_string(port) + ": Connection refused");
    EXPECT_LT(took, 1000ms);
    EXPECT_FALSE(c.connected());
    auto p = c.pipeline({{"PING"}});
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.error_message().find("Connection refused"), std::string::npos);
}

TEST(redis_connection, read_timeout_drops_the_connection_then_recovers) {
    NEED_REDIS();
    redis_server server;
    connection c(at(server), 300ms);
    auto t0 = clock_type::now();
    auto r = c.command({"BLPOP", "never", "0"}); // blocks forever on the server
    auto took = clock_type::now() - t0;
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("no reply within 300 ms"), std::string::npos) << r.error_message();
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 2s);
    EXPECT_FALSE(c.connected());
    r = c.command({"PING"});
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(r.value().str, "PONG");
}

TEST(redis_connection, idle_connection_survives_a_server_restart) {
    NEED_REDIS();
    redis_server server;
    connection c(at(server));
    ASSERT_TRUE(c.command({"PING"}).ok());
    server.stop();
    server.start();
    // The closed socket is noticed before sending, so the first command already works.
    auto r = c.command({"INCR", "after"});
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(r.value().integer, 1);
}

TEST(redis_subscriber, delivers_in_order_on_two_channels_and_patterns) {
    NEED_REDIS();
    redis_server server;
    connection pub(at(server));
    inbox in;
    subscriber s(at(server), in.on_message(), in.on_state());
    s.subscribe("room:a");
    s.subscribe("room:b");
    s.subscribe("room:a"); // twice is once
    ASSERT_TRUE(wait_until([&] { return s.connected(); }, 5s));
    ASSERT_TRUE(wait_numsub(pub, "room:b", 1));
    EXPECT_EQ(s.reconnects(), 0u);

    const int n = 1000;
    for (int i = 0; i < n; ++i) {
        std::string payload = std::to_string(i) + std::string("\0bin", 4);
        ASSERT_EQ(publish(pub, i % 2 ? "room:b" : "room:a", payload), 1);
    }
    ASSERT_TRUE(wait_until([&] { return in.count() >= size_t(n); }, 10s)) << in.count();
    auto got = in.snapshot();
    ASSERT_EQ(got.size(), size_t(n));
    for (int i = 0; i < n; ++i) {
        EXPECT_EQ(got[i].first, i % 2 ? "room:b" : "room:a");
        ASSERT_EQ(got[i].second, std::to_string(i) + std::string("\0bin", 4)) << i;
    }

    // A pattern delivers the real channel name.
    s.psubscribe("lang:*");
    ASSERT_TRUE(wait_until(
        [&] {
            auto r = pub.command({"PUBSUB", "NUMPAT"});
            return r.ok() && r.value().integer == 1;
        },
        5s));
    EXPECT_EQ(publish(pub, "lang:es", "hola"), 1);
    ASSERT_TRUE(wait_until([&] { return in.count() == size_t(n) + 1; }, 5s));
    EXPECT_EQ(in.snapshot().back(), std::make_pair(std::string("lang:es"), std::string("hola")));

    // Unsubscribing stops delivery of that channel only.
    s.unsubscribe("room:a");
    ASSERT_TRUE(wait_numsub(pub, "room:a", 0));
    EXPECT_EQ(publish(pub, "room:a", "lost"), 0);
    EXPECT_EQ(publish(pub, "room:b", "kept"), 1);
    ASSERT_TRUE(wait_until([&] { return in.count() == size_t(n) + 2; }, 5s));
    std::this_thread::sleep_for(100ms);
    got = in.snapshot();
    ASSERT_EQ(got.size(), size_t(n) + 2);
    EXPECT_EQ(got.back().second, "kept");

    s.punsubscribe("lang:*");
    ASSERT_TRUE(wait_until(
        [&] {
            auto r = pub.command({"PUBSUB", "NUMPAT"});
            return r.ok() && r.value().integer == 0;
        },
        5s));
}

TEST(redis_subscriber, reconnects_and_resubscribes_after_a_restart) {
    NEED_REDIS();
    redis_server server;
    connection pub(at(server), 500ms);
    inbox in;
    subscriber s(at(server), in.on_message(), in.on_state());
    s.subscribe("room");
    ASSERT_TRUE(wait_until([&] { return s.connected(); }, 5s));
    EXPECT_EQ(publish(pub, "room", "before"), 1);
    ASSERT_TRUE(wait_until([&] { return in.count() == 1; }, 5s));

    server.stop();
    ASSERT_TRUE(wait_until([&] { return in.downs() == 1; }, 5s));
    EXPECT_FALSE(s.connected());
    {
        std::lock_guard l(in.m);
        ASSERT_EQ(in.states.size(), 2u);
        EXPECT_TRUE(in.states[0].first);
        EXPECT_FALSE(in.states[1].first);
        EXPECT_NE(in.states[1].second.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos)
            << in.states[1].second;
        EXPECT_NE(in.states[1].second.find("closed"), std::string::npos) << in.states[1].second;
    }
    auto r = pub.command({"PUBLISH", "room", "while down"});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("Connection refused"), std::string::npos) << r.error_message();
    s.subscribe("late"); // remembered while down

    std::this_thread::sleep_for(500ms); // a few failed attempts
    server.start();
    ASSERT_TRUE(wait_until([&] { return s.connected(); }, 8s));
    EXPECT_EQ(s.reconnects(), 1u);
    EXPECT_EQ(in.downs(), 1u); // failed attempts while down are not reported again
    EXPECT_EQ(publish(pub, "room", "after"), 1);
    EXPECT_EQ(publish(pub, "late", "late too"), 1);
    ASSERT_TRUE(wait_until([&] { return in.count() == 3; }, 5s));
    auto got = in.snapshot();
    EXPECT_EQ(got[1].second, "after");
    EXPECT_EQ(got[2].second, "late too");
}

TEST(redis_subscriber, detects_a_killed_server) {
    NEED_REDIS();
    redis_server server;
    inbox in;
    subscriber s(at(server), in.on_message(), in.on_state());
    s.subscribe("x");
    ASSERT_TRUE(wait_until([&] { return s.connected(); }, 5s));
    server.kill();
    ASSERT_TRUE(wait_until([&] { return !s.connected(); }, 5s));
    server.start();
    ASSERT_TRUE(wait_until([&] { return s.connected(); }, 8s));
    EXPECT_EQ(s.reconnects(), 1u);
}

TEST(redis_subscriber, no_server_reports_once_and_stops_quickly) {
    int port = redis_server::free_port();
    address a;
    a.port = port;
    inbox in;
    auto s = std::make_unique<subscriber>(a, in.on_message(), in.on_state());
    s->subscribe("x");
    ASSERT_TRUE(wait_until([&] { return in.downs() == 1; }, 2s));
    {
        std::lock_guard l(in.m);
        EXPECT_EQ(in.states[0].second, "redis 127.0.0.1:" + std::to_string(port) + ": Connection refused");
    }
    std::this_thread::sleep_for(1s); // several back-off rounds
    EXPECT_EQ(in.downs(), 1u);
    EXPECT_FALSE(s->connected());
    auto t0 = clock_type::now();
    s.reset();
    EXPECT_LT(clock_type::now() - t0, 1500ms);
}

TEST(redis_subscriber, destructor_is_prompt_when_the_server_is_down_or_idle) {
    NEED_REDIS();
    redis_server server;
    inbox in;
    auto idle = std::make_unique<subscriber>(at(server), in.on_message(), in.on_state());
    idle->subscribe("x");
    ASSERT_TRUE(wait_until([&] { return idle->connected(); }, 5s));
    auto t0 = clock_type::now();
    idle.reset(); // blocked in poll() on a live connection
    EXPECT_LT(clock_type::now() - t0, 1500ms);

    auto down = std::make_unique<subscriber>(at(server), in.on_message(), in.on_state());
    ASSERT_TRUE(wait_until([&] { return down->connected(); }, 5s));
    server.stop();
    ASSERT_TRUE(wait_until([&] { return !down->connected(); }, 5s));
    std::this_thread::sleep_for(700ms); // well into the back-off
    t0 = clock_type::now();
    down.reset();
    EXPECT_LT(clock_type::now() - t0, 1500ms);
}

// A listening socket nobody accepts from: the kernel completes connects into its queue
// (up to the backlog) and buffers what clients send, but nothing ever answers.
struct silent_listener {
    explicit silent_listener(int backlog) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof sa;
        EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
        EXPECT_EQ(::listen(fd, backlog), 0);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
        port = ntohs(sa.sin_port);
    }
    ~silent_listener() {
        for (int c : clients)
            ::close(c);
        ::close(fd);
    }
    // Non-blocking connect; true if it completed within 100 ms.
    bool connect_one() {
        int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        clients.push_back(c);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(static_cast<uint16_t>(port));
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0)
            return true;
        pollfd p{c, POLLOUT, 0};
        return ::poll(&p, 1, 100) == 1;
    }
    int fd = -1;
    int port = 0;
    std::vector<int> clients;
};

TEST(redis_connection, silent_server_times_out) {
    silent_listener l(16);
    address a;
    a.port = l.port;
    connection c(a, 300ms);
    auto t0 = clock_type::now();
    auto r = c.command({"PING"});
    auto took = clock_type::now() - t0;
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("no reply within 300 ms"), std::string::npos) << r.error_message();
    EXPECT_LT(took, 1500ms);
}

TEST(redis_subscriber, silent_server_is_reported_and_retried) {
    silent_listener l(16);
    address a;
    a.port = l.port;
    inbox in;
    subscriber::options o;
    o.timeout = 300ms;
    auto s = std::make_unique<subscriber>(a, in.on_message(), in.on_state(), o);
    s->subscribe("x");
    ASSERT_TRUE(wait_until([&] { return in.downs() == 1; }, 3s));
    EXPECT_NE(s->last_error().find("no reply to the handshake within 300 ms"), std::string::npos)
        << s->last_error();
    auto t0 = clock_type::now();
    s.reset();
    EXPECT_LT(clock_type::now() - t0, 1000ms);
}

TEST(redis_subscriber, hanging_connect_can_be_abandoned) {
    // With its accept queue full, a listener's kernel drops new SYNs: connects hang.
    silent_listener l(0);
    bool hangs = false;
    for (int i = 0; i < 8 && !hangs; ++i)
        hangs = !l.connect_one();
    // Linux drops SYNs to a full accept queue; a kernel that answers RST instead cannot run this.
    LT_REQUIRE_DEPENDENCY(hangs, "hanging-connect",
                          "could not make a connect hang (a full accept queue answered)");
    address a;
    a.port = l.port;
    inbox in;
    subscriber::options o;
    o.timeout = 10s;
    auto s = std::make_unique<subscriber>(a, in.on_message(), in.on_state(), o);
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(in.downs(), 0u) << s->last_error(); // still connecting
    auto t0 = clock_type::now();
    s.reset();
    EXPECT_LT(clock_type::now() - t0, 1000ms);
}
