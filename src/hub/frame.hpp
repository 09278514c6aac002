// A serialized text frame, made once and shared by every viewer (and node) that gets it.
#pragma once

#include <memory>
#include <string>

namespace lt::hub {

using frame_ptr = std::shared_ptr<const std::string>;

} // namespace lt::hub
