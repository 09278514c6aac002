// Device choice by index or name; no PortAudio here, so it is testable with any list.
#include "audio/device_select.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace lt::audio {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string list(const std::vector<const device_info*>& devices) {
    std::string out;
    for (const device_info* d : devices)
        out += "\n  " + device_label(*d);
    return out;
}

std::string list(const std::vector<device_info>& devices) {
    std::vector<const device_info*> all;
    for (const device_info& d : devices)
        all.push_back(&d);
    return list(all);
}

} // namespace

std::string device_label(const device_info& d) {
    std::string s = std::to_string(d.index) + " '" + d.name + "' (";
    if (!d.host_api.empty())
        s += d.host_api + ", ";
    s += std::to_string(d.max_input_channels) + " ch, " +
         std::to_string(static_cast<long>(std::lround(d.default_rate))) + " Hz";
    if (d.is_default)
        s += ", default";
    return s + ")";
}

device_info select_device(const std::vector<device_info>& devices, const std::string& spec) {
    if (devices.empty())
        throw audio_error("no input devices found: PortAudio sees no microphone");
    if (spec.empty()) {
        for (const device_info& d : devices)
            if (d.is_default)
                return d;
        throw audio_error("no default input device; choose one of:" + list(devices));
    }
    if (std::all_of(spec.begin(), spec.end(), [](unsigned char c) { return std::isdigit(c); })) {
        for (const device_info& d : devices)
            if (std::to_string(d.index) == spec || (spec.size() < 10 && d.index == std::stoi(spec)))
                return d;
        throw audio_error("no input device with index " + spec + "; input devices:" + list(devices));
    }
    const std::string want = lower(spec);
    std::vector<const device_info*> exact, partial;
    for (const device_info& d : devices) {
        const std::string name = lower(d.name);
        if (name == want)
            exact.push_back(&d);
        else if (name.find(want) != std::string::npos)
            partial.push_back(&d);
    }
    if (exact.size() == 1)
        return *exact.front();
    if (exact.size() > 1)
        throw audio_error("several input devices are named '" + spec +
                          "'; choose one by index:" + list(exact));
    if (partial.size() == 1)
        return *partial.front();
    if (partial.size() > 1)
        throw audio_error("'" + spec +
                          "' matches several input devices; use a longer name or an index:" + list(partial));
    throw audio_error("no input device matches '" + spec + "'; input devices:" + list(devices));
}

} // namespace lt::audio
