#include "server/routes/health.hpp"

#include "cluster/redis_cluster.hpp"
#include "server/state.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <map>

namespace lt::server {

namespace {

// The backend, each engine of a chain with its health, and which engine serves each language.
nlohmann::json translator_json(const translate::translator& backend) {
    nlohmann::json engines = nlohmann::json::array();
    for (const auto& e : backend.engines())
        engines.push_back({{"name", e.name},
                           {"healthy", e.healthy},
                           {"state", e.state},
                           {"failures", e.failures},
                           {"failovers", e.failovers}});
    nlohmann::json routes = nlohmann::json::object();
    const auto languages = backend.targets("en");
    for (const auto& lang : languages)
        routes[lang] = backend.engine_for("en", lang);
    return {{"name", backend.name()},
            {"state", backend.state()},
            {"languages", languages},
            {"engines", std::move(engines)},
            {"routes", std::move(routes)}};
}

// The operator console's "last latencies": per language, the last finals translated here.
nlohmann::json latencies_json(const std::map<std::string, std::vector<hub::hub::latency>>& all) {
    auto tenth = [](double ms) { return std::round(ms * 10) / 10; };
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [lang, list] : all) {
        auto& l = out[lang];
        l = nlohmann::json::array();
        for (const auto& x : list)
            l.push_back({{"seq", x.seq},
                         {"engine", x.engine},
                         {"translate_ms", tenth(x.translate_ms)},
                         {"deliver_ms", tenth(x.deliver_ms)}});
    }
    return out;
}

} // namespace

std::string health_json(const server_state& state) {
    const auto& backend = state.service->backend();
    std::map<std::string, std::size_t> viewers;
    std::size_t viewer_count = 0, pending = 0;
    std::uint64_t last_seq = 0;
    nlohmann::json per_room = nlohmann::json::object();
    for (const auto& [name, h] : state.rooms->all()) {
        auto st = h->snapshot();
        for (const auto& [lang, n] : st.viewers)
            viewers[lang] += n;
        viewer_count += st.viewer_count;
        pending += st.pending;
        if (name == hub::default_room)
            last_seq = st.last_seq;
        per_room[name] = {{"viewers", st.viewers},
                          {"viewer_count", st.viewer_count},
                          {"last_seq", st.last_seq},
                          {"pending_captions", st.pending},
                          {"latencies", latencies_json(st.latencies)}};
    }
    nlohmann::json j{
        {"status", "healthy"},
        {"aws_translate", backend.available()},
        {"connected_clients", state.metrics.ws_sessions.value()},
        {"viewers", viewers},
        {"viewer_count", viewer_count},
        {"translator", translator_json(backend)},
        {"uptime_seconds",
         std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - state.started)
             .count()},
        {"last_seq", last_seq},
        {"pending_captions", pending},
        {"server_id", state.server_id},
        {"rooms", per_room},
        {"tokens",
         {{"configured", state.tokens->configured()},
          {"issued", state.tokens->issued()},
          {"failed", state.tokens->failed()}}},
    };
    if (state.store) {
        auto r = state.store->report();
        std::uint64_t errors = 0;
        for (const auto& [name, h] : state.rooms->all())
            errors += h->store_errors.value();
        j["storage"] = {{"path", r.path},        {"bytes", r.bytes},
                        {"finals", r.captions},  {"translations", r.translations},
                        {"rooms", r.rooms},      {"retain_days", state.config.retain_days},
                        {"write_errors", errors}};
        if (errors)
            j["status"] = "degraded";
    }
    if (state.cluster) {
        j["cluster"] = state.cluster->health();
        std::uint64_t unshared = 0;
        for (const auto& [name, h] : state.rooms->all())
            unshared += h->unshared.value();
        // Finals numbered while Redis was away: other nodes' viewers never got them.
        j["cluster"]["finals_unshared"] = unshared;
        if (!j["cluster"]["connected"].get<bool>())
            j["status"] = "degraded";
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string metrics_text(const server_state& state) {
    std::string out;
    auto line = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
        core::render_header(out, name, type, help);
        out += fmt::format("{} {}\n", name, value);
    };
    const auto& m = state.metrics;
    line("lt_connections_total", "counter", "TCP connections accepted.", m.connections_total.value());
    line("lt_connections_rejected_total", "counter", "Connections refused by a connection limit.",
         m.connections_rejected.value());
    line("lt_tls_handshakes_failed_total", "counter",
         "TLS handshakes that failed (--tls-cert): old TLS versions, wrong certificates, scanners.",
         m.tls_handshakes_failed.value());
    line("lt_http_sessions", "gauge", "Open HTTP connections not upgraded.", m.http_sessions.value());
    line("lt_websocket_sessions", "gauge", "Open WebSocket connections.", m.ws_sessions.value());
    line("lt_frames_in_total", "counter", "WebSocket frames received.", m.frames_in.value());
    line("lt_frames_out_total", "counter", "WebSocket frames sent.", m.frames_out.value());
    line("lt_frames_direct_total", "counter",
         "Frames written whole straight to the socket (the viewer's queue was empty).",
         m.frames_direct.value());
    line("lt_frames_direct_partial_total", "counter",
         "Frames the socket took only part of at once; the rest went out asynchronously.",
         m.frames_direct_partial.value());
    line("lt_bytes_out_total", "counter", "WebSocket payload bytes sent.", m.bytes_out.value());
    line("lt_errors_sent_total", "counter", "error messages sent to clients.", m.errors_sent.value());
    line("lt_rate_limited_total", "counter", "Messages dropped by the per-connection rate limit.",
         m.rate_limited.value());
    line("lt_unauthorized_total", "counter", "Messages refused for a wrong or missing API key.",
         m.unauthorized.value());
    line("lt_oversized_frames_total", "counter", "Connections closed for a frame over 64 KiB.",
         m.oversized_frames.value());
    line("lt_rooms_refused_total", "counter", "New rooms refused: the address's budget was spent.",
         m.rooms_refused.value());
    line("lt_rooms_collected_total", "counter", "Unused rooms removed.", m.rooms_collected.value());
    line("lt_slow_viewers_closed_total", "counter",
         "Viewers closed because their send queue overflowed (policy close_on_overflow).",
         m.slow_viewers_closed.value());
    line("lt_frames_dropped_total", "counter", "Frames discarded with closed slow viewers.",
         m.frames_dropped_slow.value());
    // Per room: one labelled line each, under one header.
    auto room_list = state.rooms->all();
    auto per_room = [&](std::string_view name, std::string_view help, auto value_of) {
        core::render_header(out, name, "counter", help);
        for (const auto& [room, h] : room_list)
            out += fmt::format("{}{{room=\"{}\"}} {}\n", name, room, value_of(*h));
    };
    per_room("lt_captions_final_total", "Final captions published.",
             [](const hub::hub& h) { return h.finals.value(); });
    per_room("lt_captions_partial_total", "Partial captions published.",
             [](const hub::hub& h) { return h.partials.value(); });
    per_room("lt_translation_errors_total",
             "Captions sent untranslated to a language because translation failed.",
             [](const hub::hub& h) { return h.translation_errors.value(); });
    per_room("lt_captions_untranslatable_total",
             "Captions sent in the original to a language the backend has no route to.",
             [](const hub::hub& h) { return h.untranslatable.value(); });
    per_room("lt_live_translations_total",
             "Translated partials (the live line in a viewer's language) sent to viewers.",
             [](const hub::hub& h) { return h.live_translations.value(); });
    per_room("lt_live_translations_dropped_total",
             "Translated partials dropped because their final was published first.",
             [](const hub::hub& h) { return h.live_dropped.value(); });
    per_room("lt_captions_duplicate_total",
             "Finals resent by a speaker after a lost acknowledgement and not published again.",
             [](const hub::hub& h) { return h.duplicates.value(); });
    line("lt_tokens_issued_total", "counter", "AWS credentials handed out by generate_token.",
         state.tokens->issued());
    line("lt_token_failures_total", "counter", "generate_token requests STS refused or failed.",
         state.tokens->failed());
    line("lt_rooms", "gauge", "Rooms held by this server.", room_list.size());
    per_room("lt_cluster_finals_received_total", "Finals received from other nodes of the cluster.",
             [](const hub::hub& h) { return h.remote_finals.value(); });
    per_room("lt_cluster_finals_unshared_total",
             "Finals numbered locally because Redis was unreachable (other nodes missed them).",
             [](const hub::hub& h) { return h.unshared.value(); });
    if (state.cluster)
        line("lt_cluster_connected", "gauge", "1 while the Redis subscriber is connected.",
             state.cluster->health()["connected"].get<bool>() ? 1 : 0);
    line("lt_translation_rejected_total", "counter", "Translations refused because the queue was full.",
         state.service->rejected());
    line("lt_translation_cache_hits_total", "counter", "Translations answered from the cache.",
         state.service->cache_hits());
    line("lt_translation_queue", "gauge", "Translations waiting for a worker.", state.service->queued());
    line("lt_on_demand_queue", "gauge", "request_translation jobs waiting (behind every caption).",
         state.service->on_demand_queued());
    line("lt_on_demand_rejected_total", "counter",
         "request_translation refused because the on-demand queue was full (--on-demand-queue).",
         state.service->on_demand_rejected());
    core::render_header(out, "lt_translations_total", "counter",
                        "Translations made (cache misses) per engine and target language.");
    for (const auto& [key, n] : state.service->made())
        out +=
            fmt::format("lt_translations_total{{engine=\"{}\",lang=\"{}\"}} {}\n", key.first, key.second, n);
    const auto engines = state.service->backend().engines();
    core::render_header(out, "lt_translation_engine_failures_total", "counter",
                        "Calls to a translation engine that failed.");
    for (const auto& e : engines)
        out += fmt::format("lt_translation_engine_failures_total{{engine=\"{}\"}} {}\n", e.name, e.failures);
    core::render_header(out, "lt_translation_failovers_total", "counter",
                        "Captions handed to the next engine of the chain after this one failed.");
    for (const auto& e : engines)
        out += fmt::format("lt_translation_failovers_total{{engine=\"{}\"}} {}\n", e.name, e.failovers);
    core::render_header(out, "lt_translation_engine_healthy", "gauge",
                        "1 while the engine is used, 0 while it is left alone after a failure.");
    for (const auto& e : engines)
        out += fmt::format("lt_translation_engine_healthy{{engine=\"{}\"}} {}\n", e.name, e.healthy ? 1 : 0);

    core::render_header(out, "lt_viewers", "gauge", "Viewers per room and language.");
    for (const auto& [room, h] : room_list)
        for (const auto& [lang, n] : h->snapshot().viewers)
            out += fmt::format("lt_viewers{{room=\"{}\",lang=\"{}\"}} {}\n", room, lang, n);

    core::render_header(out, "lt_translation_seconds", "histogram",
                        "Time spent in the translation backend per call (cache misses).");
    state.service->latency().render(out, "lt_translation_seconds",
                                    fmt::format("backend=\"{}\"", state.service->backend().name()));
    return out;
}

} // namespace lt::server
