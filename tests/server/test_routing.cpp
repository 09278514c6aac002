// The socket-free part of routing (server/routing.hpp): query parameters and room pages.
#include "server/routing.hpp"

#include <gtest/gtest.h>

using namespace lt::server;

TEST(routing, path_and_query_params) {
    EXPECT_EQ(path_of("/ws?room=a"), "/ws");
    EXPECT_EQ(path_of("/"), "/");
    EXPECT_EQ(query_param("/ws?room=hall&x=1", "room"), "hall");
    EXPECT_EQ(query_param("/ws?x=1&room=b", "room"), "b");
    EXPECT_EQ(query_param("/ws?room", "room"), "");
    EXPECT_EQ(query_param("/ws?room=a&room=b", "room"), "a"); // the first wins
    EXPECT_EQ(query_param("/ws?rooms=a", "room"), std::nullopt);
    EXPECT_EQ(query_param("/ws", "room"), std::nullopt);
    EXPECT_EQ(query_param("/ws?&&room=c", "room"), "c");
}

TEST(routing, room_pages) {
    auto page = route_room_page("/r/hall");
    EXPECT_EQ(page.target, "/index.html");
    EXPECT_FALSE(page.redirect);
    auto slash = route_room_page("/r/hall/");
    EXPECT_EQ(slash.redirect, "/r/hall");
    auto link = route_room_page("/r/app.js?v=2");
    EXPECT_EQ(link.target, "/app.js?v=2");
    EXPECT_FALSE(link.redirect);
    EXPECT_EQ(route_room_page("/app.js").target, "/app.js");
    EXPECT_EQ(route_room_page("/r/").target, "/");
    EXPECT_EQ(route_room_page("/r/Hall").target, "/Hall"); // not a room name: a file under /
    EXPECT_EQ(route_room_page("/r/hall/operator").target, "/operator.html");
    EXPECT_EQ(route_room_page("/r/hall/screen").target, "/screen.html");
    EXPECT_EQ(route_room_page("/r/hall/operator.js").target, "/operator.js");
    EXPECT_EQ(route_room_page("/screen?lang=es,fr").target, "/screen.html?lang=es,fr");
    EXPECT_EQ(route_room_page("/operator").target, "/operator.html");
    EXPECT_EQ(route_room_page("/r/Hall/operator").target, "/Hall/operator") << "not a room name";
    EXPECT_NE(bad_room_message(std::string(500, 'x')).size(), 0u);
    EXPECT_LT(bad_room_message(std::string(500, 'x')).size(), 200u);
}
