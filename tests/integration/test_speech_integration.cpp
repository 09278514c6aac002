// lt-speech end to end over loopback: the real binaries (lt-speech, lt-server), real
// pocketsphinx with Debian's en-us model, real Apertium, real WebSocket viewers, and a
// real ALSA capture device made from a file (no sound card or daemon needed).
#include "harness.hpp"
#include "librivox.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

using namespace lt::test;
namespace fs = std::filesystem;

namespace {

const std::string key = "speech-key";
const std::string clips = "/usr/share/pocketsphinx/test/data/librivox/";
const std::string clip_long = clips + "sense_and_sensibility_01_austen_64kb-0870.wav";  // 7.1 s
const std::string clip_short = clips + "sense_and_sensibility_01_austen_64kb-0880.wav"; // 3.0 s

using lt::stt::testing::read_wav;

// Word error rate of `hyp` against `ref`.
double wer(const std::string& ref, const std::string& hyp) {
    auto r = lt::stt::testing::words(ref);
    return static_cast<double>(lt::stt::testing::edit_distance(r, lt::stt::testing::words(hyp))) /
           static_cast<double>(r.size());
}

// The finals lt-speech printed: "HH:MM:SS  text" lines on stdout.
std::vector<std::string> printed_finals(const std::string& out) {
    std::vector<std::string> finals;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (line.size() > 10 && line[2] == ':' && line[5] == ':')
            finals.push_back(line.substr(10));
    return finals;
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v)
        s += (s.empty() ? "" : " ") + x;
    return s;
}

// With the catch-up, as our page asks: a viewer that joins after the speaker's outbox
// flushed still gets those finals.
json set_language(const std::string& lang, bool partials) {
    return {{"type", "set_language"}, {"data", {{"lang", lang}, {"partials", partials}, {"history", true}}}};
}

std::unique_ptr<ws_client> speech_viewer(unsigned short port, const std::string& lang, bool partials = true) {
    auto c = std::make_unique<ws_client>(port);
    EXPECT_TRUE(c->receive_type("connection_status"));
    c->send(set_language(lang, partials));
    EXPECT_TRUE(c->receive_type("language_set"));
    return c;
}

// Every translated_text a viewer gets until `done` says the speaker has finished and a
// quiet second has passed (bounded by `limit`).
std::vector<json> drain(ws_client& v, const std::function<bool()>& done, std::chrono::seconds limit = 60s) {
    std::vector<json> frames;
    auto deadline = std::chrono::steady_clock::now() + limit;
    auto quiet_since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto f = v.receive_type("translated_text", 200ms)) {
            frames.push_back(*f);
            quiet_since = std::chrono::steady_clock::now();
        } else if (done() && std::chrono::steady_clock::now() - quiet_since > 1s) {
            break;
        }
    }
    return frames;
}

std::vector<json> finals_of(const std::vector<json>& frames) {
    std::vector<json> out;
    for (const auto& f : frames)
        if (!f["data"].value("partial", false))
            out.push_back(f);
    return out;
}

std::vector<std::string> field(const std::vector<json>& frames, const char* name) {
    std::vector<std::string> out;
    for (const auto& f : frames)
        out.push_back(f["data"][name].get<std::string>());
    return out;
}

std::vector<std::string> speech_args(unsigned short port, std::vector<std::string> extra) {
    std::vector<std::string> args{"http://127.0.0.1:" + std::to_string(port), "--no-meter"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

const std::string speech_bin = "apps/lt-speech/lt-speech";

} // namespace

TEST(lt_speech, a_clip_reaches_english_and_spanish_viewers_as_partials_then_apertium_finals) {
    server_process server({"--translator", "apertium"}, {{"API_KEY", key}});
    auto en = speech_viewer(server.port(), "en");
    auto es = speech_viewer(server.port(), "es");
    child_process speaker(speech_bin, speech_args(server.port(), {"--input", clip_long, "--fast"}),
                          {{"API_KEY", key}});
    auto speaker_done = [&] { return !speaker.running(); };
    auto en_frames = drain(*en, speaker_done);
    auto es_frames = drain(*es, speaker_done);
    ASSERT_EQ(speaker.wait(30s), 0) << speaker.err();

    auto printed = printed_finals(speaker.out());
    ASSERT_FALSE(printed.empty()) << speaker.err();
    auto en_finals = finals_of(en_frames);
    auto es_finals = finals_of(es_frames);
    EXPECT_EQ(field(en_finals, "text"), printed);
    ASSERT_EQ(es_finals.size(), printed.size());

    // Partials arrive before their final, with the final's id, in the source language.
    ASSERT_GT(en_frames.size(), en_finals.size()) << "no partials reached the viewer";
    const auto& first = en_frames.front()["data"];
    EXPECT_TRUE(first.value("partial", false));
    EXPECT_EQ(first["id"], en_finals.front()["data"]["id"]);
    EXPECT_GT(es_frames.size(), es_finals.size()) << "partials go to every viewer that asked";

    for (std::size_t i = 0; i < printed.size(); ++i) {
        const auto& d = es_finals[i]["data"];
        EXPECT_EQ(d["original"], printed[i]);
        EXPECT_EQ(d["lang"], "es");
        EXPECT_EQ(d["source_lang"], "en");
        EXPECT_EQ(d["text"], apertium(printed[i], {"eng-spa"}));
        EXPECT_FALSE(d.contains("error"));
    }
    // Truecased and punctuated for readers and for Apertium.
    EXPECT_TRUE(std::isupper(static_cast<unsigned char>(printed.front()[0]))) << printed.front();
    EXPECT_EQ(printed.back().back(), '.');
    // Recognised well enough to be the clip (the stt tests hold the precise WER bound).
    EXPECT_LT(wer("and mister john dashwood had then leisure to consider how much there might be "
                  "prudently in his power to do for them",
                  joined(printed)),
              0.6)
        << joined(printed);
}

TEST(lt_speech, every_final_reaches_the_viewer_exactly_once_and_in_order_across_a_server_restart) {
    // Five LibriVox clips with pauses between them, fed through stdin at four times real
    // time; the server is stopped after the first final and started again a moment later.
    std::vector<std::int16_t> audio;
    for (auto id : {"0870", "0880", "0890", "0920", "0930"}) {
        auto pcm = read_wav(clips + "sense_and_sensibility_01_austen_64kb-" + id + ".wav");
        audio.insert(audio.end(), pcm.begin(), pcm.end());
        audio.insert(audio.end(), 16000 + 8000, 0);
    }
    auto port = free_port();
    auto server =
        std::make_unique<server_process>(std::vector<std::string>{"--translator", "none"},
                                         std::map<std::string, std::string>{{"API_KEY", key}}, port);
    auto before = speech_viewer(port, "en", false);
    child_process speaker(speech_bin, speech_args(port, {"--input", "-", "-v"}), {{"API_KEY", key}});

    std::vector<json> seen;
    const std::size_t block = 1600; // 100 ms of audio every 25 ms
    std::size_t at = 0;
    bool restarted = false;
    std::unique_ptr<ws_client> after;
    for (int guard = 0; at < audio.size() && guard < 10000; ++guard) {
        auto n = std::min(block, audio.size() - at);
        ASSERT_TRUE(speaker.write_stdin(audio.data() + at, n * 2)) << speaker.err();
        at += n;
        std::this_thread::sleep_for(25ms);
        if (!server) {
            continue;
        }
        while (auto f = (after ? after : before)->receive_type("translated_text", 0ms))
            seen.push_back(*f);
        if (!restarted && !seen.empty()) {
            // Stop the server; the speaker keeps recognising into its outbox.
            ASSERT_EQ(server->stop(SIGTERM), 0);
            server.reset();
            restarted = true;
            for (int i = 0; i < 100; ++i) { // 10 s of audio (longer than any clip) while the server is away
                auto m = std::min(block, audio.size() - at);
                speaker.write_stdin(audio.data() + at, m * 2);
                at += m;
                std::this_thread::sleep_for(25ms);
            }
            while (auto f = before->receive_type("translated_text", 200ms))
                seen.push_back(*f);
            server =
                std::make_unique<server_process>(std::vector<std::string>{"--translator", "none"},
                                                 std::map<std::string, std::string>{{"API_KEY", key}}, port);
            after = speech_viewer(port, "en", false);
        }
    }
    ASSERT_TRUE(restarted) << "no final arrived before the restart: " << speaker.err();
    speaker.close_stdin();
    auto rest = drain(*after, [&] { return !speaker.running(); });
    seen.insert(seen.end(), rest.begin(), rest.end());
    ASSERT_EQ(speaker.wait(30s), 0) << speaker.err();

    auto printed = printed_finals(speaker.out());
    EXPECT_GE(printed.size(), 5u) << speaker.out();
    EXPECT_EQ(field(seen, "text"), printed) << speaker.err();
    auto ids = field(seen, "id");
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << "a final arrived twice";
    // A sentence was recognised while the server was away and delivered after the reconnect.
    auto err = speaker.err();
    auto down = err.find("not connected");
    ASSERT_NE(down, std::string::npos) << "the speaker never saw the restart";
    auto up = err.find("connected to", down + 13);
    ASSERT_NE(up, std::string::npos) << err;
    EXPECT_NE(err.substr(down, up - down).find(" is audio "), std::string::npos)
        << "no final was recognised during the outage:\n"
        << err;
}

TEST(lt_speech, a_wrong_api_key_is_a_clear_error_and_exit_not_a_retry_loop) {
    server_process server({"--translator", "none"}, {{"API_KEY", key}});
    child_process speaker(speech_bin, speech_args(server.port(), {"--input", clip_short, "--fast"}),
                          {{"API_KEY", "not-the-key"}});
    int rc = speaker.wait(30s);
    EXPECT_EQ(rc, 2);
    EXPECT_NE(speaker.err().find("refused the API key"), std::string::npos) << speaker.err();
    EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST(lt_speech, bad_settings_are_clear_errors) {
    child_process missing_model(speech_bin, {"--model-dir", "/nonexistent/model", "--input", clip_short});
    EXPECT_EQ(missing_model.wait(20s), 1);
    EXPECT_NE(missing_model.err().find("/nonexistent/model"), std::string::npos) << missing_model.err();

    child_process missing_file(speech_bin, {"--input", "/nonexistent/talk.wav"});
    EXPECT_EQ(missing_file.wait(20s), 1);
    EXPECT_NE(missing_file.err().find("/nonexistent/talk.wav"), std::string::npos) << missing_file.err();

    child_process bad_url(speech_bin, {"ftp://example.org", "--input", clip_short});
    EXPECT_EQ(bad_url.wait(20s), 1);
    EXPECT_NE(bad_url.err().find("ftp"), std::string::npos) << bad_url.err();

    child_process bad_engine(speech_bin, {"--engine", "nonesuch", "--input", clip_short});
    EXPECT_EQ(bad_engine.wait(20s), 1);
    EXPECT_NE(bad_engine.err().find("pocketsphinx"), std::string::npos)
        << "should list the engines: " << bad_engine.err();
}

TEST(lt_speech, silence_on_stdin_sends_nothing_and_warns) {
    server_process server({"--translator", "none"}, {{"API_KEY", key}});
    child_process speaker(speech_bin, speech_args(server.port(), {"--input", "-"}), {{"API_KEY", key}});
    std::vector<std::int16_t> zeros(16000 * 7, 0);
    ASSERT_TRUE(speaker.write_stdin(zeros.data(), zeros.size() * 2));
    speaker.close_stdin();
    EXPECT_EQ(speaker.wait(30s), 0) << speaker.err();
    EXPECT_TRUE(printed_finals(speaker.out()).empty()) << speaker.out();
    EXPECT_NE(speaker.err().find("no sound"), std::string::npos) << speaker.err();
    auto health = json::parse(http_get(server.port(), "/health").body);
    EXPECT_EQ(health["last_seq"], 0);
}

// The capture path through PortAudio and ALSA, with ALSA's `file` plugin as the microphone.
// It has no clock (audio arrives at once, the ring keeps the first 4 s), so the clip is
// short and lt-speech stops after a count of samples, not after wall time.
struct virtual_microphone : ::testing::Test {
    fs::path dir;
    std::map<std::string, std::string> env;
    void SetUp() override {
        dir = fs::temp_directory_path() / ("lt-virtmic-" + std::to_string(::getpid()));
        fs::create_directories(dir);
        auto raw = (dir / "mic.raw").string();
        ASSERT_EQ(
            std::system(
                ("sox " + clip_short + " -t raw -e signed -b 16 -c 1 -r 16000 " + raw + " pad 0 1").c_str()),
            0);
        std::ofstream(dir / "asound.conf")
            << "pcm.virtmic_raw { type file slave.pcm { type null } file \"/dev/null\" infile \"" << raw
            << "\" format \"raw\" }\n"
               "pcm.virtmic { type plug slave { pcm \"virtmic_raw\" format S16_LE rate 16000 channels 1 } }\n"
               "pcm.!default \"virtmic\"\n";
        env = {{"ALSA_CONFIG_PATH", (dir / "asound.conf").string()}, {"API_KEY", key}};
    }
    void TearDown() override { fs::remove_all(dir); }

    // The index lt-speech --list-devices gives for a device name.
    std::string index_of(const std::string& listing, const std::string& name) {
        std::istringstream in(listing);
        for (std::string line; std::getline(in, line);) {
            std::istringstream fields(line);
            std::string index, device;
            fields >> index >> device;
            if (device == name)
                return std::to_string(std::stoi(index));
        }
        return "";
    }
};

TEST_F(virtual_microphone, devices_are_listed_and_chosen_by_name_or_index_and_speech_is_recognised) {
    child_process list(speech_bin, {"--list-devices"}, env);
    ASSERT_EQ(list.wait(20s), 0) << list.err();
    auto listing = list.out();
    for (auto name : {"virtmic_raw", "virtmic", "default"})
        EXPECT_FALSE(index_of(listing, name).empty()) << name << " missing from:\n" << listing;

    server_process server({"--translator", "none"}, {{"API_KEY", key}});
    auto en = speech_viewer(server.port(), "en", false);
    // By name through LT_AUDIO_DEVICE, then by index with -d.
    for (const auto& choice : {std::string("virtmic_raw"), index_of(listing, "virtmic")}) {
        bool by_env = choice == "virtmic_raw";
        auto speaker_env = env;
        if (by_env)
            speaker_env["LT_AUDIO_DEVICE"] = choice;
        std::vector<std::string> args{"--stop-after", "3.9"};
        if (!by_env)
            args.insert(args.end(), {"-d", choice});
        child_process speaker(speech_bin, speech_args(server.port(), args), speaker_env);
        ASSERT_EQ(speaker.wait(30s), 0) << speaker.err();
        EXPECT_NE(speaker.err().find(by_env ? "'virtmic_raw'" : "'virtmic'"), std::string::npos)
            << speaker.err();
        auto printed = printed_finals(speaker.out());
        EXPECT_LT(wer("he was not an ill disposed young man", joined(printed)), 0.5)
            << "device " << choice << ": " << joined(printed);
        auto got = en->collect("translated_text", printed.size(), 10s);
        EXPECT_EQ(field(got, "text"), printed);
    }

    child_process ambiguous(speech_bin, speech_args(server.port(), {"-d", "virt", "--stop-after", "1"}), env);
    EXPECT_EQ(ambiguous.wait(20s), 1);
    EXPECT_NE(ambiguous.err().find("virtmic_raw"), std::string::npos) << ambiguous.err();
}

// wss: socat terminates TLS in front of lt-server (as a reverse proxy would at an event),
// with a self-signed certificate for "localhost". Unknown to the system store, it is refused
// with a clear message until the speaker is told to trust it with --ca-file.
TEST(lt_speech, wss_checks_the_certificate_and_delivers_through_tls) {
    auto dir = fs::temp_directory_path() / ("lt-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto cert = (dir / "cert.pem").string(), keyfile = (dir / "key.pem").string();
    ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
                           "-addext subjectAltName=DNS:localhost -keyout " +
                           keyfile + " -out " + cert + " 2>/dev/null")
                              .c_str()),
              0);
    server_process server({"--translator", "none"}, {{"API_KEY", key}});
    auto en = speech_viewer(server.port(), "en", false);
    auto tls_port = free_port();
    std::string socat = "socat OPENSSL-LISTEN:" + std::to_string(tls_port) +
                        ",bind=127.0.0.1,reuseaddr,fork,cert=" + cert + ",key=" + keyfile +
                        ",verify=0 TCP:127.0.0.1:" + std::to_string(server.port());
    ASSERT_EQ(
        std::system(("(" + socat + ") >/dev/null 2>&1 & echo $! > " + (dir / "socat.pid").string()).c_str()),
        0);
    std::this_thread::sleep_for(500ms);
    std::string url = "wss://localhost:" + std::to_string(tls_port);

    child_process untrusted(speech_bin,
                            {url, "--no-meter", "--input", clip_short, "--fast", "--finish-timeout", "2"},
                            {{"API_KEY", key}});
    EXPECT_EQ(untrusted.wait(30s), 3) << untrusted.err(); // captions undelivered
    EXPECT_NE(untrusted.err().find("certificate verify failed"), std::string::npos) << untrusted.err();

    child_process trusted(speech_bin, {url, "--no-meter", "--input", clip_short, "--fast", "--ca-file", cert},
                          {{"API_KEY", key}});
    EXPECT_EQ(trusted.wait(30s), 0) << trusted.err();
    auto printed = printed_finals(trusted.out());
    ASSERT_FALSE(printed.empty()) << trusted.err();
    EXPECT_EQ(field(en->collect("translated_text", printed.size(), 10s), "text"), printed);

    std::system(("kill $(cat " + (dir / "socat.pid").string() + ") 2>/dev/null").c_str());
    fs::remove_all(dir);
}

TEST(lt_speech, ctrl_c_finalises_and_delivers_the_sentence_in_progress) {
    server_process server({"--translator", "none"}, {{"API_KEY", key}});
    auto en = speech_viewer(server.port(), "en", true);
    // Real time: the 7 s sentence is still being spoken when Ctrl+C comes.
    child_process speaker(speech_bin, speech_args(server.port(), {"--input", clip_long}), {{"API_KEY", key}});
    std::optional<json> partial;
    for (int i = 0; i < 3 && !partial; ++i) // the second or third partial: well inside the sentence
        partial = en->receive_type("translated_text", 10s);
    ASSERT_TRUE(partial) << speaker.err();
    ASSERT_TRUE((*partial)["data"].value("partial", false));
    ::kill(speaker.pid(), SIGINT);
    EXPECT_EQ(speaker.wait(20s), 128 + SIGINT) << "dies of the signal after finishing, as shells expect\n"
                                               << speaker.err();
    std::optional<json> final;
    while (auto f = en->receive_type("translated_text", 5s))
        if (!(*f)["data"].value("partial", false)) {
            final = f;
            break;
        }
    ASSERT_TRUE(final) << speaker.err();
    EXPECT_EQ((*final)["data"]["id"], (*partial)["data"]["id"]);
    auto printed = printed_finals(speaker.out());
    ASSERT_EQ(printed.size(), 1u) << speaker.out();
    EXPECT_EQ((*final)["data"]["text"], printed[0]);
    EXPECT_LT(lt::stt::testing::words(printed[0]).size(), 22u)
        << "the sentence was cut short by Ctrl+C: " << printed[0];
    EXPECT_NE(speaker.err().find("finishing the last sentence"), std::string::npos) << speaker.err();
}

TEST(lt_speech, against_a_reference_server_sends_finals_only_without_waiting_for_acks) {
    // The reference greets without server_id, sends no text_ack and shows every new_text.
    recording_server reference(
        json{{"type", "connection_status"}, {"data", {{"status", "connected"}, {"aws_available", false}}}});
    child_process speaker(speech_bin,
                          {"http://127.0.0.1:" + std::to_string(reference.port()), "--no-meter", "--input",
                           clip_long, "--fast"},
                          {{"API_KEY", key}});
    ASSERT_EQ(speaker.wait(30s), 0) << speaker.err();
    auto printed = printed_finals(speaker.out());
    ASSERT_FALSE(printed.empty());
    std::vector<std::string> texts;
    for (const auto& f : reference.received()) {
        ASSERT_EQ(f["type"], "new_text");
        EXPECT_FALSE(f["data"].value("partial", false)) << "a partial would show as a caption there";
        EXPECT_EQ(f["data"]["api_key"], key);
        EXPECT_EQ(f["data"]["timestamp"].get<std::string>().size(), 8u);
        texts.push_back(f["data"]["text"]);
    }
    EXPECT_EQ(texts, printed);
    EXPECT_NE(speaker.err().find("does not acknowledge"), std::string::npos) << speaker.err();
}
