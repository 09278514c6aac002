#include "core/env.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lt::core {

namespace {

std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos)
        return {};
    auto e = s.find_last_not_of(" \t\r");
    return std::string(s.substr(b, e - b + 1));
}

bool valid_key(const std::string& key) {
    if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0])))
        return false;
    return std::all_of(key.begin(), key.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

} // namespace

std::map<std::string, std::string> parse_dotenv(const std::string& text) {
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        std::string t = trim(line);
        if (t.empty() || t[0] == '#')
            continue;
        if (t.rfind("export ", 0) == 0)
            t = trim(t.substr(7));
        auto eq = t.find('=');
        if (eq == std::string::npos)
            throw std::invalid_argument(".env line " + std::to_string(number) + ": expected KEY=VALUE");
        std::string key = trim(t.substr(0, eq));
        if (!valid_key(key))
            throw std::invalid_argument(".env line " + std::to_string(number) + ": invalid name '" + key +
                                        "'");
        std::string raw = trim(t.substr(eq + 1));
        std::string value;
        if (!raw.empty() && (raw[0] == '"' || raw[0] == '\'')) {
            char q = raw[0];
            std::size_t i = 1;
            bool closed = false;
            for (; i < raw.size(); ++i) {
                char c = raw[i];
                if (c == q) {
                    closed = true;
                    break;
                }
                if (q == '"' && c == '\\' && i + 1 < raw.size()) {
                    char n = raw[++i];
                    value += n == 'n' ? '\n' : n;
                    continue;
                }
                value += c;
            }
            if (!closed)
                throw std::invalid_argument(".env line " + std::to_string(number) + ": unterminated quote");
        } else {
            // An unquoted value ends at a " #" comment.
            auto hash = raw.find(" #");
            value = trim(hash == std::string::npos ? raw : raw.substr(0, hash));
        }
        out[key] = value;
    }
    return out;
}

env_source env_source::from_process(const std::filesystem::path& dotenv) {
    env_source s;
    s.use_process_ = true;
    std::ifstream f(dotenv);
    if (f) {
        std::stringstream buf;
        buf << f.rdbuf();
        s.dotenv_ = parse_dotenv(buf.str());
    }
    return s;
}

env_source::env_source(std::map<std::string, std::string> environment,
                       std::map<std::string, std::string> dotenv)
    : environment_(std::move(environment)), dotenv_(std::move(dotenv)) {}

std::optional<std::string> env_source::get(std::initializer_list<const char*> names) const {
    for (const char* name : names) {
        if (use_process_) {
            if (const char* v = std::getenv(name))
                return std::string(v);
        } else if (auto it = environment_.find(name); it != environment_.end()) {
            return it->second;
        }
    }
    for (const char* name : names)
        if (auto it = dotenv_.find(name); it != dotenv_.end())
            return it->second;
    return std::nullopt;
}

bool parse_bool(const std::string& name, const std::string& value) {
    std::string v;
    for (char c : value)
        v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (v == "1" || v == "true" || v == "yes" || v == "on")
        return true;
    if (v.empty() || v == "0" || v == "false" || v == "no" || v == "off")
        return false;
    throw std::invalid_argument(name + ": expected true or false, got '" + value + "'");
}

} // namespace lt::core
