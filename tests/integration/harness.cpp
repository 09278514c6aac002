#include "harness.hpp"

#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace lt::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

unsigned short free_port() {
    net::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

std::string shell(const std::string& command) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p)
        throw std::runtime_error("popen failed: " + command);
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
        out.append(buf.data(), n);
    ::pclose(p);
    return out;
}

std::string apertium(const std::string& text, const std::vector<std::string>& modes) {
    std::string quoted = "'";
    for (char c : text)
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    quoted += "'";
    std::string cmd = "printf '%s' " + quoted;
    for (const auto& m : modes)
        cmd += " | apertium -u " + m; // -u: no unknown-word marks, as lt-server shows them
    auto out = shell(cmd);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
        out.pop_back();
    return out;
}

namespace {
std::string server_binary() {
    const char* dir = std::getenv("LT_BUILD_DIR");
    if (!dir)
        throw std::runtime_error("LT_BUILD_DIR is not set; run the tests through ctest");
    return std::string(dir) + "/apps/lt-server/lt-server";
}
std::string source_dir() {
    const char* dir = std::getenv("LT_SOURCE_DIR");
    return dir ? dir : ".";
}
} // namespace

server_process::server_process(std::vector<std::string> args, std::map<std::string, std::string> env,
                               unsigned short port)
    : port_(port ? port : free_port()) {
    log_path_ = "/tmp/lt-test-server-" + std::to_string(::getpid()) + "-" + std::to_string(port_) + ".log";
    std::vector<std::string> argv{server_binary(), "--host", "127.0.0.1", "--port", std::to_string(port_),
                                  "--web-root", source_dir() + "/web"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);

    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) {
        std::string kv = *e;
        auto name = kv.substr(0, kv.find('='));
        if (!env.count(name) && name != "API_KEY")
            envs.push_back(kv);
    }
    for (auto& [k, v] : env)
        envs.push_back(k + "=" + v);
    std::vector<char*> cenv;
    for (auto& e : envs)
        cenv.push_back(e.data());
    cenv.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    // Run where no .env lies around, so only the test's settings apply.
    posix_spawn_file_actions_addchdir_np(&fa, "/tmp");
    int rc = posix_spawn(&pid_, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        throw std::runtime_error("cannot start " + argv[0]);

    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
        int status;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("lt-server exited at start:\n" + log());
        }
        try {
            if (http_get(port_, "/health").status == 200)
                return;
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(50ms);
    }
    stop(9);
    throw std::runtime_error("lt-server did not answer /health within 15 s:\n" + log());
}

server_process::~server_process() {
    if (pid_ > 0)
        stop(9, 5s);
}

int server_process::stop(int signal, std::chrono::milliseconds timeout) {
    if (pid_ <= 0)
        return -1;
    ::kill(pid_, signal);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        std::this_thread::sleep_for(10ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
}

std::string server_process::log() const {
    std::ifstream f(log_path_);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

http_reply http_get(unsigned short port, const std::string& raw_target, const std::string& method) {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(5s);
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    std::string req = method + " " + raw_target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    net::write(stream, net::buffer(req));
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(method == "HEAD");
    http::read(stream, buf, parser);
    http_reply r;
    auto& res = parser.get();
    r.status = static_cast<int>(res.result_int());
    for (auto& f : res) {
        std::string name(f.name_string());
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(f.value());
    }
    r.body = res.body();
    return r;
}

struct ws_client::impl {
    net::io_context ioc;
    websocket::stream<beast::tcp_stream> ws{ioc};
    beast::flat_buffer buffer;
    std::thread thread;
    mutable std::mutex m;
    std::condition_variable cv;
    std::deque<json> frames;
    std::deque<std::shared_ptr<std::string>> out;
    bool writing = false;
    bool closed = false;
    int code = 0;
    std::string reason;

    void read() {
        ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
            std::lock_guard lock(m);
            if (ec) {
                closed = true;
                code = ws.reason().code;
                reason = std::string(ws.reason().reason.data(), ws.reason().reason.size());
                cv.notify_all();
                return;
            }
            auto text = beast::buffers_to_string(buffer.data());
            buffer.consume(buffer.size());
            frames.push_back(json::parse(text, nullptr, false));
            cv.notify_all();
            read();
        });
    }
    void write() {
        if (writing || out.empty())
            return;
        writing = true;
        auto msg = out.front();
        ws.async_write(net::buffer(*msg), [this, msg](beast::error_code ec, std::size_t) {
            writing = false;
            out.pop_front();
            if (!ec)
                write();
        });
    }
};

ws_client::ws_client(unsigned short port, options opts) : impl_(std::make_unique<impl>()) {
    auto& s = beast::get_lowest_layer(impl_->ws).socket();
    s.open(tcp::v4());
    if (opts.receive_buffer)
        s.set_option(net::socket_base::receive_buffer_size(opts.receive_buffer));
    beast::get_lowest_layer(impl_->ws).expires_after(5s);
    beast::get_lowest_layer(impl_->ws).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    impl_->ws.handshake("127.0.0.1:" + std::to_string(port), "/ws");
    beast::get_lowest_layer(impl_->ws).expires_never();
    impl_->ws.read_message_max(0);
    if (opts.read)
        impl_->read();
    impl_->thread = std::thread([this] {
        auto guard = net::make_work_guard(impl_->ioc);
        impl_->ioc.run();
    });
}

ws_client::~ws_client() {
    net::post(impl_->ioc, [this] {
        beast::error_code ec;
        beast::get_lowest_layer(impl_->ws).socket().close(ec);
        impl_->ioc.stop();
    });
    impl_->thread.join();
}

void ws_client::send_raw(std::string text, bool binary) {
    auto msg = std::make_shared<std::string>(std::move(text));
    net::post(impl_->ioc, [this, msg, binary] {
        impl_->ws.binary(binary);
        impl_->out.push_back(msg);
        impl_->write();
    });
}

void ws_client::send(const json& message) { send_raw(message.dump()); }

std::optional<json> ws_client::receive(std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->m);
    if (!impl_->cv.wait_for(lock, timeout, [&] { return !impl_->frames.empty(); }))
        return std::nullopt;
    auto f = std::move(impl_->frames.front());
    impl_->frames.pop_front();
    return f;
}

std::optional<json> ws_client::receive_type(const std::string& type, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left <= 0ms)
            return std::nullopt;
        auto f = receive(left);
        if (!f)
            return std::nullopt;
        if ((*f)["type"] == type)
            return f;
    }
}

std::vector<json> ws_client::collect(const std::string& type, std::size_t n, std::chrono::milliseconds timeout) {
    std::vector<json> out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < n) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left <= 0ms)
            break;
        auto f = receive_type(type, left);
        if (!f)
            break;
        out.push_back(std::move(*f));
    }
    return out;
}

bool ws_client::closed() const {
    std::lock_guard lock(impl_->m);
    return impl_->closed;
}

int ws_client::close_code(std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->m);
    impl_->cv.wait_for(lock, timeout, [&] { return impl_->closed; });
    return impl_->code;
}

std::string ws_client::close_reason() const {
    std::lock_guard lock(impl_->m);
    return impl_->reason;
}

} // namespace lt::test
