#include "server/state.hpp"

#include "protocol/messages.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
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

bool keys_equal(std::string_view expected, std::string_view given) {
    // Digests have a fixed length, so neither the position of the first difference nor the
    // lengths of the keys show in the time taken.
    unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
    unsigned int la = 0, lb = 0;
    if (!EVP_Digest(expected.data(), expected.size(), a, &la, EVP_sha256(), nullptr) ||
        !EVP_Digest(given.data(), given.size(), b, &lb, EVP_sha256(), nullptr))
        return false;
    return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

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
    sp.workers = config.translate_workers ? config.translate_workers : backend->parallelism();
    service = std::make_shared<translate::translation_service>(std::move(backend), sp);
    hub_params hp;
    hp.history = config.history;
    std::function<void(const std::string&, hub&)> on_create;
    if (!config.redis_url.empty()) {
        cluster = std::make_shared<redis_cluster>(redis::parse_url(config.redis_url).value(), server_id, config.history);
        hp.cluster = cluster;
        on_create = [c = cluster.get()](const std::string& room, hub& h) {
            for (const auto& m : c->history(room))
                h.ingest(m, false);
        };
    }
    rooms = std::make_unique<room_registry>(*service, hp, std::move(fanout), config.max_rooms, std::move(on_create));
    if (cluster) {
        cluster->start(
            [this](const std::string& room, const std::string& message) {
                // Rooms nobody here has joined load the history when someone does.
                auto h = rooms->find(room);
                if (!h)
                    return;
                // A gap means messages went by while this node was not subscribed: take
                // them from the shared history first, so viewers get them in order.
                auto m = nlohmann::json::parse(message, nullptr, false);
                if (m.is_object() && m.contains("seq") && m["seq"].is_number_unsigned() &&
                    m["seq"].get<std::uint64_t>() > h->last_seq() + 1)
                    for (const auto& old : cluster->history(room))
                        h->ingest(old);
                h->ingest(message);
            },
            [this] {
                std::map<std::string, redis_cluster::room_state> out;
                for (const auto& [name, h] : rooms->all()) {
                    auto st = h->snapshot();
                    auto& r = out[name];
                    r.last_seq = st.last_seq;
                    for (const auto& [lang, n] : st.viewers)
                        r.languages.insert(lang);
                }
                return out;
            },
            [this] {
                for (const auto& [name, h] : rooms->all())
                    for (const auto& old : cluster->history(name))
                        h->ingest(old);
            });
    }

    status.translator = service->backend().name();
    status.languages = service->backend().targets("en");
    status.source = "en";
    // In a cluster, numbers belong to the cluster: a page keeps `since` across its nodes.
    status.server_id = cluster ? cluster->cluster_id() : server_id;
    // aws_available is read from the backend for each connection (status_frame).

    token_settings ts;
    ts.role_arn = config.transcribe_role_arn;
    ts.external_id = config.transcribe_external_id;
    ts.seconds = config.token_seconds;
    ts.rate_per_minute = config.token_rate_per_minute;
    tokens = make_token_vendor(std::move(ts));
}

server_state::~server_state() {
    // The cluster's threads call into the rooms, and the rooms' hubs hold the cluster:
    // stop its threads before anything goes away.
    if (cluster)
        cluster->stop();
}

std::string server_state::status_frame(const std::string& room) const {
    auto st = status;
    st.room = room;
    // A cloud backend becomes available once a call succeeded (or stops being so).
    st.aws_available = service->backend().available();
    return protocol::serialize(st);
}

bool server_state::may_publish(const std::string& room, const std::optional<std::string>& key) const {
    const auto& global = config.api_key;
    auto own = config.room_keys.find(room);
    if (own == config.room_keys.end() && global.empty())
        return true;
    if (!key)
        return false;
    // Both comparisons always run, so timing does not tell which key a guess was near.
    bool room_ok = own != config.room_keys.end() && keys_equal(own->second, *key);
    bool global_ok = !global.empty() && keys_equal(global, *key);
    return room_ok || global_ok;
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
    const auto& backend = service->backend();
    std::map<std::string, std::size_t> viewers;
    std::size_t viewer_count = 0, pending = 0;
    std::uint64_t last_seq = 0;
    nlohmann::json per_room = nlohmann::json::object();
    for (const auto& [name, h] : rooms->all()) {
        auto st = h->snapshot();
        for (const auto& [lang, n] : st.viewers)
            viewers[lang] += n;
        viewer_count += st.viewer_count;
        pending += st.pending;
        if (name == default_room)
            last_seq = st.last_seq;
        per_room[name] = {{"viewers", st.viewers},
                          {"viewer_count", st.viewer_count},
                          {"last_seq", st.last_seq},
                          {"pending_captions", st.pending}};
    }
    nlohmann::json j{
        {"status", "healthy"},
        {"aws_translate", backend.available()},
        {"connected_clients", metrics.ws_sessions.value()},
        {"viewers", viewers},
        {"viewer_count", viewer_count},
        {"translator",
         {{"name", backend.name()}, {"state", backend.state()}, {"languages", backend.targets("en")}}},
        {"uptime_seconds",
         std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
             .count()},
        {"last_seq", last_seq},
        {"pending_captions", pending},
        {"server_id", server_id},
        {"rooms", per_room},
        {"tokens",
         {{"configured", tokens->configured()}, {"issued", tokens->issued()}, {"failed", tokens->failed()}}},
    };
    if (cluster) {
        j["cluster"] = cluster->health();
        std::uint64_t unshared = 0;
        for (const auto& [name, h] : rooms->all())
            unshared += h->unshared.value();
        // Finals numbered while Redis was away: other nodes' viewers never got them.
        j["cluster"]["finals_unshared"] = unshared;
        if (!j["cluster"]["connected"].get<bool>())
            j["status"] = "degraded";
    }
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
    // Per room: one labelled line each, under one header.
    auto room_list = rooms->all();
    auto per_room = [&](std::string_view name, std::string_view help, auto value_of) {
        core::render_header(out, name, "counter", help);
        for (const auto& [room, h] : room_list)
            out += fmt::format("{}{{room=\"{}\"}} {}\n", name, room, value_of(*h));
    };
    per_room("lt_captions_final_total", "Final captions published.", [](const hub& h) { return h.finals.value(); });
    per_room("lt_captions_partial_total", "Partial captions published.",
             [](const hub& h) { return h.partials.value(); });
    per_room("lt_translation_errors_total", "Captions sent untranslated to a language because translation failed.",
             [](const hub& h) { return h.translation_errors.value(); });
    per_room("lt_captions_untranslatable_total",
             "Captions sent in the original to a language the backend has no route to.",
             [](const hub& h) { return h.untranslatable.value(); });
    per_room("lt_captions_duplicate_total",
             "Finals resent by a speaker after a lost acknowledgement and not published again.",
             [](const hub& h) { return h.duplicates.value(); });
    line("lt_tokens_issued_total", "counter", "AWS credentials handed out by generate_token.", tokens->issued());
    line("lt_token_failures_total", "counter", "generate_token requests STS refused or failed.", tokens->failed());
    line("lt_rooms", "gauge", "Rooms held by this server.", room_list.size());
    per_room("lt_cluster_finals_received_total", "Finals received from other nodes of the cluster.",
             [](const hub& h) { return h.remote_finals.value(); });
    per_room("lt_cluster_finals_unshared_total",
             "Finals numbered locally because Redis was unreachable (other nodes missed them).",
             [](const hub& h) { return h.unshared.value(); });
    if (cluster)
        line("lt_cluster_connected", "gauge", "1 while the Redis subscriber is connected.",
             cluster->health()["connected"].get<bool>() ? 1 : 0);
    line("lt_translation_rejected_total", "counter", "Translations refused because the queue was full.",
         service->rejected());
    line("lt_translation_cache_hits_total", "counter", "Translations answered from the cache.",
         service->cache_hits());
    line("lt_translation_queue", "gauge", "Translations waiting for a worker.", service->queued());

    core::render_header(out, "lt_viewers", "gauge", "Viewers per room and language.");
    for (const auto& [room, h] : room_list)
        for (const auto& [lang, n] : h->snapshot().viewers)
            out += fmt::format("lt_viewers{{room=\"{}\",lang=\"{}\"}} {}\n", room, lang, n);

    core::render_header(out, "lt_translation_seconds", "histogram",
                        "Time spent in the translation backend per call (cache misses).");
    service->latency().render(out, "lt_translation_seconds",
                              fmt::format("backend=\"{}\"", service->backend().name()));
    return out;
}

} // namespace lt::server
