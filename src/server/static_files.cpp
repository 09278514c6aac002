#include "server/static_files.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace lt::server {

namespace fs = std::filesystem;

namespace {

int hex(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

// Percent-decodes a path; nullopt when malformed or when it encodes a character that
// changes the path's structure (. / \ or NUL), which no legitimate page link needs.
std::optional<std::string> decode_path(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c != '%') {
            out += c;
            continue;
        }
        if (i + 2 >= in.size())
            return std::nullopt;
        int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        char d = static_cast<char>(hi * 16 + lo);
        if (d == '.' || d == '/' || d == '\\' || d == '\0')
            return std::nullopt;
        out += d;
        i += 2;
    }
    return out;
}

bool inside(const fs::path& root, const fs::path& p) {
    auto r = root.begin(), pe = p.begin();
    for (; r != root.end(); ++r, ++pe)
        if (pe == p.end() || *r != *pe)
            return false;
    return true;
}

} // namespace

std::optional<fs::path> resolve_static(const fs::path& root, std::string_view target) {
    auto q = target.find_first_of("?#");
    if (q != std::string_view::npos)
        target = target.substr(0, q);
    if (target.empty() || target.front() != '/')
        return std::nullopt;
    auto decoded = decode_path(target);
    if (!decoded)
        return std::nullopt;
    std::string path = *decoded;
    if (path.find('\\') != std::string::npos || path.find('\0') != std::string::npos)
        return std::nullopt;
    if (path == "/")
        path = "/index.html";

    fs::path rel;
    std::size_t start = 1;
    while (start <= path.size()) {
        auto end = path.find('/', start);
        if (end == std::string::npos)
            end = path.size();
        std::string_view seg(path.data() + start, end - start);
        if (seg.empty()) {
            if (end == path.size())
                return std::nullopt; // trailing slash: a directory
        } else {
            if (seg.front() == '.')
                return std::nullopt; // "..", ".", and hidden files
            rel /= fs::path(std::string(seg));
        }
        start = end + 1;
    }
    if (rel.empty())
        return std::nullopt;

    std::error_code ec;
    fs::path real = fs::canonical(root / rel, ec);
    if (ec || !inside(root, real) || !fs::is_regular_file(real, ec))
        return std::nullopt;
    return real;
}

std::string_view mime_type(std::string_view path) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> types{{
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
        {".webmanifest", "application/manifest+json"},
    }};
    auto dot = path.rfind('.');
    if (dot == std::string_view::npos)
        return "application/octet-stream";
    std::string ext(path.substr(dot));
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& [e, t] : types)
        if (e == ext)
            return t;
    return "application/octet-stream";
}

} // namespace lt::server
