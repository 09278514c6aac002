// Mapping request targets to files under the web root, safely.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace lt::server {

// The file a GET target names under `root` (which must be canonical), or nullopt for a
// 404. Refused: `..` segments, percent-encoded dots, slashes or backslashes, NUL, hidden
// files (leading dot), directories, and anything whose real path (after symlinks) is not
// inside `root`. "/" means index.html. The query string is ignored.
std::optional<std::filesystem::path> resolve_static(const std::filesystem::path& root,
                                                    std::string_view target);

// Content-Type for a file name, by extension; application/octet-stream when unknown.
std::string_view mime_type(std::string_view path);

} // namespace lt::server
