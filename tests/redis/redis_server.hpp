// A real redis-server for tests: started on a free 127.0.0.1 port (never 6379, where
// Debian's packaged service may listen) with no persistence and a temporary --dir; it can
// be stopped and started again on the same port and is killed in the destructor.
// Header-only so any test binary can use it (link lt_test_redis_server for the include path).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lt::test {

class redis_server {
public:
    // extra: more redis-server arguments, e.g. {"--requirepass", "secret"}.
    explicit redis_server(std::vector<std::string> extra = {}) : extra_(std::move(extra)) {
        if (binary().empty())
            throw std::runtime_error("redis-server not found (scripts/setup.sh)");
        char dir[] = "/tmp/lt-redis-XXXXXX";
        if (!::mkdtemp(dir))
            throw std::runtime_error("mkdtemp failed");
        dir_ = dir;
        // Another process may take the port between our probe and redis-server's bind.
        std::string last;
        for (int attempt = 0; attempt < 5; ++attempt) {
            port_ = free_port();
            try {
                start();
                return;
            } catch (const std::exception& e) {
                last = e.what();
            }
        }
        std::filesystem::remove_all(dir_);
        throw std::runtime_error(last);
    }
    ~redis_server() {
        kill();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    int port() const { return port_; }
    std::string host() const { return "127.0.0.1"; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
    bool running() const { return pid_ > 0; }

    // Starts (again) on the same port and waits until it answers PING (5 s at most).
    void start() {
        if (pid_ > 0)
            return;
        std::vector<std::string> args{
            binary(),       "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no",     "--daemonize",         "no",     "--dir",     dir_};
        args.insert(args.end(), extra_.begin(), extra_.end());
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        std::string log = dir_ + "/redis.log";
        // Everything the child needs is prepared above: after fork only syscalls run.
        pid_t pid = ::fork();
        if (pid < 0)
            throw std::runtime_error("fork failed");
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL); // dies with the test thread that started it
            int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        pid_ = pid;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("redis-server on port " + std::to_string(port_) +
                                         " exited: " + log_tail());
            }
            if (answers_ping())
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        kill();
        throw std::runtime_error("redis-server on port " + std::to_string(port_) +
                                 " did not answer PING within 5 s: " + log_tail());
    }

    // SIGTERM, as an operator would; SIGKILL after 3 s.
    void stop() { end(SIGTERM); }
    // SIGKILL: a crash.
    void kill() { end(SIGKILL); }

    std::string log_tail() const {
        std::ifstream in(dir_ + "/redis.log");
        std::stringstream ss;
        ss << in.rdbuf();
        std::string s = ss.str();
        return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
    }

    // LT_REDIS_SERVER, else /usr/bin/redis-server; empty if neither exists.
    static std::string binary() {
        if (const char* env = std::getenv("LT_REDIS_SERVER"); env && *env)
            return env;
        return ::access("/usr/bin/redis-server", X_OK) == 0 ? "/usr/bin/redis-server" : "";
    }

    // A port nothing listens on now (the kernel's pick, never 6379).
    static int free_port() {
        for (int i = 0; i < 20; ++i) {
            int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0)
                break;
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            socklen_t len = sizeof sa;
            int port = -1;
            if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
                ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
                port = ntohs(sa.sin_port);
            ::close(fd);
            if (port > 0 && port != 6379)
                return port;
        }
        throw std::runtime_error("no free port");
    }

private:
    void end(int sig) {
        if (pid_ <= 0)
            return;
        ::kill(pid_, sig);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        pid_ = -1;
    }

    // Raw RESP so the helper needs no client library; NOAUTH also proves it is up.
    bool answers_ping() const {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return false;
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(static_cast<uint16_t>(port_));
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool ok = false;
        if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
            ::send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6) {
            pollfd p{fd, POLLIN, 0};
            char buf[64] = {};
            if (::poll(&p, 1, 500) == 1 && ::recv(fd, buf, sizeof buf - 1, 0) > 0) {
                std::string r(buf);
                ok = r.rfind("+PONG", 0) == 0 || r.rfind("-NOAUTH", 0) == 0;
            }
        }
        ::close(fd);
        return ok;
    }

    std::vector<std::string> extra_;
    std::string dir_;
    int port_ = -1;
    pid_t pid_ = -1;
};

} // namespace lt::test
