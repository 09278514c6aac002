// Shared by the whisper tests: a fresh temporary folder, and a model file of a real model's
// shape, without weights or with random ones, written by tools/make_whisper_model.py.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace lt::test {

inline std::string source_dir() {
    const char* s = std::getenv("LT_SOURCE_DIR");
    return s && *s ? s : LT_TEST_SOURCE_DIR;
}

// A folder under /tmp removed with the object.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        static int n = 0;
        path = std::filesystem::temp_directory_path() /
               ("lt-whisper-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Writes a model of `shape` ("tiny.en", "tiny", ...) to `out`, weightless or with `weights`
// "random" (gibberish text at a real model's cost); fails the test when the tool fails.
// `extra`: more flags for the tool ("--logit-scale 1").
inline void make_model(const std::string& shape, const std::string& out, const std::string& weights = "none",
                       const std::string& extra = "") {
    const auto cmd = "/usr/bin/python3 " + source_dir() + "/tools/make_whisper_model.py --weights " +
                     weights + " --shape " + shape + " " + extra + " '" + out + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    ASSERT_TRUE(std::filesystem::exists(out));
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_file(const std::string& path, const std::string& data) {
    std::ofstream(path, std::ios::binary) << data;
}

} // namespace lt::test
