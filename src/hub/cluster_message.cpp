#include "hub/cluster_message.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <utility>

namespace lt::hub {

namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// An optional string field: "" when absent, nullopt when present with another type.
std::optional<std::string> optional_string(const json& m, const char* name) {
    auto it = m.find(name);
    if (it == m.end())
        return std::string();
    if (!it->is_string())
        return std::nullopt;
    return it->get<std::string>();
}

core::error missing(const char* name, const char* type) {
    return core::make_error(std::string("cluster message: field '") + name + "' missing or not " + type);
}

} // namespace

std::string encode(const cluster_final& m) {
    json frames = json::object();
    for (const auto& [lang, f] : m.frames)
        frames[lang] = *f;
    return dump(json{{"node", m.node},
                     {"seq", m.seq},
                     {"id", m.id},
                     {"text", m.text},
                     {"lang", m.lang},
                     {"timestamp", m.timestamp},
                     {"frames", std::move(frames)}});
}

std::string encode(const cluster_partial& m) { return dump(json{{"node", m.node}, {"partial", *m.frame}}); }

std::string encode(const cluster_pause& m) { return dump(json{{"node", m.node}, {"paused", m.paused}}); }

core::result<cluster_message> decode(std::string_view text) {
    auto m = json::parse(text, nullptr, false);
    if (m.is_discarded() || !m.is_object())
        return core::make_error("cluster message: not a JSON object");
    auto node = optional_string(m, "node");
    if (!node)
        return missing("node", "a string");

    if (auto p = m.find("partial"); p != m.end()) {
        if (!p->is_string())
            return missing("partial", "a string");
        auto frame = std::make_shared<const std::string>(p->get<std::string>());
        return cluster_message(cluster_partial{std::move(*node), std::move(frame)});
    }

    if (auto p = m.find("paused"); p != m.end()) {
        if (!p->is_boolean())
            return missing("paused", "true or false");
        return cluster_message(cluster_pause{std::move(*node), p->get<bool>()});
    }

    cluster_final f;
    f.node = std::move(*node);
    auto seq = m.find("seq");
    if (seq == m.end() || !seq->is_number_unsigned())
        return missing("seq", "an unsigned integer");
    f.seq = seq->get<std::uint64_t>();
    for (auto [name, field] :
         {std::pair{"id", &f.id}, std::pair{"text", &f.text}, std::pair{"lang", &f.lang}}) {
        auto it = m.find(name);
        if (it == m.end() || !it->is_string())
            return missing(name, "a string");
        *field = it->get<std::string>();
    }
    auto timestamp = optional_string(m, "timestamp");
    if (!timestamp)
        return missing("timestamp", "a string");
    f.timestamp = std::move(*timestamp);
    auto frames = m.find("frames");
    if (frames == m.end() || !frames->is_object())
        return missing("frames", "an object");
    for (const auto& [lang, frame] : frames->items()) {
        if (!frame.is_string())
            return core::make_error("cluster message: frame for '" + lang + "' is not a string");
        f.frames.emplace(lang, std::make_shared<const std::string>(frame.get<std::string>()));
    }
    return cluster_message(std::move(f));
}

} // namespace lt::hub
