// Private to lt_audio and its tests: the raw-PCM reader behind open_file("-"), on any fd.
#pragma once

#include "audio/audio_source.hpp"

namespace lt::audio {

// Raw signed 16-bit little-endian 16 kHz mono from `fd` (not paced: a pipe from a recorder
// is already real time). read() returns 0 at end of input or after stop(). Closes the fd on
// destruction only when `owns_fd`.
std::unique_ptr<audio_source> open_raw_fd(int fd, std::string name, bool owns_fd);

} // namespace lt::audio
