// lt-send: sends lines of text to lt-server as final captions, one per line, waiting for
// the server's text_ack before the next and resending after a reconnect, so no line is
// lost. Used for typed captions, scripted demos and checks until lt-speech exists.
#include "core/env.hpp"

#include <utility>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct endpoint {
    std::string host, port;
};

endpoint parse_url(std::string url) {
    for (const char* scheme : {"http://", "ws://"})
        if (url.rfind(scheme, 0) == 0)
            url = url.substr(std::string(scheme).size());
    if (url.rfind("https://", 0) == 0 || url.rfind("wss://", 0) == 0)
        throw std::invalid_argument("TLS endpoints are not supported by lt-send yet: " + url);
    url = url.substr(0, url.find('/'));
    auto colon = url.rfind(':');
    if (colon == std::string::npos)
        return {url, "80"};
    return {url.substr(0, colon), url.substr(colon + 1)};
}

std::string now_hms() {
    std::time_t t = std::time(nullptr);
    char buf[16];
    std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
    return buf;
}

class sender {
public:
    sender(endpoint ep, std::string key) : ep_(std::move(ep)), key_(std::move(key)) {}

    // Sends one final caption; returns once the server acknowledged it. A connection or
    // server failure is retried with back-off; a line the server can never take is
    // reported and thrown as `refused`, so it is not resent forever.
    void send(const std::string& text, const std::string& id) {
        json d{{"text", text}, {"timestamp", now_hms()}, {"id", id}};
        if (!key_.empty())
            d["api_key"] = key_;
        auto frame = json{{"type", "new_text"}, {"data", d}}.dump(-1, ' ', false, json::error_handler_t::replace);
        if (frame.size() > 64 * 1024)
            throw refused("line too long (" + std::to_string(text.size()) + " bytes; the server takes up to 64 KiB)");
        auto backoff = 1s;
        for (;;) {
            try {
                if (!ws_)
                    connect();
                ws_->write(net::buffer(frame));
                wait_for_ack(id);
                return;
            } catch (const fatal&) {
                throw;
            } catch (const refused&) {
                throw;
            } catch (const std::exception& e) {
                std::cerr << "lt-send: " << e.what() << "; retrying in " << backoff.count() << " s\n";
                ws_.reset();
                std::this_thread::sleep_for(backoff);
                backoff = std::min(backoff * 2, std::chrono::seconds(16));
            }
        }
    }

    struct fatal : std::runtime_error {
        using std::runtime_error::runtime_error;
    };
    struct refused : std::runtime_error {
        using std::runtime_error::runtime_error;
    };

private:
    void connect() {
        ws_ = std::make_unique<websocket::stream<beast::tcp_stream>>(ioc_);
        tcp::resolver resolver(ioc_);
        auto& layer = beast::get_lowest_layer(*ws_);
        layer.expires_after(10s);
        layer.connect(resolver.resolve(ep_.host, ep_.port));
        ws_->handshake(ep_.host + ":" + ep_.port, "/ws");
        std::cerr << "lt-send: connected to " << ep_.host << ":" << ep_.port << "\n";
    }

    void wait_for_ack(const std::string& id) {
        auto& layer = beast::get_lowest_layer(*ws_);
        for (;;) {
            layer.expires_after(10s);
            beast::flat_buffer buf;
            ws_->read(buf);
            auto msg = json::parse(beast::buffers_to_string(buf.data()), nullptr, false);
            if (msg.is_discarded())
                continue;
            if (msg["type"] == "error") {
                std::string code = msg["data"].value("code", "");
                std::string message = msg["data"].value("message", "");
                if (code == "unauthorized")
                    throw fatal("the server refused the API key: " + message);
                if (code == "bad_request")
                    throw refused(message);
                throw std::runtime_error("server error: " + message);
            }
            if (msg["type"] == "text_ack" && msg["data"].value("id", "") == id)
                return;
        }
    }

    net::io_context ioc_;
    endpoint ep_;
    std::string key_;
    std::unique_ptr<websocket::stream<beast::tcp_stream>> ws_;
};

} // namespace

int main(int argc, char** argv) {
    try {
        auto env = lt::core::env_source::from_process(".env");
        std::string url = env.get("LT_ENDPOINT").value_or("http://localhost:5050");
        std::string file;
        double interval = 0;
        bool loop = false;
        CLI::App app{"lt-send: send lines of text to lt-server as captions (API_KEY from the "
                     "environment or .env)"};
        app.add_option("url", url, "Server URL (LT_ENDPOINT)")->capture_default_str();
        app.add_option("-f,--file", file, "Read lines from this file instead of standard input");
        app.add_option("-i,--interval", interval, "Seconds between lines (0: as fast as acknowledged)");
        app.add_flag("--loop", loop, "Start the file again at its end (for demos)");
        CLI11_PARSE(app, argc, argv);

        sender s(parse_url(url), env.get("API_KEY").value_or(""));
        std::mt19937_64 rng{std::random_device{}()};
        std::string run = std::to_string(rng() % 1000000);
        std::uint64_t n = 0;
        do {
            std::ifstream f;
            if (!file.empty()) {
                f.open(file);
                if (!f)
                    throw std::runtime_error("cannot read " + file);
            }
            std::istream& in = file.empty() ? std::cin : f;
            for (std::string line; std::getline(in, line);) {
                if (line.find_first_not_of(" \t\r") == std::string::npos)
                    continue;
                try {
                    s.send(line, "send-" + run + "-" + std::to_string(++n));
                } catch (const sender::refused& e) {
                    std::cerr << "lt-send: line " << n << " not sent: " << e.what() << "\n";
                    continue;
                }
                std::cout << now_hms() << "  " << line << std::endl;
                if (interval > 0)
                    std::this_thread::sleep_for(std::chrono::duration<double>(interval));
            }
        } while (loop && !file.empty());
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "lt-send: " << e.what() << "\n";
        return 1;
    }
}
