#include "storage/store.hpp"

#include <sqlite3.h>

#include <system_error>

namespace lt::storage {

namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS captions (
    room TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    lang TEXT NOT NULL,
    text TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    source TEXT NOT NULL,
    corrected INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS captions_by_id ON captions (room, id);
CREATE INDEX IF NOT EXISTS captions_by_time ON captions (at_ms);
CREATE TABLE IF NOT EXISTS translations (
    room TEXT NOT NULL,
    seq INTEGER NOT NULL,
    lang TEXT NOT NULL,
    text TEXT NOT NULL,
    engine TEXT NOT NULL,
    PRIMARY KEY (room, seq, lang)
) WITHOUT ROWID;
)sql";

// One prepared statement, finalized when it goes.
class statement {
public:
    statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
            s_ = nullptr;
    }
    ~statement() { sqlite3_finalize(s_); }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    explicit operator bool() const { return s_ != nullptr; }
    statement& bind(int i, const std::string& v) {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    statement& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(s_, i, v);
        return *this;
    }
    statement& bind(int i, std::uint64_t v) { return bind(i, static_cast<std::int64_t>(v)); }
    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return s_ ? sqlite3_step(s_) : SQLITE_MISUSE; }
    std::string text(int col) const {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string();
    }
    std::int64_t integer(int col) const { return sqlite3_column_int64(s_, col); }
    std::string error() const { return sqlite3_errmsg(db_); }

private:
    sqlite3* db_;
    sqlite3_stmt* s_ = nullptr;
};

constexpr const char* caption_columns = "room, seq, id, lang, text, timestamp, at_ms, source, corrected";

stored_caption read_caption(const statement& s) {
    stored_caption c;
    c.room = s.text(0);
    c.seq = static_cast<std::uint64_t>(s.integer(1));
    c.id = s.text(2);
    c.lang = s.text(3);
    c.text = s.text(4);
    c.timestamp = s.text(5);
    c.at_ms = s.integer(6);
    c.source = s.text(7);
    c.corrected = s.integer(8) != 0;
    return c;
}

bool exec(sqlite3* db, const char* sql, std::string& why) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) == SQLITE_OK)
        return true;
    why = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return false;
}

} // namespace

core::result<std::unique_ptr<store>> store::open(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        return core::make_error("cannot create the data directory " + dir.string() +
                                " (--data-dir, LT_DATA_DIR): " + ec.message());
    const auto path = dir / "live-translate.db";
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string why = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return core::make_error("cannot open " + path.string() + " (--data-dir, LT_DATA_DIR): " + why);
    }
    sqlite3_busy_timeout(db, 5000);
    std::string why;
    // WAL: readers (transcripts) never block the writer. FULL: a final is on disk, not only
    // in the OS's cache, before the speaker hears it was received.
    if (!exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", why) ||
        !exec(db, schema, why)) {
        sqlite3_close(db);
        return core::make_error("cannot use " + path.string() + " (--data-dir, LT_DATA_DIR): " + why);
    }
    return std::unique_ptr<store>(new store(db, path));
}

store::store(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

store::~store() { sqlite3_close(db_); }

core::result<bool> store::add_final(const stored_caption& c) {
    std::lock_guard lock(mutex_);
    statement s(db_, "INSERT INTO captions (room, seq, id, lang, text, timestamp, at_ms, source, corrected) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, c.room).bind(2, c.seq).bind(3, c.id).bind(4, c.lang).bind(5, c.text).bind(6, c.timestamp);
    s.bind(7, c.at_ms).bind(8, c.source).bind(9, std::int64_t{c.corrected ? 1 : 0});
    if (s.step() != SQLITE_DONE)
        return core::make_error("cannot store final " + std::to_string(c.seq) + " (id " + c.id +
                                ") of room " + c.room + ": " + s.error());
    return true;
}

core::result<bool> store::add_translation(const std::string& room, std::uint64_t seq,
                                          const stored_translation& t) {
    return add_translations(room, {{seq, t}});
}

core::result<bool>
store::add_translations(const std::string& room,
                        const std::vector<std::pair<std::uint64_t, stored_translation>>& ts) {
    std::lock_guard lock(mutex_);
    std::string why;
    const bool many = ts.size() > 1;
    if (many && !exec(db_, "BEGIN IMMEDIATE", why))
        return core::make_error("cannot store translations of room " + room + ": " + why);
    for (const auto& [seq, t] : ts) {
        statement s(
            db_,
            "INSERT OR REPLACE INTO translations (room, seq, lang, text, engine) VALUES (?, ?, ?, ?, ?)");
        s.bind(1, room).bind(2, seq).bind(3, t.lang).bind(4, t.text).bind(5, t.engine);
        if (s.step() != SQLITE_DONE) {
            auto error = core::make_error("cannot store the " + t.lang + " translation of final " +
                                          std::to_string(seq) + " of room " + room + ": " + s.error());
            if (many)
                exec(db_, "ROLLBACK", why);
            return error;
        }
    }
    if (many && !exec(db_, "COMMIT", why)) {
        exec(db_, "ROLLBACK", why);
        return core::make_error("cannot store translations of room " + room + ": " + why);
    }
    return true;
}

core::result<bool> store::correct(const std::string& room, std::uint64_t seq, const std::string& text) {
    std::lock_guard lock(mutex_);
    std::string why;
    if (!exec(db_, "BEGIN IMMEDIATE", why))
        return core::make_error("cannot correct final " + std::to_string(seq) + ": " + why);
    statement u(db_, "UPDATE captions SET text = ?, corrected = 1 WHERE room = ? AND seq = ?");
    u.bind(1, text).bind(2, room).bind(3, seq);
    const bool updated = u.step() == SQLITE_DONE && sqlite3_changes(db_) == 1;
    statement d(db_, "DELETE FROM translations WHERE room = ? AND seq = ?");
    d.bind(1, room).bind(2, seq);
    if (!updated || d.step() != SQLITE_DONE) {
        exec(db_, "ROLLBACK", why);
        return core::make_error(updated ? "cannot correct final " + std::to_string(seq) + ": " + d.error()
                                        : "no final " + std::to_string(seq) + " in room " + room);
    }
    if (!exec(db_, "COMMIT", why))
        return core::make_error("cannot correct final " + std::to_string(seq) + ": " + why);
    return true;
}

std::vector<std::string> store::rooms() const {
    std::lock_guard lock(mutex_);
    statement s(db_, "SELECT DISTINCT room FROM captions ORDER BY room");
    std::vector<std::string> out;
    while (s.step() == SQLITE_ROW)
        out.push_back(s.text(0));
    return out;
}

std::uint64_t store::last_seq(const std::string& room) const {
    std::lock_guard lock(mutex_);
    statement s(db_, "SELECT MAX(seq) FROM captions WHERE room = ?");
    s.bind(1, room);
    return s.step() == SQLITE_ROW ? static_cast<std::uint64_t>(s.integer(0)) : 0;
}

std::optional<std::uint64_t> store::seq_of_id(const std::string& room, const std::string& id) const {
    std::lock_guard lock(mutex_);
    statement s(db_, "SELECT seq FROM captions WHERE room = ? AND id = ?");
    s.bind(1, room).bind(2, id);
    if (s.step() == SQLITE_ROW)
        return static_cast<std::uint64_t>(s.integer(0));
    return std::nullopt;
}

std::optional<stored_caption> store::caption(const std::string& room, std::uint64_t seq) const {
    std::lock_guard lock(mutex_);
    statement s(
        db_,
        (std::string("SELECT ") + caption_columns + " FROM captions WHERE room = ? AND seq = ?").c_str());
    s.bind(1, room).bind(2, seq);
    if (s.step() == SQLITE_ROW)
        return read_caption(s);
    return std::nullopt;
}

std::vector<stored_caption> store::recent(const std::string& room, std::size_t limit) const {
    std::lock_guard lock(mutex_);
    statement s(db_, (std::string("SELECT ") + caption_columns +
                      " FROM captions WHERE room = ? ORDER BY seq DESC LIMIT ?")
                         .c_str());
    s.bind(1, room).bind(2, static_cast<std::int64_t>(limit));
    std::vector<stored_caption> out;
    while (s.step() == SQLITE_ROW)
        out.push_back(read_caption(s));
    return {out.rbegin(), out.rend()};
}

std::vector<stored_caption> store::page(const std::string& room, std::uint64_t after_seq,
                                        std::size_t limit) const {
    std::lock_guard lock(mutex_);
    statement s(db_, (std::string("SELECT ") + caption_columns +
                      " FROM captions WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?")
                         .c_str());
    s.bind(1, room).bind(2, after_seq).bind(3, static_cast<std::int64_t>(limit));
    std::vector<stored_caption> out;
    while (s.step() == SQLITE_ROW)
        out.push_back(read_caption(s));
    return out;
}

void store::for_each(const std::string& room, const std::function<void(const stored_caption&)>& f,
                     std::size_t batch) const {
    std::uint64_t after = 0;
    for (;;) {
        auto chunk = page(room, after, batch);
        for (const auto& c : chunk)
            f(c);
        if (chunk.size() < batch)
            return;
        after = chunk.back().seq;
    }
}

std::map<std::uint64_t, std::string> store::translations_into(const std::string& room,
                                                              const std::string& lang, std::uint64_t first,
                                                              std::uint64_t last) const {
    std::lock_guard lock(mutex_);
    statement s(db_,
                "SELECT seq, text FROM translations WHERE room = ? AND lang = ? AND seq BETWEEN ? AND ?");
    s.bind(1, room).bind(2, lang).bind(3, first).bind(4, last);
    std::map<std::uint64_t, std::string> out;
    while (s.step() == SQLITE_ROW)
        out[static_cast<std::uint64_t>(s.integer(0))] = s.text(1);
    return out;
}

std::map<std::string, stored_translation> store::translations(const std::string& room,
                                                              std::uint64_t seq) const {
    std::lock_guard lock(mutex_);
    statement s(db_, "SELECT lang, text, engine FROM translations WHERE room = ? AND seq = ?");
    s.bind(1, room).bind(2, seq);
    std::map<std::string, stored_translation> out;
    while (s.step() == SQLITE_ROW)
        out[s.text(0)] = {s.text(0), s.text(1), s.text(2)};
    return out;
}

std::optional<stored_translation> store::translation(const std::string& room, std::uint64_t seq,
                                                     const std::string& lang) const {
    std::lock_guard lock(mutex_);
    statement s(db_, "SELECT lang, text, engine FROM translations WHERE room = ? AND seq = ? AND lang = ?");
    s.bind(1, room).bind(2, seq).bind(3, lang);
    if (s.step() == SQLITE_ROW)
        return stored_translation{s.text(0), s.text(1), s.text(2)};
    return std::nullopt;
}

std::uint64_t store::prune_before(std::int64_t cutoff_ms) {
    std::lock_guard lock(mutex_);
    std::string why;
    if (!exec(db_, "BEGIN IMMEDIATE", why))
        return 0;
    statement t(
        db_,
        "DELETE FROM translations WHERE (room, seq) IN (SELECT room, seq FROM captions WHERE at_ms < ?)");
    t.bind(1, cutoff_ms);
    t.step();
    statement c(db_, "DELETE FROM captions WHERE at_ms < ?");
    c.bind(1, cutoff_ms);
    c.step();
    const auto removed = static_cast<std::uint64_t>(sqlite3_changes(db_));
    exec(db_, "COMMIT", why);
    return removed;
}

store_report store::report() const {
    store_report r;
    r.path = path_.string();
    std::error_code ec;
    for (const auto* suffix : {"", "-wal"}) {
        auto size = std::filesystem::file_size(path_.string() + suffix, ec);
        if (!ec)
            r.bytes += size;
    }
    std::lock_guard lock(mutex_);
    statement s(db_, "SELECT (SELECT COUNT(*) FROM captions), (SELECT COUNT(*) FROM translations), "
                     "(SELECT COUNT(DISTINCT room) FROM captions)");
    if (s.step() == SQLITE_ROW) {
        r.captions = static_cast<std::uint64_t>(s.integer(0));
        r.translations = static_cast<std::uint64_t>(s.integer(1));
        r.rooms = static_cast<std::uint64_t>(s.integer(2));
    }
    return r;
}

} // namespace lt::storage
