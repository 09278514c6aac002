#include "server/routing.hpp"

#include "hub/rooms.hpp"

namespace lt::server {

std::string_view path_of(std::string_view target) {
    auto q = target.find('?');
    return q == std::string_view::npos ? target : target.substr(0, q);
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
    auto q = target.find('?');
    if (q == std::string_view::npos)
        return std::nullopt;
    auto query = target.substr(q + 1);
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        auto eq = pair.find('=');
        if (pair.substr(0, eq) == name)
            return std::string(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    }
    return std::nullopt;
}

room_page_route route_room_page(std::string_view raw_target) {
    auto path = path_of(raw_target);
    if (path == "/operator" || path == "/screen")
        return {std::string(path) + ".html" + std::string(raw_target.substr(path.size())), std::nullopt};
    if (!path.starts_with("/r/"))
        return {std::string(raw_target), std::nullopt};
    auto rest = path.substr(3);
    if (rest.ends_with('/') && hub::is_room_name(rest.substr(0, rest.size() - 1)))
        return {std::string(raw_target), "/r/" + std::string(rest.substr(0, rest.size() - 1))};
    if (hub::is_room_name(rest))
        return {"/index.html", std::nullopt};
    // /r/NAME/operator and /r/NAME/screen, and their relative links (/r/NAME/x.js).
    if (auto slash = rest.find('/');
        slash != std::string_view::npos && hub::is_room_name(rest.substr(0, slash))) {
        auto sub = rest.substr(slash + 1);
        if (sub == "operator" || sub == "screen")
            return {"/" + std::string(sub) + ".html", std::nullopt};
        return {"/" + std::string(raw_target.substr(3 + slash + 1)), std::nullopt};
    }
    return {std::string(raw_target.substr(2)), std::nullopt};
}

std::string bad_room_message(std::string_view room) {
    return "'" + std::string(room.substr(0, 80)) +
           "' is not a room name: use lower-case letters, digits and '-' (up to 64)\n";
}

} // namespace lt::server
