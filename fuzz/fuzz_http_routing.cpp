// What lt-server does with a request target before any file is opened: the room page
// rewrite, the query parameters, the static-file resolution under a web root.
#include "fuzz_util.hpp"
#include "hub/rooms.hpp"
#include "server/routing.hpp"
#include "server/static_files.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

void remove_root() {
    std::error_code ec;
    fs::remove_all(fs::temp_directory_path() / ("lt-fuzz-www-" + std::to_string(::getpid())), ec);
}

// A small web root made once per process: index.html, app.js, a hidden file, a directory.
const fs::path& web_root() {
    static const fs::path root = [] {
        auto dir = fs::temp_directory_path() / ("lt-fuzz-www-" + std::to_string(::getpid()));
        fs::create_directories(dir / "sub");
        for (const char* name : {"index.html", "app.js", ".secret", "sub/page.html"})
            std::ofstream(dir / name) << "x";
        std::atexit(remove_root);
        return fs::canonical(dir);
    }();
    return root;
}

bool inside(const fs::path& root, const fs::path& p) {
    auto r = root.native(), s = p.native();
    return s.size() > r.size() && s.compare(0, r.size(), r) == 0 && s[r.size()] == '/';
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lt::server;
    auto raw = lt::fuzz::text(data, size);
    auto route = route_room_page(raw);
    if (route.redirect)
        LT_FUZZ_CHECK(route.redirect->starts_with("/r/") && lt::hub::is_room_name(route.redirect->substr(3)));
    auto path = path_of(route.target);
    LT_FUZZ_CHECK(path.find('?') == std::string_view::npos);
    for (const char* name : {"room", "lang", ""})
        if (auto v = query_param(raw, name))
            LT_FUZZ_CHECK(v->find('&') == std::string::npos);
    auto room = query_param(raw, "room").value_or(std::string(lt::hub::default_room));
    if (!lt::hub::is_room_name(room))
        LT_FUZZ_CHECK(bad_room_message(room).size() <= 200);
    if (auto file = resolve_static(web_root(), route.target)) {
        LT_FUZZ_CHECK(inside(web_root(), *file));
        LT_FUZZ_CHECK(file->filename().native()[0] != '.');
        mime_type(file->native());
    }
    mime_type(raw);
    return 0;
}
