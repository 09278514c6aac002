// Test harness for integration tests over loopback: starts the real lt-server binary and
// talks to it with real WebSocket and HTTP clients (Boost.Beast).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
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

// A program of the build run as a child: environment filtered (API_KEY only when given),
// working directory /tmp (no stray .env), stdout and stderr to files, stdin a pipe.
class child_process {
public:
    // `binary` is relative to the build directory, e.g. "apps/lt-speech/lt-speech".
    child_process(const std::string& binary, std::vector<std::string> args,
                  std::map<std::string, std::string> env = {});
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    pid_t pid() const { return pid_; }
    bool running();
    // Writes all of `data` to the child's stdin (false once the child stopped reading).
    bool write_stdin(const void* data, std::size_t size);
    void close_stdin();
    // Waits for the exit status (-1 on timeout, the child is then left running).
    int wait(std::chrono::milliseconds timeout);
    // Sends a signal and waits; kills after `timeout` (then returns -1).
    int stop(int signal = 15, std::chrono::milliseconds timeout = 10s);
    std::string out() const;
    std::string err() const;

private:
    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    int status_ = -1;
    std::string out_path_, err_path_;
};

// The path of a file in the build directory (LT_BUILD_DIR) or the source tree (LT_SOURCE_DIR).
std::string build_path(const std::string& relative);
std::string source_path(const std::string& relative);

class server_process {
public:
    // Starts build/apps/lt-server/lt-server with `args` (plus --host/--port) and extra
    // environment; waits until /health answers (throws after 15 s).
    server_process(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                   unsigned short port = 0);
    ~server_process();
    unsigned short port() const { return port_; }
    pid_t pid() const { return child_->pid(); }
    // Sends a signal and waits for the exit status (-1 on timeout).
    int stop(int signal = 15, std::chrono::milliseconds timeout = 10s);
    // The server's stderr/stdout so far.
    std::string log() const;

private:
    unsigned short port_;
    std::unique_ptr<child_process> child_;
};

struct http_reply {
    int status = 0;
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;
};
// Sends `raw_target` exactly as given (no normalisation), so traversal attempts reach the server.
http_reply http_get(unsigned short port, const std::string& raw_target, const std::string& method = "GET",
                    const std::map<std::string, std::string>& headers = {}, const std::string& body = "");
// An unlabelled value from the server's /metrics (-1 when absent).
double metric(unsigned short port, const std::string& name);
// Backend translations the server made: the translation-time histogram's count (0 when absent).
std::uint64_t translations_made(unsigned short port);

// tools/<script>, a vendor's stand-in, on a free loopback port (--port 0 --port-file), with
// its /_fake/ controls. Throws with the script's stderr when it does not start in 15 s.
class fake_service {
public:
    explicit fake_service(const std::string& script, std::vector<std::string> args = {});
    ~fake_service();
    unsigned short port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    json stats() const;            // GET /_fake/stats
    void configure(const json& c); // POST /_fake/config
    std::string log() const;

private:
    std::string script_;
    std::unique_ptr<child_process> child_;
    unsigned short port_ = 0;
};

// tools/fake_aws.py: local stand-in for AWS Translate, STS and Transcribe streaming that
// checks every request's SigV4 signature on its own.
class fake_aws : public fake_service {
public:
    // `args`: extra flags (--delay-ms 100, --token-seconds 30, --recognizer PATH, ...).
    explicit fake_aws(std::vector<std::string> args = {}) : fake_service("fake_aws.py", std::move(args)) {}
    // AWS_* settings that point a program at the fake with its long-term test key.
    std::map<std::string, std::string> env() const;
};

// A WebSocket client with its own network thread; received frames queue up until read.
class ws_client {
public:
    struct options {
        int receive_buffer = 0;     // SO_RCVBUF before connect; 0 = system default
        bool read = true;           // false: never read (a slow consumer)
        std::string target = "/ws"; // e.g. "/ws?room=hall-a"
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
    std::vector<json> collect(const std::string& type, std::size_t n,
                              std::chrono::milliseconds timeout = 10s);
    bool closed() const;
    // Close code from the server (0 when none yet), waiting up to `timeout` for the close.
    int close_code(std::chrono::milliseconds timeout = 5s);
    std::string close_reason() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// A viewer of `lang`: connected, greeted, language confirmed. Throws when the server does not
// answer so (within 5 s each). With opts.read false, only connected (a viewer that never reads).
std::unique_ptr<ws_client> viewer(unsigned short port, const std::string& lang, ws_client::options opts = {});

// A minimal WebSocket server that greets each connection with `greeting` and records every
// text frame it receives: stands in for the reference server, whose replies differ from ours.
class recording_server {
public:
    explicit recording_server(json greeting);
    ~recording_server();
    unsigned short port() const { return port_; }
    std::vector<json> received() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    unsigned short port_ = 0;
};

// A client's masked close frame with `code` (mask 0: the payload goes out as is).
std::string close_frame(std::uint16_t code);
// The code of the first close frame in a server's byte stream; -1 when there is none (1005
// for a close frame without a code).
int close_code_in(const std::string& bytes);

} // namespace lt::test
