// Settings from the environment and a `.env` file. The process environment wins over the
// file, and command-line flags (applied by each program) win over both.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace lt::core {

// Parses `.env` text: KEY=VALUE lines, optional `export `, `#` comments, single or double
// quotes (double quotes understand \n, \" and \\). Malformed lines throw
// std::invalid_argument naming the line number.
std::map<std::string, std::string> parse_dotenv(const std::string& text);

class env_source {
public:
    // Reads the process environment at each get(); `dotenv` is read once, if it exists.
    static env_source from_process(const std::filesystem::path& dotenv = ".env");
    // For tests: both maps given explicitly.
    env_source(std::map<std::string, std::string> environment, std::map<std::string, std::string> dotenv);

    // The first set name wins; the environment is checked for every name before the file.
    std::optional<std::string> get(std::initializer_list<const char*> names) const;
    std::optional<std::string> get(const char* name) const { return get({name}); }

private:
    env_source() = default;
    bool use_process_ = false;
    std::map<std::string, std::string> environment_;
    std::map<std::string, std::string> dotenv_;
};

// "1", "true", "yes", "on" (any case) are true; "0", "false", "no", "off", "" false;
// anything else throws std::invalid_argument.
bool parse_bool(const std::string& name, const std::string& value);

} // namespace lt::core
