// lt-server as a library: HTTP (page, /config.json, /health, /metrics) and the WebSocket
// caption hub on one port. The program in apps/lt-server only parses flags and calls run().
#pragma once

#include "server/config.hpp"

#include <cstdint>
#include <memory>

namespace lt::translate {
class translator;
}

namespace lt::server {

class server {
public:
    // Binds the listening socket (throws std::system_error naming the address when it
    // cannot) and starts the translation workers. Does not run the network threads.
    server(server_config config, std::shared_ptr<translate::translator> backend);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // Runs the network threads until SIGINT/SIGTERM or stop(); then closes every client
    // with 1001 (going away), waits up to 3 s for them, and returns.
    void run();
    // Thread-safe; same shutdown as a signal.
    void stop();
    // The bound port (useful with port 0).
    std::uint16_t port() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace lt::server
