// A test whose dependency (a program, a data file) is missing fails. The only way to skip it
// is the explicit opt-out LT_TEST_ALLOW_MISSING, a comma list of names ("redis") or "all";
// then the test is skipped with the reason, and the binary exits with 77, which CTest
// (lt_add_test's SKIP_RETURN_CODE) reports as Skipped, never as Passed. See docs/testing.md.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace lt::test {

// Whether LT_TEST_ALLOW_MISSING names `what` (or is "all").
inline bool allowed_missing(const std::string& what) {
    const char* v = std::getenv("LT_TEST_ALLOW_MISSING");
    if (!v)
        return false;
    std::stringstream list(v);
    std::string item;
    while (std::getline(list, item, ','))
        if (item == what || item == "all")
            return true;
    return false;
}

// Turns "passed with skips" into exit code 77 (CTest: Skipped). Failures keep exit code 1.
class skips_are_visible : public ::testing::EmptyTestEventListener {
public:
    void OnTestProgramEnd(const ::testing::UnitTest& u) override {
        if (u.Passed() && u.skipped_test_count() > 0) {
            std::printf("%d tests SKIPPED (LT_TEST_ALLOW_MISSING=%s); exiting with 77\n",
                        u.skipped_test_count(),
                        std::getenv("LT_TEST_ALLOW_MISSING") ? std::getenv("LT_TEST_ALLOW_MISSING") : "");
            std::fflush(stdout);
            std::_Exit(77);
        }
    }
};

inline const bool skips_are_visible_installed = [] {
    ::testing::UnitTest::GetInstance()->listeners().Append(new skips_are_visible);
    return true;
}();

} // namespace lt::test

// Fails the test when `present` is false, unless LT_TEST_ALLOW_MISSING names `name`.
#define LT_REQUIRE_DEPENDENCY(present, name, why)                                                            \
    do {                                                                                                     \
        if (!(present)) {                                                                                    \
            if (::lt::test::allowed_missing(name))                                                           \
                GTEST_SKIP() << why << " (skipped: LT_TEST_ALLOW_MISSING names " << name << ")";             \
            else                                                                                             \
                FAIL() << why << "; install it (scripts/setup.sh), or set LT_TEST_ALLOW_MISSING=" << name    \
                       << " to skip on purpose";                                                             \
        }                                                                                                    \
    } while (0)
