#include "server/state.hpp"

#include "protocol/messages.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <random>
#include <stdexcept>

namespace lt::server {

void connection_limits::ticket::release() {
    if (!owner_)
        return;
    std::lock_guard lock(owner_->mutex_);
    --owner_->total_;
    if (auto it = owner_->per_ip_.find(ip_); it != owner_->per_ip_.end() && --it->second == 0)
        owner_->per_ip_.erase(it);
    owner_ = nullptr;
}

connection_limits::ticket connection_limits::acquire(const std::string& ip, std::string& why) {
    std::lock_guard lock(mutex_);
    if (max_total_ && total_ >= max_total_) {
        why = "server busy: connection limit reached";
        return {};
    }
    auto& n = per_ip_[ip];
    if (max_per_ip_ && n >= max_per_ip_) {
        why = "too many connections from this address";
        if (n == 0)
            per_ip_.erase(ip);
        return {};
    }
    ++n;
    ++total_;
    return ticket(this, ip);
}

std::size_t connection_limits::total() const {
    std::lock_guard lock(mutex_);
    return total_;
}

namespace {

std::string random_id() {
    std::random_device rd;
    std::uniform_int_distribution<std::uint64_t> dist;
    return fmt::format("{:016x}", dist(rd));
}

std::filesystem::path canonical_root(const std::string& configured) {
    std::error_code ec;
    auto p = std::filesystem::canonical(configured, ec);
    if (ec || !std::filesystem::is_directory(p))
        throw std::runtime_error("web root '" + configured + "' is not a readable directory");
    return p;
}

} // namespace

server_state::server_state(server_config c, std::shared_ptr<translate::translator> backend,
                           fanout_fn fanout)
    : config(std::move(c)), web_root(canonical_root(config.web_root)), server_id(random_id()),
      limits(config.max_connections, config.max_connections_per_ip) {
    nlohmann::json cfg{{"pageTitle", config.page_title},
                       {"logoFile", config.logo_file},
                       {"contactText", config.contact_text},
                       {"websocketUrl", config.websocket_url}};
    config_json = cfg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

    translate::service_params sp;
    sp.workers = config.translate_workers;
    service = std::make_shared<translate::translation_service>(std::move(backend), sp);
    hub_params hp;
    hp.history = config.history;
    captions = std::make_shared<hub>(*service, hp, std::move(fanout));

    protocol::connection_status st;
    st.translator = service->backend().name();
    st.languages = service->backend().targets("en");
    st.source = "en";
    st.server_id = server_id;
    translation_available = !st.languages.empty();
    st.aws_available = translation_available;
    status_frame = protocol::serialize(st);
}

void server_state::add(const std::shared_ptr<ws_session>& s) {
    std::lock_guard lock(sessions_mutex_);
    sessions_[s.get()] = s;
}

void server_state::remove(const ws_session* s) {
    std::lock_guard lock(sessions_mutex_);
    sessions_.erase(s);
}

void server_state::for_each_session(const std::function<void(const std::shared_ptr<ws_session>&)>& f) {
    std::vector<std::shared_ptr<ws_session>> live;
    {
        std::lock_guard lock(sessions_mutex_);
        for (auto& [k, w] : sessions_)
            if (auto s = w.lock())
                live.push_back(std::move(s));
    }
    for (auto& s : live)
        f(s);
}

std::string server_state::health_json() const {
    auto st = captions->snapshot();
    const auto& backend = service->backend();
    nlohmann::json j{
        {"status", "healthy"},
        {"aws_translate", translation_available},
        {"connected_clients", metrics.ws_sessions.value()},
        {"viewers", st.viewers},
        {"viewer_count", st.viewer_count},
        {"translator",
         {{"name", backend.name()}, {"state", backend.state()}, {"languages", backend.targets("en")}}},
        {"uptime_seconds",
         std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
             .count()},
        {"last_seq", st.last_seq},
        {"pending_captions", st.pending},
        {"server_id", server_id},
    };
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string server_state::metrics_text() const {
    std::string out;
    auto line = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
        core::render_header(out, name, type, help);
        out += fmt::format("{} {}\n", name, value);
    };
    const auto& m = metrics;
    line("lt_connections_total", "counter", "TCP connections accepted.", m.connections_total.value());
    line("lt_connections_rejected_total", "counter", "Connections refused by a connection limit.",
         m.connections_rejected.value());
    line("lt_http_sessions", "gauge", "Open HTTP connections not upgraded.", m.http_sessions.value());
    line("lt_websocket_sessions", "gauge", "Open WebSocket connections.", m.ws_sessions.value());
    line("lt_frames_in_total", "counter", "WebSocket frames received.", m.frames_in.value());
    line("lt_frames_out_total", "counter", "WebSocket frames sent.", m.frames_out.value());
    line("lt_bytes_out_total", "counter", "WebSocket payload bytes sent.", m.bytes_out.value());
    line("lt_errors_sent_total", "counter", "error messages sent to clients.", m.errors_sent.value());
    line("lt_rate_limited_total", "counter", "Messages dropped by the per-connection rate limit.",
         m.rate_limited.value());
    line("lt_unauthorized_total", "counter", "Messages refused for a wrong or missing API key.",
         m.unauthorized.value());
    line("lt_oversized_frames_total", "counter", "Connections closed for a frame over 64 KiB.",
         m.oversized_frames.value());
    line("lt_slow_viewers_closed_total", "counter",
         "Viewers closed because their send queue overflowed (policy close_on_overflow).",
         m.slow_viewers_closed.value());
    line("lt_frames_dropped_total", "counter", "Frames discarded with closed slow viewers.",
         m.frames_dropped_slow.value());
    line("lt_captions_final_total", "counter", "Final captions published.", captions->finals.value());
    line("lt_captions_partial_total", "counter", "Partial captions published.", captions->partials.value());
    line("lt_translation_errors_total", "counter",
         "Captions sent untranslated to a language because translation failed.",
         captions->translation_errors.value());
    line("lt_captions_untranslatable_total", "counter",
         "Captions sent in the original to a language the backend has no route to.",
         captions->untranslatable.value());
    line("lt_captions_duplicate_total", "counter",
         "Finals resent by a speaker after a lost acknowledgement and not published again.",
         captions->duplicates.value());
        line("lt_translation_rejected_total", "counter", "Translations refused because the queue was full.",
         service->rejected());
    line("lt_translation_cache_hits_total", "counter", "Translations answered from the cache.",
         service->cache_hits());
    line("lt_translation_queue", "gauge", "Translations waiting for a worker.", service->queued());

    auto st = captions->snapshot();
    core::render_header(out, "lt_viewers", "gauge", "Viewers per language.");
    for (const auto& [lang, n] : st.viewers)
        out += fmt::format("lt_viewers{{lang=\"{}\"}} {}\n", lang, n);

    core::render_header(out, "lt_translation_seconds", "histogram",
                        "Time spent in the translation backend per call (cache misses).");
    service->latency().render(out, "lt_translation_seconds",
                              fmt::format("backend=\"{}\"", service->backend().name()));
    return out;
}

} // namespace lt::server
