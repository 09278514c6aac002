#include "server/routes/qr_svg.hpp"

#include <gtest/gtest.h>

using namespace lt::server;

TEST(qr, svg_has_a_quiet_zone_and_grows_with_the_text) {
    auto small = qr_svg("http://10.0.0.2:5050/r/a");
    ASSERT_TRUE(small);
    const auto& svg = small.value();
    EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", 0), 0u);
    // Version 2 (25 modules) for this length, plus 4 modules of quiet zone on each side.
    EXPECT_NE(svg.find("viewBox=\"0 0 33 33\""), std::string::npos) << svg.substr(0, 120);
    EXPECT_EQ(svg.find("M0 "), std::string::npos) << "no dark module inside the quiet zone";
    EXPECT_NE(svg.find("M4 4h1v1h-1z"), std::string::npos) << "finder pattern corner";
    auto big = qr_svg("https://captions.example.org/r/" + std::string(64, 'x'));
    ASSERT_TRUE(big);
    EXPECT_GT(big.value().size(), svg.size());
    EXPECT_FALSE(qr_svg(std::string(5000, 'x'))) << "beyond the largest QR code";
}
