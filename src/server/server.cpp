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
    net::io_context ioc;
    std::shared_ptr<server_state> state;
    std::shared_ptr<listener> acceptor;
    net::signal_set signals{ioc, SIGINT, SIGTERM};
    net::steady_timer drain{ioc};
    std::chrono::steady_clock::time_point drain_deadline;
    unsigned threads;
    std::atomic<bool> stopping{false};

    impl(server_config config, std::shared_ptr<translate::translator> backend)
        : ioc(static_cast<int>(config.io_threads ? config.io_threads
                                                 : std::max(1u, std::thread::hardware_concurrency()))),
          threads(config.io_threads ? config.io_threads : std::max(1u, std::thread::hardware_concurrency())) {
        auto address = net::ip::make_address(config.host);
        tcp::endpoint endpoint{address, config.port};
        state = std::make_shared<server_state>(std::move(config), std::move(backend));
        acceptor = std::make_shared<listener>(ioc, endpoint, state);
    }

    ~impl() {
        // Join the translation workers while the io_context still exists: their callbacks
        // post results to connections' strands.
        state->service.reset();
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
            ioc.stop();
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
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < m.threads; ++i)
        pool.emplace_back([&m] { m.ioc.run(); });
    m.ioc.run();
    for (auto& t : pool)
        t.join();
}

void server::stop() {
    net::post(impl_->ioc, [m = impl_.get()] { m->begin_stop(); });
}

} // namespace lt::server
