// CMU PocketSphinx (Debian's 0.8+5prealpha) behind stt::recognizer. Private to src/stt.
#pragma once

#include "stt/recognizer.hpp"

namespace lt::stt {

core::result<std::unique_ptr<recognizer>> make_pocketsphinx_recognizer(const recognizer_options& opts);

} // namespace lt::stt
