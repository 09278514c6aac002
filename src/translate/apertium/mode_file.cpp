#include "translate/apertium/mode_file.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lt::translate::apertium {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Programs that flush on NUL without being asked and reject -z (the list apertium-apy keeps).
bool takes_null_flush(std::string_view program) {
    auto slash = program.rfind('/');
    auto base = slash == std::string_view::npos ? program : program.substr(slash + 1);
    for (std::string_view no : {"vislcg3", "cg-mwesplit", "hfst-tokenise", "hfst-tokenize", "divvun-suggest"})
        if (base == no)
            return false;
    return true;
}

[[noreturn]] void reject(std::string_view why, std::string_view text) {
    throw std::invalid_argument(std::string(why) + " in mode pipeline: " + std::string(text));
}

// A word being built: `quoted` remembers whether any part was quoted, because an unquoted
// word that expands to nothing disappears in a shell ("apertium-tagger -g $2 file").
struct word {
    std::string text;
    bool quoted = false;
    bool started = false;
};

} // namespace

command_list parse_mode(std::string_view text, const mode_options& options) {
    command_list commands(1);
    word w;

    auto end_word = [&] {
        if (w.started && (w.quoted || !w.text.empty()))
            commands.back().push_back(std::move(w.text));
        w = word{};
    };
    auto expand = [&](char digit) -> const std::string& {
        return digit == '1' ? options.generation_flag : options.tagger_flag;
    };

    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (is_blank(c)) {
            end_word();
        } else if (c == '|') {
            end_word();
            if (commands.back().empty())
                reject("empty stage", text);
            commands.emplace_back();
        } else if (c == '\'') {
            auto close = text.find('\'', i + 1);
            if (close == std::string_view::npos)
                reject("unterminated single quote", text);
            w.text.append(text.substr(i + 1, close - i - 1));
            w.quoted = w.started = true;
            i = close;
        } else if (c == '"') {
            w.quoted = w.started = true;
            for (++i;; ++i) {
                if (i >= text.size())
                    reject("unterminated double quote", text);
                char d = text[i];
                if (d == '"')
                    break;
                if (d == '\\' && i + 1 < text.size() &&
                    std::string_view("\"\\$`").find(text[i + 1]) != std::string_view::npos) {
                    w.text.push_back(text[++i]);
                } else if (d == '$' && i + 1 < text.size() && (text[i + 1] == '1' || text[i + 1] == '2')) {
                    w.text.append(expand(text[++i]));
                } else if (d == '$' || d == '`') {
                    reject("shell expansion", text);
                } else {
                    w.text.push_back(d);
                }
            }
        } else if (c == '\\') {
            if (i + 1 >= text.size())
                reject("trailing backslash", text);
            w.text.push_back(text[++i]);
            w.quoted = w.started = true;
        } else if (c == '$') {
            if (i + 1 < text.size() && (text[i + 1] == '1' || text[i + 1] == '2')) {
                w.text.append(expand(text[++i]));
                w.started = true;
            } else {
                reject("shell expansion", text);
            }
        } else if (std::string_view(";&<>`()").find(c) != std::string_view::npos) {
            reject(std::string("unsupported shell syntax '") + c + "'", text);
        } else {
            w.text.push_back(c);
            w.started = true;
        }
    }
    end_word();
    if (commands.back().empty())
        reject(commands.size() == 1 ? "no command" : "empty stage", text);

    if (options.null_flush) {
        for (auto& argv : commands) {
            bool has_z = false;
            for (std::size_t i = 1; i < argv.size(); ++i)
                has_z = has_z || argv[i] == "-z";
            if (!has_z && takes_null_flush(argv[0]))
                argv.insert(argv.begin() + 1, "-z");
        }
    }
    return commands;
}

command_list read_mode_file(const std::filesystem::path& file, const mode_options& options) {
    std::ifstream in(file);
    if (!in)
        throw std::runtime_error("cannot read Apertium mode file " + file.string());
    std::ostringstream text;
    text << in.rdbuf();
    try {
        return parse_mode(text.str(), options);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(file.string() + ": " + e.what());
    }
}

std::string to_string(const command_list& commands) {
    std::string out;
    for (const auto& argv : commands) {
        if (!out.empty())
            out += " | ";
        for (std::size_t i = 0; i < argv.size(); ++i) {
            if (i)
                out += ' ';
            const auto& a = argv[i];
            bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\|;&<>()$`*?") == std::string::npos;
            if (plain) {
                out += a;
            } else {
                out += '\'';
                for (char c : a)
                    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
                out += '\'';
            }
        }
    }
    return out;
}

} // namespace lt::translate::apertium
