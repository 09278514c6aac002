// The whisper engine's keep-up control, driven with made-up times: when the machine falls
// behind it decodes partials less often, then only finals, then asks once for a smaller
// model; with room to spare for long enough it steps back up.
#include "stt/whisper/keep_up.hpp"

#include <gtest/gtest.h>

using namespace lt::stt::whisper;
using level = keep_up::level;
using action = keep_up::action;

namespace {

// Decodes of `cost` seconds every `every` seconds of audio from `from` to `to`, checking
// after each; returns the actions taken.
std::vector<action> run(keep_up& k, double from, double to, double every, double cost) {
    std::vector<action> taken;
    for (double t = from + every; t <= to + 1e-9; t += every) {
        k.decoded(t, cost);
        if (auto a = k.check(t); a != action::none)
            taken.push_back(a);
    }
    return taken;
}

} // namespace

TEST(whisper_keep_up, a_machine_with_room_to_spare_stays_at_full) {
    keep_up k({.partial_interval_s = 1.0});
    EXPECT_TRUE(run(k, 0, 120, 1.0, 0.2).empty());
    EXPECT_EQ(k.current(), level::full);
    EXPECT_DOUBLE_EQ(k.partial_interval_s(), 1.0);
    EXPECT_FALSE(k.short_final_context());
    EXPECT_NEAR(k.rtf(120), 0.2, 0.03);
    EXPECT_EQ(k.describe(120), "RTF 0.20");
}

TEST(whisper_keep_up, falling_behind_gives_up_partials_step_by_step_then_asks_for_a_smaller_model_once) {
    keep_up k({.partial_interval_s = 1.0});
    // Each decode takes longer than the audio between them: RTF 1.2.
    auto taken = run(k, 0, 60, 1.0, 1.2);
    ASSERT_GE(taken.size(), 3u);
    EXPECT_EQ(taken[0], action::less);
    EXPECT_EQ(taken[1], action::less);
    EXPECT_EQ(taken[2], action::smaller_model);
    EXPECT_EQ(taken.size(), 3u) << "the smaller model is asked for once";
    EXPECT_EQ(k.current(), level::finals_only);
    EXPECT_DOUBLE_EQ(k.partial_interval_s(), 0.0);
    EXPECT_TRUE(k.short_final_context());
    EXPECT_NE(k.describe(60).find("finals only"), std::string::npos);
}

TEST(whisper_keep_up, changes_wait_for_fresh_measurements) {
    keep_up k({.partial_interval_s = 1.0, .judge_after_s = 5});
    auto taken = run(k, 0, 9, 1.0, 1.5);
    // One step at 5 s; the next judgement needs 5 s of audio measured at the new level.
    EXPECT_EQ(taken.size(), 1u);
    EXPECT_EQ(k.current(), level::fewer_partials);
    EXPECT_DOUBLE_EQ(k.partial_interval_s(), 2.0);
}

TEST(whisper_keep_up, a_final_that_waited_too_long_is_falling_behind_even_at_a_low_rtf) {
    keep_up k({.partial_interval_s = 1.0});
    run(k, 0, 6, 1.0, 0.1);
    k.final_waited(6.5, 2.5);
    EXPECT_EQ(k.check(6.5), action::less);
    EXPECT_EQ(k.current(), level::fewer_partials);
}

TEST(whisper_keep_up, room_to_spare_for_long_enough_steps_back_up) {
    keep_up k({.partial_interval_s = 1.0, .calm_s = 20});
    run(k, 0, 12, 1.0, 1.5);
    ASSERT_EQ(k.current(), level::finals_only);
    // Finals only is cheap: the machine has room again, but one step back up needs 20 s of it.
    auto taken = run(k, 12, 29, 1.0, 0.1);
    EXPECT_TRUE(taken.empty());
    taken = run(k, 29, 80, 1.0, 0.1);
    ASSERT_EQ(taken.size(), 2u);
    EXPECT_EQ(taken[0], action::more);
    EXPECT_EQ(taken[1], action::more);
    EXPECT_EQ(k.current(), level::full);
}

TEST(whisper_keep_up, a_long_wait_holds_off_the_step_back_up) {
    keep_up k({.partial_interval_s = 1.0, .calm_s = 20});
    run(k, 0, 7, 1.0, 1.5);
    ASSERT_EQ(k.current(), level::fewer_partials);
    run(k, 7, 20, 1.0, 0.1);
    k.final_waited(20, 1.0); // not behind (under 1.5 s) but not calm either
    auto taken = run(k, 20, 39, 1.0, 0.1);
    EXPECT_TRUE(taken.empty());
    taken = run(k, 39, 41, 1.0, 0.1);
    EXPECT_EQ(taken, std::vector<action>{action::more});
}

TEST(whisper_keep_up, after_a_model_switch_partials_come_back_at_the_fewer_level) {
    keep_up k({.partial_interval_s = 0.5});
    run(k, 0, 30, 1.0, 1.5);
    ASSERT_EQ(k.current(), level::finals_only);
    k.model_switched(30);
    EXPECT_EQ(k.current(), level::fewer_partials);
    EXPECT_DOUBLE_EQ(k.partial_interval_s(), 1.0);
    EXPECT_DOUBLE_EQ(k.rtf(30), 0.0);
}

TEST(whisper_keep_up, with_partials_off_it_is_finals_only_from_the_start_and_stays_there) {
    keep_up k({.partial_interval_s = 0});
    EXPECT_EQ(k.current(), level::finals_only);
    EXPECT_TRUE(run(k, 0, 60, 1.0, 0.05).empty());
    EXPECT_EQ(run(k, 60, 70, 1.0, 1.5), std::vector<action>{action::smaller_model});
}
