// Builds the translation backend a program asked for by name.
#pragma once

#include "translate/translator.hpp"

#include <memory>
#include <string>

namespace lt::backends {

struct backend_options {
    std::string name = "auto";  // auto | apertium | aws | none
    std::string apertium_modes = "/usr/share/apertium/modes";
    bool aws_auto_source = false; // aws: let AWS detect the source language
};

// "auto" picks Apertium when pairs are installed and falls back to "none" with a warning.
// An explicitly named backend that cannot start throws std::runtime_error saying why.
std::shared_ptr<translate::translator> make_translator(const backend_options& options);

} // namespace lt::backends
