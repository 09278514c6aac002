// Test harness for integration tests over loopback: starts the real lt-server binary and
// talks to it with real WebSocket and HTTP clients (Boost.Beast).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace lt::test {

using json = nlohmann::json;
using namespace std::chrono_literals;

// A port that was free a moment ago on 127.0.0.1.
unsigned short free_port();

// Output of a shell command (for computing expected Apertium translations).
std::string shell(const std::string& command);

// The expected Apertium translation of `text` through a mode chain, e.g. {"eng-spa","es-fr"}.
std::string apertium(const std::string& text, const std::vector<std::string>& modes);

class server_process {
public:
    // Starts build/apps/lt-server/lt-server with `args` (plus --host/--port) and extra
    // environment; waits until /health answers (throws after 15 s).
    server_process(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                   unsigned short port = 0);
    ~server_process();
    unsigned short port() const { return port_; }
    pid_t pid() const { return pid_; }
    // Sends a signal and waits for the exit status (-1 on timeout).
    int stop(int signal = 15, std::chrono::milliseconds timeout = 10s);
    // The server's stderr/stdout so far.
    std::string log() const;

private:
    pid_t pid_ = -1;
    unsigned short port_;
    std::string log_path_;
};

struct http_reply {
    int status = 0;
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;
};
// Sends `raw_target` exactly as given (no normalisation), so traversal attempts reach the server.
http_reply http_get(unsigned short port, const std::string& raw_target, const std::string& method = "GET");

// A WebSocket client with its own network thread; received frames queue up until read.
class ws_client {
public:
    struct options {
        int receive_buffer = 0; // SO_RCVBUF before connect; 0 = system default
        bool read = true;       // false: never read (a slow consumer)
    };
    explicit ws_client(unsigned short port, options opts);
    explicit ws_client(unsigned short port) : ws_client(port, options{}) {}
    ~ws_client();

    void send(const json& message);
    void send_raw(std::string text, bool binary = false);
    // Next frame, or nullopt after `timeout`.
    std::optional<json> receive(std::chrono::milliseconds timeout = 5s);
    // Next frame of `type`, skipping others; nullopt after `timeout`.
    std::optional<json> receive_type(const std::string& type, std::chrono::milliseconds timeout = 5s);
    // Frames of `type` until `n` arrived or `timeout` passed.
    std::vector<json> collect(const std::string& type, std::size_t n, std::chrono::milliseconds timeout = 10s);
    bool closed() const;
    // Close code from the server (0 when none yet), waiting up to `timeout` for the close.
    int close_code(std::chrono::milliseconds timeout = 5s);
    std::string close_reason() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace lt::test
