#include "server/server.hpp"

#include "cluster/room_sync.hpp"
#include "server/http_session.hpp"
#include "server/state.hpp"
#include "server/tls.hpp"
#include "server/ws_session.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include <sys/resource.h>

namespace lt::server {

namespace {

// The parts of a server, in the order it builds them (server::impl::make_state).

std::filesystem::path canonical_root(const std::string& configured) {
    std::error_code ec;
    auto p = std::filesystem::canonical(configured, ec);
    if (ec || !std::filesystem::is_directory(p))
        throw std::runtime_error("web root '" + configured + "' is not a readable directory");
    return p;
}

// The /config.json body: the page's branding, with the reference page's field names.
std::string page_config_json(const server_config& config) {
    nlohmann::json cfg{{"pageTitle", config.page_title},
                       {"logoFile", config.logo_file},
                       {"contactText", config.contact_text},
                       {"websocketUrl", config.websocket_url}};
    return cfg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string random_id() {
    std::random_device rd;
    std::uniform_int_distribution<std::uint64_t> dist;
    return fmt::format("{:016x}", dist(rd));
}

std::shared_ptr<translate::translation_service>
make_translation_service(const server_config& config, std::shared_ptr<translate::translator> backend) {
    translate::service_params sp;
    sp.workers = config.translate_workers ? config.translate_workers : backend->parallelism();
    sp.on_demand_limit = config.on_demand_queue;
    return std::make_shared<translate::translation_service>(std::move(backend), sp);
}

// Null without a Redis URL: a single node.
std::shared_ptr<cluster::redis_cluster> make_cluster(const server_config& config,
                                                     const std::string& node_id) {
    if (config.redis_url.empty())
        return nullptr;
    return std::make_shared<cluster::redis_cluster>(redis::parse_url(config.redis_url).value(), node_id,
                                                    config.history);
}

void prune(storage::store& store, unsigned retain_days) {
    if (retain_days == 0)
        return;
    const auto cutoff = std::chrono::system_clock::now() - std::chrono::hours(24) * retain_days;
    if (auto n = store.prune_before(
            std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count()))
        spdlog::info("data directory: removed {} finals older than {} days", n, retain_days);
}

// In a cluster, each new room first loads the room's shared history.
std::unique_ptr<hub::room_registry> make_rooms(const server_config& config,
                                               translate::translation_service& service,
                                               const std::shared_ptr<cluster::redis_cluster>& cluster,
                                               std::shared_ptr<storage::store> store, hub::fanout_fn fanout,
                                               std::function<void(const std::string&, bool)> on_publishing) {
    hub::hub_params hp;
    hp.history = config.history;
    hp.store = std::move(store);
    hp.on_publishing = std::move(on_publishing);
    std::function<void(const std::string&, hub::hub&)> on_create;
    if (cluster) {
        hp.cluster = cluster;
        on_create = [c = cluster.get()](const std::string& room, hub::hub& h) {
            cluster::load_history(*c, room, h);
        };
    }
    return std::make_unique<hub::room_registry>(service, hp, std::move(fanout), config.max_rooms,
                                                std::move(on_create));
}

// connection_status as every client gets it, but for its room (server_state::status_frame).
protocol::connection_status make_status(const server_state& state) {
    protocol::connection_status status;
    status.translator = state.service->backend().name();
    status.languages = state.service->backend().targets("en");
    status.source = "en";
    // In a cluster, numbers belong to the cluster: a page keeps `since` across its nodes.
    status.server_id = state.cluster ? state.cluster->cluster_id() : state.server_id;
    // aws_available is read from the backend for each connection (status_frame).
    return status;
}

// Each connection is a descriptor: take all the kernel allows this process.
void raise_descriptor_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    auto soft = rl.rlim_cur;
    auto target = rl.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : rl.rlim_max;
    if (soft != RLIM_INFINITY && soft < target) {
        rl.rlim_cur = target;
        if (::setrlimit(RLIMIT_NOFILE, &rl) == 0) {
            spdlog::info("descriptors: soft limit raised from {} to {} (hard limit {})", soft, target,
                         rl.rlim_max == RLIM_INFINITY ? std::string("unlimited")
                                                      : std::to_string(rl.rlim_max));
            return;
        }
        spdlog::warn("descriptors: could not raise the soft limit {} to {}", soft, target);
        return;
    }
    spdlog::info("descriptors: soft limit {} (hard limit {})", soft,
                 rl.rlim_max == RLIM_INFINITY ? std::string("unlimited") : std::to_string(rl.rlim_max));
}

std::size_t open_descriptors() {
    std::error_code ec;
    std::size_t n = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec))
        ++n;
    return n;
}

// --data-dir: the store, with what retention removed at start. Throws naming the directory.
std::shared_ptr<storage::store> make_store(const server_config& config) {
    if (config.data_dir.empty())
        return nullptr;
    auto opened = storage::store::open(config.data_dir);
    if (!opened)
        throw std::runtime_error(opened.error_message());
    std::shared_ptr<storage::store> store = std::move(opened).value();
    prune(*store, config.retain_days);
    auto r = store->report();
    spdlog::info("data directory {}: {} finals in {} rooms, {} translations, {:.1f} MB{}", config.data_dir,
                 r.captions, r.rooms, r.translations, static_cast<double>(r.bytes) / 1e6,
                 config.redis_url.empty() ? "" : " (this node's transcript; Redis holds the shared history)");
    return store;
}

std::unique_ptr<token_vendor> make_tokens(const server_config& config) {
    token_settings ts;
    ts.role_arn = config.transcribe_role_arn;
    ts.external_id = config.transcribe_external_id;
    ts.seconds = config.token_seconds;
    ts.rate_per_minute = config.token_rate_per_minute;
    return make_token_vendor(std::move(ts));
}

} // namespace

struct server::impl {
    // One io_context per network thread: a connection lives on one thread, so it needs no
    // strand, and a caption reaches thousands of viewers as one task per thread.
    std::vector<std::unique_ptr<asio::io_context>> pool;
    std::shared_ptr<server_state> state;
    std::shared_ptr<listener> acceptor;
    asio::signal_set signals;
    asio::signal_set reload_signal; // SIGHUP: reload the TLS certificate
    asio::steady_timer drain;
    asio::steady_timer room_gc;
    asio::steady_timer retention; // hourly, with --data-dir
    std::chrono::steady_clock::time_point drain_deadline;
    std::atomic<bool> stopping{false};

    static std::vector<std::unique_ptr<asio::io_context>> make_pool(unsigned threads) {
        if (threads == 0)
            threads = std::max(1u, std::thread::hardware_concurrency());
        std::vector<std::unique_ptr<asio::io_context>> p;
        for (unsigned i = 0; i < threads; ++i)
            p.push_back(std::make_unique<asio::io_context>(1));
        return p;
    }

    impl(server_config config, std::shared_ptr<translate::translator> backend)
        : pool(make_pool(config.io_threads)), signals(*pool.front(), SIGINT, SIGTERM),
          reload_signal(*pool.front(), SIGHUP), drain(*pool.front()), room_gc(*pool.front()),
          retention(*pool.front()) {
        auto address = asio::ip::make_address(config.host);
        tcp::endpoint endpoint{address, config.port};
        state = make_state(std::move(config), std::move(backend));
        acceptor = std::make_shared<listener>(pool, endpoint, state);
        // Apertium pipes, the listener, the threads' wakeup descriptors: the server's own.
        state->fds_at_start = open_descriptors();
        fit_limits_to_descriptors();
        collect_rooms();
    }

    // With few descriptors (a low hard limit), one address could take them all: it gets half.
    void fit_limits_to_descriptors() {
        rlimit rl{};
        if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
            return;
        auto own = state->fds_at_start + state->config.fd_reserve;
        std::size_t room = rl.rlim_cur > own ? rl.rlim_cur - own : 0;
        auto per_ip = state->limits.max_per_ip();
        if (per_ip == 0 || per_ip > room / 2) {
            state->limits.set_max_per_ip(std::max<std::size_t>(1, room / 2));
            spdlog::warn("descriptors: room for {} connections; connections per address lowered to {} (raise "
                         "LimitNOFILE for more)",
                         room, std::max<std::size_t>(1, room / 2));
        }
    }

    // Removes unused rooms now and then; configured rooms stay. Without Redis or a data
    // directory a room's captions exist only here, so such a room waits 60 times as long.
    void collect_rooms() {
        using namespace std::chrono;
        auto idle = duration_cast<steady_clock::duration>(duration<double>(state->config.room_idle_seconds));
        auto with_history = state->cluster || state->store ? idle : idle * 60;
        auto removed =
            state->rooms->collect(steady_clock::now(), idle, with_history, [this](const std::string& r) {
                return state->config.room_keys.count(r) > 0;
            });
        if (removed) {
            state->metrics.rooms_collected.inc(removed);
            spdlog::debug("removed {} unused rooms", removed);
        }
        room_gc.expires_after(std::clamp<steady_clock::duration>(idle / 3, milliseconds(50), seconds(10)));
        room_gc.async_wait([this](beast::error_code ec) {
            if (!ec && !stopping)
                collect_rooms();
        });
    }

    ~impl() {
        // The cluster's threads use the translation service through the rooms: stop them
        // first. Then join the translation workers while the io_contexts still exist:
        // their callbacks post results to connections.
        if (state->cluster)
            state->cluster->stop();
        state->service.reset();
    }

    // What every connection shares, built step by step: the page settings, the translation
    // service, the cluster (with Redis), the rooms (fanning out through this server's
    // threads), their link to the cluster, the status clients get, the token vendor.
    std::shared_ptr<server_state> make_state(server_config config,
                                             std::shared_ptr<translate::translator> backend) {
        auto st = std::make_shared<server_state>(std::move(config));
        const auto& c = st->config;
        st->web_root = canonical_root(c.web_root);
        st->config_json = page_config_json(c);
        st->server_id = random_id();
        st->service = make_translation_service(c, std::move(backend));
        st->cluster = make_cluster(c, st->server_id);
        auto fanout = [this](hub::subscriber_list&& to, const hub::frame_ptr& frame) {
            fan_out(std::move(to), frame);
        };
        st->store = make_store(c);
        // Everyone in the room hears of a pause, wherever the operator is: speakers stop
        // expecting their text on screen, pages can say why nothing comes.
        auto on_publishing = [s = st.get()](const std::string& room, bool paused) {
            auto frame = std::make_shared<const std::string>(protocol::serialize_publishing(paused));
            s->for_each_session([&](const std::shared_ptr<ws_session>& session) {
                if (session->room() == room)
                    session->deliver(frame);
            });
        };
        st->rooms = make_rooms(c, *st->service, st->cluster, st->store, std::move(fanout), on_publishing);
        if (st->cluster)
            cluster::connect_rooms(*st->cluster, *st->rooms);
        st->status = make_status(*st);
        st->tokens = make_tokens(c);
        if (!c.tls_cert.empty()) {
            st->tls = std::make_shared<tls_context>(c.tls_cert, c.tls_key);
            spdlog::info("TLS: certificate {}", st->tls->description());
        }
        return st;
    }

    // Groups the viewers by lane (network thread) and posts one task per thread.
    void fan_out(hub::subscriber_list&& to, const hub::frame_ptr& frame) {
        std::vector<hub::subscriber_list> by_thread(pool.size());
        for (auto& s : to) {
            auto t = s->lane();
            by_thread[t].push_back(std::move(s));
        }
        for (std::size_t t = 0; t < pool.size(); ++t)
            if (!by_thread[t].empty())
                asio::post(*pool[t], [list = std::move(by_thread[t]), frame] {
                    for (const auto& s : list)
                        s->push(frame);
                });
    }

    void prune_hourly() {
        if (!state->store || state->config.retain_days == 0)
            return;
        retention.expires_after(std::chrono::hours(1));
        retention.async_wait([this](beast::error_code ec) {
            if (ec)
                return;
            prune(*state->store, state->config.retain_days);
            prune_hourly();
        });
    }

    // Certificate renewal: new handshakes get the new files, open connections keep theirs.
    void wait_for_reload() {
        reload_signal.async_wait([this](beast::error_code ec, int) {
            if (ec || stopping)
                return;
            if (!state->tls) {
                spdlog::info("received SIGHUP: no TLS certificate to reload");
            } else if (auto error = state->tls->reload(); !error.empty()) {
                spdlog::error("SIGHUP: {}; still serving the previous certificate", error);
            } else {
                spdlog::info("SIGHUP: reloaded TLS certificate {}", state->tls->description());
            }
            wait_for_reload();
        });
    }

    void begin_stop() {
        if (stopping.exchange(true))
            return;
        retention.cancel();
        spdlog::info("shutting down: closing {} connections", state->metrics.ws_sessions.value());
        acceptor->stop();
        // Queued translations would keep the process alive long after its connections are
        // gone; finals already acknowledged are in the history.
        if (auto dropped = state->service->stop())
            spdlog::info("shutting down: dropped {} queued translations", dropped);
        if (state->cluster) {
            std::size_t unfinished = 0;
            for (const auto& [name, room] : state->rooms->all())
                unfinished += room->share_unfinished();
            if (unfinished)
                spdlog::info("shutting down: shared {} finals with the cluster before all their "
                             "translations were done",
                             unfinished);
        }
        room_gc.cancel();
        reload_signal.cancel();
        state->for_each_session([](const std::shared_ptr<ws_session>& s) { s->shutdown(); });
        drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        wait_for_drain();
    }

    void wait_for_drain() {
        if (state->metrics.ws_sessions.value() <= 0 || std::chrono::steady_clock::now() >= drain_deadline) {
            for (auto& ioc : pool)
                ioc->stop();
            return;
        }
        drain.expires_after(std::chrono::milliseconds(20));
        drain.async_wait([this](beast::error_code ec) {
            if (!ec)
                wait_for_drain();
        });
    }
};

server::server(server_config config, std::shared_ptr<translate::translator> backend) {
    // Apertium pipes may close under us; a write to them must fail with EPIPE, not kill us.
    std::signal(SIGPIPE, SIG_IGN);
    raise_descriptor_limit();
    impl_ = std::make_unique<impl>(std::move(config), std::move(backend));
}

server::~server() = default;

std::uint16_t server::port() const { return impl_->acceptor->port(); }

void server::run() {
    auto& m = *impl_;
    m.signals.async_wait([&m](beast::error_code ec, int sig) {
        if (!ec) {
            spdlog::info("received signal {}", sig);
            m.begin_stop();
        }
    });
    m.acceptor->run();
    m.prune_hourly();
    m.wait_for_reload();
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < m.pool.size(); ++i)
        threads.emplace_back([&m, i] {
            auto work = asio::make_work_guard(*m.pool[i]); // idle threads wait for connections
            m.pool[i]->run();
        });
    m.pool.front()->run();
    for (auto& ioc : m.pool)
        ioc->stop();
    for (auto& t : threads)
        t.join();
}

void server::stop() {
    asio::post(*impl_->pool.front(), [m = impl_.get()] { m->begin_stop(); });
}

} // namespace lt::server
