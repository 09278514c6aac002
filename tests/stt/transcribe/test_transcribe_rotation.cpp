// lt-speech --engine aws over streams that end: credentials that expire every 30 s (the
// stream is rotated to fresh ones at a pause) and a service that ends each stream after a
// few seconds of audio (the stream is reopened). Every word must reach the viewer once.
// Real lt-speech and lt-server, tools/fake_aws.py as STS + Transcribe streaming.
#include "transcribe_fixture.hpp"

using namespace lt::test;
using namespace lt::test::transcribe;

namespace {

// No final may repeat the one before it (a sentence doubled across a switch).
void expect_no_doubled_final(const std::vector<received>& finals) {
    for (std::size_t i = 1; i < finals.size(); ++i)
        EXPECT_NE(words(finals[i].text), words(finals[i - 1].text)) << "doubled: " << finals[i].text;
}

} // namespace

TEST(transcribe_rotation, expiring_server_tokens_rotate_streams_without_losing_or_doubling_words) {
    fake_aws aws(fake_args({"--token-seconds", "30"}));
    server_process server({"--translator", "none"},
                          merged(aws.env(), {{"API_KEY", key}, {"TRANSCRIBE_ROLE_ARN", role}}));
    auto v = viewer(server.port());
    // All five clips, then the first three again: about 47 s.
    auto input = join_clips({0, 1, 2, 3, 4, 0, 1, 2}, 0.8, "rotation");
    ASSERT_GT(input.seconds, 40);
    child_process speaker(speech_bin,
                          {"http://127.0.0.1:" + std::to_string(server.port()), "--no-meter", "--engine",
                           "aws", "-i", input.path, "-v"},
                          server_token_env(aws));
    auto finals = finals_until_done(*v, speaker, 150s);
    ASSERT_EQ(speaker.wait(20s), 0) << speaker.err();
    auto stats = aws.stats();
    std::string err = speaker.err();
    for (const auto& l : lines_with(err, "switching to stream"))
        std::printf("%s\n", l.c_str());
    // The token is refreshed a third of its life before expiry (at ~20 s): a second
    // stream at least, each opened with the newest keys.
    EXPECT_GE(stats["transcribe_streams"].get<int>(), 2) << err;
    EXPECT_GE(stats["sts_calls"].get<int>(), 2) << err;
    EXPECT_GE(lines_with(err, "switching to stream").size(), 1u) << err;
    EXPECT_GE(lines_with(err, "refreshed AWS credentials").size(), 1u) << err;
    EXPECT_TRUE(lines_with(err, "error:").empty()) << err;
    EXPECT_EQ(stats["signature_failures"], 0);
    // Every second of audio went to exactly one stream.
    EXPECT_NEAR(stats["transcribe_audio_seconds"].get<double>(), input.seconds, 0.3);
    auto text = joined(finals);
    expect_no_doubled_final(finals);

    // The same input on one stream (local long-term keys, as fast as it goes): rotating
    // must not cost words.
    child_process single(speech_bin,
                         {"http://127.0.0.1:" + std::to_string(server.port()), "--no-meter", "--engine",
                          "aws", "-i", input.path, "--fast"},
                         merged(aws.env(), {{"LT_LOCAL_TOKEN", "true"}, {"API_KEY", key}}));
    ASSERT_EQ(single.wait(60s), 0) << single.err();
    auto baseline = printed_finals(single.out());
    std::printf("WER %.2f with rotation (%zu finals), %.2f on one stream, over %zu reference words\n",
                wer(input.ref, text), finals.size(), wer(input.ref, baseline), input.ref.size());
    EXPECT_LE(wer(input.ref, text), wer(input.ref, baseline) + 0.05) << text << "\n" << baseline;
    EXPECT_NEAR(static_cast<double>(words(text).size()), static_cast<double>(words(baseline).size()), 6)
        << text << "\n"
        << baseline;
}

TEST(transcribe_rotation, a_stream_the_service_ends_is_reopened_and_captions_go_on) {
    fake_aws aws(fake_args({"--stream-limit-s", "9"}));
    server_process server({"--translator", "none"});
    auto v = viewer(server.port());
    auto input = join_clips({0, 1, 2, 3, 4}, 0.8, "limit"); // about 30 s
    child_process speaker(speech_bin,
                          {"http://127.0.0.1:" + std::to_string(server.port()), "--no-meter", "--engine",
                           "aws", "-i", input.path, "-v"},
                          merged(aws.env(), {{"LT_LOCAL_TOKEN", "true"}}));
    auto finals = finals_until_done(*v, speaker, 120s);
    ASSERT_EQ(speaker.wait(20s), 0) << speaker.err();
    auto stats = aws.stats();
    std::string err = speaker.err();
    EXPECT_GE(stats["transcribe_streams"].get<int>(), 3) << err;
    EXPECT_GE(lines_with(err, "reopening").size(), 2u) << err;
    auto text = joined(finals);
    std::printf("WER %.2f over %zu reference words, %zu finals, %d streams\n", wer(input.ref, text),
                input.ref.size(), finals.size(), stats["transcribe_streams"].get<int>());
    EXPECT_LT(wer(input.ref, text), 0.5) << text;
    EXPECT_LE(words(text).size(), input.ref.size() + input.ref.size() / 10) << text;
    // The last clip's words came through a reopened stream.
    auto last = words(finals.empty() ? "" : finals.back().text);
    std::size_t common = 0;
    for (const auto& w : {"he", "might", "even", "have", "been", "made", "amiable", "himself"})
        common += std::count(last.begin(), last.end(), w) > 0;
    EXPECT_GE(common, 3u) << text;
    expect_no_doubled_final(finals);
}
