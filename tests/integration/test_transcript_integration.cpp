// Large transcripts stream: a room of 20,000 finals in the data directory (written straight
// into SQLite, one transaction) is served as chunked HTTP, complete and byte for byte what
// the formatter makes; a client that leaves midway stops the work, so the next request is
// served at once; and the server's memory while serving it (reported, not asserted).
#include "harness.hpp"

#include "storage/store.hpp"
#include "transcript/transcript.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/asio.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <poll.h>

using namespace lt::test;
using namespace std::chrono_literals;

namespace {

// LT_TRANSCRIPT_FINALS overrides it, to measure memory with a bigger room.
const int finals = [] {
    const char* n = std::getenv("LT_TRANSCRIPT_FINALS");
    return n ? std::atoi(n) : 20000;
}();

std::string caption_text(int n) { return "Caption number " + std::to_string(n) + " is here."; }

// A data directory holding room "big": `finals` captions, 2 s apart, ending an hour ago
// (well inside --retain-days).
struct big_room {
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("lt_big_transcript_" + std::to_string(::getpid()));
    std::vector<lt::transcript::caption> captions;

    big_room() {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        {
            auto st = lt::storage::store::open(dir); // makes the schema
            if (!st)
                throw std::runtime_error(st.error_message());
        }
        sqlite3* db = nullptr;
        if (sqlite3_open((dir / "live-translate.db").c_str(), &db) != SQLITE_OK)
            throw std::runtime_error("cannot open the test database");
        const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        const std::int64_t first = now - 3'600'000 - std::int64_t{finals} * 2000;
        sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db,
                           "INSERT INTO captions (room, seq, id, lang, text, timestamp, at_ms, source) "
                           "VALUES ('big', ?, ?, 'en', ?, '12:00:00', ?, 'spoken')",
                           -1, &s, nullptr);
        for (int n = 1; n <= finals; ++n) {
            const auto id = "c-" + std::to_string(n);
            const auto text = caption_text(n);
            const std::int64_t at = first + std::int64_t{n - 1} * 2000;
            sqlite3_bind_int64(s, 1, n);
            sqlite3_bind_text(s, 2, id.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(s, 3, text.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(s, 4, at);
            if (sqlite3_step(s) != SQLITE_DONE)
                throw std::runtime_error(sqlite3_errmsg(db));
            sqlite3_reset(s);
            captions.push_back({at, text});
        }
        sqlite3_finalize(s);
        if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
            throw std::runtime_error(sqlite3_errmsg(db));
        sqlite3_close(db);
    }
    ~big_room() { std::filesystem::remove_all(dir); }
};

// A response read off the wire as it came, its chunked body decoded by hand.
struct raw_reply {
    std::string head; // status line and headers, lower-cased
    std::string body;
    std::size_t chunks = 0;
    bool complete = false; // the zero-length chunk came
};

std::string lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

namespace net = boost::asio;

// A socket that has sent GET `target` (HTTP/1.1) to the server.
net::ip::tcp::socket ask(net::io_context& ioc, unsigned short port, const std::string& target,
                         const std::string& extra_headers = "") {
    net::ip::tcp::socket sock(ioc);
    sock.connect({net::ip::make_address("127.0.0.1"), port});
    net::write(sock,
               net::buffer("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n"));
    return sock;
}

raw_reply get_chunked(unsigned short port, const std::string& target, std::chrono::seconds timeout = 60s) {
    net::io_context ioc;
    auto sock = ask(ioc, port, target, "Connection: close\r\n");
    std::string wire;
    const auto until = std::chrono::steady_clock::now() + timeout;
    boost::system::error_code ec;
    char buf[65536];
    while (!ec && std::chrono::steady_clock::now() < until) {
        auto n = sock.read_some(net::buffer(buf), ec);
        wire.append(buf, n);
    }
    raw_reply r;
    auto end = wire.find("\r\n\r\n");
    if (end == std::string::npos)
        return r;
    r.head = lower(wire.substr(0, end));
    std::size_t at = end + 4;
    for (;;) {
        auto eol = wire.find("\r\n", at);
        if (eol == std::string::npos)
            break;
        auto size = std::stoul(wire.substr(at, eol - at), nullptr, 16);
        if (size == 0) {
            r.complete = true;
            break;
        }
        if (eol + 2 + size + 2 > wire.size())
            break;
        r.body += wire.substr(eol + 2, size);
        ++r.chunks;
        at = eol + 2 + size + 2;
    }
    return r;
}

// Asks for `target`, reads the first KB of the answer and hangs up. False when it did not come
// within `timeout`.
bool read_a_kb_and_leave(unsigned short port, const std::string& target, std::chrono::seconds timeout) {
    net::io_context ioc;
    auto sock = ask(ioc, port, target);
    std::string got;
    char buf[4096];
    boost::system::error_code ec;
    const auto until = std::chrono::steady_clock::now() + timeout;
    int fd = sock.native_handle();
    while (got.size() < 1024 + 200 && !ec && std::chrono::steady_clock::now() < until) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0)
            continue;
        got.append(buf, sock.read_some(net::buffer(buf), ec));
    }
    sock.close();
    return got.size() >= 1024 + 200;
}

// The server's resident memory in KiB: now (VmRSS) and at its peak (VmHWM).
std::pair<long, long> rss_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    long rss = 0, hwm = 0;
    for (std::string line; std::getline(f, line);) {
        if (line.rfind("VmRSS:", 0) == 0)
            rss = std::stol(line.substr(6));
        if (line.rfind("VmHWM:", 0) == 0)
            hwm = std::stol(line.substr(6));
    }
    return {rss, hwm};
}

} // namespace

TEST(transcripts, a_big_room_streams_chunked_complete_and_as_the_formatter_writes_it) {
    big_room room;
    server_process server({"--data-dir", room.dir.string(), "--translator", "apertium"});
    const auto before = rss_kib(server.pid());
    auto srt = get_chunked(server.port(), "/r/big/transcript.srt");
    const auto after = rss_kib(server.pid());
    std::cout << "[ report ] server RSS serving a " << srt.body.size() << "-byte transcript of " << finals
              << " finals: " << before.first << " KiB before, " << after.first << " KiB after, peak "
              << after.second << " KiB (peak before " << before.second << " KiB)\n";
    EXPECT_EQ(srt.head.rfind("http/1.1 200", 0), 0u) << srt.head;
    EXPECT_NE(srt.head.find("transfer-encoding: chunked"), std::string::npos) << srt.head;
    EXPECT_EQ(srt.head.find("content-length"), std::string::npos) << srt.head;
    ASSERT_TRUE(srt.complete) << "the body ends with the last chunk";
    EXPECT_GT(srt.chunks, 10u) << "sent as it was made, not in one piece";
    std::size_t cues = 0;
    for (auto at = srt.body.find(" --> "); at != std::string::npos; at = srt.body.find(" --> ", at + 1))
        ++cues;
    EXPECT_EQ(cues, static_cast<std::size_t>(finals));
    EXPECT_NE(
        srt.body.find("\n" + std::to_string(finals) + "\n" +
                      lt::transcript::cue_time(std::int64_t{finals - 1} * 2000, lt::transcript::format::srt) +
                      " --> "),
        std::string::npos);
    EXPECT_TRUE(srt.body.ends_with(caption_text(finals) + "\n\n"));
    EXPECT_TRUE(srt.body == lt::transcript::render(room.captions, lt::transcript::format::srt))
        << "byte for byte what the formatter writes";

    auto txt = get_chunked(server.port(), "/r/big/transcript.txt");
    ASSERT_TRUE(txt.complete);
    EXPECT_TRUE(txt.body == lt::transcript::render(room.captions, lt::transcript::format::txt));
}

TEST(transcripts, a_client_that_leaves_midway_stops_the_work) {
    big_room room;
    server_process server({"--data-dir", room.dir.string(), "--translator", "apertium"});
    // Nobody watched Spanish: each would translate 20,000 captions (60 s of budget). Two
    // transcripts at once is the server's limit.
    for (int i = 0; i < 2; ++i)
        EXPECT_TRUE(read_a_kb_and_leave(server.port(), "/r/big/transcript.txt?lang=es", 15s))
            << "the first KB comes while the rest is still being translated";
    // Both builds notice their client left and stop: the next transcript is served, not 503.
    const auto start = std::chrono::steady_clock::now();
    int status = 0;
    while (std::chrono::steady_clock::now() - start < 20s) {
        status = http_get(server.port(), "/r/big/transcript.txt?lang=en").status;
        if (status != 503)
            break;
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(status, 200) << "still busy with transcripts nobody reads";
    std::cout << "[ report ] next transcript served "
              << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                       start)
                     .count()
              << " ms after the clients left\n";
    EXPECT_NE(server.log().find("the client left before the end"), std::string::npos) << server.log();
    // And no translation goes on for them: the count stands still, far from 2 x 20,000.
    const auto made = translations_made(server.port());
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(translations_made(server.port()), made);
    EXPECT_GT(made, 0u);
    EXPECT_LT(made, 5000u);
    std::cout << "[ report ] " << made << " captions translated for the two transcripts that were left\n";
}

// Without --data-dir the history in memory is read a batch (256) at a time.
TEST(transcripts, the_memory_history_streams_in_batches_too) {
    server_process server({"--translator", "none", "--history", "700", "--speaker-rate", "1000"},
                          {{"API_KEY", "k"}});
    ws_client speaker(server.port());
    ASSERT_TRUE(speaker.receive_type("connection_status"));
    constexpr int n = 600;
    for (int i = 1; i <= n; ++i)
        speaker.send(
            {{"type", "new_text"},
             {"data", {{"text", caption_text(i)}, {"id", "m" + std::to_string(i)}, {"api_key", "k"}}}});
    ASSERT_EQ(speaker.collect("text_ack", n, 60s).size(), static_cast<std::size_t>(n));
    auto txt = get_chunked(server.port(), "/transcript.txt");
    ASSERT_TRUE(txt.complete);
    EXPECT_NE(txt.head.find("transfer-encoding: chunked"), std::string::npos) << txt.head;
    std::vector<std::string> lines;
    std::istringstream in(txt.body);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(n));
    for (int i = 1; i <= n; ++i)
        ASSERT_TRUE(lines[i - 1].ends_with("] " + caption_text(i))) << lines[i - 1];
}
