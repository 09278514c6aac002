// Audio input for lt-speech: every source delivers 16 kHz mono signed 16-bit PCM, whatever
// the device or file provides. Sources are used from one reading thread; stop() may be
// called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace lt::audio {

inline constexpr int sample_rate = 16000;

// A device or file that cannot be opened or fails while running; the message says which
// and why, for the console as it is.
struct audio_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class audio_source {
public:
    virtual ~audio_source() = default;
    // Blocks until at least one sample is available, then returns up to out.size() samples.
    // Returns 0 at the end of the input (end of file, stdin closed, stop()). Throws
    // audio_error when the device fails.
    virtual std::size_t read(std::span<std::int16_t> out) = 0;
    // Makes a blocked or later read() return 0 promptly. Thread-safe.
    virtual void stop() = 0;
    // For the console: "file talk.wav (44100 Hz, 2 ch)", "device 3 'USB Mic' (48000 Hz, 1 ch)".
    virtual std::string describe() const = 0;
    // Samples dropped because the reader fell behind (device sources; 0 for files).
    virtual std::uint64_t overruns() const { return 0; }
};

struct file_options {
    // Deliver samples no faster than real time (as a microphone would); false: as fast as read.
    bool realtime = true;
};

// Any file libsndfile reads (WAV, FLAC, ...), converted to 16 kHz mono. "-" reads raw
// 16-bit little-endian 16 kHz mono PCM from standard input. Throws audio_error.
std::unique_ptr<audio_source> open_file(const std::string& path, file_options opts = {});

struct device_info {
    int index = -1; // PortAudio device index
    std::string name;
    std::string host_api; // "ALSA", ...
    int max_input_channels = 0;
    double default_rate = 0;
    bool is_default = false;
};

// Input devices only (max_input_channels > 0). Throws audio_error when PortAudio cannot start.
std::vector<device_info> list_input_devices();

// `spec` is empty (the default input device), a device index ("3"), or a case-insensitive
// substring of the name. An exact (case-insensitive) name match wins over substrings. No
// match or several matches throw audio_error whose message lists the candidates.
device_info select_device(const std::vector<device_info>& devices, const std::string& spec);

struct device_options {
    std::string spec;       // as for select_device
    double latency_s = 0.1; // suggested input latency
};

// Opens a capture stream at 16 kHz mono when the device takes it directly (no resampling),
// otherwise at the device's default rate with min(channels, 2), then downmixes and resamples
// to 16 kHz mono. The PortAudio callback only copies into a lock-free ring of ~4 s; when the
// reader falls behind, new samples are dropped and counted in overruns(). read() throws
// audio_error when the stream stops or delivers nothing for 3 s. PortAudio is initialised
// (reference-counted) while a device or a listing needs it; ALSA and JACK chatter on stderr is
// silenced unless LT_AUDIO_VERBOSE is set.
std::unique_ptr<audio_source> open_device(const device_options& opts);

} // namespace lt::audio
