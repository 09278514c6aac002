#include "server/routes/qr_svg.hpp"

#include <qrencode.h>

#include <memory>

namespace lt::server {

core::result<std::string> qr_svg(std::string_view text) {
    std::string input(text);
    std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
        QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
    if (!code)
        return core::make_error("cannot make a QR code of " + std::to_string(text.size()) + " bytes");
    const int quiet = 4, width = code->width, size = width + 2 * quiet;
    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(size) +
                      " " + std::to_string(size) + "\" shape-rendering=\"crispEdges\">";
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
    for (int y = 0; y < width; ++y)
        for (int x = 0; x < width; ++x)
            if (code->data[y * width + x] & 1) // bit 0: a dark module
                svg += "M" + std::to_string(x + quiet) + " " + std::to_string(y + quiet) + "h1v1h-1z";
    svg += "\"/></svg>\n";
    return svg;
}

} // namespace lt::server
