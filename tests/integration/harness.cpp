#include "harness.hpp"
#include <filesystem>

#include "net/asio.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
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

std::string build_path(const std::string& relative) {
    if (relative.starts_with("/"))
        return relative;
    const char* dir = std::getenv("LT_BUILD_DIR");
    if (!dir)
        throw std::runtime_error("LT_BUILD_DIR is not set; run the tests through ctest");
    return std::string(dir) + "/" + relative;
}

std::string source_path(const std::string& relative) {
    const char* dir = std::getenv("LT_SOURCE_DIR");
    return std::string(dir ? dir : ".") + "/" + relative;
}

namespace {
std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}
} // namespace

child_process::child_process(const std::string& binary, std::vector<std::string> args,
                             std::map<std::string, std::string> env) {
    static std::atomic<int> counter{0};
    ::signal(SIGPIPE, SIG_IGN); // a child that quit must not kill the test writing to it
    std::string base = "/tmp/lt-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    out_path_ = base + ".out";
    err_path_ = base + ".err";
    std::vector<std::string> argv{build_path(binary)};
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

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipe_fds[0], 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    // Run where no .env lies around, so only the test's settings apply.
    posix_spawn_file_actions_addchdir_np(&fa, "/tmp");
    int rc = posix_spawn(&pid_, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    ::close(pipe_fds[0]);
    stdin_fd_ = pipe_fds[1];
    if (rc != 0) {
        ::close(stdin_fd_);
        throw std::runtime_error("cannot start " + argv[0]);
    }
}

child_process::~child_process() {
    close_stdin();
    if (pid_ > 0)
        stop(9, 5s);
}

bool child_process::running() {
    if (pid_ <= 0)
        return false;
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid_ = -1;
        return false;
    }
    return true;
}

bool child_process::write_stdin(const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0 && stdin_fd_ >= 0) {
        auto n = ::write(stdin_fd_, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return size == 0;
}

void child_process::close_stdin() {
    if (stdin_fd_ >= 0)
        ::close(stdin_fd_);
    stdin_fd_ = -1;
}

int child_process::wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return -1;
        std::this_thread::sleep_for(10ms);
    }
    return status_;
}

int child_process::stop(int signal, std::chrono::milliseconds timeout) {
    if (!running())
        return status_;
    ::kill(pid_, signal);
    int rc = wait(timeout);
    if (rc == -1 && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    return rc;
}

std::string child_process::out() const { return read_file(out_path_); }
std::string child_process::err() const { return read_file(err_path_); }

server_process::server_process(std::vector<std::string> args, std::map<std::string, std::string> env,
                               unsigned short port)
    : port_(port ? port : free_port()) {
    std::vector<std::string> argv{"--host",     "127.0.0.1",       "--port", std::to_string(port_),
                                  "--web-root", source_path("web")};
    argv.insert(argv.end(), args.begin(), args.end());
    child_ = std::make_unique<child_process>("apps/lt-server/lt-server", argv, env);
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!child_->running())
            throw std::runtime_error("lt-server exited at start:\n" + log());
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

server_process::~server_process() = default;

int server_process::stop(int signal, std::chrono::milliseconds timeout) {
    return child_->stop(signal, timeout);
}

std::string server_process::log() const { return child_->out() + child_->err(); }

http_reply http_get(unsigned short port, const std::string& raw_target, const std::string& method,
                    const std::map<std::string, std::string>& headers, const std::string& body) {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(5s);
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    std::string req = method + " " + raw_target + " HTTP/1.1\r\n";
    if (!headers.count("Host"))
        req += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
    for (const auto& [k, v] : headers)
        req += k + ": " + v + "\r\n";
    if (!headers.count("Connection"))
        req += "Connection: close\r\n";
    if (!body.empty() || method == "POST")
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
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

double metric(unsigned short port, const std::string& name) {
    auto body = http_get(port, "/metrics").body;
    std::smatch m;
    if (std::regex_search(body, m, std::regex("\n" + name + " ([0-9.e+]+)\n")))
        return std::stod(m[1]);
    return -1;
}

std::uint64_t translations_made(unsigned short port) {
    auto m = http_get(port, "/metrics").body;
    auto at = m.find("lt_translation_seconds_count");
    if (at == std::string::npos)
        return 0;
    return std::stoull(m.substr(m.find(' ', at) + 1));
}

fake_service::fake_service(const std::string& script, std::vector<std::string> args) : script_(script) {
    std::string port_file = "/tmp/lt-" + script + "-" + std::to_string(::getpid()) + "-" +
                            std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".port";
    std::filesystem::remove(port_file);
    std::vector<std::string> all{source_path("tools/" + script), "--port", "0", "--port-file", port_file};
    all.insert(all.end(), args.begin(), args.end());
    child_ = std::make_unique<child_process>("/usr/bin/python3", all);
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream f(port_file);
        unsigned p = 0;
        if (f >> p && p) {
            port_ = static_cast<unsigned short>(p);
            break;
        }
        if (!child_->running())
            break;
        std::this_thread::sleep_for(50ms);
    }
    std::filesystem::remove(port_file);
    if (!port_)
        throw std::runtime_error(script + " did not start: " + child_->err());
}

fake_service::~fake_service() = default;

json fake_service::stats() const { return json::parse(http_get(port_, "/_fake/stats").body); }

void fake_service::configure(const json& c) {
    auto r = http_get(port_, "/_fake/config", "POST", {{"Content-Type", "application/json"}}, c.dump());
    if (r.status != 200)
        throw std::runtime_error(script_ + " config refused: " + r.body);
}

std::map<std::string, std::string> fake_aws::env() const {
    return {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
            {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
            {"AWS_SESSION_TOKEN", ""},
            {"AWS_REGION", "us-east-1"},
            {"AWS_PROFILE", ""},
            // Tests touch loopback only: never the instance-metadata address.
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"AWS_ENDPOINT_URL", url()}};
}

std::string fake_service::log() const { return child_->out() + child_->err(); }

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
    impl_->ws.handshake("127.0.0.1:" + std::to_string(port), opts.target);
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
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
        if (left < 0ms) // 0 still takes a frame that is already queued
            return std::nullopt;
        auto f = receive(left);
        if (!f)
            return std::nullopt;
        if ((*f)["type"] == type)
            return f;
    }
}

std::vector<json> ws_client::collect(const std::string& type, std::size_t n,
                                     std::chrono::milliseconds timeout) {
    std::vector<json> out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < n) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
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

struct recording_server::impl {
    net::io_context ioc;
    tcp::acceptor acceptor{ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)};
    std::string greeting;
    mutable std::mutex m;
    std::vector<json> frames;
    std::vector<std::thread> sessions;
    std::thread thread;
    std::atomic<bool> stopping{false};

    void session(tcp::socket socket) {
        try {
            websocket::stream<tcp::socket> ws(std::move(socket));
            ws.accept();
            ws.write(net::buffer(greeting));
            while (!stopping) {
                beast::flat_buffer buf;
                ws.read(buf);
                auto j = json::parse(beast::buffers_to_string(buf.data()), nullptr, false);
                std::lock_guard lock(m);
                frames.push_back(std::move(j));
            }
        } catch (const std::exception&) {
        }
    }
};

recording_server::recording_server(json greeting) : impl_(std::make_unique<impl>()) {
    impl_->greeting = greeting.dump();
    port_ = impl_->acceptor.local_endpoint().port();
    impl_->thread = std::thread([this] {
        for (;;) {
            boost::system::error_code ec;
            tcp::socket s(impl_->ioc);
            impl_->acceptor.accept(s, ec);
            if (ec || impl_->stopping)
                return;
            impl_->sessions.emplace_back(
                [this, s = std::move(s)]() mutable { impl_->session(std::move(s)); });
        }
    });
}

recording_server::~recording_server() {
    impl_->stopping = true;
    // Wake the accept with a connection of our own; sessions end when their peer leaves.
    try {
        net::io_context ioc;
        tcp::socket s(ioc);
        s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    } catch (const std::exception&) {
    }
    impl_->thread.join();
    for (auto& t : impl_->sessions)
        t.join();
}

std::vector<json> recording_server::received() const {
    std::lock_guard lock(impl_->m);
    return impl_->frames;
}

std::unique_ptr<ws_client> viewer(unsigned short port, const std::string& lang, ws_client::options opts) {
    auto c = std::make_unique<ws_client>(port, opts);
    if (!opts.read)
        return c;
    if (!c->receive_type("connection_status"))
        throw std::runtime_error("no connection_status from the server");
    c->send({{"type", "set_language"}, {"data", {{"lang", lang}}}});
    if (!c->receive_type("language_set"))
        throw std::runtime_error("no language_set for " + lang);
    return c;
}

// A masked close frame with `code` (mask 0: the payload goes out as is).
std::string close_frame(std::uint16_t code) {
    std::string f;
    f += static_cast<char>(0x88);
    f += static_cast<char>(0x80 | 2);
    f.append(4, '\0');
    f += static_cast<char>(code >> 8);
    f += static_cast<char>(code & 0xff);
    return f;
}

// The code of the first close frame in a server's byte stream; -1 when there is none.
int close_code_in(const std::string& bytes) {
    std::size_t at = 0;
    while (at + 2 <= bytes.size()) {
        auto op = static_cast<unsigned char>(bytes[at]) & 0x0f;
        std::size_t len = static_cast<unsigned char>(bytes[at + 1]) & 0x7f;
        std::size_t head = 2;
        if (len == 126) {
            if (at + 4 > bytes.size())
                return -1;
            len =
                (static_cast<unsigned char>(bytes[at + 2]) << 8) | static_cast<unsigned char>(bytes[at + 3]);
            head = 4;
        } else if (len == 127) {
            return -1; // no frame of ours is that large
        }
        if (at + head + len > bytes.size())
            return -1;
        if (op == 8)
            return len >= 2 ? (static_cast<unsigned char>(bytes[at + head]) << 8) |
                                  static_cast<unsigned char>(bytes[at + head + 1])
                            : 1005;
        at += head + len;
    }
    return -1;
}

} // namespace lt::test
