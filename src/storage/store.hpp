// Durable rooms (--data-dir): every final caption and every translation made for it, in one
// SQLite database per server (WAL mode), so a restart or crash loses nothing a speaker was told
// was received, and a resent final is recognised by its id across restarts. The hub writes a
// final here before it acknowledges it; translations follow as they are made.
//
// Thread-safe: one connection behind a mutex (finals come a few a second; SQLite's own
// locking would add nothing).
#pragma once

#include "core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace lt::storage {

struct stored_caption {
    std::string room;
    std::uint64_t seq = 0;
    std::string id;                // the speaker's id (de-duplication)
    std::string lang;              // source language
    std::string text;              // corrected text when corrected
    std::string timestamp;         // the speaker's clock, as sent ("12:00:00")
    std::int64_t at_ms = 0;        // server time the final arrived, ms since the Unix epoch
    std::string source = "spoken"; // or "typed" (the operator's console)
    bool corrected = false;
};

struct stored_translation {
    std::string lang;
    std::string text;
    std::string engine;
};

struct store_report {
    std::string path;
    std::uint64_t bytes = 0; // database and its WAL
    std::uint64_t captions = 0;
    std::uint64_t translations = 0;
    std::uint64_t rooms = 0;
};

class store {
public:
    // Opens (creating) DIR/live-translate.db. Errors name the path and SQLite's reason.
    static core::result<std::unique_ptr<store>> open(const std::filesystem::path& dir);
    ~store();
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    // Durable when it returns (synchronous=FULL): call before acknowledging. A (room, seq) or
    // (room, id) already stored is an error naming it.
    core::result<bool> add_final(const stored_caption& c);
    // Replaces an earlier translation of the same (room, seq, lang).
    core::result<bool> add_translation(const std::string& room, std::uint64_t seq,
                                       const stored_translation& t);
    // Several (seq, translation) at once, in one transaction (one write to the disk).
    core::result<bool> add_translations(const std::string& room,
                                        const std::vector<std::pair<std::uint64_t, stored_translation>>& ts);
    // New text for a final: marks it corrected and forgets its translations (they are of the
    // old text). An unknown seq is an error.
    core::result<bool> correct(const std::string& room, std::uint64_t seq, const std::string& text);

    std::vector<std::string> rooms() const;
    std::uint64_t last_seq(const std::string& room) const; // 0: none
    std::optional<std::uint64_t> seq_of_id(const std::string& room, const std::string& id) const;
    std::optional<stored_caption> caption(const std::string& room, std::uint64_t seq) const;
    // The newest `limit` finals of a room, oldest first.
    std::vector<stored_caption> recent(const std::string& room, std::size_t limit) const;
    // At most `limit` finals of a room after `after_seq`, in seq order: one batch of a
    // transcript, which streams (the lock is held for one batch only).
    std::vector<stored_caption> page(const std::string& room, std::uint64_t after_seq,
                                     std::size_t limit) const;
    // Every final of a room in seq order, a batch at a time.
    void for_each(const std::string& room, const std::function<void(const stored_caption&)>& f,
                  std::size_t batch = 500) const;
    std::map<std::string, stored_translation> translations(const std::string& room, std::uint64_t seq) const;
    // The texts in `lang` of the room's finals with seq in [first, last] (one batch of a transcript).
    std::map<std::uint64_t, std::string> translations_into(const std::string& room, const std::string& lang,
                                                           std::uint64_t first, std::uint64_t last) const;
    std::optional<stored_translation> translation(const std::string& room, std::uint64_t seq,
                                                  const std::string& lang) const;

    // Removes finals (and their translations) older than `cutoff_ms`; returns how many.
    std::uint64_t prune_before(std::int64_t cutoff_ms);
    store_report report() const;

private:
    explicit store(sqlite3* db, std::filesystem::path path);
    sqlite3* db_;
    std::filesystem::path path_;
    mutable std::mutex mutex_;
};

} // namespace lt::storage
