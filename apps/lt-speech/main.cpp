// lt-speech: the speaker's program. Listens to a microphone (or a file, or stdin),
// recognises speech (offline with pocketsphinx or whisper.cpp, with AWS Transcribe or an
// OpenAI-compatible server) and sends partial and final captions to lt-server.
#include "audio/audio_source.hpp"
#include "core/env.hpp"
#include "speech/client.hpp"
#include "speech/pipeline.hpp"
#include "speech/server_credentials.hpp"
#include "stt/make_recognizer.hpp"

#include "console.hpp"
#include "engines.hpp"
#include "options.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>
#include <utility>

#include <pthread.h>
#include <unistd.h>

namespace speech = lt::speech;
using lt::speech_cli::console;

int main(int argc, char** argv) {
    try {
        auto env = lt::core::env_source::from_process(".env");
        auto opt = lt::speech_cli::settings_from_env(env);
        lt::stt::engine_options ro;

        CLI::App app;
        lt::speech_cli::describe(app);
        lt::speech_cli::add_source_options(app, opt);
        lt::speech_cli::add_engine_options(app, ro, env);
        lt::speech_cli::add_openai_whisper_options(app, ro, env);
        lt::speech_cli::add_delivery_options(app, opt);
        CLI11_PARSE(app, argc, argv);
        lt::speech_cli::settle_engine_options(ro);
        bool verbose = opt.verbosity > 0;
        ro.verbose = opt.verbosity > 1;
        if (opt.list) {
            lt::speech_cli::print_devices();
            return 0;
        }
        if (opt.fast && opt.input.empty())
            throw std::invalid_argument("--fast needs --input FILE (a microphone runs in real time)");

        auto ep = speech::parse_endpoint(opt.url);
        if (!ep)
            throw std::invalid_argument(ep.error_message());
        lt::speech_cli::export_aws_settings(env);

        // Ctrl+C and SIGTERM are taken by one thread, so the shutdown can finalise and send
        // the last sentence; a second Ctrl+C quits at once.
        sigset_t signals;
        sigemptyset(&signals);
        sigaddset(&signals, SIGINT);
        sigaddset(&signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &signals, nullptr);

        console out(verbose, !opt.no_meter);
        speech::client_options co;
        co.server = ep.value();
        co.api_key = env.get("API_KEY").value_or("");
        co.ca_file = opt.ca_file;
        if (co.api_key.empty())
            out.notice("warning: API_KEY is not set; a server with a key will refuse the captions");

        std::atomic<bool> audio_lost{false};
        if (lt::stt::needs_aws_credentials(ro.engine)) {
            speech::server_credentials_options so;
            so.server = ep.value();
            so.api_key = co.api_key;
            so.ca_file = opt.ca_file;
            so.verbose = verbose;
            so.notice = [&out](const std::string& text) { out.notice(text); };
            auto creds = speech::aws_engine_credentials(
                lt::core::parse_bool("LT_LOCAL_TOKEN", env.get("LT_LOCAL_TOKEN").value_or("false")), so);
            if (!creds.provider)
                return creds.refused ? 2 : 1;
            ro.transcribe.credentials = creds.provider;
            ro.transcribe.region = creds.region;
            ro.transcribe.ca_file = env.get("AWS_CA_BUNDLE").value_or("");
            ro.transcribe.verbose = verbose;
            ro.transcribe.on_event = [&out, &audio_lost](const lt::stt::transcribe::transcribe_event& e) {
                using kind = lt::stt::transcribe::transcribe_event::kind;
                if (e.untranscribed_s > 0)
                    audio_lost = true;
                out.notice(std::string(e.type == kind::error     ? "error: "
                                       : e.type == kind::warning ? "warning: "
                                                                 : "") +
                           e.message);
            };
        }
        // A refused OpenAI key stops the run (exit 2), as a refused server key does.
        std::atomic<bool> engine_refused{false};
        std::atomic<speech::pipeline*> running_pipe{nullptr};
        lt::speech_cli::watch_openai_events(
            ro.openai, verbose, opt.ca_file, [&out](const std::string& text) { out.notice(text); },
            audio_lost, engine_refused,
            [&running_pipe] {
                if (auto* p = running_pipe.load())
                    p->stop();
            });
        lt::speech_cli::watch_whisper_events(
            ro, opt.fast, verbose, [&out](const std::string& text) { out.notice(text); }, audio_lost);
        auto recognizer = lt::stt::make_recognizer(ro);
        if (!recognizer)
            throw std::runtime_error(recognizer.error_message());

        std::unique_ptr<lt::audio::audio_source> source;
        if (!opt.input.empty())
            source = lt::audio::open_file(opt.input, {.realtime = !opt.fast});
        else
            source = lt::audio::open_device({.spec = opt.device});

        speech::client client(co, [&out](const speech::client_event& e) { out.event(e); });

        speech::pipeline_options po;
        po.lang = lt::speech_cli::caption_language(ro.lang);
        po.id_prefix = lt::speech_cli::new_id_prefix();
        po.stop_after_s = opt.stop_after;
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
        events.level = [&](double dbfs) { out.level(dbfs, recognizer.value()->status()); };
        speech::pipeline pipe(*source, *recognizer.value(), po, events);
        running_pipe = &pipe;
        if (engine_refused)
            pipe.stop();

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
        running_pipe = nullptr;
        auto left = client.finish(std::chrono::milliseconds(static_cast<long>(opt.finish_timeout * 1000)));
        auto st = client.snapshot();
        if (st.failed || engine_refused)
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
