// Private to lt_audio: how a device is named in messages and listings.
#pragma once

#include "audio/audio_source.hpp"

namespace lt::audio {

// "3 'USB Mic' (ALSA, 2 ch, 48000 Hz, default)"
std::string device_label(const device_info& d);

} // namespace lt::audio
