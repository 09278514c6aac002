#include "server/static_files.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace fs = std::filesystem;
using lt::server::mime_type;
using lt::server::resolve_static;

namespace {
struct web_root : ::testing::Test {
    fs::path base, root;
    void SetUp() override {
        base = fs::temp_directory_path() / ("lt-static-" + std::to_string(::getpid()));
        root = base / "web";
        fs::create_directories(root / "img");
        std::ofstream(root / "index.html") << "<html>";
        std::ofstream(root / "app.js") << "1";
        std::ofstream(root / "img" / "logo.svg") << "<svg/>";
        std::ofstream(root / ".env") << "SECRET=1";
        std::ofstream(base / "secret.txt") << "secret";
        fs::create_symlink(base / "secret.txt", root / "escape.txt");
        fs::create_symlink(root / "app.js", root / "alias.js");
        root = fs::canonical(root);
    }
    void TearDown() override { fs::remove_all(base); }
};
} // namespace

TEST_F(web_root, serves_files_inside_the_root) {
    EXPECT_EQ(resolve_static(root, "/"), root / "index.html");
    EXPECT_EQ(resolve_static(root, "/index.html?v=2"), root / "index.html");
    EXPECT_EQ(resolve_static(root, "/img/logo.svg"), root / "img" / "logo.svg");
    EXPECT_EQ(resolve_static(root, "/img/logo%2Esvg"), std::nullopt); // encoded dot
    EXPECT_EQ(resolve_static(root, "/alias.js"), root / "app.js");    // symlink inside the root
}

TEST_F(web_root, refuses_traversal_and_hidden_files) {
    for (const char* t :
         {"/../secret.txt", "/img/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
          "/img%2f..%2f..%2fsecret.txt", "/..%5csecret.txt", "/escape.txt", "/.env", "/img/", "/img",
          "/nothing.html", "relative.html", "/index.html%00.js", "/%zz", "/%", "/a\\..\\secret.txt"})
        EXPECT_EQ(resolve_static(root, t), std::nullopt) << t;
}

TEST(mime, common_types) {
    EXPECT_EQ(mime_type("/x/index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(mime_type("app.JS"), "text/javascript; charset=utf-8");
    EXPECT_EQ(mime_type("style.css"), "text/css; charset=utf-8");
    EXPECT_EQ(mime_type("logo.svg"), "image/svg+xml");
    EXPECT_EQ(mime_type("data.json"), "application/json");
    EXPECT_EQ(mime_type("file.bin"), "application/octet-stream");
    EXPECT_EQ(mime_type("noext"), "application/octet-stream");
}
