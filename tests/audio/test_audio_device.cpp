// A virtual microphone through real ALSA and PortAudio, no sound card or daemon: ALSA's
// `file` plugin reads a raw S16_LE 16 kHz mono file as its capture data, over a `null`
// slave. ALSA_CONFIG_PATH points ALSA at a config holding only these PCMs; it is read at
// ALSA's first config load, so it is set before anything initialises PortAudio.
//
// Facts this relies on (Debian 12, alsa-lib 1.2.8, PortAudio 19.6):
// - The file/plug/null types are built into alsa-lib, so the config needs nothing from
//   /usr/share/alsa/alsa.conf; without `pcm.!default` PortAudio's init may abort.
// - PortAudio lists the PCMs as "virtmic_raw", "virtmic" and "default".
// - The device has no clock: samples arrive far faster than real time, so the test counts
//   samples, never wall time, and the ring overflows right after (dropping new samples).
// - Past the end of the file the plugin repeats old data, hence a second of zero padding.
// - Opened at 16 kHz mono S16 the samples arrive bit-exact, with no leading zeros.
#include "audio/audio_source.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace lt::audio;
namespace fs = std::filesystem;

namespace {

fs::path g_dir;
std::vector<std::int16_t> g_mic; // the raw file's samples

class virtmic_env : public ::testing::Environment {
public:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "lt_virtmic_XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        g_dir = tmpl;
        const fs::path raw = g_dir / "mic.raw";
        const fs::path clip = "/usr/share/pocketsphinx/test/data/librivox/"
                              "sense_and_sensibility_01_austen_64kb-0870.wav";
        const std::string to_raw = "-t raw -e signed -b 16 -c 1 -r 16000 '" + raw.string() + "'";
        const std::string cmd = fs::exists(clip)
                                    ? "sox '" + clip.string() + "' " + to_raw + " pad 0 1"
                                    : "sox -n -r 16000 " + to_raw + " synth 5 sine 200-3000 vol 0.5 pad 0 1";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << "needs sox: " << cmd;
        std::ifstream in(raw, std::ios::binary);
        std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
        g_mic.resize(bytes.size() / 2);
        std::memcpy(g_mic.data(), bytes.data(), g_mic.size() * 2);
        ASSERT_GT(g_mic.size(), 16000u * 3);

        const fs::path conf = g_dir / "asound.conf";
        std::ofstream(conf) << "pcm.virtmic_raw { type file slave.pcm { type null } file \"/dev/null\"\n"
                               "  infile \""
                            << raw.string()
                            << "\" format \"raw\" }\n"
                               "pcm.virtmic { type plug slave { pcm \"virtmic_raw\" format S16_LE"
                               " rate 16000 channels 1 } }\n"
                               "pcm.!default \"virtmic\"\n";
        ::setenv("ALSA_CONFIG_PATH", conf.c_str(), 1);
    }
    void TearDown() override { fs::remove_all(g_dir); }
};

const auto* const g_env = ::testing::AddGlobalTestEnvironment(new virtmic_env);

// Reads exactly n samples (bounded by count: the device runs faster than real time).
std::vector<std::int16_t> read_n(audio_source& src, std::size_t n) {
    std::vector<std::int16_t> out;
    std::vector<std::int16_t> buf(1000);
    for (int i = 0; i < 100000 && out.size() < n; ++i) {
        const std::size_t got = src.read(std::span(buf).first(std::min(buf.size(), n - out.size())));
        if (got == 0)
            break;
        out.insert(out.end(), buf.begin(), buf.begin() + got);
    }
    return out;
}

int index_of(const std::vector<device_info>& devices, const std::string& name) {
    for (const auto& d : devices)
        if (d.name == name)
            return d.index;
    return -1;
}

} // namespace

TEST(virtual_mic, is_listed_with_default) {
    const auto devices = list_input_devices();
    std::string names;
    for (const auto& d : devices)
        names += d.name + " (" + d.host_api + ") ";
    EXPECT_GE(index_of(devices, "virtmic"), 0) << names;
    EXPECT_GE(index_of(devices, "virtmic_raw"), 0) << names;
    const auto def = select_device(devices, "");
    EXPECT_EQ(def.name, "default") << names;
    EXPECT_EQ(select_device(devices, "virtmic").index, index_of(devices, "virtmic"))
        << "exact name wins over the substring of virtmic_raw";
    try {
        select_device(devices, "virt");
        ADD_FAILURE() << "'virt' is ambiguous";
    } catch (const audio_error& e) {
        EXPECT_NE(std::string(e.what()).find("virtmic_raw"), std::string::npos) << e.what();
    }
}

TEST(virtual_mic, raw_device_by_name_delivers_the_file_bit_exact) {
    auto src = open_device({.spec = "virtmic_raw"});
    EXPECT_NE(src->describe().find("'virtmic_raw' (16000 Hz, 1 ch)"), std::string::npos)
        << src->describe() << ": opened at 16 kHz mono, no resampling";
    const std::size_t n = 16000 * 3;
    const auto got = read_n(*src, n);
    ASSERT_EQ(got.size(), n);
    const std::vector<std::int16_t> want(g_mic.begin(), g_mic.begin() + n);
    EXPECT_TRUE(got == want) << "first difference at sample "
                             << (std::mismatch(got.begin(), got.end(), want.begin()).first - got.begin());
    // The clockless device overflows the 4 s ring at once; drops are counted, never blocking.
    for (int i = 0; i < 200 && src->overruns() == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_GT(src->overruns(), 0u);
}

TEST(virtual_mic, plug_device_by_index_delivers_the_file_bit_exact) {
    const int index = index_of(list_input_devices(), "virtmic");
    ASSERT_GE(index, 0);
    auto src = open_device({.spec = std::to_string(index)});
    EXPECT_NE(src->describe().find("(16000 Hz, 1 ch)"), std::string::npos) << src->describe();
    const std::size_t n = 16000 * 2;
    const auto got = read_n(*src, n);
    ASSERT_EQ(got.size(), n);
    EXPECT_TRUE(std::equal(got.begin(), got.end(), g_mic.begin()));
}

TEST(virtual_mic, stop_makes_read_return_zero) {
    auto src = open_device({.spec = "virtmic"});
    std::vector<std::int16_t> buf(100);
    EXPECT_GT(src->read(buf), 0u);
    std::thread stopper([&] { src->stop(); });
    stopper.join();
    EXPECT_EQ(src->read(buf), 0u);
}

TEST(virtual_mic, unknown_device_lists_what_exists) {
    try {
        open_device({.spec = "no such microphone"});
        FAIL() << "expected audio_error";
    } catch (const audio_error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("'virtmic_raw'"), std::string::npos) << msg;
        EXPECT_NE(msg.find("'default'"), std::string::npos) << msg;
    }
}
