#include "hub/rooms.hpp"

#include "test_double.hpp"
#include "translate/translation_service.hpp"

#include <gtest/gtest.h>

using namespace lt;
using namespace lt::hub;

TEST(rooms, names_are_lower_case_letters_digits_and_dashes_up_to_64) {
    EXPECT_TRUE(is_room_name("main"));
    EXPECT_TRUE(is_room_name("hall-a"));
    EXPECT_TRUE(is_room_name("2026-keynote"));
    EXPECT_TRUE(is_room_name(std::string(64, 'a')));
    EXPECT_FALSE(is_room_name(std::string(65, 'a')));
    EXPECT_FALSE(is_room_name(""));
    EXPECT_FALSE(is_room_name("Hall-A"));
    EXPECT_FALSE(is_room_name("hall a"));
    EXPECT_FALSE(is_room_name("hall_a"));
    EXPECT_FALSE(is_room_name("../etc"));
    EXPECT_FALSE(is_room_name("h\xc3\xa9"));
}

TEST(rooms, keys_parse_from_lines_or_commas) {
    auto k = parse_room_keys("hall-a=secret-a, hall-b = secret-b\n# a comment\n\nkeynote=k3\r\n");
    ASSERT_TRUE(k) << k.error_message();
    EXPECT_EQ(k.value(), (std::map<std::string, std::string>{
                             {"hall-a", "secret-a"}, {"hall-b", "secret-b"}, {"keynote", "k3"}}));
    EXPECT_TRUE(parse_room_keys("").value().empty());
}

TEST(rooms, bad_key_entries_say_which_and_why) {
    auto no_eq = parse_room_keys("hall-a=x,hall-b");
    ASSERT_FALSE(no_eq);
    EXPECT_NE(no_eq.error_message().find("entry 2"), std::string::npos) << no_eq.error_message();
    auto bad_name = parse_room_keys("Hall A=x");
    ASSERT_FALSE(bad_name);
    EXPECT_NE(bad_name.error_message().find("'Hall A' is not a room name"), std::string::npos);
    EXPECT_FALSE(parse_room_keys("hall-a="));
    auto twice = parse_room_keys("a=1\na=2");
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error_message().find("twice"), std::string::npos);
}

TEST(rooms, registry_creates_once_and_is_bounded) {
    auto backend = std::make_shared<test::tagging_translator>();
    translate::translation_service service(backend, translate::service_params{1, 100, 0});
    room_registry rooms(service, {}, {}, 2);
    auto a = rooms.get("a");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(rooms.get("a"), a);
    EXPECT_EQ(rooms.find("b"), nullptr);
    auto b = rooms.get("b");
    ASSERT_NE(b, nullptr);
    EXPECT_NE(a, b);
    EXPECT_EQ(rooms.get("c"), nullptr) << "a third room is over the limit";
    EXPECT_EQ(rooms.get("a"), a) << "existing rooms stay reachable at the limit";
    EXPECT_EQ(rooms.size(), 2u);
    EXPECT_EQ(rooms.all().size(), 2u);
}

TEST(rooms, unused_rooms_are_collected_after_their_grace_and_kept_ones_stay) {
    using namespace std::chrono_literals;
    auto backend = std::make_shared<test::tagging_translator>();
    translate::translation_service service(backend, translate::service_params{1, 100, 0});
    room_registry rooms(service, {}, {}, 10);
    auto keep = [](const std::string& r) { return r == "keynote"; };
    rooms.get("keynote");
    rooms.get("empty");
    rooms.get("captions")->publish(text_in{"hello", "12:00:00", "c1"});
    auto held = rooms.get("held"); // a connection still holds it
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(rooms.collect(t0, 1s, 60s, keep), 0u) << "the grace starts when a room is first seen unused";
    EXPECT_EQ(rooms.collect(t0 + 2s, 1s, 60s, keep), 1u);
    EXPECT_EQ(rooms.find("empty"), nullptr);
    EXPECT_NE(rooms.find("captions"), nullptr) << "a room with captions waits longer";
    EXPECT_EQ(rooms.collect(t0 + 61s, 1s, 60s, keep), 1u);
    EXPECT_EQ(rooms.find("captions"), nullptr);
    EXPECT_NE(rooms.find("keynote"), nullptr);
    EXPECT_NE(rooms.find("held"), nullptr);
    held.reset();
    rooms.collect(t0 + 62s, 1s, 60s, keep);
    EXPECT_EQ(rooms.collect(t0 + 64s, 1s, 60s, keep), 1u);
    EXPECT_EQ(rooms.size(), 1u);
}
