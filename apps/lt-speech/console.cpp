#include "console.hpp"

#include "audio/audio_source.hpp"
#include "audio/level.hpp"

#include <cstdio>
#include <iostream>

#include <unistd.h>

namespace lt::speech_cli {

console::console(bool verbose, bool meter)
    : verbose_(verbose), tty_(isatty(STDOUT_FILENO)), meter_(meter && tty_) {}

void console::event(const speech::client_event& e) {
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

void console::notice(const std::string& text) {
    std::lock_guard lock(mutex_);
    line_err(text);
}

void console::partial(const std::string& text) {
    std::lock_guard lock(mutex_);
    partial_ = text;
    if (tty_)
        redraw();
    else if (verbose_)
        std::cerr << "lt-speech: partial: " << text << "\n";
}

void console::final(const speech::caption& c, double start_s, double end_s) {
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

void console::level(double dbfs, const std::string& engine_status) {
    std::lock_guard lock(mutex_);
    level_ = dbfs;
    status_ = engine_status;
    if (meter_)
        redraw();
}

void console::clear_line() {
    if (tty_) {
        std::fputs("\r\033[K", stdout);
        std::fflush(stdout);
    }
}

void console::line_err(const std::string& text) {
    clear_line();
    std::cerr << "lt-speech: " << text << std::endl;
    if (tty_)
        redraw();
}

void console::redraw() {
    std::string head = meter_ ? lt::audio::level_bar(level_, 12) + " " : "";
    if (meter_ && !status_.empty())
        head += "[" + status_ + "] ";
    std::string text = partial_.empty() ? "" : "… " + partial_;
    // Keep to one terminal line: the live line is rewritten in place.
    if (text.size() > 90)
        text = "…" + text.substr(text.size() - 89);
    std::fputs(("\r\033[K" + head + text).c_str(), stdout);
    std::fflush(stdout);
}

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

} // namespace lt::speech_cli
