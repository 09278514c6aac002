// The SQLite store of durable rooms: finals and translations survive closing and a process
// that dies without closing (as kill -9 after an acknowledgement), ids stay unique per room,
// corrections forget the old translations, transcripts read in batches, retention prunes.
#include "storage/store.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

using namespace lt::storage;

namespace {

std::filesystem::path fresh_dir(const std::string& name) {
    auto d = std::filesystem::temp_directory_path() / ("lt_store_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    return d;
}

stored_caption final_of(const std::string& room, std::uint64_t seq, const std::string& text,
                        std::int64_t at_ms = 0) {
    stored_caption c;
    c.room = room;
    c.seq = seq;
    c.id = "id-" + std::to_string(seq);
    c.lang = "en";
    c.text = text;
    c.timestamp = "12:00:0" + std::to_string(seq % 10);
    c.at_ms = at_ms ? at_ms : 1'700'000'000'000 + static_cast<std::int64_t>(seq) * 1000;
    return c;
}

} // namespace

TEST(store, finals_and_translations_survive_reopening) {
    auto dir = fresh_dir("reopen");
    {
        auto s = store::open(dir);
        ASSERT_TRUE(s) << s.error_message();
        ASSERT_TRUE(s.value()->add_final(final_of("main", 1, "Hello.")));
        ASSERT_TRUE(s.value()->add_final(final_of("main", 2, "Welcome.")));
        ASSERT_TRUE(s.value()->add_final(final_of("b", 1, "Other room.")));
        ASSERT_TRUE(s.value()->add_translation("main", 1, {"es", "Hola.", "apertium"}));
        ASSERT_TRUE(s.value()->add_translation("main", 1, {"es", "¡Hola!", "deepl"})) << "replaces";
    }
    auto s = store::open(dir);
    ASSERT_TRUE(s);
    auto& st = *s.value();
    EXPECT_EQ(st.rooms(), (std::vector<std::string>{"b", "main"}));
    EXPECT_EQ(st.last_seq("main"), 2u);
    EXPECT_EQ(st.last_seq("none"), 0u);
    EXPECT_EQ(st.seq_of_id("main", "id-2"), 2u);
    EXPECT_FALSE(st.seq_of_id("b", "id-2"));
    auto recent = st.recent("main", 10);
    ASSERT_EQ(recent.size(), 2u);
    EXPECT_EQ(recent[0].text, "Hello.");
    EXPECT_EQ(recent[1].timestamp, "12:00:02");
    EXPECT_EQ(st.recent("main", 1).front().seq, 2u) << "the newest, when limited";
    auto t = st.translation("main", 1, "es");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->text, "¡Hola!");
    EXPECT_EQ(t->engine, "deepl");
    EXPECT_EQ(st.translations("main", 1).size(), 1u);
    auto r = st.report();
    EXPECT_EQ(r.captions, 3u);
    EXPECT_EQ(r.translations, 1u);
    EXPECT_EQ(r.rooms, 2u);
    EXPECT_GT(r.bytes, 0u);
    std::filesystem::remove_all(dir);
}

TEST(store, a_final_is_on_disk_when_add_final_returns_even_if_the_process_dies) {
    auto dir = fresh_dir("crash");
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto s = store::open(dir);
        bool ok = s && s.value()->add_final(final_of("main", 7, "Acknowledged."));
        ::_exit(ok ? 0 : 3); // no destructor, no close: as kill -9 right after the ack
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    auto s = store::open(dir);
    ASSERT_TRUE(s);
    auto c = s.value()->caption("main", 7);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->text, "Acknowledged.");
    std::filesystem::remove_all(dir);
}

TEST(store, ids_and_seqs_are_unique_per_room_and_errors_say_which) {
    auto dir = fresh_dir("unique");
    auto s = store::open(dir);
    ASSERT_TRUE(s);
    auto& st = *s.value();
    ASSERT_TRUE(st.add_final(final_of("main", 1, "One.")));
    auto again = st.add_final(final_of("main", 1, "One again."));
    ASSERT_FALSE(again);
    EXPECT_NE(again.error_message().find("cannot store final 1 (id id-1) of room main"), std::string::npos)
        << again.error_message();
    auto same_id = final_of("main", 2, "Two.");
    same_id.id = "id-1";
    EXPECT_FALSE(st.add_final(same_id));
    EXPECT_TRUE(st.add_final(final_of("other", 1, "One elsewhere.")));
    std::filesystem::remove_all(dir);
}

TEST(store, a_correction_replaces_the_text_and_forgets_old_translations) {
    auto dir = fresh_dir("correct");
    auto s = store::open(dir);
    ASSERT_TRUE(s);
    auto& st = *s.value();
    ASSERT_TRUE(st.add_final(final_of("main", 1, "Doctor Oak afar.")));
    ASSERT_TRUE(st.add_translation("main", 1, {"es", "Doctor roble lejos.", "apertium"}));
    ASSERT_TRUE(st.correct("main", 1, "Doctor Okafor."));
    auto c = st.caption("main", 1);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->text, "Doctor Okafor.");
    EXPECT_TRUE(c->corrected);
    EXPECT_TRUE(st.translations("main", 1).empty());
    auto missing = st.correct("main", 9, "x");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error_message(), "no final 9 in room main");
    std::filesystem::remove_all(dir);
}

TEST(store, for_each_reads_a_room_in_order_across_batches_and_retention_prunes) {
    auto dir = fresh_dir("each");
    auto s = store::open(dir);
    ASSERT_TRUE(s);
    auto& st = *s.value();
    for (std::uint64_t i = 1; i <= 25; ++i) {
        ASSERT_TRUE(st.add_final(
            final_of("main", i, "Line " + std::to_string(i), static_cast<std::int64_t>(i) * 1000)));
        ASSERT_TRUE(st.add_translation("main", i, {"es", "Línea", "apertium"}));
    }
    std::vector<std::uint64_t> seen;
    st.for_each(
        "main", [&](const stored_caption& c) { seen.push_back(c.seq); }, 7);
    ASSERT_EQ(seen.size(), 25u);
    for (std::size_t i = 0; i < seen.size(); ++i)
        EXPECT_EQ(seen[i], i + 1);
    EXPECT_EQ(st.prune_before(10'500), 10u);
    EXPECT_FALSE(st.caption("main", 10));
    EXPECT_TRUE(st.caption("main", 11));
    EXPECT_EQ(st.report().translations, 15u);
    EXPECT_EQ(st.last_seq("main"), 25u);
    std::filesystem::remove_all(dir);
}

TEST(store, a_transcript_reads_pages_and_their_translations_and_stores_a_group_at_once) {
    auto dir = fresh_dir("pages");
    auto s = store::open(dir);
    ASSERT_TRUE(s);
    auto& st = *s.value();
    for (std::uint64_t i = 1; i <= 5; ++i)
        ASSERT_TRUE(st.add_final(final_of("main", i, "Line " + std::to_string(i))));
    ASSERT_TRUE(st.add_final(final_of("other", 1, "Elsewhere")));
    ASSERT_TRUE(st.add_translations("main", {{2, {"es", "Línea 2", "apertium"}},
                                             {3, {"es", "Línea 3", "apertium"}},
                                             {3, {"fr", "Ligne 3", "apertium"}},
                                             {5, {"es", "Línea 5", "apertium"}}}));
    auto page = st.page("main", 1, 3);
    ASSERT_EQ(page.size(), 3u);
    EXPECT_EQ(page.front().seq, 2u);
    EXPECT_EQ(page.back().seq, 4u);
    EXPECT_TRUE(st.page("main", 5, 3).empty());
    EXPECT_EQ(st.translations_into("main", "es", 2, 4),
              (std::map<std::uint64_t, std::string>{{2, "Línea 2"}, {3, "Línea 3"}}));
    std::filesystem::remove_all(dir);
}

TEST(store, an_unusable_directory_is_an_error_naming_it) {
    auto s = store::open("/proc/no-such-dir/data");
    ASSERT_FALSE(s);
    EXPECT_NE(s.error_message().find("/proc/no-such-dir/data"), std::string::npos) << s.error_message();
    EXPECT_NE(s.error_message().find("--data-dir"), std::string::npos);
}
