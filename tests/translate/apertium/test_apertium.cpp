// Included first: the public header must compile on its own.
#include "translate/apertium/apertium_translator.hpp"

#include "translate/apertium/mode_file.hpp"
#include "translate/apertium/process_chain.hpp"
#include "translate/apertium/stream_format.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <unistd.h>

namespace {

using namespace lt::translate::apertium;
using namespace std::chrono_literals;

const std::filesystem::path modes_dir = "/usr/share/apertium/modes";

// Captions come back without blanks at either end; `apertium` may print a leading one.
std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    s.erase(0, s.find_first_not_of(" \n"));
    return s;
}

// The reference: the `apertium` command as a user runs it, one process chain per call,
// modes chained with a shell pipe (`apertium eng-spa | apertium es-fr`).
std::string run_apertium(const std::vector<std::string>& modes, const std::string& text,
                         bool unknown_marks = true) {
    char path[] = "/tmp/test_apertium_XXXXXX";
    int fd = ::mkstemp(path);
    if (fd < 0)
        throw std::runtime_error("mkstemp failed");
    ::close(fd);
    std::ofstream(path) << text << "\n";
    std::string cmd;
    for (const auto& m : modes) {
        cmd += (cmd.empty() ? "" : " | ") + std::string("apertium ") + (unknown_marks ? "" : "-u ") + m;
        if (&m == &modes.front())
            cmd += std::string(" < ") + path;
    }
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p)
        throw std::runtime_error("popen failed");
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
        out.append(buf, n);
    int rc = ::pclose(p);
    std::remove(path);
    if (rc != 0)
        throw std::runtime_error("`" + cmd + "` failed");
    return trim(out);
}

// Our own children that have exited but were not reaped.
int zombie_children() {
    int count = 0;
    DIR* d = ::opendir("/proc");
    if (!d)
        return -1;
    while (auto* e = ::readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
        std::string line;
        if (!std::getline(stat, line))
            continue;
        // pid (comm) state ppid ...; comm may hold spaces, so parse after the last ')'.
        auto close = line.rfind(')');
        if (close == std::string::npos)
            continue;
        std::istringstream rest(line.substr(close + 1));
        char state = 0;
        int ppid = 0;
        rest >> state >> ppid;
        if (ppid == ::getpid() && state == 'Z')
            ++count;
    }
    ::closedir(d);
    return count;
}

// Waits until `pid` (our child) is a zombie: the kill has taken effect.
void wait_until_dead(int pid) {
    for (int i = 0; i < 500; ++i) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        if (!std::getline(stat, line))
            return;
        auto close = line.rfind(')');
        if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z')
            return;
        std::this_thread::sleep_for(2ms);
    }
}

apertium_params lazy_params() {
    apertium_params p;
    p.warm_sources.clear();
    return p;
}

std::string translate_ok(lt::translate::translator& t, std::string_view s, std::string_view d,
                         const std::string& text) {
    auto r = t.translate(s, d, text);
    if (!r)
        ADD_FAILURE() << s << "→" << d << " \"" << text << "\": " << r.error_message();
    return r ? r.value() : std::string("<error>");
}

// One translator for the tests that do not break pipelines.
class Apertium : public ::testing::Test {
protected:
    static void SetUpTestSuite() { shared_ = new apertium_translator(apertium_params{}); }
    static void TearDownTestSuite() {
        delete shared_;
        shared_ = nullptr;
    }
    static apertium_translator* shared_;
};
apertium_translator* Apertium::shared_ = nullptr;

// ---- mode files ----

TEST(ModeFile, ParsesQuotesPipesAndPlaceholders) {
    auto cmds = parse_mode("lt-proc -w '/a dir/x|y.bin' | apertium-tagger -g $2 \"/p/q.prob\" | "
                           "lt-proc $1 /x/gen.bin | vislcg3 -g it\\ s.rlx | lt-proc -z -p 'a'\"b\"",
                           mode_options{});
    ASSERT_EQ(cmds.size(), 5u);
    EXPECT_EQ(cmds[0], (std::vector<std::string>{"lt-proc", "-z", "-w", "/a dir/x|y.bin"}));
    // $2 is empty and unquoted, so the word disappears as in a shell.
    EXPECT_EQ(cmds[1], (std::vector<std::string>{"apertium-tagger", "-z", "-g", "/p/q.prob"}));
    EXPECT_EQ(cmds[2], (std::vector<std::string>{"lt-proc", "-z", "-g", "/x/gen.bin"}));
    // vislcg3 flushes on NUL by itself and does not take -z.
    EXPECT_EQ(cmds[3], (std::vector<std::string>{"vislcg3", "-g", "it s.rlx"}));
    EXPECT_EQ(cmds[4], (std::vector<std::string>{"lt-proc", "-z", "-p", "ab"}));

    mode_options clean;
    clean.generation_flag = "-n";
    clean.tagger_flag = "-m";
    clean.null_flush = false;
    auto plain = parse_mode("lt-proc $1 g.bin|apertium-tagger -g $2 t.prob", clean);
    EXPECT_EQ(plain, (command_list{{"lt-proc", "-n", "g.bin"}, {"apertium-tagger", "-g", "-m", "t.prob"}}));
    EXPECT_EQ(parse_mode("cat ''")[0], (std::vector<std::string>{"cat", "-z", ""}));
}

TEST(ModeFile, RejectsWhatItDoesNotRun) {
    for (const char* bad : {"", "  ", "a | | b", "a |", "lt-proc 'x", "lt-proc \"x", "a > out", "a; b",
                            "a && b", "a $(b)", "a `b`", "a $HOME"})
        EXPECT_THROW(parse_mode(bad), std::invalid_argument) << bad;
}

TEST(ModeFile, ReadsInstalledEngSpa) {
    auto cmds = read_mode_file(modes_dir / "eng-spa.mode");
    ASSERT_GE(cmds.size(), 5u);
    for (const auto& argv : cmds) {
        ASSERT_GE(argv.size(), 2u);
        EXPECT_EQ(argv[1], "-z") << to_string({argv});
        for (const auto& a : argv)
            EXPECT_FALSE(a.empty() || a.find('\'') != std::string::npos || a.find('$') != std::string::npos)
                << to_string({argv});
    }
    EXPECT_EQ(cmds.front()[0], "lt-proc");
    EXPECT_EQ(cmds.front()[2], "/usr/share/apertium/apertium-eng-spa/eng-spa.automorf.bin");
    // The generator got $1.
    bool generator = false;
    for (const auto& argv : cmds)
        generator = generator || (argv[0] == "lt-proc" && argv[2] == "-g");
    EXPECT_TRUE(generator) << to_string(cmds);
    EXPECT_THROW(read_mode_file(modes_dir / "no-such.mode"), std::runtime_error);
}

// ---- pairs and routes ----

TEST(Pairs, InstalledPairsFindsEngSpaAndSkipsVariants) {
    auto pairs = installed_pairs(modes_dir);
    auto find = [&](std::string_view mode) {
        return std::find_if(pairs.begin(), pairs.end(), [&](const pair_info& p) { return p.mode == mode; });
    };
    auto es = find("eng-spa");
    ASSERT_NE(es, pairs.end());
    EXPECT_EQ(es->source, "en");
    EXPECT_EQ(es->target, "es");
    EXPECT_EQ(es->mode_file, modes_dir / "eng-spa.mode");
    auto fr = find("es-fr");
    ASSERT_NE(fr, pairs.end());
    EXPECT_EQ(fr->source, "es");
    EXPECT_EQ(fr->target, "fr");
    for (const auto& p : pairs) {
        EXPECT_EQ(p.mode.find('_'), std::string::npos) << p.mode;
        EXPECT_EQ(p.source.size(), 2u) << p.mode;
        EXPECT_EQ(p.target.size(), 2u) << p.mode;
    }
    EXPECT_EQ(find("eco-es-fr"), pairs.end());
    EXPECT_EQ(find("eng-cat_valencia"), pairs.end());
    EXPECT_TRUE(installed_pairs("/nonexistent/modes").empty());
}

TEST(Pairs, LanguageCodes) {
    EXPECT_EQ(to_iso639_1("eng"), "en");
    EXPECT_EQ(to_iso639_1("spa"), "es");
    EXPECT_EQ(to_iso639_1("cat"), "ca");
    EXPECT_EQ(to_iso639_1("ita"), "it");
    EXPECT_EQ(to_iso639_1("deu"), "de");
    EXPECT_EQ(to_iso639_1("nld"), "nl");
    EXPECT_EQ(to_iso639_1("es"), "es");
    EXPECT_EQ(to_iso639_1("ast"), "ast");
}

TEST_F(Apertium, RoutesDirectBeforePivot) {
    auto& t = *shared_;
    EXPECT_EQ(t.name(), "apertium");
    EXPECT_EQ(t.route("en", "es"), (std::vector<std::string>{"eng-spa"}));
    EXPECT_EQ(t.route("en", "ca"), (std::vector<std::string>{"eng-cat"}));
    EXPECT_EQ(t.route("en", "fr"), (std::vector<std::string>{"eng-spa", "es-fr"}));
    EXPECT_EQ(t.route("en", "pt"), (std::vector<std::string>{"eng-spa", "es-pt"}));
    EXPECT_EQ(t.route("en", "it"), (std::vector<std::string>{"eng-spa", "spa-ita"}));
    EXPECT_EQ(t.route("fr", "en"), (std::vector<std::string>{"fr-es", "spa-eng"}));
    EXPECT_EQ(t.route("eng", "spa"), (std::vector<std::string>{"eng-spa"}));
    EXPECT_TRUE(t.route("en", "de").empty());

    auto targets = t.targets("en");
    EXPECT_TRUE(std::is_sorted(targets.begin(), targets.end()));
    for (const char* code : {"ca", "es", "fr", "it", "pt"})
        EXPECT_NE(std::find(targets.begin(), targets.end(), code), targets.end()) << code;
    EXPECT_EQ(std::find(targets.begin(), targets.end(), "en"), targets.end());
    EXPECT_TRUE(t.targets("de").empty());

    auto r = t.translate("en", "de", "Hello.");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error_message(), "apertium has no route en→de");
}

TEST(Describe, ListsDirectAndPivotRoutes) {
    auto text = describe_languages(apertium_params{});
    EXPECT_NE(text.find("en (English)"), std::string::npos) << text;
    EXPECT_NE(text.find("direct: eng-spa"), std::string::npos) << text;
    EXPECT_NE(text.find("via es: eng-spa + es-fr"), std::string::npos) << text;
    apertium_params missing;
    missing.modes_dir = "/nonexistent/modes";
    EXPECT_NE(describe_languages(missing).find("no language pairs"), std::string::npos);
}

TEST(Construction, MissingModesDirThrowsClearly) {
    apertium_params p;
    p.modes_dir = "/nonexistent/apertium/modes";
    try {
        make_apertium_translator(p);
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("Apertium is not installed"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("/nonexistent/apertium/modes"), std::string::npos) << e.what();
    }
    // A directory without a single mode file is no better.
    p.modes_dir = std::filesystem::temp_directory_path();
    EXPECT_THROW(make_apertium_translator(p), std::runtime_error);
}

// ---- stream format ----

TEST(StreamFormat, DeformatEscapesLikeDestxt) {
    std::string d = deformat("a [b] ^c$ d/e \\ @f <g> {h} *i #j");
    EXPECT_EQ(d, std::string("a \\[b\\] \\^c\\$ d\\/e \\\\ \\@f \\<g\\> \\{h\\} *i #j.[][\n]") + '\0');
    EXPECT_EQ(deformat("  x  y\tz ~w\n"), std::string("x[  ]y[\t]z[ ~]w.[][\n]") + '\0');
    EXPECT_EQ(deformat("p\n\nq"), std::string("p.[][\n\n]q.[][\n]") + '\0');
}

TEST(StreamFormat, RoundTripWithoutPipeline) {
    for (std::string s : {"plain words", "Hello world.", "a [b] ^c$ d/e \\ @f <g> {h} *i #j ~k",
                          "dots... and [] and \\[", "tabs\tand  spaces", "ünïcødé 中文 ✓"}) {
        auto d = deformat(s);
        EXPECT_EQ(reformat(std::string_view(d).substr(0, d.size() - 1)), s) << s;
        EXPECT_EQ(reformat(d), s) << s;
    }
}

// ---- translation through real pipelines ----

TEST_F(Apertium, MatchesApertiumCommand) {
    const std::vector<std::string> sentences = {
        "The weather is nice today.",
        "We will start the meeting in five minutes.",
        "Thank you all for coming to this talk.",
        "Can you hear me in the back of the room?",
        "The results of the study were published last year, and they surprised everybody.",
        "We are going to the beach tomorrow.", // apertium prints a leading blank for this one
    };
    for (const auto& s : sentences) {
        auto expected = run_apertium({"eng-spa"}, s);
        ASSERT_EQ(expected.find_first_of("*#@"), std::string::npos)
            << "pick sentences without unknown words: " << expected;
        EXPECT_EQ(translate_ok(*shared_, "en", "es", s), expected) << s;
    }
    auto ca = "The children are playing in the garden.";
    EXPECT_EQ(translate_ok(*shared_, "en", "ca", ca), run_apertium({"eng-cat"}, ca));
}

TEST_F(Apertium, PivotMatchesChainedCommands) {
    for (std::string s :
         {"The weather is nice today.", "I would like a cup of coffee, please.", "Where is the hotel?"}) {
        auto fr = run_apertium({"eng-spa", "es-fr"}, s);
        ASSERT_EQ(fr.find_first_of("*#@"), std::string::npos)
            << "pick sentences without unknown words: " << fr;
        EXPECT_EQ(translate_ok(*shared_, "en", "fr", s), fr) << s;
        EXPECT_EQ(translate_ok(*shared_, "en", "pt", s), run_apertium({"eng-spa", "es-pt"}, s)) << s;
        EXPECT_EQ(translate_ok(*shared_, "en", "it", s), run_apertium({"eng-spa", "spa-ita"}, s)) << s;
    }
}

TEST_F(Apertium, UnknownWordsAreNotMarked) {
    std::string s = "The xyzzy cat sleeps under the blorf.";
    auto got = translate_ok(*shared_, "en", "es", s);
    EXPECT_EQ(got, run_apertium({"eng-spa"}, s, /*unknown_marks=*/false));
    EXPECT_EQ(got.find_first_of("*#@"), std::string::npos) << got;
    EXPECT_NE(got.find("xyzzy"), std::string::npos) << got;
}

TEST(Translate, MarkUnknownKeepsApertiumMarks) {
    auto p = lazy_params();
    p.mark_unknown = true;
    apertium_translator t(p);
    std::string s = "The xyzzy cat sleeps under the blorf.";
    auto got = translate_ok(t, "en", "es", s);
    EXPECT_EQ(got, run_apertium({"eng-spa"}, s));
    EXPECT_NE(got.find("*xyzzy"), std::string::npos) << got;
}

TEST_F(Apertium, SpecialCharactersComeThrough) {
    std::string s = "Use [brackets] and ^carets$ and a/b and back\\slash, mail me @home, "
                    "5 * 3 is <fifteen> {really} #yes.";
    auto got = translate_ok(*shared_, "en", "es", s);
    EXPECT_EQ(got, run_apertium({"eng-spa"}, s, /*unknown_marks=*/false));
    for (char c : std::string("[]^$/\\@*<>{}#"))
        EXPECT_NE(got.find(c), std::string::npos) << "lost '" << c << "' in: " << got;
    // And the pipeline is still in step afterwards.
    EXPECT_EQ(translate_ok(*shared_, "en", "es", "The weather is nice today."),
              run_apertium({"eng-spa"}, "The weather is nice today."));
}

TEST_F(Apertium, EmptyAndBlankText) {
    EXPECT_EQ(translate_ok(*shared_, "en", "es", ""), "");
    EXPECT_EQ(translate_ok(*shared_, "en", "es", "  \n "), "");
    auto same = shared_->translate("en", "en", "Hello");
    EXPECT_FALSE(same.ok());
}

// "I have 12345 apples." translates with the number kept, so one reference run gives the
// expected reply for every number: a reply for the wrong request would show another number.
// The reference runs `apertium -u`, as our default (mark_unknown off) matches it.
struct numbered {
    std::string prefix, suffix;
    std::string text(int n) const { return prefix + std::to_string(n) + suffix; }
};
numbered reference(const std::vector<std::string>& modes, const std::string& pattern) {
    auto out = run_apertium(modes, pattern, /*unknown_marks=*/false);
    auto at = out.find("12345");
    if (at == std::string::npos)
        throw std::runtime_error("number lost in: " + out);
    return {out.substr(0, at), out.substr(at + 5)};
}

TEST_F(Apertium, ManySequentialRequestsStayInSync) {
    auto es = reference({"eng-spa"}, "I have 12345 apples in the kitchen.");
    for (int i = 0; i < 200; ++i) {
        int n = 1000 + i * 7;
        ASSERT_EQ(
            translate_ok(*shared_, "en", "es", "I have " + std::to_string(n) + " apples in the kitchen."),
            es.text(n))
            << "request " << i;
    }
}

TEST_F(Apertium, ConcurrentRequestsOnTwoPairs) {
    auto es = reference({"eng-spa"}, "The train 12345 leaves from the station at noon.");
    auto ca = reference({"eng-cat"}, "The train 12345 leaves from the station at noon.");
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k) {
        threads.emplace_back([&, k] {
            const bool to_es = k % 2 == 0;
            for (int i = 0; i < 30; ++i) {
                int n = 100000 * (k + 1) + i;
                auto r = shared_->translate("en", to_es ? "es" : "ca",
                                            "The train " + std::to_string(n) +
                                                " leaves from the station at noon.");
                if (!r || r.value() != (to_es ? es : ca).text(n))
                    ++wrong;
            }
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(shared_->state(), "ok");
}

TEST_F(Apertium, LargeInputDoesNotDeadlock) {
    // ~60 KiB: far more than a pipe buffer, so writing and reading must overlap.
    std::string text;
    int n = 0;
    while (text.size() < 60 * 1024)
        text += "The house number " + std::to_string(++n) + " is green. ";
    auto r = shared_->translate("en", "es", text);
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_NE(r.value().find("verde"), std::string::npos);
    EXPECT_NE(r.value().find(std::to_string(n)), std::string::npos);

    std::string too_long(64 * 1024 + 1, 'a');
    auto big = shared_->translate("en", "es", too_long);
    ASSERT_FALSE(big.ok());
    EXPECT_NE(big.error_message().find("too long"), std::string::npos) << big.error_message();
    // Still in step.
    EXPECT_EQ(translate_ok(*shared_, "en", "es", "Good morning."),
              run_apertium({"eng-spa"}, "Good morning."));
}

// ---- the pipeline on its own, with ordinary programs ----

TEST(Pipeline, NulFramedRequestsThroughCat) {
    process_chain p({{"cat"}});
    p.start();
    ASSERT_TRUE(p.running());
    for (std::string s : {"hello", "", "second"}) {
        auto r = p.exchange(s + '\0', 2s);
        ASSERT_EQ(r.st, process_chain::status::ok) << r.detail;
        EXPECT_EQ(r.data, s);
    }
    // 4 MiB through two stages: far past the pipe buffers, so writing and reading must
    // overlap or both sides would block.
    process_chain two({{"cat"}, {"cat"}});
    two.start();
    std::string big(4u << 20, 'x');
    auto r = two.exchange(big + '\0', 20s);
    ASSERT_EQ(r.st, process_chain::status::ok) << r.detail;
    EXPECT_EQ(r.data.size(), big.size());
}

TEST(Pipeline, NonceFramesCatchAStrayReply) {
    using namespace std::string_literals;
    process_chain p({{"cat"}});
    p.start();
    auto ok = p.exchange("one\0[n1]\0"s, 2s, "\0[n1]\0"s);
    ASSERT_EQ(ok.st, process_chain::status::ok) << ok.detail;
    EXPECT_EQ(ok.data, "one");
    // A stage that answers twice: the extra frame is either seen right behind the
    // terminator or at the start of the next reply; it is never taken as that reply.
    auto first = p.exchange("two\0[n2]\0stray\0"s, 2s, "\0[n2]\0"s);
    std::this_thread::sleep_for(50ms);
    auto next = p.exchange("three\0[n3]\0"s, 2s, "\0[n3]\0"s);
    EXPECT_TRUE(first.st == process_chain::status::desync || next.st == process_chain::status::desync)
        << first.data << " / " << next.data;
    if (next.st == process_chain::status::ok) {
        EXPECT_EQ(next.data, "three");
    }
}

TEST(Pipeline, WritingToADeadStageIsAnErrorNotSigpipe) {
    process_chain p({{"true"}});
    p.start();
    for (int i = 0; i < 1000 && !p.has_exited_stage(); ++i)
        std::this_thread::sleep_for(1ms);
    auto r = p.exchange(std::string(100000, 'x') + '\0', 2s);
    EXPECT_EQ(r.st, process_chain::status::closed);
    // Still alive (SIGPIPE's default action would have ended the test), and no SIGPIPE left
    // pending for someone else to receive.
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    EXPECT_FALSE(sigismember(&pending, SIGPIPE));
    p.stop();
    EXPECT_EQ(zombie_children(), 0);
}

TEST(Pipeline, StartFailureNamesTheProgramAndLeavesNothingRunning) {
    process_chain p({{"cat"}, {"/nonexistent/lt-proc", "-z"}});
    try {
        p.start();
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot start /nonexistent/lt-proc"), std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(p.running());
    EXPECT_EQ(zombie_children(), 0);
}

TEST(Pipeline, TimeoutAndStopReapStoppedStages) {
    process_chain p({{"cat"}, {"sleep", "30"}});
    p.start();
    auto pids = p.pids();
    ASSERT_EQ(pids.size(), 2u);
    ::kill(pids[0], SIGSTOP);
    auto r = p.exchange(std::string("x") + '\0', 50ms);
    EXPECT_EQ(r.st, process_chain::status::timeout);
    p.stop();
    EXPECT_FALSE(p.running());
    for (int pid : pids)
        EXPECT_NE(::kill(pid, 0), 0) << pid;
    EXPECT_EQ(zombie_children(), 0);
}

// ---- broken installations ----

TEST(Construction, BrokenPairsAreReportedNotFatal) {
    auto dir = std::filesystem::temp_directory_path() / ("test_apertium_modes_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto write = [&](const char* name, const char* text) { std::ofstream(dir / name) << text << "\n"; };
    write("en-es.mode", "/nonexistent/lt-proc '/x.bin'"); // sorts first, so it wins over eng-spa
    write("eng-spa.mode", "cat");
    write("spa-eng.mode", "false");
    write("ita-spa.mode", "lt-proc 'unterminated");
    write("eng-cat_valencia.mode", "cat");
    write("eco-es-fr.mode", "cat");
    write("README", "not a mode");

    auto pairs = installed_pairs(dir);
    ASSERT_EQ(pairs.size(), 3u);
    EXPECT_EQ(pairs[0].mode, "en-es");
    EXPECT_EQ(pairs[1].mode, "spa-eng");
    EXPECT_EQ(pairs[2].mode, "ita-spa");

    apertium_params p;
    p.modes_dir = dir;
    apertium_translator t(p);             // warms en-es, which cannot start: logged, not thrown
    EXPECT_TRUE(t.targets("it").empty()); // its mode file does not parse

    auto r = t.translate("en", "es", "Hello.");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error_message(),
              "apertium en-es could not start: cannot start /nonexistent/lt-proc: No such file or directory");
    EXPECT_NE(t.state().find("en-es cannot start"), std::string::npos) << t.state();

    auto dead = t.translate("es", "en", "Hola.");
    ASSERT_FALSE(dead.ok());
    EXPECT_EQ(dead.error_message().rfind("apertium spa-eng failed: ", 0), 0u) << dead.error_message();
    std::filesystem::remove_all(dir);
}

// ---- failures and restarts ----

TEST(Failures, StoppedStageTimesOutAndIsRestarted) {
    auto p = lazy_params();
    p.timeout = 1000ms;
    apertium_translator t(p);
    const std::string s = "The weather is nice today.";
    const auto expected = run_apertium({"eng-spa"}, s);
    EXPECT_EQ(translate_ok(t, "en", "es", s), expected);

    auto pids = t.pipeline_pids("eng-spa");
    ASSERT_GE(pids.size(), 5u);
    const int stuck = pids[2];
    ASSERT_EQ(::kill(stuck, SIGSTOP), 0);
    auto r = t.translate("en", "es", s);
    ::kill(stuck, SIGCONT); // harmless if it is gone already
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error_message(), "apertium eng-spa timed out after 1000 ms");
    EXPECT_EQ(t.failure_restarts("eng-spa"), 1u);
    EXPECT_EQ(t.state(), "ok (eng-spa restarted 1 time)");

    EXPECT_EQ(translate_ok(t, "en", "es", s), expected);
    auto fresh = t.pipeline_pids("eng-spa");
    EXPECT_EQ(std::find(fresh.begin(), fresh.end(), stuck), fresh.end());
    EXPECT_EQ(zombie_children(), 0);
}

TEST(Failures, TinyTimeoutIsReportedAndCleanedUp) {
    auto p = lazy_params();
    p.timeout = 1ms;
    apertium_translator t(p);
    std::string text;
    while (text.size() < 20000)
        text += "The cat sleeps on the warm sofa. ";
    auto r = t.translate("en", "es", text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error_message(), "apertium eng-spa timed out after 1 ms");
    EXPECT_EQ(zombie_children(), 0);
}

TEST(Failures, KilledStageIsRestartedForTheNextCaption) {
    apertium_translator t(lazy_params());
    const std::string s = "Thank you all for coming to this talk.";
    const auto expected = run_apertium({"eng-spa"}, s);
    EXPECT_EQ(translate_ok(t, "en", "es", s), expected);

    // Killed between captions (what `pkill -KILL -P <lt-server> lt-proc` does).
    auto pids = t.pipeline_pids("eng-spa");
    ASSERT_FALSE(pids.empty());
    ASSERT_EQ(::kill(pids.front(), SIGKILL), 0);
    wait_until_dead(pids.front());
    EXPECT_EQ(translate_ok(t, "en", "es", s), expected);
    EXPECT_EQ(t.failure_restarts("eng-spa"), 1u);

    // Killed right before a caption, without waiting: the caption meets a closing
    // pipeline and is retried on a fresh one.
    pids = t.pipeline_pids("eng-spa");
    ASSERT_FALSE(pids.empty());
    ASSERT_EQ(::kill(pids.back(), SIGKILL), 0);
    EXPECT_EQ(translate_ok(t, "en", "es", s), expected);
    EXPECT_GE(t.failure_restarts("eng-spa"), 2u);

    // Every stage killed at once.
    for (int pid : t.pipeline_pids("eng-spa"))
        ::kill(pid, SIGKILL);
    EXPECT_EQ(translate_ok(t, "en", "es", s), expected);
    EXPECT_EQ(zombie_children(), 0);
    EXPECT_NE(t.state().find("eng-spa restarted"), std::string::npos) << t.state();
}

TEST(Failures, KilledPivotLegIsRestarted) {
    apertium_translator t(lazy_params());
    const std::string s = "Where is the hotel?";
    const auto expected = run_apertium({"eng-spa", "es-fr"}, s);
    EXPECT_EQ(translate_ok(t, "en", "fr", s), expected);
    for (int pid : t.pipeline_pids("es-fr"))
        ::kill(pid, SIGKILL);
    EXPECT_EQ(translate_ok(t, "en", "fr", s), expected);
    EXPECT_EQ(t.failure_restarts("es-fr"), 1u);
    EXPECT_EQ(t.failure_restarts("eng-spa"), 0u);
}

TEST(Restarts, AfterMaxUses) {
    auto p = lazy_params();
    p.max_uses = 3;
    apertium_translator t(p);
    auto es = reference({"eng-spa"}, "I have 12345 apples in the kitchen.");
    // The pids seen before each request: the pipeline starts on request 1 and restarts right
    // after requests 3, 6 and 9, so requests 2-3, 4-6, 7-9 and 10 see four different sets.
    std::vector<std::vector<int>> generations;
    for (int i = 0; i < 10; ++i) {
        auto pids = t.pipeline_pids("eng-spa");
        if (!pids.empty() && (generations.empty() || generations.back() != pids))
            generations.push_back(pids);
        EXPECT_EQ(translate_ok(t, "en", "es", "I have " + std::to_string(i + 2) + " apples in the kitchen."),
                  es.text(i + 2));
    }
    EXPECT_EQ(generations.size(), 4u);
    EXPECT_EQ(t.failure_restarts("eng-spa"), 0u);
    EXPECT_EQ(t.state(), "ok");
    EXPECT_EQ(zombie_children(), 0);
}

TEST(Lifecycle, WarmStartAndCleanShutdown) {
    std::vector<int> pids;
    {
        apertium_params p; // warms every route from English
        auto start = std::chrono::steady_clock::now();
        apertium_translator t(p);
        EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
        for (const char* mode : {"eng-spa", "eng-cat", "es-fr", "es-pt", "spa-ita"}) {
            auto v = t.pipeline_pids(mode);
            EXPECT_FALSE(v.empty()) << mode;
            pids.insert(pids.end(), v.begin(), v.end());
        }
        EXPECT_TRUE(t.pipeline_pids("spa-eng").empty()); // lazy: not on a route from English
    }
    for (int pid : pids)
        EXPECT_NE(::kill(pid, 0), 0) << "pid " << pid << " still exists";
    EXPECT_EQ(zombie_children(), 0);
}

} // namespace
