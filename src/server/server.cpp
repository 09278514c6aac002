#include "server/server.hpp"

#include "server/http_session.hpp"
#include "server/state.hpp"
#include "server/ws_session.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <thread>

namespace lt::server {

struct server::impl {
    // One io_context per network thread: a connection lives on one thread, so it needs no
    // strand, and a caption reaches thousands of viewers as one task per thread.
    std::vector<std::unique_ptr<net::io_context>> pool;
    std::shared_ptr<server_state> state;
    std::shared_ptr<listener> acceptor;
    net::signal_set signals;
    net::steady_timer drain;
    std::chrono::steady_clock::time_point drain_deadline;
    std::atomic<bool> stopping{false};

    static std::vector<std::unique_ptr<net::io_context>> make_pool(unsigned threads) {
        if (threads == 0)
            threads = std::max(1u, std::thread::hardware_concurrency());
        std::vector<std::unique_ptr<net::io_context>> p;
        for (unsigned i = 0; i < threads; ++i)
            p.push_back(std::make_unique<net::io_context>(1));
        return p;
    }

    impl(server_config config, std::shared_ptr<translate::translator> backend)
        : pool(make_pool(config.io_threads)), signals(*pool.front(), SIGINT, SIGTERM),
          drain(*pool.front()) {
        auto address = net::ip::make_address(config.host);
        tcp::endpoint endpoint{address, config.port};
        state = std::make_shared<server_state>(std::move(config), std::move(backend),
                                               [this](subscriber_list&& to, const frame_ptr& frame) {
                                                   fan_out(std::move(to), frame);
                                               });
        acceptor = std::make_shared<listener>(pool, endpoint, state);
    }

    ~impl() {
        // Join the translation workers while the io_contexts still exist: their callbacks
        // post results to connections.
        state->service.reset();
    }

    // Groups the viewers by network thread and posts one task per thread.
    void fan_out(subscriber_list&& to, const frame_ptr& frame) {
        std::vector<std::vector<std::shared_ptr<ws_session>>> by_thread(pool.size());
        for (auto& s : to) {
            auto ws = std::static_pointer_cast<ws_session>(std::move(s));
            auto t = ws->thread();
            by_thread[t].push_back(std::move(ws));
        }
        for (std::size_t t = 0; t < pool.size(); ++t)
            if (!by_thread[t].empty())
                net::post(*pool[t], [list = std::move(by_thread[t]), frame] {
                    for (const auto& ws : list)
                        ws->push(frame);
                });
    }

    void begin_stop() {
        if (stopping.exchange(true))
            return;
        spdlog::info("shutting down: closing {} connections", state->metrics.ws_sessions.value());
        acceptor->stop();
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
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < m.pool.size(); ++i)
        threads.emplace_back([&m, i] {
            auto work = net::make_work_guard(*m.pool[i]); // idle threads wait for connections
            m.pool[i]->run();
        });
    m.pool.front()->run();
    for (auto& ioc : m.pool)
        ioc->stop();
    for (auto& t : threads)
        t.join();
}

void server::stop() {
    net::post(*impl_->pool.front(), [m = impl_.get()] { m->begin_stop(); });
}

} // namespace lt::server
