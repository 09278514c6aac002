// The shared credentials and config files (~/.aws/credentials, ~/.aws/config) and the
// ISO 8601 times of expiring credentials. Input: credentials file NUL config file.
#include "aws/credentials.hpp"
#include "fuzz_util.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

void remove_dir() {
    std::error_code ec;
    fs::remove_all(fs::temp_directory_path() / ("lt-fuzz-aws-" + std::to_string(::getpid())), ec);
}

const fs::path& dir() {
    static const fs::path d = [] {
        auto p = fs::temp_directory_path() / ("lt-fuzz-aws-" + std::to_string(::getpid()));
        fs::create_directories(p);
        std::atexit(remove_dir);
        return p;
    }();
    return d;
}

void write(const fs::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto [creds, config] = lt::fuzz::split_nul(lt::fuzz::text(data, size));
    lt::aws::profile_files files{(dir() / "credentials").native(), (dir() / "config").native(), "default"};
    write(files.credentials_file, creds);
    write(files.config_file, config);
    for (const char* profile : {"default", "dev"}) {
        files.profile = profile;
        auto c = lt::aws::credentials_from_profile(files);
        if (c && c.value())
            LT_FUZZ_CHECK(!c.value()->access_key_id.empty() && !c.value()->secret_access_key.empty());
        lt::aws::region_from_profile(files);
    }
    auto t = lt::aws::parse_iso8601(creds);
    if (t)
        lt::aws::format_iso8601(t.value());
    return 0;
}
