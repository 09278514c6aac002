// lt-speech --engine openai end to end over loopback: the real lt-speech and lt-server, and
// tools/fake_openai.py standing in for an OpenAI-compatible transcription server (it checks
// the multipart shape, the WAV format and the key, and recognises the uploaded audio with the
// project's pocketsphinx engine). Not OpenAI, nor a real faster-whisper server.
#include "transcribe_fixture.hpp"

#include "stt/openai/openai_recognizer.hpp"

#include <filesystem>
#include <mutex>
#include <thread>

using namespace lt::test;
using namespace lt::test::transcribe;

namespace {

const std::string api_key = "sk-test-0123456789";

std::vector<std::string> with_recognizer(std::vector<std::string> extra) {
    extra.insert(extra.begin(), {"--recognizer", build_path("tools/lt-stt-pipe")});
    return extra;
}

// tools/fake_openai.py on a free loopback port, recognising with lt-stt-pipe.
class fake_openai : public fake_service {
public:
    explicit fake_openai(std::vector<std::string> extra = {})
        : fake_service("fake_openai.py", with_recognizer(std::move(extra))) {}
    std::string url() const { return fake_service::url() + "/v1"; }
};

std::vector<std::string> speech_args(const server_process& server, const fake_openai& fake,
                                     std::vector<std::string> extra) {
    std::vector<std::string> a{"http://127.0.0.1:" + std::to_string(server.port()),
                               "--no-meter",
                               "--engine",
                               "openai",
                               "--openai-url",
                               fake.url()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

std::map<std::string, std::string> key_env(const std::string& key) {
    return {{"OPENAI_API_KEY", key}, {"OPENAI_BASE_URL", ""}, {"LT_STT_MODEL", ""}};
}

// Every translated_text frame (partials and finals) until the speaker exited and a quiet
// second passed.
std::vector<json> frames_until_done(ws_client& v, child_process& speaker, std::chrono::seconds limit) {
    std::vector<json> out;
    auto deadline = std::chrono::steady_clock::now() + limit;
    auto quiet_since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto f = v.receive_type("translated_text", 200ms)) {
            out.push_back((*f)["data"]);
            quiet_since = std::chrono::steady_clock::now();
        } else if (!speaker.running() && std::chrono::steady_clock::now() - quiet_since > 1s) {
            break;
        }
    }
    return out;
}

std::unique_ptr<ws_client> partial_viewer(unsigned short port) {
    auto c = std::make_unique<ws_client>(port);
    EXPECT_TRUE(c->receive_type("connection_status"));
    c->send({{"type", "set_language"}, {"data", {{"lang", "en"}, {"partials", true}}}});
    EXPECT_TRUE(c->receive_type("language_set"));
    return c;
}

std::vector<std::string> final_texts(const std::vector<json>& frames) {
    std::vector<std::string> out;
    for (const auto& d : frames)
        if (!d.value("partial", false))
            out.push_back(d["text"].get<std::string>());
    return out;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v)
        s += (s.empty() ? "" : " ") + x;
    return s;
}

} // namespace

TEST(openai_engine, finals_and_partials_reach_the_viewer_with_model_language_and_prompt) {
    fake_openai fake({"--key", api_key});
    server_process server({"--translator", "none"});
    auto v = partial_viewer(server.port());
    auto clip = join_clips({0, 1}, 1.0, "openai-two"); // two sentences, read in real time
    child_process speaker(speech_bin,
                          speech_args(server, fake, {"-i", clip.path, "--stt-model", "tiny-test"}),
                          key_env(api_key));
    auto frames = frames_until_done(*v, speaker, 90s);
    ASSERT_EQ(speaker.wait(20s), 0) << speaker.err() << fake.log();
    auto finals = final_texts(frames);
    ASSERT_GE(finals.size(), 2u) << speaker.err();
    EXPECT_LT(wer(clip.ref, join(finals)), 0.4) << join(finals);
    EXPECT_EQ(printed_finals(speaker.out()), join(finals));

    // Partials came, each before its sentence's final and with its id.
    ASSERT_GT(frames.size(), finals.size()) << "no partial reached the viewer";
    EXPECT_TRUE(frames.front().value("partial", false));
    std::string final_id;
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
        if (!it->value("partial", false))
            final_id = (*it)["id"];
        else
            EXPECT_EQ((*it)["id"], final_id) << "a partial after its final";
    }

    auto st = fake.stats();
    EXPECT_GT(st["partials"].get<int>(), 0);
    EXPECT_EQ(st["finals"].get<std::size_t>(), finals.size()) << st.dump();
    EXPECT_EQ(st["rejected"], 0);
    const auto& log = st["log"];
    std::string previous;
    for (const auto& e : log) {
        EXPECT_EQ(e["model"], "tiny-test");
        EXPECT_EQ(e["language"], "en");
        if (!e["partial"].get<bool>()) {
            // The prompt is the sentence before.
            EXPECT_EQ(e["prompt"], previous);
            previous = e["text"];
        }
    }
}

TEST(openai_engine, partial_interval_zero_sends_finals_only) {
    fake_openai fake;
    server_process server({"--translator", "none"});
    auto v = partial_viewer(server.port());
    auto clip = join_clips({0}, 0.5, "openai-finals"); // 7 s, real time: partials would be due
    child_process speaker(speech_bin, speech_args(server, fake, {"-i", clip.path, "--partial-interval", "0"}),
                          key_env(""));
    auto frames = frames_until_done(*v, speaker, 60s);
    ASSERT_EQ(speaker.wait(20s), 0) << speaker.err();
    auto finals = final_texts(frames);
    ASSERT_FALSE(finals.empty());
    EXPECT_EQ(frames.size(), finals.size()) << "a partial reached the viewer";
    auto st = fake.stats();
    EXPECT_EQ(st["partials"], 0) << st.dump();
    EXPECT_EQ(st["transcriptions"].get<std::size_t>(), finals.size());
}

TEST(openai_engine, a_wrong_or_missing_key_is_a_clear_error_and_exit_2) {
    fake_openai fake({"--key", api_key});
    server_process server({"--translator", "none"});
    auto clip = join_clips({1}, 0.5, "openai-key");
    for (const std::string& key : {std::string("sk-wrong"), std::string()}) {
        auto started = std::chrono::steady_clock::now();
        child_process speaker(speech_bin, speech_args(server, fake, {"-i", clip.path, "--fast"}),
                              key_env(key));
        EXPECT_EQ(speaker.wait(30s), 2) << speaker.err();
        EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
        auto err = speaker.err();
        EXPECT_NE(err.find("refused the key (HTTP 401: Incorrect API key provided"), std::string::npos)
            << err;
        EXPECT_NE(err.find("check OPENAI_API_KEY"), std::string::npos) << err;
    }
    EXPECT_EQ(fake.stats()["rejected"], 2); // one request each: a 401 is not retried
}

TEST(openai_engine, a_server_down_mid_recording_loses_no_final_and_keeps_their_order) {
    fake_openai fake;
    server_process server({"--translator", "none"});
    auto clip = join_clips({0, 1, 2, 3, 4}, 1.2, "openai-outage");
    auto pcm = lt::stt::testing::read_wav(clip.path);

    // What the sentences are without an outage (finals only, file read at full speed).
    std::vector<std::string> expected;
    {
        auto v = partial_viewer(server.port());
        child_process speaker(speech_bin, speech_args(server, fake, {"-i", clip.path, "--fast"}),
                              key_env(""));
        expected = final_texts(frames_until_done(*v, speaker, 120s));
        ASSERT_EQ(speaker.wait(20s), 0) << speaker.err();
    }
    ASSERT_GE(expected.size(), 5u);
    fake.configure({{"fail_next", 2}, {"fail_status", 503}}); // and two 503s first

    server_process fresh({"--translator", "none"}); // no history of the first run for the viewer
    auto v = partial_viewer(fresh.port());
    child_process speaker(speech_bin, speech_args(fresh, fake, {"-i", "-"}), key_env(""));
    const std::size_t block = 1600; // 0.1 s, sent at 4x real time
    const std::size_t total = pcm.size() / block;
    std::vector<json> frames;
    auto pump = [&](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to && i < total + 1; ++i) {
            auto n = std::min(block, pcm.size() - std::min(pcm.size(), i * block));
            if (n > 0) {
                ASSERT_TRUE(speaker.write_stdin(pcm.data() + i * block, n * 2));
            }
            std::this_thread::sleep_for(25ms);
            while (auto f = v->receive_type("translated_text", 0ms))
                frames.push_back((*f)["data"]);
        }
    };
    const std::size_t down_at = total / 4, up_at = 3 * total / 4;
    pump(0, down_at);
    fake.configure({{"down", true}});
    pump(down_at, up_at);
    auto during = fake.stats();
    fake.configure({{"down", false}});
    pump(up_at, total + 1);
    speaker.close_stdin();
    auto rest = frames_until_done(*v, speaker, 90s);
    frames.insert(frames.end(), rest.begin(), rest.end());
    ASSERT_EQ(speaker.wait(30s), 0) << speaker.err();

    EXPECT_GT(during["dropped"].get<int>(), 0) << "the outage hit no request: " << during.dump();
    EXPECT_EQ(during["failed"], 2);
    EXPECT_EQ(final_texts(frames), expected) << speaker.err();
    EXPECT_NE(speaker.err().find("retrying"), std::string::npos) << speaker.err();
}

TEST(openai_engine, the_queue_is_bounded_overflow_is_counted_and_the_rest_is_sent_in_order_when_back) {
    fake_openai fake;
    fake.configure({{"down", true}});
    lt::stt::recognizer_options ro;
    lt::stt::openai::openai_options oa;
    oa.base_url = fake.url();
    oa.partial_interval_s = 0;
    oa.queue_max = 2;
    oa.retry_initial = 20ms;
    oa.retry_max = 100ms;
    std::mutex mu;
    std::vector<lt::stt::openai::openai_event> events;
    oa.on_event = [&](const lt::stt::openai::openai_event& e) {
        std::lock_guard lock(mu);
        events.push_back(e);
    };
    auto made = lt::stt::openai::make_openai_recognizer(ro, oa);
    ASSERT_TRUE(made) << made.error_message();
    auto& rec = *made.value();
    auto all = lt::stt::testing::load_librivox();
    auto stream = lt::stt::testing::build_stream(all, 1.2); // five sentences
    std::vector<lt::stt::result> results;
    for (std::size_t i = 0; i < stream.pcm.size(); i += 1600) {
        auto part =
            rec.feed(std::span(stream.pcm).subspan(i, std::min<std::size_t>(1600, stream.pcm.size() - i)));
        results.insert(results.end(), part.begin(), part.end());
    }
    // Let the endpointer's last utterance in and the worker fail a few times.
    std::this_thread::sleep_for(300ms);
    {
        std::lock_guard lock(mu);
        std::size_t overflow = 0;
        for (const auto& e : events)
            if (e.message.find("more than 2 utterances waiting") != std::string::npos)
                ++overflow;
        EXPECT_GE(overflow, 1u);
    }
    EXPECT_TRUE(results.empty());
    fake.configure({{"down", false}});
    auto rest = rec.finish();
    results.insert(results.end(), rest.begin(), rest.end());
    auto st = fake.stats();
    EXPECT_GT(st["dropped"].get<int>(), 0);
    // One in flight plus the two waiting survived, in order; the rest were counted as dropped.
    ASSERT_EQ(results.size(), 3u) << st.dump();
    EXPECT_EQ(st["finals"], 3);
    for (std::size_t i = 0; i < results.size(); ++i) {
        EXPECT_TRUE(results[i].final);
        EXPECT_EQ(results[i].utterance, i + 1);
        EXPECT_EQ(results[i].text, st["log"][i]["text"]);
        if (i > 0) {
            EXPECT_GT(results[i].start_s, results[i - 1].end_s);
        }
    }
}

TEST(openai_engine, https_checks_the_certificate_and_ca_file_trusts_a_private_one) {
    auto dir = std::filesystem::temp_directory_path() / ("lt-openai-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto cert = (dir / "cert.pem").string(), keyfile = (dir / "key.pem").string();
    ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
                           "-addext subjectAltName=DNS:localhost -keyout " +
                           keyfile + " -out " + cert + " 2>/dev/null")
                              .c_str()),
              0);
    fake_openai fake({"--tls-cert", cert, "--tls-key", keyfile});
    server_process server({"--translator", "none"});
    const std::string url = "https://localhost:" + std::to_string(fake.port()) + "/v1";
    auto clip = join_clips({1}, 0.5, "openai-tls");
    auto args = [&](std::vector<std::string> extra) {
        std::vector<std::string> a{"http://127.0.0.1:" + std::to_string(server.port()),
                                   "--no-meter",
                                   "--engine",
                                   "openai",
                                   "--openai-url",
                                   url,
                                   "-i",
                                   clip.path,
                                   "--fast"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    };
    child_process untrusted(speech_bin, args({}), key_env(""));
    EXPECT_EQ(untrusted.wait(60s), 4) << untrusted.err(); // speech not transcribed
    EXPECT_NE(untrusted.err().find("certificate verify failed"), std::string::npos) << untrusted.err();
    EXPECT_NE(untrusted.err().find("could not be transcribed"), std::string::npos) << untrusted.err();

    auto v = partial_viewer(server.port());
    child_process trusted(speech_bin, args({"--ca-file", cert}), key_env(""));
    auto finals = final_texts(frames_until_done(*v, trusted, 60s));
    EXPECT_EQ(trusted.wait(20s), 0) << trusted.err();
    ASSERT_FALSE(finals.empty()) << trusted.err();
    EXPECT_LT(wer(clip.ref, join(finals)), 0.5) << join(finals); // the fake's control port is TLS too
    std::filesystem::remove_all(dir);
}

TEST(openai_engine, a_url_that_is_no_transcription_endpoint_is_a_clear_error_and_exit_4) {
    fake_openai fake;
    server_process server({"--translator", "none"});
    auto clip = join_clips({1}, 0.5, "openai-404");
    const std::string wrong = "http://127.0.0.1:" + std::to_string(fake.port()) + "/api";
    child_process speaker(speech_bin,
                          {"http://127.0.0.1:" + std::to_string(server.port()), "--no-meter", "--engine",
                           "openai", "--openai-url", wrong, "-i", clip.path, "--fast", "--partial-interval",
                           "0"},
                          key_env(""));
    EXPECT_EQ(speaker.wait(30s), 4) << speaker.err(); // speech not transcribed
    const auto err = speaker.err();
    EXPECT_NE(err.find("refused the request (HTTP 404: Unknown request URL: POST /api/audio/transcriptions"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("check --openai-url and --stt-model"), std::string::npos) << err;
    EXPECT_EQ(fake.stats()["requests"], 0); // the path was wrong: not a transcription request
}

TEST(openai_engine, with_a_slow_server_one_request_is_in_flight_and_the_newest_partial_wins) {
    fake_openai fake;
    fake.configure({{"delay_ms", 1000}});
    lt::stt::recognizer_options ro;
    lt::stt::openai::openai_options oa;
    oa.base_url = fake.url();
    oa.partial_interval_s = 0.25; // far more often than the server answers
    oa.on_event = [](const lt::stt::openai::openai_event&) {};
    auto made = lt::stt::openai::make_openai_recognizer(ro, oa);
    ASSERT_TRUE(made) << made.error_message();
    auto& rec = *made.value();
    auto all = lt::stt::testing::load_librivox();
    auto stream = lt::stt::testing::build_stream({all.at(0)}, 0.5); // about 7 s of speech
    std::vector<lt::stt::result> results;
    const auto started = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < stream.pcm.size(); i += 1600) {
        auto part =
            rec.feed(std::span(stream.pcm).subspan(i, std::min<std::size_t>(1600, stream.pcm.size() - i)));
        results.insert(results.end(), part.begin(), part.end());
        std::this_thread::sleep_until(started + std::chrono::milliseconds(i / 16 + 100)); // real time
    }
    auto rest = rec.finish();
    results.insert(results.end(), rest.begin(), rest.end());
    const auto due = static_cast<std::size_t>(7.0 / 0.25); // partial requests the interval asks for
    auto st = fake.stats();
    // Each answer takes a second: the worker never ran two at once, so it sent about one
    // partial a second; the ones that came due meanwhile were replaced, not queued.
    EXPECT_GE(st["partials"].get<std::size_t>(), 2u) << st.dump();
    EXPECT_LE(st["partials"].get<std::size_t>(), 9u) << st.dump();
    EXPECT_LT(st["partials"].get<std::size_t>(), due / 2);
    ASSERT_EQ(st["finals"], 1) << st.dump();
    EXPECT_EQ(st["max_concurrent"], 1);
    std::printf("partial requests: %zu sent of %zu due\n", st["partials"].get<std::size_t>(), due);
    ASSERT_FALSE(results.empty());
    EXPECT_TRUE(results.back().final);
    for (std::size_t i = 0; i + 1 < results.size(); ++i)
        EXPECT_FALSE(results[i].final) << "a result after the final";
    // Partials carry the growing audio: each one's end is later than the one before.
    for (std::size_t i = 1; i + 1 < results.size(); ++i)
        EXPECT_GT(results[i].end_s, results[i - 1].end_s);
}
