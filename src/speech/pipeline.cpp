#include "speech/pipeline.hpp"

#include "audio/level.hpp"
#include "stt/truecase.hpp"

#include <cmath>
#include <ctime>
#include <vector>

namespace lt::speech {

pipeline::pipeline(audio::audio_source& source, stt::recognizer& recognizer, pipeline_options opts,
                   pipeline_events events)
    : source_(source), recognizer_(recognizer), opts_(std::move(opts)), events_(std::move(events)) {}

void pipeline::stop() {
    stopping_ = true;
    source_.stop();
}

std::string pipeline::timestamp() const {
    std::time_t t = std::time(nullptr);
    char buf[16];
    std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
    return buf;
}

void pipeline::deliver(const std::vector<stt::result>& results) {
    for (const auto& r : results) {
        caption c;
        c.id = opts_.id_prefix + "-" + std::to_string(r.utterance);
        c.text = recognizer_.needs_truecasing() ? stt::truecase(r.text, r.final) : r.text;
        c.lang = opts_.lang;
        c.timestamp = timestamp();
        if (c.text.empty())
            continue;
        if (r.final) {
            if (events_.final)
                events_.final(c, r.start_s, r.end_s);
        } else if (events_.partial) {
            events_.partial(c);
        }
    }
}

void pipeline::run() {
    audio::level_monitor monitor(opts_.calibration_s);
    std::vector<std::int16_t> buf(opts_.block);
    const std::uint64_t limit =
        opts_.stop_after_s > 0
            ? static_cast<std::uint64_t>(std::llround(opts_.stop_after_s * audio::sample_rate))
            : 0;
    const std::uint64_t level_every = audio::sample_rate / 10;
    std::uint64_t next_level = level_every;
    bool calibrated = false, warned_silence = false;
    try {
        while (!stopping_) {
            std::size_t want = buf.size();
            if (limit) {
                if (samples_ >= limit)
                    break;
                want = std::min<std::uint64_t>(want, limit - samples_);
            }
            std::size_t n = source_.read(std::span<std::int16_t>(buf.data(), want));
            if (n == 0)
                break;
            std::span<const std::int16_t> pcm(buf.data(), n);
            samples_ += n;
            monitor.add(pcm);
            if (!calibrated && monitor.calibrated()) {
                calibrated = true;
                double floor = monitor.noise_floor_dbfs();
                if (events_.notice)
                    events_.notice("noise floor " + std::to_string(std::lround(floor)) + " dBFS" +
                                   (floor > -35 ? ": a noisy input; move the microphone closer to the "
                                                  "speaker or away from loudspeakers"
                                                : ""));
            }
            if (monitor.silent_seconds() >= opts_.silence_warning_s) {
                if (!warned_silence && events_.notice)
                    events_.notice(
                        "no sound from " + source_.describe() + " for " +
                        std::to_string(std::lround(monitor.silent_seconds())) +
                        " s: is the microphone muted, unplugged or the wrong device (see --list-devices)?");
                warned_silence = true;
            } else if (monitor.silent_seconds() == 0) {
                warned_silence = false;
            }
            if (samples_ >= next_level) {
                next_level += level_every;
                if (events_.level)
                    events_.level(monitor.current_dbfs());
            }
            deliver(recognizer_.feed(pcm));
        }
    } catch (...) {
        deliver(recognizer_.finish());
        throw;
    }
    deliver(recognizer_.finish());
}

} // namespace lt::speech
