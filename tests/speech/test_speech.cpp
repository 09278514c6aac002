#include "speech/endpoint.hpp"
#include "speech/outbox.hpp"

#include <gtest/gtest.h>

using namespace lt::speech;

namespace {

endpoint parse_ok(const std::string& url) {
    auto r = parse_endpoint(url);
    EXPECT_TRUE(r) << url << ": " << (r ? "" : r.error_message());
    return r ? r.value() : endpoint{};
}

} // namespace

TEST(endpoint, http_and_ws_schemes_map_to_the_socket_path) {
    auto a = parse_ok("http://localhost:5050");
    EXPECT_FALSE(a.tls());
    EXPECT_EQ(a.host, "localhost");
    EXPECT_EQ(a.port, "5050");
    EXPECT_EQ(a.target, "/ws");
    EXPECT_EQ(a.url(), "ws://localhost:5050/ws");

    auto b = parse_ok("https://captions.example.org/");
    EXPECT_TRUE(b.tls());
    EXPECT_EQ(b.port, "443");
    EXPECT_EQ(b.target, "/ws");

    auto c = parse_ok("wss://example.org:8443/custom/socket?room=hall-a");
    EXPECT_TRUE(c.tls());
    EXPECT_EQ(c.port, "8443");
    EXPECT_EQ(c.target, "/custom/socket?room=hall-a");

    auto d = parse_ok("ws://example.org");
    EXPECT_EQ(d.port, "80");
    EXPECT_EQ(d.target, "/ws");

    // The page's address, pasted from the browser, still finds the socket.
    EXPECT_EQ(parse_ok("http://10.0.0.2:5050/index.html#x").target, "/ws");
    EXPECT_EQ(parse_ok("http://10.0.0.2:5050/?room=a").target, "/ws?room=a");
    EXPECT_EQ(parse_ok("https://live.example.org/r/hall-a").target, "/ws?room=hall-a");
    EXPECT_EQ(parse_ok("ws://live.example.org/r/hall-a").target, "/r/hall-a") << "a ws URL is taken as given";
}

TEST(endpoint, bare_host_port_and_ipv6) {
    auto a = parse_ok("127.0.0.1:6000");
    EXPECT_FALSE(a.tls());
    EXPECT_EQ(a.host, "127.0.0.1");
    EXPECT_EQ(a.port, "6000");

    auto b = parse_ok("ws://[::1]:5050/ws");
    EXPECT_EQ(b.host, "::1");
    EXPECT_EQ(b.port, "5050");
    EXPECT_EQ(b.url(), "ws://[::1]:5050/ws");
    EXPECT_EQ(parse_ok("HTTPS://[::1]").port, "443");
}

TEST(endpoint, errors_name_the_problem) {
    auto bad_scheme = parse_endpoint("ftp://example.org");
    ASSERT_FALSE(bad_scheme);
    EXPECT_NE(bad_scheme.error_message().find("'ftp'"), std::string::npos);
    EXPECT_NE(bad_scheme.error_message().find("http, https, ws or wss"), std::string::npos);

    auto bad_port = parse_endpoint("http://example.org:99999");
    ASSERT_FALSE(bad_port);
    EXPECT_NE(bad_port.error_message().find("99999"), std::string::npos);
    EXPECT_FALSE(parse_endpoint("http://example.org:abc"));
    EXPECT_FALSE(parse_endpoint("http://:5050"));
    EXPECT_FALSE(parse_endpoint("http://[::1"));
    EXPECT_FALSE(parse_endpoint("http://user:pw@example.org"));
}

TEST(outbox, keeps_order_and_acknowledges_only_the_oldest) {
    outbox box(10);
    box.push({"a", "one", "en", ""});
    box.push({"b", "two", "en", ""});
    EXPECT_EQ(box.front()->id, "a");
    EXPECT_FALSE(box.acknowledge("b")); // out of order: ignored
    EXPECT_EQ(box.size(), 2u);
    EXPECT_TRUE(box.acknowledge("a"));
    EXPECT_EQ(box.front()->id, "b");
    EXPECT_TRUE(box.acknowledge("b"));
    EXPECT_TRUE(box.empty());
    EXPECT_EQ(box.front(), nullptr);
    EXPECT_FALSE(box.pop());
}

TEST(outbox, drops_the_oldest_only_past_capacity) {
    outbox box(1000);
    for (int i = 0; i < 1000; ++i)
        EXPECT_FALSE(box.push({"id" + std::to_string(i), "t", "en", ""}));
    EXPECT_EQ(box.dropped(), 0u);
    auto lost = box.push({"id1000", "t", "en", ""});
    ASSERT_TRUE(lost);
    EXPECT_EQ(lost->id, "id0");
    EXPECT_EQ(box.size(), 1000u);
    EXPECT_EQ(box.dropped(), 1u);
    EXPECT_EQ(box.front()->id, "id1");
}
