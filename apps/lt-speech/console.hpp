// lt-speech's terminal: captions on stdout, a live line with the partial and the input
// level when stdout is a terminal, notices and connection changes on stderr. One writer,
// because the network thread reports connection changes while the main thread prints
// captions; every method is thread-safe.
#pragma once

#include "speech/client.hpp"

#include <mutex>
#include <string>

namespace lt::speech_cli {

class console {
public:
    console(bool verbose, bool meter);

    void event(const speech::client_event& e); // from the caption client
    void notice(const std::string& text);      // "lt-speech: <text>" on stderr
    void partial(const std::string& text);
    void final(const speech::caption& c, double start_s, double end_s);
    // The input level and the engine's status ("RTF 0.42"), shown on the live line.
    void level(double dbfs, const std::string& engine_status);

private:
    void clear_line();
    void line_err(const std::string& text);
    void redraw();

    std::mutex mutex_;
    bool verbose_, tty_, meter_;
    std::string partial_;
    double level_ = -120;
    std::string status_;
};

// Lists the audio input devices on stdout (lt-speech --list-devices).
void print_devices();

} // namespace lt::speech_cli
