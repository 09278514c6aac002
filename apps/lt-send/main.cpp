// lt-send: sends lines of text to lt-server as final captions, one per line, through the
// same reconnecting client as lt-speech (nothing is lost while the server is away). For
// typed captions, scripted demos and checks.
#include "core/env.hpp"
#include "speech/client.hpp"

#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

using namespace std::chrono_literals;

namespace {

std::atomic<bool> interrupted{false};

std::string now_hms() {
    std::time_t t = std::time(nullptr);
    char buf[16];
    std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
    return buf;
}

void report(const lt::speech::client_event& e) {
    using kind = lt::speech::client_event::kind;
    switch (e.type) {
    case kind::connected:
        std::cerr << "lt-send: connected to " << e.message << "\n";
        break;
    case kind::disconnected:
        std::cerr << "lt-send: " << e.message << "; retrying in " << e.retry_in.count() / 1000.0 << " s\n";
        break;
    case kind::failed:
        std::cerr << "lt-send: " << e.message << "\n";
        break;
    case kind::warning:
        std::cerr << "lt-send: warning: " << e.message << "\n";
        break;
    default:
        break;
    }
}

} // namespace

int main(int argc, char** argv) {
    try {
        auto env = lt::core::env_source::from_process(".env");
        std::string url = env.get("LT_ENDPOINT").value_or("http://localhost:5050");
        std::string file, lang = "en";
        std::string ca_file = env.get("LT_CA_FILE").value_or("");
        double interval = 0;
        bool loop = false;
        CLI::App app{"lt-send: send lines of text to lt-server as captions (API_KEY from the "
                     "environment or .env)"};
        app.add_option("url", url, "Server URL: http, https, ws or wss (LT_ENDPOINT)")->capture_default_str();
        app.add_option("-f,--file", file, "Read lines from this file instead of standard input");
        app.add_option("-i,--interval", interval, "Seconds between lines (0: as fast as acknowledged)");
        app.add_option("--lang", lang, "Language of the lines")->capture_default_str();
        app.add_option("--ca-file", ca_file, "Also trust this CA (PEM) for wss (LT_CA_FILE)");
        app.add_flag("--loop", loop, "Start the file again at its end (for demos)");
        CLI11_PARSE(app, argc, argv);

        auto ep = lt::speech::parse_endpoint(url);
        if (!ep)
            throw std::invalid_argument(ep.error_message());
        lt::speech::client_options opts;
        opts.server = ep.value();
        opts.api_key = env.get("API_KEY").value_or("");
        opts.client_name = "lt-send";
        opts.ca_file = ca_file;
        lt::speech::client client(opts, report);
        std::signal(SIGINT, [](int) { interrupted = true; });
        std::signal(SIGTERM, [](int) { interrupted = true; });

        std::mt19937_64 rng{std::random_device{}()};
        std::string run = "send-" + std::to_string(rng() % 1000000);
        std::uint64_t n = 0;
        do {
            std::ifstream f;
            if (!file.empty()) {
                f.open(file);
                if (!f)
                    throw std::runtime_error("cannot read " + file);
            }
            std::istream& in = file.empty() ? std::cin : f;
            for (std::string line; !interrupted && std::getline(in, line);) {
                if (line.find_first_not_of(" \t\r") == std::string::npos)
                    continue;
                client.send_final({run + "-" + std::to_string(++n), line, lang, now_hms()});
                std::cout << now_hms() << "  " << line << std::endl;
                // Pace by acknowledgements so a long file does not overflow the outbox.
                for (int i = 0;
                     i < 3000 && client.snapshot().pending > 0 && !client.snapshot().failed && !interrupted;
                     ++i)
                    std::this_thread::sleep_for(10ms);
                if (client.snapshot().failed)
                    return 1;
                if (interval > 0)
                    std::this_thread::sleep_for(std::chrono::duration<double>(interval));
            }
        } while (loop && !file.empty() && !interrupted);
        auto left = client.finish(10s);
        if (left > 0)
            std::cerr << "lt-send: " << left << " line(s) not delivered\n";
        return client.snapshot().failed || left > 0 ? 1 : 0;
    } catch (const std::exception& e) {
        std::cerr << "lt-send: " << e.what() << "\n";
        return 1;
    }
}
