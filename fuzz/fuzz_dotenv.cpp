// `.env` files: parse_dotenv throws std::invalid_argument for a malformed line and nothing
// else; every key it returns is a plain name.
#include "core/env.hpp"
#include "fuzz_util.hpp"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(lt::fuzz::text(data, size));
    try {
        auto vars = lt::core::parse_dotenv(text);
        for (const auto& [key, value] : vars) {
            LT_FUZZ_CHECK(!key.empty());
            LT_FUZZ_CHECK(key.find('=') == std::string::npos && key.find('\n') == std::string::npos);
        }
    } catch (const std::invalid_argument& e) {
        LT_FUZZ_CHECK(std::string_view(e.what()).find("line") != std::string_view::npos);
    }
    try {
        lt::core::parse_bool("LT_X", text);
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
