// Every speech engine lt-speech can use, behind one factory: stt (pocketsphinx) does not
// know about AWS, and transcribe does not know about the other engines.
#pragma once

#include "stt/recognizer.hpp"
#include "stt/transcribe/transcribe_recognizer.hpp"

#include <memory>
#include <string>
#include <vector>

namespace lt::engines {

struct options {
    stt::recognizer_options stt;       // engine name, language, model files
    stt::transcribe::transcribe_options aws; // engine "aws"; its language_code comes from stt.lang
};

// "pocketsphinx", "aws".
std::vector<std::string> engine_names();

// True for engines that need AWS credentials.
bool is_aws(const std::string& engine);

core::result<std::unique_ptr<stt::recognizer>> make_recognizer(options opts);

} // namespace lt::engines
