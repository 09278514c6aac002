// Header first: it must compile on its own.
#include "audio/audio_source.hpp"
#include "audio/level.hpp"

#include "audio/file_source.hpp"
#include "audio/resampler.hpp"
#include "audio/ring_buffer.hpp"

#include <gtest/gtest.h>
#include <sndfile.h>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <thread>

using namespace lt::audio;
namespace fs = std::filesystem;
using std::chrono::steady_clock;

namespace {

struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "lt_audio_XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~temp_dir() { fs::remove_all(path); }
};

// Writes interleaved frames (float or 16-bit) with libsndfile.
template <class Sample>
void write_frames(const fs::path& p, int format, int rate, int channels, const std::vector<Sample>& v) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    SNDFILE* f = sf_open(p.c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
    const auto frames = sf_count_t(v.size() / channels);
    if constexpr (std::is_same_v<Sample, float>)
        EXPECT_EQ(sf_writef_float(f, v.data(), frames), frames);
    else
        EXPECT_EQ(sf_writef_short(f, v.data(), frames), frames);
    sf_close(f);
}

void write_float(const fs::path& p, int format, int rate, int channels, const std::vector<float>& v) {
    write_frames(p, format, rate, channels, v);
}

void write_short(const fs::path& p, int format, int rate, int channels, const std::vector<std::int16_t>& v) {
    write_frames(p, format, rate, channels, v);
}

// Interleaved sine, `amp` of full scale, in every channel (or only the first when mono_left).
std::vector<float> sine(double freq, int rate, int channels, double seconds, double amp,
                        bool left_only = false) {
    const auto frames = static_cast<std::size_t>(rate * seconds);
    std::vector<float> v(frames * channels, 0.0f);
    for (std::size_t i = 0; i < frames; ++i) {
        const auto s = float(amp * std::sin(2 * std::numbers::pi * freq * double(i) / rate));
        for (int c = 0; c < channels; ++c)
            v[i * channels + c] = (left_only && c > 0) ? 0.0f : s;
    }
    return v;
}

// Deterministic "speech-like" test noise: full range, no pattern a resampler would smooth.
std::vector<std::int16_t> noise(std::size_t n, std::uint32_t seed = 12345) {
    std::vector<std::int16_t> v(n);
    for (auto& s : v) {
        seed = seed * 1664525u + 1013904223u;
        s = static_cast<std::int16_t>(seed >> 16);
    }
    return v;
}

std::vector<std::int16_t> read_all(audio_source& src, std::size_t limit = 100'000'000) {
    std::vector<std::int16_t> out;
    std::vector<std::int16_t> buf(4096);
    while (out.size() < limit) {
        const std::size_t n = src.read(buf);
        if (n == 0)
            break;
        out.insert(out.end(), buf.begin(), buf.begin() + n);
    }
    return out;
}

double zero_crossing_hz(std::span<const std::int16_t> v) {
    int crossings = 0;
    for (std::size_t i = 1; i < v.size(); ++i)
        if ((v[i - 1] < 0) != (v[i] < 0))
            ++crossings;
    return crossings / 2.0 / (double(v.size()) / sample_rate);
}

} // namespace

// ---- files -----------------------------------------------------------------------------

TEST(file_source, resamples_44k1_stereo_to_16k_mono_keeping_pitch_and_level) {
    temp_dir dir;
    const auto path = dir.path / "tone.wav";
    write_float(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 2, sine(1000, 44100, 2, 2.0, 0.5));
    auto src = open_file(path.string(), {.realtime = false});
    EXPECT_EQ(src->describe(), "file " + path.string() + " (44100 Hz, 2 ch)");
    const auto pcm = read_all(*src);
    EXPECT_NEAR(double(pcm.size()), 32000.0, 40.0);
    // Away from the filter's edges: pitch and level (0.5 of full scale: -9.03 dBFS) survive.
    std::span<const std::int16_t> mid(pcm.data() + 1600, 28800);
    EXPECT_NEAR(zero_crossing_hz(mid), 1000.0, 5.0);
    EXPECT_NEAR(rms_dbfs(mid), 20 * std::log10(0.5 / std::sqrt(2.0)), 0.2);
    EXPECT_EQ(src->read(std::span<std::int16_t>()), 0u);
    std::int16_t one[1];
    EXPECT_EQ(src->read(one), 0u) << "stays at end of file";
}

TEST(file_source, downmix_averages_channels) {
    temp_dir dir;
    const auto path = dir.path / "left.wav";
    // Only the left channel carries the tone: the mono mix is half as loud (-6 dB).
    write_float(path, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 2, sine(440, 48000, 2, 1.0, 0.5, true));
    auto src = open_file(path.string(), {.realtime = false});
    const auto pcm = read_all(*src);
    EXPECT_NEAR(double(pcm.size()), 16000.0, 40.0);
    std::span<const std::int16_t> mid(pcm.data() + 1600, 12800);
    EXPECT_NEAR(rms_dbfs(mid), 20 * std::log10(0.25 / std::sqrt(2.0)), 0.2);
    EXPECT_NEAR(zero_crossing_hz(mid), 440.0, 5.0);
}

TEST(file_source, wav_at_16k_mono_passes_bit_exact) {
    temp_dir dir;
    const auto path = dir.path / "speech.wav";
    const auto pcm = noise(16000 * 3 + 123);
    write_short(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, pcm);
    auto src = open_file(path.string(), {.realtime = false});
    EXPECT_EQ(read_all(*src), pcm);
}

TEST(file_source, stereo_at_16k_is_averaged_exactly) {
    temp_dir dir;
    const auto path = dir.path / "stereo.wav";
    const auto left = noise(8000, 1), right = noise(8000, 2);
    std::vector<std::int16_t> both;
    std::vector<std::int16_t> expected;
    for (std::size_t i = 0; i < left.size(); ++i) {
        both.push_back(left[i]);
        both.push_back(right[i]);
        expected.push_back(std::int16_t(std::lround((left[i] + right[i]) / 2.0)));
    }
    write_short(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 2, both);
    auto src = open_file(path.string(), {.realtime = false});
    EXPECT_EQ(read_all(*src), expected);
}

TEST(file_source, flac_reads_bit_exact_and_resamples) {
    temp_dir dir;
    const auto pcm = noise(20000);
    write_short(dir.path / "a.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000, 1, pcm);
    auto src = open_file((dir.path / "a.flac").string(), {.realtime = false});
    EXPECT_EQ(read_all(*src), pcm);

    write_float(dir.path / "b.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 48000, 1,
                sine(1000, 48000, 1, 1.5, 0.25));
    auto src48 = open_file((dir.path / "b.flac").string(), {.realtime = false});
    EXPECT_NE(src48->describe().find("48000 Hz, 1 ch"), std::string::npos);
    const auto out = read_all(*src48);
    EXPECT_NEAR(double(out.size()), 24000.0, 40.0);
    EXPECT_NEAR(zero_crossing_hz(std::span<const std::int16_t>(out.data() + 1600, 20000)), 1000.0, 5.0);
}

TEST(file_source, missing_or_unreadable_file_names_file_and_reason) {
    temp_dir dir;
    const auto missing = (dir.path / "nope.wav").string();
    try {
        open_file(missing);
        FAIL() << "expected audio_error";
    } catch (const audio_error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(missing), std::string::npos) << msg;
        EXPECT_NE(msg.find("No such file"), std::string::npos) << msg;
    }
    const auto text = dir.path / "notes.wav";
    {
        std::FILE* f = std::fopen(text.c_str(), "w");
        std::fputs("not audio at all\n", f);
        std::fclose(f);
    }
    try {
        open_file(text.string());
        FAIL() << "expected audio_error";
    } catch (const audio_error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(text.string()), std::string::npos) << msg;
        EXPECT_GT(msg.size(), text.string().size() + 25) << "a reason follows: " << msg;
    }
}

TEST(file_source, realtime_pacing_takes_about_the_duration) {
    temp_dir dir;
    const auto path = dir.path / "one_second.wav";
    write_short(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, noise(16000));
    auto src = open_file(path.string(), {.realtime = true});
    const auto t0 = steady_clock::now();
    std::vector<std::int16_t> buf(16000);
    std::size_t total = 0, largest = 0;
    double at_half = -1;
    for (int i = 0; i < 1000; ++i) {
        const std::size_t n = src->read(buf);
        if (n == 0)
            break;
        total += n;
        largest = std::max(largest, n);
        if (at_half < 0 && total >= 8000)
            at_half = std::chrono::duration<double>(steady_clock::now() - t0).count();
    }
    const double took = std::chrono::duration<double>(steady_clock::now() - t0).count();
    EXPECT_EQ(total, 16000u);
    EXPECT_LE(largest, 800u) << "blocks of at most 50 ms, like a microphone";
    EXPECT_GE(took, 0.9);
    EXPECT_LT(took, 3.0);
    EXPECT_GE(at_half, 0.45) << "half the audio is not available before half the time";
}

TEST(file_source, stop_unblocks_a_realtime_read) {
    temp_dir dir;
    const auto path = dir.path / "long.wav";
    write_short(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, std::vector<std::int16_t>(16000 * 10, 100));
    auto src = open_file(path.string(), {.realtime = true});
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        src->stop();
    });
    const auto t0 = steady_clock::now();
    std::vector<std::int16_t> buf(4096);
    std::size_t total = 0;
    for (int i = 0; i < 10000; ++i) {
        const std::size_t n = src->read(buf);
        if (n == 0)
            break;
        total += n;
    }
    const double took = std::chrono::duration<double>(steady_clock::now() - t0).count();
    stopper.join();
    EXPECT_LT(took, 1.5);
    EXPECT_GT(total, 0u);
    EXPECT_LT(total, 16000u * 2) << "stopped long before the 10 s file ended";
    EXPECT_EQ(src->read(buf), 0u);
}

// ---- resampler (the device path: 16-bit interleaved blocks of any size) --------------------

TEST(resampler, int16_stereo_48k_in_odd_blocks_matches_one_pass) {
    const auto tone = sine(1000, 48000, 2, 2.0, 0.5);
    std::vector<std::int16_t> in(tone.size());
    for (std::size_t i = 0; i < in.size(); ++i)
        in[i] = std::int16_t(std::lround(tone[i] * 32767));

    resampler whole(48000, 2);
    EXPECT_FALSE(whole.same_rate());
    std::vector<std::int16_t> one_pass;
    whole.process(std::span<const std::int16_t>(in), one_pass);
    whole.flush(one_pass);

    // Callback-sized blocks (odd frame counts): the filter state carries across blocks.
    resampler blocks(48000, 2);
    std::vector<std::int16_t> streamed;
    std::size_t at = 0, frames = 1;
    while (at < in.size()) {
        frames = frames * 7 % 1013 + 1;
        const std::size_t n = std::min(frames * 2, in.size() - at);
        blocks.process(std::span<const std::int16_t>(in.data() + at, n), streamed);
        at += n;
    }
    blocks.flush(streamed);
    EXPECT_EQ(streamed, one_pass);
    EXPECT_NEAR(double(streamed.size()), 32000.0, 40.0);
    std::span<const std::int16_t> mid(streamed.data() + 1600, 28800);
    EXPECT_NEAR(zero_crossing_hz(mid), 1000.0, 5.0);
    EXPECT_NEAR(rms_dbfs(mid), 20 * std::log10(0.5 / std::sqrt(2.0)), 0.2);
    EXPECT_THROW(resampler(0, 1), audio_error);
    EXPECT_THROW(resampler(44100, 0), audio_error);
}

// ---- stdin / raw fd ----------------------------------------------------------------------

TEST(raw_source, stdin_dash_reads_s16le_from_fd_0) {
    const auto pcm = noise(50001);
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    const int saved = ::dup(STDIN_FILENO);
    ASSERT_EQ(::dup2(p[0], STDIN_FILENO), STDIN_FILENO);
    ::close(p[0]);
    // Odd-sized writes split samples across reads.
    std::thread writer([&, fd = p[1]] {
        const auto* bytes = reinterpret_cast<const char*>(pcm.data());
        std::size_t left = pcm.size() * 2, chunk = 777;
        while (left > 0) {
            const ssize_t w = ::write(fd, bytes, std::min(chunk, left));
            if (w <= 0)
                break;
            bytes += w;
            left -= std::size_t(w);
            chunk = chunk == 777 ? 3 : 777;
        }
        ::close(fd);
    });
    std::vector<std::int16_t> got;
    {
        auto src = open_file("-");
        EXPECT_NE(src->describe().find("stdin"), std::string::npos);
        got = read_all(*src, pcm.size() + 10);
    }
    writer.join();
    ::dup2(saved, STDIN_FILENO);
    ::close(saved);
    EXPECT_EQ(got, pcm);
}

TEST(raw_source, stop_unblocks_a_read_waiting_for_input) {
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    auto src = open_raw_fd(p[0], "pipe", true);
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        src->stop();
    });
    const auto t0 = steady_clock::now();
    std::vector<std::int16_t> buf(100);
    EXPECT_EQ(src->read(buf), 0u);
    const double took = std::chrono::duration<double>(steady_clock::now() - t0).count();
    stopper.join();
    EXPECT_GE(took, 0.15);
    EXPECT_LT(took, 1.0);
    ::close(p[1]);
}

// ---- ring buffer -------------------------------------------------------------------------

TEST(spsc_ring, rounds_capacity_and_drops_what_does_not_fit) {
    spsc_ring<int> ring(100);
    EXPECT_EQ(ring.capacity(), 128u);
    std::vector<int> in(200);
    for (int i = 0; i < 200; ++i)
        in[i] = i;
    EXPECT_EQ(ring.push(in.data(), 200), 128u);
    EXPECT_EQ(ring.push(in.data(), 1), 0u);
    std::vector<int> out(200);
    EXPECT_EQ(ring.pop(out.data(), 5), 5u);
    EXPECT_EQ(out[4], 4);
    // Room for 5, but frames of 2 values: only 4 go in.
    EXPECT_EQ(ring.push(in.data(), 10, 2), 4u);
    EXPECT_EQ(ring.size(), 127u);
    EXPECT_EQ(ring.pop(out.data(), 200), 127u);
    EXPECT_EQ(out[122], 127);
    EXPECT_EQ(out[123], 0) << "wrapped values follow in order";
    EXPECT_EQ(ring.pop(out.data(), 1), 0u);
}

TEST(spsc_ring, two_threads_pass_every_value_in_order) {
    spsc_ring<std::uint32_t> ring(1024);
    constexpr std::uint32_t total = 3'000'000;
    const auto deadline = steady_clock::now() + std::chrono::seconds(30);
    std::atomic<bool> timed_out{false};
    std::thread producer([&] {
        std::uint32_t next = 0, chunk = 1;
        std::vector<std::uint32_t> buf(700);
        while (next < total) {
            if (steady_clock::now() > deadline) {
                timed_out = true;
                return;
            }
            chunk = chunk % 600 + 37; // 37..636: varying sizes cross the wrap point everywhere
            const std::uint32_t n = std::min(chunk, total - next);
            for (std::uint32_t i = 0; i < n; ++i)
                buf[i] = next + i;
            next += std::uint32_t(ring.push(buf.data(), n));
            if (ring.size() > ring.capacity() / 2)
                std::this_thread::yield();
        }
    });
    std::uint32_t expect = 0, errors = 0;
    std::vector<std::uint32_t> out(500);
    while (expect < total && !timed_out) {
        if (steady_clock::now() > deadline)
            break;
        const std::size_t n = ring.pop(out.data(), (expect % 500) + 1);
        for (std::size_t i = 0; i < n; ++i)
            if (out[i] != expect++)
                ++errors;
        if (n == 0)
            std::this_thread::yield();
    }
    producer.join();
    EXPECT_FALSE(timed_out);
    EXPECT_EQ(expect, total);
    EXPECT_EQ(errors, 0u);
    EXPECT_EQ(ring.size(), 0u);
}

// ---- device selection --------------------------------------------------------------------

namespace {
std::vector<device_info> sample_devices() {
    return {
        {0, "HDA Intel PCH: ALC892 Analog (hw:0,0)", "ALSA", 2, 44100, false},
        {2, "USB Mic: Audio (hw:1,0)", "ALSA", 1, 48000, false},
        {5, "virtmic_raw", "ALSA", 128, 44100, false},
        {6, "virtmic", "ALSA", 128, 16000, false},
        {7, "default", "ALSA", 128, 44100, true},
    };
}

std::string error_of(const std::vector<device_info>& devices, const std::string& spec) {
    try {
        select_device(devices, spec);
    } catch (const audio_error& e) {
        return e.what();
    }
    return "(no error)";
}
} // namespace

TEST(select_device, by_default_index_substring_and_exact_name) {
    const auto devices = sample_devices();
    EXPECT_EQ(select_device(devices, "").index, 7);
    EXPECT_EQ(select_device(devices, "2").index, 2);
    EXPECT_EQ(select_device(devices, "0").index, 0);
    EXPECT_EQ(select_device(devices, "usb").index, 2);
    EXPECT_EQ(select_device(devices, "alc892").index, 0);
    // "virtmic" is a whole name and part of "virtmic_raw": the exact name wins.
    EXPECT_EQ(select_device(devices, "VirtMic").index, 6);
    EXPECT_EQ(select_device(devices, "virtmic_raw").index, 5);
    EXPECT_EQ(select_device(devices, "mic_r").index, 5);
}

TEST(select_device, ambiguous_and_unknown_names_list_candidates) {
    const auto devices = sample_devices();
    const std::string amb = error_of(devices, "mic");
    EXPECT_NE(amb.find("several"), std::string::npos) << amb;
    EXPECT_NE(amb.find("'USB Mic: Audio (hw:1,0)'"), std::string::npos) << amb;
    EXPECT_NE(amb.find("'virtmic_raw'"), std::string::npos) << amb;
    EXPECT_NE(amb.find("'virtmic'"), std::string::npos) << amb;
    EXPECT_EQ(amb.find("HDA Intel"), std::string::npos) << "only the candidates: " << amb;

    const std::string none = error_of(devices, "bluetooth");
    EXPECT_NE(none.find("no input device matches 'bluetooth'"), std::string::npos) << none;
    for (const auto& d : devices)
        EXPECT_NE(none.find("'" + d.name + "'"), std::string::npos) << none;
    EXPECT_NE(none.find("2 'USB Mic: Audio (hw:1,0)' (ALSA, 1 ch, 48000 Hz)"), std::string::npos) << none;

    const std::string bad_index = error_of(devices, "3");
    EXPECT_NE(bad_index.find("index 3"), std::string::npos) << bad_index;
    EXPECT_NE(bad_index.find("'virtmic'"), std::string::npos) << bad_index;

    auto twins = devices;
    twins.push_back({9, "VIRTMIC", "ALSA", 1, 16000, false});
    const std::string dup = error_of(twins, "virtmic");
    EXPECT_NE(dup.find("6 'virtmic'"), std::string::npos) << dup;
    EXPECT_NE(dup.find("9 'VIRTMIC'"), std::string::npos) << dup;

    auto no_default = devices;
    no_default.back().is_default = false;
    EXPECT_NE(error_of(no_default, "").find("no default input device"), std::string::npos);
    EXPECT_NE(error_of({}, "").find("no input devices found"), std::string::npos);
}

// ---- levels ------------------------------------------------------------------------------

namespace {
std::vector<std::int16_t> tone(double seconds, double dbfs_rms, double freq = 440) {
    const double amp = 32768 * std::pow(10, dbfs_rms / 20) * std::sqrt(2.0);
    std::vector<std::int16_t> v(static_cast<std::size_t>(seconds * sample_rate));
    for (std::size_t i = 0; i < v.size(); ++i)
        v[i] =
            std::int16_t(std::lround(amp * std::sin(2 * std::numbers::pi * freq * double(i) / sample_rate)));
    return v;
}
} // namespace

TEST(level, rms_silence_and_bar) {
    EXPECT_EQ(rms_dbfs({}), -120);
    const std::vector<std::int16_t> zeros(160, 0);
    EXPECT_EQ(rms_dbfs(zeros), -120);
    EXPECT_TRUE(is_digital_silence(zeros));
    EXPECT_TRUE(is_digital_silence({}));
    std::vector<std::int16_t> one_tick = zeros;
    one_tick[80] = 1;
    EXPECT_FALSE(is_digital_silence(one_tick));
    EXPECT_LT(rms_dbfs(one_tick), -100);
    const std::vector<std::int16_t> full(160, -32768);
    EXPECT_NEAR(rms_dbfs(full), 0.0, 1e-9);
    EXPECT_NEAR(rms_dbfs(tone(1, -20)), -20, 0.05);
    EXPECT_NEAR(rms_dbfs(tone(1, -45)), -45, 0.05);

    EXPECT_EQ(level_bar(-30), "[##########..........] -30 dBFS");
    EXPECT_EQ(level_bar(-120), "[....................] -120 dBFS");
    EXPECT_EQ(level_bar(3, 10), "[##########] 3 dBFS");
    EXPECT_EQ(level_bar(-6, 10), "[#########.] -6 dBFS");
}

TEST(level_monitor, floor_ignores_speech_during_calibration) {
    level_monitor mon(1.0);
    EXPECT_FALSE(mon.calibrated());
    // A room at -50 dBFS with someone talking (-15 dBFS) 40% of the time, in 100 ms pieces.
    for (int i = 0; i < 10; ++i) {
        const auto piece = tone(0.1, i % 5 < 2 ? -15 : -50);
        mon.add(piece);
        if (i == 4) {
            EXPECT_FALSE(mon.calibrated());
        }
    }
    EXPECT_TRUE(mon.calibrated());
    EXPECT_NEAR(mon.noise_floor_dbfs(), -50, 1.0);
    EXPECT_NEAR(mon.seconds_seen(), 1.0, 1e-9);
    // Later loud input does not move the calibrated floor.
    mon.add(tone(2, -10));
    EXPECT_NEAR(mon.noise_floor_dbfs(), -50, 1.0);
    EXPECT_NEAR(mon.current_dbfs(), -10, 0.5);
    EXPECT_EQ(mon.silent_seconds(), 0);
}

TEST(level_monitor, counts_trailing_zeros_and_quiet_and_resets_on_sound) {
    level_monitor mon(0.5);
    mon.add(tone(0.6, -30));
    EXPECT_NEAR(mon.current_dbfs(), -30, 0.5);
    mon.add(std::vector<std::int16_t>(8000 + 37, 0)); // 0.5023 s of digital zeros
    EXPECT_NEAR(mon.silent_seconds(), 8037.0 / 16000, 1e-9) << "zeros count per sample";
    EXPECT_EQ(mon.current_dbfs(), -120);
    mon.add(tone(0.1, -30));
    EXPECT_EQ(mon.silent_seconds(), 0);
    mon.add(tone(0.3, -80)); // not zeros, but below -70 dBFS
    EXPECT_NEAR(mon.silent_seconds(), 0.3, 0.011);
    EXPECT_NEAR(mon.current_dbfs(), -80, 1.0);
    mon.add(tone(0.05, -65)); // above the quiet threshold
    EXPECT_EQ(mon.silent_seconds(), 0);
}
