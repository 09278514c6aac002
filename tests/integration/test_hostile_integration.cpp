// lt-server against clients that misbehave (issue 13): oversized bodies, made-up rooms,
// slow headers, bad close codes and handshakes, foreign origins, history floods, and a
// client that behaves exactly like the reference project's page. Real binary over loopback;
// hostile clients are raw sockets, every loop bounded in count and time.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

using namespace lt::test;

namespace {

const std::string key = "hostile-key";

// A plain TCP connection from `source` (any 127.0.0.0/8 address is this machine).
class raw_socket {
public:
    raw_socket(unsigned short port, const char* source = "127.0.0.1") {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0)
            throw std::runtime_error("socket() failed");
        sockaddr_in from{};
        from.sin_family = AF_INET;
        ::inet_pton(AF_INET, source, &from.sin_addr);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0)
            throw std::runtime_error("bind to " + std::string(source) + " failed");
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0)
            throw std::runtime_error("connect failed");
    }
    ~raw_socket() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    raw_socket(const raw_socket&) = delete;
    raw_socket& operator=(const raw_socket&) = delete;

    bool send_all(std::string_view data) {
        while (!data.empty()) {
            auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0)
                return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }
    // Whatever arrives within `wait` (stops early at end of stream; `closed` then true).
    std::string read_for(std::chrono::milliseconds wait, bool* closed = nullptr,
                         std::size_t stop_after = std::string::npos) {
        std::string out;
        auto deadline = std::chrono::steady_clock::now() + wait;
        if (closed)
            *closed = false;
        while (out.size() < stop_after) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                break;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
                break;
            char buf[65536];
            auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                if (closed)
                    *closed = true;
                break;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }

private:
    int fd_ = -1;
};

std::size_t count_of(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

std::string upgrade_request(unsigned short port, const std::string& ws_key,
                            const std::string& extra_headers = "") {
    return "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + ws_key +
           "\r\nSec-WebSocket-Version: 13\r\n" + extra_headers + "\r\n";
}

int status_of(const std::string& response) {
    if (response.size() < 12 || response.compare(0, 9, "HTTP/1.1 ") != 0)
        return 0;
    return std::stoi(response.substr(9, 3));
}

json new_text(const std::string& text, const std::string& id) {
    return {{"type", "new_text"},
            {"data", {{"text", text}, {"timestamp", "12:00:00"}, {"id", id}, {"api_key", key}}}};
}

std::unique_ptr<ws_client> connect_to(unsigned short port, const std::string& room = "main") {
    ws_client::options o;
    o.target = "/ws?room=" + room;
    auto c = std::make_unique<ws_client>(port, o);
    EXPECT_TRUE(c->receive_type("connection_status"));
    return c;
}

} // namespace

// Defect 1: the leftover body of a refused request was parsed as new requests.
TEST(hostile_http, a_body_over_the_limit_gets_one_413_and_the_socket_closes) {
    server_process server({"--translator", "none"}, {{"API_KEY", key}});
    raw_socket s(server.port());
    std::string body;
    const std::string pipelined = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    while (body.size() + pipelined.size() <= 17000)
        body += pipelined;
    body.resize(17000, ' ');
    s.send_all("POST /generate_token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 17000\r\n\r\n" +
               body);
    bool closed = false;
    auto got = s.read_for(5s, &closed, 1 << 20);
    EXPECT_EQ(count_of(got, "HTTP/1.1 "), 1u) << got.substr(0, 400);
    EXPECT_EQ(status_of(got), 413);
    EXPECT_TRUE(closed) << "the connection stayed open";
}

// Defect 3: rooms were never removed; 1,000 made-up rooms locked out every new one.
TEST(hostile_rooms, made_up_rooms_are_collected_and_configured_rooms_stay) {
    server_process server({"--translator", "none", "--max-rooms", "50"}, {{"API_KEY", key},
                                                                          {"LT_ROOMS", "keynote=kn-secret"},
                                                                          {"LT_ROOM_IDLE_SECONDS", "0.3"},
                                                                          {"LT_NEW_ROOMS_PER_MINUTE", "0"}});
    connect_to(server.port(), "keynote").reset();
    int opened = 0;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    for (int i = 0; i < 1000 && std::chrono::steady_clock::now() < deadline; ++i) {
        try {
            ws_client::options o;
            o.target = "/ws?room=made-up-" + std::to_string(i);
            ws_client c(server.port(), o);
            ++opened;
        } catch (const std::exception&) {
            // 503 while 50 rooms wait for collection
        }
    }
    EXPECT_GE(opened, 49);
    // Within a few grace periods every made-up room is gone and a new one opens.
    json rooms;
    for (int i = 0; i < 50; ++i) {
        rooms = json::parse(http_get(server.port(), "/health").body)["rooms"];
        if (rooms.size() <= 1)
            break;
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(rooms.size(), 1u) << rooms.dump();
    EXPECT_EQ(http_get(server.port(), "/metrics").body.find("lt_rooms_collected_total 0"), std::string::npos);
    EXPECT_TRUE(rooms.contains("keynote")) << "a configured room was collected";
    auto fresh = connect_to(server.port(), "fresh-room");
    EXPECT_FALSE(fresh->closed());
}

TEST(hostile_rooms, an_address_has_a_budget_of_new_rooms_but_configured_rooms_always_open) {
    server_process server(
        {"--translator", "none"},
        {{"API_KEY", key}, {"LT_ROOMS", "keynote=kn-secret"}, {"LT_NEW_ROOMS_PER_MINUTE", "5"}});
    int opened = 0;
    http_reply refused;
    for (int i = 0; i < 30; ++i) {
        auto r = http_get(server.port(), "/ws?room=budget-" + std::to_string(i), "GET",
                          {{"Upgrade", "websocket"},
                           {"Connection", "Upgrade"},
                           {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                           {"Sec-WebSocket-Version", "13"}});
        if (r.status == 101)
            ++opened;
        else
            refused = r;
    }
    EXPECT_EQ(opened, 10) << "bursts of twice the rate per minute";
    EXPECT_EQ(refused.status, 429);
    EXPECT_NE(refused.body.find("too many new rooms"), std::string::npos) << refused.body;
    EXPECT_NE(http_get(server.port(), "/metrics").body.find("lt_rooms_refused_total 20"), std::string::npos);
    auto keynote = connect_to(server.port(), "keynote");
    EXPECT_FALSE(keynote->closed());
    // A key holder may open a room past the budget.
    auto r = http_get(server.port(), "/ws?room=with-key", "GET",
                      {{"Upgrade", "websocket"},
                       {"Connection", "Upgrade"},
                       {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                       {"Sec-WebSocket-Version", "13"},
                       {"X-API-Key", key}});
    EXPECT_EQ(r.status, 101);
}

// Defect 4: refused and slow-header sockets held descriptors for 30 s.
TEST(hostile_descriptors, one_address_with_slow_headers_does_not_lock_out_another) {
    server_process server({"--translator", "none", "--max-connections-per-ip", "20"},
                          {{"API_KEY", key}, {"LT_HEADER_TIMEOUT", "2"}});
    // The server may hold 128 descriptors; the attacker opens 150 sockets.
    ASSERT_EQ(std::system(("prlimit --pid " + std::to_string(server.pid()) + " --nofile=128:128").c_str()),
              0);
    std::vector<std::unique_ptr<raw_socket>> attack;
    for (int i = 0; i < 150; ++i) {
        try {
            attack.push_back(std::make_unique<raw_socket>(server.port(), "127.0.0.1"));
            attack.back()->send_all("G");
        } catch (const std::exception&) {
        }
    }
    // Over-limit sockets are closed at once, with a 503.
    std::size_t closed_at_once = 0;
    for (auto& a : attack) {
        bool closed = false;
        auto got = a->read_for(20ms, &closed);
        if (closed || status_of(got) == 503)
            ++closed_at_once;
    }
    EXPECT_GE(closed_at_once, attack.size() - 20) << "over-limit sockets were held";
    // Another address keeps being served while the first trickles its headers.
    auto start = std::chrono::steady_clock::now();
    int served = 0;
    for (int i = 0; i < 6; ++i) {
        for (auto& a : attack)
            a->send_all("E");
        raw_socket other(server.port(), "127.0.0.2");
        other.send_all("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        if (status_of(other.read_for(1s)) == 200)
            ++served;
        std::this_thread::sleep_for(500ms);
    }
    EXPECT_EQ(served, 6);
    // The slow ones are cut at the header timeout, not after 30 s.
    std::size_t open_left = 0;
    for (auto& a : attack) {
        bool closed = false;
        a->read_for(std::chrono::milliseconds(10), &closed);
        if (!closed)
            ++open_left;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_EQ(open_left, 0u);
    EXPECT_NE(server.log().find("descriptors"), std::string::npos) << server.log();
}

// Defect 6: close codes outside the valid ranges were echoed.
TEST(hostile_websocket, invalid_close_codes_get_1002) {
    server_process server({"--translator", "none"}, {{"API_KEY", key}});
    for (std::uint16_t code : {5000, 65535, 1004, 1005, 1006, 1015, 999}) {
        raw_socket s(server.port());
        s.send_all(upgrade_request(server.port(), "dGhlIHNhbXBsZSBub25jZQ=="));
        auto hello = s.read_for(2s, nullptr, 1);
        ASSERT_EQ(status_of(hello), 101) << hello;
        s.send_all(close_frame(code));
        bool closed = false;
        auto rest = hello + s.read_for(3s, &closed);
        auto frames = rest.substr(rest.find("\r\n\r\n") + 4);
        EXPECT_EQ(close_code_in(frames), 1002) << "close code " << code;
    }
    // A valid one is still echoed.
    raw_socket s(server.port());
    s.send_all(upgrade_request(server.port(), "dGhlIHNhbXBsZSBub25jZQ=="));
    auto hello = s.read_for(2s, nullptr, 1);
    s.send_all(close_frame(4000));
    auto rest = hello + s.read_for(3s);
    EXPECT_EQ(close_code_in(rest.substr(rest.find("\r\n\r\n") + 4)), 4000);
}

TEST(hostile_websocket, a_key_that_is_not_16_bytes_of_base64_gets_400) {
    server_process server({"--translator", "none"}, {{"API_KEY", key}});
    for (const std::string bad : {"not base64 at all!!!!!!!", "dGhlIHNhbXBsZQ==", "dGhlIHNhbXBsZSBub25jZQ=*",
                                  "dGhlIHNhbXBsZSBub25jZR=="}) {
        raw_socket s(server.port());
        s.send_all(upgrade_request(server.port(), bad));
        auto got = s.read_for(2s, nullptr, 1);
        EXPECT_EQ(status_of(got), 400) << bad << ": " << got;
        EXPECT_NE(got.find("Sec-WebSocket-Key"), std::string::npos) << got;
    }
}

TEST(hostile_websocket, allowed_origins_refuse_other_pages_with_403) {
    server_process server(
        {"--translator", "none"},
        {{"API_KEY", key}, {"LT_ALLOWED_ORIGINS", "https://captions.example.org, http://127.0.0.1:8080"}});
    auto upgrade = [&](const std::string& origin) {
        raw_socket s(server.port());
        s.send_all(upgrade_request(
            server.port(), "dGhlIHNhbXBsZSBub25jZQ==", origin.empty() ? "" : "Origin: " + origin + "\r\n"));
        return s.read_for(2s, nullptr, 1);
    };
    EXPECT_EQ(status_of(upgrade("https://captions.example.org")), 101);
    EXPECT_EQ(status_of(upgrade("http://127.0.0.1:8080")), 101);
    EXPECT_EQ(status_of(upgrade("")), 101) << "programs send no Origin";
    auto refused = upgrade("https://evil.example.com");
    EXPECT_EQ(status_of(refused), 403);
    EXPECT_NE(refused.find("origin"), std::string::npos) << refused;
}

TEST(hostile_websocket, history_replays_count_in_the_message_rate) {
    server_process server({"--translator", "none", "--message-rate", "5"}, {{"API_KEY", key}});
    auto speaker = connect_to(server.port());
    for (int i = 1; i <= 100; ++i)
        speaker->send(new_text("caption " + std::to_string(i), "h" + std::to_string(i)));
    ASSERT_EQ(speaker->collect("text_ack", 100, 20s).size(), 100u);
    auto v = connect_to(server.port());
    for (int i = 0; i < 10; ++i)
        v->send({{"type", "set_language"}, {"data", {{"lang", "en"}, {"since", 0}}}});
    std::size_t confirmed = 0, limited = 0;
    for (int i = 0; i < 2000; ++i) {
        auto f = v->receive(500ms);
        if (!f)
            break;
        if ((*f)["type"] == "language_set")
            ++confirmed;
        if ((*f)["type"] == "error" && (*f)["data"]["code"] == "rate_limited")
            ++limited;
    }
    // A burst of 10 messages; a replay of 100 captions costs 1 + 100/20 = 6 of them.
    EXPECT_LE(confirmed, 2u);
    EXPECT_GE(limited, 8u);
}

// The reference page sends a plain set_language on every switch and reconnect and has no seq
// to drop duplicates with: it must get no history replay.
TEST(reference_page, switching_language_and_reconnecting_shows_no_duplicates) {
    server_process server({}, {{"API_KEY", key}});
    auto speaker = connect_to(server.port());
    std::vector<json> shown;
    auto page = connect_to(server.port());
    page->send({{"type", "set_language"}, {"data", {{"lang", "en"}}}});
    ASSERT_TRUE(page->receive_type("language_set"));
    for (int i = 1; i <= 3; ++i)
        speaker->send(new_text("Caption number " + std::to_string(i) + ".", "r" + std::to_string(i)));
    for (auto& f : page->collect("translated_text", 3))
        shown.push_back(f);
    // Switch to Spanish: the reference server sends nothing until the next caption.
    page->send({{"type", "set_language"}, {"data", {{"lang", "es"}}}});
    ASSERT_TRUE(page->receive_type("language_set"));
    speaker->send(new_text("Caption number 4.", "r4"));
    for (auto& f : page->collect("translated_text", 4, 3s))
        shown.push_back(f);
    // Reconnect, choosing Spanish again.
    page = connect_to(server.port());
    page->send({{"type", "set_language"}, {"data", {{"lang", "es"}}}});
    ASSERT_TRUE(page->receive_type("language_set"));
    speaker->send(new_text("Caption number 5.", "r5"));
    for (auto& f : page->collect("translated_text", 5, 3s))
        shown.push_back(f);
    std::vector<std::string> ids;
    for (const auto& f : shown)
        ids.push_back(f["data"]["id"]);
    EXPECT_EQ(ids, (std::vector<std::string>{"r1", "r2", "r3", "r4", "r5"}));
    // Our page asks for the catch-up explicitly and still gets it.
    auto ours = connect_to(server.port());
    ours->send({{"type", "set_language"}, {"data", {{"lang", "en"}, {"history", true}}}});
    EXPECT_EQ(ours->collect("translated_text", 5, 5s).size(), 5u);
}

TEST(hostile_descriptors, the_reserve_of_descriptors_is_kept_free) {
    server_process server({"--translator", "none"}, {{"API_KEY", key}, {"LT_FD_RESERVE", "100"}});
    auto log = server.log();
    EXPECT_NE(log.find("descriptors: soft limit"), std::string::npos) << log;
    ASSERT_EQ(std::system(("prlimit --pid " + std::to_string(server.pid()) + " --nofile=128:128").c_str()),
              0);
    // The server's own descriptors and 100 in reserve leave only a few for connections.
    std::vector<std::unique_ptr<ws_client>> held;
    http_reply refused;
    for (int i = 0; i < 60; ++i) {
        try {
            held.push_back(std::make_unique<ws_client>(server.port()));
        } catch (const std::exception&) {
            refused = http_get(server.port(), "/health");
            break;
        }
    }
    EXPECT_EQ(refused.status, 503);
    EXPECT_NE(refused.body.find("out of file descriptors"), std::string::npos) << refused.body;
    EXPECT_LT(held.size(), 28u);
}
