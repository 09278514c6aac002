// QR codes as SVG, so an audience can join a room from their phones (libqrencode).
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>

namespace lt::server {

// A QR code of `text` (error correction M) as a standalone SVG: black modules on white with
// the standard four-module quiet zone, scaled by the viewer. Errors when the text is too long
// for a QR code.
core::result<std::string> qr_svg(std::string_view text);

} // namespace lt::server
