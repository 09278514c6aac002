// lt-speech: the speaker's program. Listens to a microphone (or a file, or stdin),
// recognises speech (offline, or with AWS Transcribe) and sends partial and final captions
// to lt-server.
#include "audio/audio_source.hpp"
#include "audio/level.hpp"
#include "aws/credentials.hpp"
#include "core/env.hpp"
#include "speech/client.hpp"
#include "speech/pipeline.hpp"
#include "speech/token.hpp"
#include "stt/make_recognizer.hpp"

#include <CLI/CLI.hpp>

#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include <pthread.h>
#include <unistd.h>

using namespace std::chrono_literals;
namespace speech = lt::speech;

namespace {

// One writer for the console: the network thread reports connection changes while the
// main thread prints captions.
class console {
public:
    console(bool verbose, bool meter) : verbose_(verbose), tty_(isatty(STDOUT_FILENO)), meter_(meter && tty_) {}

    void event(const speech::client_event& e) {
        using kind = speech::client_event::kind;
        std::lock_guard lock(mutex_);
        switch (e.type) {
        case kind::connecting:
            if (verbose_)
                line_err("connecting to " + e.message);
            break;
        case kind::connected:
            line_err("connected to " + e.message);
            break;
        case kind::disconnected:
            line_err("not connected (" + e.message + "); retrying in " +
                     std::to_string((e.retry_in.count() + 500) / 1000) + " s; captions are kept");
            break;
        case kind::failed:
            line_err("error: " + e.message);
            break;
        case kind::warning:
            line_err("warning: " + e.message);
            break;
        case kind::acknowledged:
            if (verbose_)
                line_err("delivered " + e.message + " as #" + std::to_string(e.seq));
            break;
        }
    }
    void notice(const std::string& text) {
        std::lock_guard lock(mutex_);
        line_err(text);
    }
    void partial(const std::string& text) {
        std::lock_guard lock(mutex_);
        partial_ = text;
        if (tty_)
            redraw();
        else if (verbose_)
            std::cerr << "lt-speech: partial: " << text << "\n";
    }
    void final(const speech::caption& c, double start_s, double end_s) {
        std::lock_guard lock(mutex_);
        partial_.clear();
        clear_line();
        std::printf("%s  %s\n", c.timestamp.c_str(), c.text.c_str());
        if (verbose_)
            std::fprintf(stderr, "lt-speech: %s is audio %.2f-%.2f s\n", c.id.c_str(), start_s, end_s);
        std::fflush(stdout);
        if (tty_)
            redraw();
    }
    void level(double dbfs) {
        std::lock_guard lock(mutex_);
        level_ = dbfs;
        if (meter_)
            redraw();
    }

private:
    void clear_line() {
        if (tty_) {
            std::fputs("\r\033[K", stdout);
            std::fflush(stdout);
        }
    }
    void line_err(const std::string& text) {
        clear_line();
        std::cerr << "lt-speech: " << text << std::endl;
        if (tty_)
            redraw();
    }
    void redraw() {
        std::string head = meter_ ? lt::audio::level_bar(level_, 12) + " " : "";
        std::string text = partial_.empty() ? "" : "… " + partial_;
        // Keep to one terminal line: the live line is rewritten in place.
        if (text.size() > 90)
            text = "…" + text.substr(text.size() - 89);
        std::fputs(("\r\033[K" + head + text).c_str(), stdout);
        std::fflush(stdout);
    }

    std::mutex mutex_;
    bool verbose_, tty_, meter_;
    std::string partial_;
    double level_ = -120;
};

void print_devices() {
    auto devices = lt::audio::list_input_devices();
    if (devices.empty()) {
        std::cout << "no audio input devices found\n";
        return;
    }
    std::printf("%5s  %-40s %-8s %4s %9s\n", "index", "name", "api", "ch", "rate");
    for (const auto& d : devices)
        std::printf("%5d%s %-40s %-8s %4d %9.0f\n", d.index, d.is_default ? "*" : " ", d.name.c_str(),
                    d.host_api.c_str(), d.max_input_channels, d.default_rate);
    std::cout << "(* = default input; choose with -d INDEX or -d NAME)\n";
}

// The AWS settings the SDKs read from the environment may also sit in .env.
void export_aws_settings(const lt::core::env_source& env) {
    for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                             "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
                             "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING", "AWS_CA_BUNDLE"}) {
        if (std::getenv(name))
            continue;
        if (auto v = env.get(name))
            setenv(name, v->c_str(), 0);
    }
}

std::string expiry(const lt::aws::credentials& c) {
    return c.expiration ? ", expire " + lt::aws::format_iso8601(*c.expiration) : "";
}

// Credentials for --engine aws: the server's generate_token (refreshed every 20 minutes),
// or with LT_LOCAL_TOKEN=true the local ones. Sets `region` from the token unless
// AWS_REGION/AWS_DEFAULT_REGION is set. Returns an exit status on failure.
std::shared_ptr<lt::aws::credentials_provider> aws_credentials(const lt::core::env_source& env,
                                                               const speech::endpoint& server,
                                                               const std::string& api_key, const std::string& ca_file,
                                                               console& out, bool verbose, std::string& region,
                                                               int& status) {
    bool local = lt::core::parse_bool("LT_LOCAL_TOKEN", env.get("LT_LOCAL_TOKEN").value_or("false"));
    if (local) {
        auto chain = lt::aws::make_default_chain();
        auto first = chain->get();
        if (!first) {
            out.notice("error: LT_LOCAL_TOKEN=true but " + first.error_message());
            status = 1;
            return nullptr;
        }
        out.notice("AWS credentials: local, from " + first.value().source + expiry(first.value()));
        return chain;
    }
    auto first = speech::fetch_server_token(server, api_key, ca_file);
    if (!first.token) {
        out.notice("error: " + first.error +
                   (first.refused ? "" : " (or set LT_LOCAL_TOKEN=true to use local AWS credentials)"));
        status = first.refused ? 2 : 1;
        return nullptr;
    }
    if (const char* r = std::getenv("AWS_REGION"); r && *r)
        region = r;
    else if (const char* d = std::getenv("AWS_DEFAULT_REGION"); d && *d)
        region = d;
    else
        region = first.token->region;
    out.notice("AWS credentials: from " + server.url() + " (generate_token" + expiry(first.token->credentials) +
               "), region " + (region.empty() ? "unset" : region));
    auto initial = std::make_shared<std::optional<lt::aws::credentials>>(first.token->credentials);
    auto fetch = [=, &out]() -> lt::core::result<lt::aws::credentials> {
        if (*initial) { // the token fetched at start serves the first use
            auto c = std::move(**initial);
            initial->reset();
            return c;
        }
        auto t = speech::fetch_server_token(server, api_key, ca_file);
        if (!t.token) {
            out.notice("warning: refreshing AWS credentials: " + t.error);
            return lt::core::make_error(t.error);
        }
        if (verbose)
            out.notice("refreshed AWS credentials from the server (" + t.token->credentials.access_key_id.substr(0, 8) +
                       "..." + expiry(t.token->credentials) + ")");
        return t.token->credentials;
    };
    return std::make_shared<lt::aws::refreshing_provider>(fetch, lt::aws::refresh_options{});
}

} // namespace

int main(int argc, char** argv) {
    try {
        auto env = lt::core::env_source::from_process(".env");
        std::string url = env.get("LT_ENDPOINT").value_or("http://localhost:5050");
        std::string device = env.get("LT_AUDIO_DEVICE").value_or("");
        std::string input;
        bool list = false, fast = false, no_meter = false;
        int verbosity = 0;
        double stop_after = 0;
        lt::stt::engine_options ro;
        ro.engine = env.get("LT_ENGINE").value_or("pocketsphinx");
        ro.lang = env.get("LT_LANG").value_or("en");
        double finish_timeout = 10;
        std::string ca_file = env.get("LT_CA_FILE").value_or("");

        CLI::App app{"lt-speech: recognise speech and send live captions to lt-server "
                     "(API_KEY from the environment or .env)"};
        app.footer(
            "Engine aws (AWS Transcribe streaming): credentials come from the server (generate_token; "
            "the server needs TRANSCRIBE_ROLE_ARN), refreshed every 20 minutes, and the region from the "
            "token unless AWS_REGION is set. With LT_LOCAL_TOKEN=true they come from the environment "
            "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or ~/.aws (AWS_PROFILE), "
            "with AWS_REGION. AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING or AWS_ENDPOINT_URL override the "
            "endpoint, AWS_CA_BUNDLE adds a CA. --lang en means en-US, de de-DE, es es-US, fr fr-FR; "
            "a full code such as en-GB is used as it is. A refused key or a Transcribe error is "
            "printed and the stream retried (1 s doubling to 16 s) while audio is kept (5 minutes); "
            "a server refusing the API key ends lt-speech at start (exit status 2), and audio still "
            "not transcribed at the end gives exit status 4.");
        app.add_option("url", url, "Server URL: http, https, ws or wss (LT_ENDPOINT)")->capture_default_str();
        app.add_flag("-l,--list-devices", list, "List audio input devices and exit");
        app.add_option("-d,--device", device, "Input device: index or part of its name (LT_AUDIO_DEVICE)");
        app.add_option("-i,--input", input, "Read audio from a file (WAV, FLAC, ...) or '-' for raw "
                                            "16-bit 16 kHz mono PCM on stdin, instead of a device");
        app.add_flag("--fast", fast, "With --input FILE: read as fast as possible, not in real time");
        app.add_option("--stop-after", stop_after, "Stop after this many seconds of audio");
        std::string engines;
        for (const auto& n : lt::stt::engine_names())
            engines += (engines.empty() ? "" : ", ") + n;
        app.add_option("-e,--engine", ro.engine, "Speech recognizer: " + engines + " (LT_ENGINE)")
            ->capture_default_str();
        app.add_option("--lang", ro.lang, "Language spoken, sent with each caption (LT_LANG)")->capture_default_str();
        app.add_option("--model-dir", ro.pocketsphinx.model_dir, "Acoustic model folder (default: the engine's)");
        app.add_option("--dict", ro.pocketsphinx.dict, "Pronunciation dictionary (default: the model's)");
        app.add_option("--lm", ro.pocketsphinx.lm, "Language model (default: the model's)");
        app.add_option("--end-silence", ro.endpoint.end_silence_s, "Pause in seconds that ends a sentence")
            ->capture_default_str();
        app.add_option("--finish-timeout", finish_timeout,
                       "At exit, seconds to keep trying to deliver captions not yet acknowledged")
            ->capture_default_str();
        app.add_option("--ca-file", ca_file, "Also trust this CA (PEM) for wss, e.g. a self-signed server (LT_CA_FILE)");
        app.add_flag("--no-meter", no_meter, "Do not show the input level");
        app.add_flag("-v,--verbose", verbosity, "Debug output: partials, delivery; -vv adds the engine's log");
        CLI11_PARSE(app, argc, argv);
        bool verbose = verbosity > 0;
        ro.verbose = verbosity > 1;

        if (list) {
            print_devices();
            return 0;
        }
        if (fast && input.empty())
            throw std::invalid_argument("--fast needs --input FILE (a microphone runs in real time)");

        auto ep = speech::parse_endpoint(url);
        if (!ep)
            throw std::invalid_argument(ep.error_message());
        export_aws_settings(env);

        // Ctrl+C and SIGTERM are taken by one thread, so the shutdown can finalise and send
        // the last sentence; a second Ctrl+C quits at once.
        sigset_t signals;
        sigemptyset(&signals);
        sigaddset(&signals, SIGINT);
        sigaddset(&signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &signals, nullptr);

        console out(verbose, !no_meter);
        speech::client_options co;
        co.server = ep.value();
        co.api_key = env.get("API_KEY").value_or("");
        co.ca_file = ca_file;
        if (co.api_key.empty())
            out.notice("warning: API_KEY is not set; a server with a key will refuse the captions");

        std::atomic<bool> audio_lost{false};
        if (lt::stt::needs_aws_credentials(ro.engine)) {
            int failed = 0;
            ro.transcribe.credentials =
                aws_credentials(env, ep.value(), co.api_key, ca_file, out, verbose, ro.transcribe.region, failed);
            if (!ro.transcribe.credentials)
                return failed;
            ro.transcribe.ca_file = env.get("AWS_CA_BUNDLE").value_or("");
            ro.transcribe.verbose = verbose;
            ro.transcribe.on_event = [&out, &audio_lost](const lt::stt::transcribe::transcribe_event& e) {
                using kind = lt::stt::transcribe::transcribe_event::kind;
                if (e.untranscribed_s > 0)
                    audio_lost = true;
                out.notice(std::string(e.type == kind::error ? "error: " : e.type == kind::warning ? "warning: " : "") +
                           e.message);
            };
        }
        auto recognizer = lt::stt::make_recognizer(ro);
        if (!recognizer)
            throw std::runtime_error(recognizer.error_message());

        std::unique_ptr<lt::audio::audio_source> source;
        if (!input.empty())
            source = lt::audio::open_file(input, {.realtime = !fast});
        else
            source = lt::audio::open_device({.spec = device});

        speech::client client(co, [&out](const speech::client_event& e) { out.event(e); });

        std::mt19937_64 rng{std::random_device{}()};
        char run_id[16];
        std::snprintf(run_id, sizeof run_id, "%08llx", static_cast<unsigned long long>(rng() & 0xffffffffULL));

        speech::pipeline_options po;
        // Captions carry the language alone ("en-GB" -> "en"): translators key on it.
        po.lang = ro.lang.substr(0, ro.lang.find('-'));
        for (auto& c : po.lang)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        po.id_prefix = std::string("sp-") + run_id;
        po.stop_after_s = stop_after;
        speech::pipeline_events events;
        events.partial = [&](const speech::caption& c) {
            client.send_partial(c);
            out.partial(c.text);
        };
        events.final = [&](const speech::caption& c, double start, double end) {
            client.send_final(c);
            out.final(c, start, end);
        };
        events.notice = [&](const std::string& text) { out.notice(text); };
        events.level = [&](double dbfs) { out.level(dbfs); };
        speech::pipeline pipe(*source, *recognizer.value(), po, events);

        std::atomic<bool> exiting{false};
        std::atomic<int> stopped_by{0};
        std::thread signal_thread([&] {
            for (int count = 0;; ++count) {
                int sig = 0;
                sigwait(&signals, &sig);
                if (exiting)
                    return;
                if (count > 0)
                    _exit(130);
                stopped_by = sig;
                out.notice("stopping: finishing the last sentence (Ctrl+C again to quit now)");
                pipe.stop();
            }
        });
        out.notice("listening to " + source->describe() + " with " + recognizer.value()->name() +
                   "; captions go to " + ep.value().url());

        int status = 0;
        try {
            pipe.run();
        } catch (const lt::audio::audio_error& e) {
            out.notice("audio input failed: " + std::string(e.what()));
            status = 1;
        }
        auto left = client.finish(std::chrono::milliseconds(static_cast<long>(finish_timeout * 1000)));
        auto st = client.snapshot();
        if (st.failed)
            status = 2;
        else if (left > 0) {
            out.notice(std::to_string(left) + " caption(s) could not be delivered");
            status = status ? status : 3;
        }
        if (audio_lost && status == 0)
            status = 4;
        if (source->overruns() > 0)
            out.notice("warning: " + std::to_string(source->overruns()) +
                       " audio samples were dropped because recognition fell behind");
        out.notice("done: " + std::to_string(st.finals_acked) + " sentence(s) delivered, " +
                   std::to_string(static_cast<long>(pipe.audio_seconds())) + " s of audio");
        // Wake the signal thread so it can be joined.
        exiting = true;
        pthread_kill(signal_thread.native_handle(), SIGTERM);
        signal_thread.join();
        if (stopped_by != 0 && status == 0) {
            // Die of the signal, as shells expect, so a script's loop or trap sees Ctrl+C.
            std::fflush(nullptr);
            std::signal(stopped_by, SIG_DFL);
            pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
            raise(stopped_by);
        }
        return status;
    } catch (const std::exception& e) {
        std::cerr << "lt-speech: " << e.what() << "\n";
        return 1;
    }
}
