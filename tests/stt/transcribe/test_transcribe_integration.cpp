// lt-speech --engine aws end to end over loopback: the real lt-speech and lt-server, and
// tools/fake_aws.py standing in for Transcribe streaming and STS (it checks every SigV4
// signature itself and recognises the audio with the project's pocketsphinx engine). Not
// live AWS.
#include "transcribe_fixture.hpp"

using namespace lt::test;
using namespace lt::test::transcribe;

namespace {

const auto& clip_long() {
    static const auto j = join_clips({0}, 0.5, "long"); // "and mister john dashwood ..." 7 s
    return j;
}

} // namespace

TEST(transcribe_engine, local_credentials_a_clip_reaches_the_viewer) {
    fake_aws aws(fake_args());
    server_process server({"--translator", "none"});
    auto v = viewer(server.port());
    const auto& clip = clip_long();
    auto started = std::chrono::steady_clock::now();
    child_process speaker(speech_bin,
                          {"http://127.0.0.1:" + std::to_string(server.port()), "--no-meter", "--engine",
                           "aws", "-i", clip.path, "-v"},
                          merged(aws.env(), {{"LT_LOCAL_TOKEN", "true"}}));
    auto finals = finals_until_done(*v, speaker, 60s);
    ASSERT_EQ(speaker.wait(20s), 0) << speaker.err() << aws.log();
    ASSERT_FALSE(finals.empty()) << speaker.err() << aws.log();
    EXPECT_LT(wer(clip.ref, joined(finals)), 0.4) << joined(finals);
    // Transcribe's text (here the fake's truecased, punctuated one) is passed on as it is.
    EXPECT_TRUE(std::isupper(static_cast<unsigned char>(finals.front().text[0]))) << finals.front().text;
    auto stats = aws.stats();
    EXPECT_EQ(stats["transcribe_streams"], 1);
    EXPECT_EQ(stats["signature_failures"], 0);
    EXPECT_NEAR(stats["transcribe_audio_seconds"].get<double>(), clip.seconds, 0.2);
    EXPECT_FALSE(lines_with(speaker.err(), "AWS credentials: local, from environment").empty())
        << speaker.err();
    // The file is read in real time: the last final comes soon after the speech ends.
    double latency = std::chrono::duration<double>(finals.back().at - started).count() - clip.speech_end_s;
    std::printf("final latency through the fake: %.2f s after the end of speech (process start included)\n",
                latency);
    EXPECT_LT(latency, 4.0);
}

TEST(transcribe_engine, fast_input_is_sent_as_fast_as_the_service_takes_it_and_all_of_it_is_transcribed) {
    fake_aws aws(fake_args());
    server_process server({"--translator", "none"});
    auto v = viewer(server.port());
    // 2.5 minutes: far more than the service recognises within the 10 s wait at the end,
    // so the end must wait for results as long as they keep coming.
    std::vector<std::size_t> order;
    for (int i = 0; i < 5; ++i)
        for (std::size_t c = 0; c < 5; ++c)
            order.push_back(c);
    auto input = join_clips(order, 0.8, "fast");
    auto started = std::chrono::steady_clock::now();
    child_process speaker(speech_bin,
                          {"http://127.0.0.1:" + std::to_string(server.port()), "--no-meter", "--engine",
                           "aws", "-i", input.path, "--fast"},
                          merged(aws.env(), {{"LT_LOCAL_TOKEN", "true"}}));
    auto finals = finals_until_done(*v, speaker, 200s);
    ASSERT_EQ(speaker.wait(20s), 0) << speaker.err();
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("%.0f s of audio with --fast in %.1f s, %zu finals\n", input.seconds, took, finals.size());
    EXPECT_LT(took, input.seconds / 2) << "--fast should not wait for real time";
    EXPECT_NEAR(aws.stats()["transcribe_audio_seconds"].get<double>(), input.seconds, 0.2);
    EXPECT_LT(wer(input.ref, joined(finals)), 0.45) << joined(finals);
    EXPECT_TRUE(lines_with(speaker.err(), "warning").size() <= 1) << speaker.err(); // only the API_KEY one
}

TEST(transcribe_engine, server_token_a_clip_reaches_the_viewer) {
    fake_aws aws(fake_args());
    server_process server({"--translator", "none"},
                          merged(aws.env(), {{"API_KEY", key}, {"TRANSCRIBE_ROLE_ARN", role}}));
    auto v = viewer(server.port());
    const auto& clip = clip_long();
    child_process speaker(speech_bin,
                          {"http://127.0.0.1:" + std::to_string(server.port()), "--no-meter", "--engine",
                           "aws", "-i", clip.path, "-v"},
                          server_token_env(aws));
    auto finals = finals_until_done(*v, speaker, 60s);
    ASSERT_EQ(speaker.wait(20s), 0) << speaker.err() << server.log();
    EXPECT_LT(wer(clip.ref, joined(finals)), 0.4) << joined(finals);
    auto stats = aws.stats();
    EXPECT_GE(stats["sts_calls"], 1);
    EXPECT_EQ(stats["transcribe_streams"], 1);
    EXPECT_EQ(stats["signature_failures"], 0);
    // The stream was signed with the role's temporary keys, for the token's region.
    auto said = lines_with(speaker.err(), "AWS credentials: from ws://127.0.0.1:");
    ASSERT_EQ(said.size(), 1u) << speaker.err();
    EXPECT_NE(said[0].find("region us-east-1"), std::string::npos) << said[0];
}

TEST(transcribe_engine, a_refused_api_key_ends_lt_speech_with_status_2) {
    fake_aws aws(fake_args());
    server_process server({"--translator", "none"},
                          merged(aws.env(), {{"API_KEY", key}, {"TRANSCRIBE_ROLE_ARN", role}}));
    auto env = server_token_env(aws);
    env["API_KEY"] = "wrong";
    child_process speaker(speech_bin,
                          {"http://127.0.0.1:" + std::to_string(server.port()), "--no-meter", "--engine",
                           "aws", "-i", clip_long().path},
                          env);
    EXPECT_EQ(speaker.wait(20s), 2) << speaker.err();
    EXPECT_NE(speaker.err().find("refused the API key"), std::string::npos) << speaker.err();
    EXPECT_EQ(aws.stats()["transcribe_streams"], 0);
}

TEST(transcribe_engine, a_server_without_a_role_says_how_to_use_local_credentials) {
    server_process server({"--translator", "none"}, {{"API_KEY", key}, {"TRANSCRIBE_ROLE_ARN", ""}});
    fake_aws aws(fake_args());
    child_process speaker(speech_bin,
                          {"http://127.0.0.1:" + std::to_string(server.port()), "--no-meter", "--engine",
                           "aws", "-i", clip_long().path},
                          server_token_env(aws));
    EXPECT_EQ(speaker.wait(20s), 1) << speaker.err();
    EXPECT_NE(speaker.err().find("LT_LOCAL_TOKEN=true"), std::string::npos) << speaker.err();
}

TEST(transcribe_engine, wrong_credentials_are_reported_retried_and_end_with_status_4) {
    fake_aws aws(fake_args());
    server_process server({"--translator", "none"});
    auto env = merged(aws.env(), {{"LT_LOCAL_TOKEN", "true"}, {"AWS_SECRET_ACCESS_KEY", "not-the-secret"}});
    auto input = join_clips({1}, 0.3, "short");
    child_process speaker(speech_bin,
                          {"http://127.0.0.1:" + std::to_string(server.port()), "--no-meter", "--engine",
                           "aws", "-i", input.path},
                          env);
    int status = speaker.wait(60s);
    EXPECT_EQ(status, 4) << speaker.err();
    auto err = speaker.err();
    auto refused = lines_with(err, "InvalidSignatureException");
    EXPECT_GE(refused.size(), 2u) << err; // retried, with back-off
    EXPECT_FALSE(lines_with(err, "retrying in 2 s").empty()) << err;
    EXPECT_FALSE(lines_with(err, "of audio not transcribed").empty()) << err;
    EXPECT_EQ(aws.stats()["transcribe_streams"], 0);
}
