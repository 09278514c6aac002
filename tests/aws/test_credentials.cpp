// Credentials from the environment and the shared files, regions, ISO 8601 times and the
// refreshing provider (real but short durations: the provider reads the system clock).
#include "aws/credentials.hpp"
#include "test_env.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace lt::aws;
using namespace std::chrono_literals;

namespace {

using lt_test::env_guard;
using lt_test::temp_dir;

const char* credentials_text = R"(# a comment
; another comment

[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key=secretdefault   # trailing comment
  
[work]
	aws_access_key_id   =   AKIDWORK
aws_secret_access_key = secretwork
aws_session_token = tokenwork
[half]
aws_access_key_id = AKIDHALF
)";

const char* config_text = R"([default]
region = eu-west-2
[profile work]
region = us-east-1
s3 =
  region = nested-ignored
[profile cfgonly]
aws_access_key_id = AKIDCFG
aws_secret_access_key = secretcfg
[profile sso]
sso_session = corp
region = ap-south-1
)";

std::string iso(clock::time_point t) { return format_iso8601(t); }

TEST(iso8601, parses_and_formats) {
    auto t = parse_iso8601("2026-11-26T12:00:00Z");
    ASSERT_TRUE(t.ok()) << t.error_message();
    EXPECT_EQ(format_iso8601(t.value()), "2026-11-26T12:00:00Z");
    EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00Z").value(), clock::time_point{});
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(
                  parse_iso8601("2000-02-29T00:00:00Z").value().time_since_epoch())
                  .count(),
              951782400);
    auto frac = parse_iso8601("2026-11-26T12:00:00.250Z");
    ASSERT_TRUE(frac.ok());
    EXPECT_EQ(frac.value() - t.value(), 250ms);
    EXPECT_EQ(parse_iso8601("2026-11-26T13:30:00+01:30").value(), t.value());
    EXPECT_EQ(parse_iso8601("2026-11-26T07:00:00-0500").value(), t.value());
    EXPECT_EQ(parse_iso8601("2026-11-26t12:00:00z").value(), t.value());
    EXPECT_EQ(parse_iso8601(" 2026-11-26 12:00:00Z ").value(), t.value());
}

TEST(iso8601, rejects_malformed_text) {
    for (const char* bad : {"", "garbage", "2026-13-01T00:00:00Z", "2026-11-26T12:00:00", "2026-11-26T12:00Z",
                            "2026-11-26T25:00:00Z", "2026-11-26T12:00:00Zjunk", "2026-11-26T12:00:00."}) {
        auto r = parse_iso8601(bad);
        EXPECT_FALSE(r.ok()) << bad;
        if (!r.ok()) {
            EXPECT_NE(r.error_message().find("ISO 8601"), std::string::npos) << r.error_message();
        }
    }
}

// Found by fuzz/fuzz_aws_credentials: a year past 2262 overflowed the clock's nanoseconds
// (undefined behaviour; a wrapped, meaningless expiry). Such times are refused now.
TEST(iso8601, refuses_times_the_clock_cannot_hold) {
    for (const char* far : {"2426-11-26 12:00:00.123456+05:30", "9999-12-31T23:59:59Z",
                            "1600-01-01T00:00:00Z", "2262-04-12T00:00:00Z"}) {
        auto r = parse_iso8601(far);
        EXPECT_FALSE(r.ok()) << far;
        if (!r.ok()) {
            EXPECT_NE(r.error_message().find("out of range"), std::string::npos) << r.error_message();
        }
    }
    auto late = parse_iso8601("2262-01-01T00:00:00Z");
    ASSERT_TRUE(late.ok()) << late.error_message();
    EXPECT_EQ(format_iso8601(late.value()), "2262-01-01T00:00:00Z");
    auto early = parse_iso8601("1700-01-01T00:00:00Z");
    ASSERT_TRUE(early.ok()) << early.error_message();
    EXPECT_EQ(format_iso8601(early.value()), "1700-01-01T00:00:00Z");
}

TEST(credentials_env, reads_the_standard_variables) {
    env_guard env;
    auto none = credentials_from_env();
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none.value().has_value());

    env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env.set("AWS_SECRET_ACCESS_KEY", "secretenv");
    env.set("AWS_SESSION_TOKEN", "tokenenv");
    auto c = credentials_from_env();
    ASSERT_TRUE(c.ok() && c.value());
    EXPECT_EQ(c.value()->access_key_id, "AKIDENV");
    EXPECT_EQ(c.value()->secret_access_key, "secretenv");
    EXPECT_EQ(c.value()->session_token, "tokenenv");
    EXPECT_EQ(c.value()->source, "environment");

    env.unset("AWS_SECRET_ACCESS_KEY");
    auto half = credentials_from_env();
    ASSERT_FALSE(half.ok());
    EXPECT_NE(half.error_message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST(credentials_profile, reads_credentials_and_config_files) {
    env_guard env;
    temp_dir dir;
    profile_files files;
    files.credentials_file = dir.write("credentials", credentials_text);
    files.config_file = dir.write("config", config_text);

    auto def = credentials_from_profile(files);
    ASSERT_TRUE(def.ok()) << def.error_message();
    ASSERT_TRUE(def.value());
    EXPECT_EQ(def.value()->access_key_id, "AKIDDEFAULT");
    EXPECT_EQ(def.value()->secret_access_key, "secretdefault");
    EXPECT_TRUE(def.value()->session_token.empty());
    EXPECT_NE(def.value()->source.find("profile default"), std::string::npos);
    EXPECT_NE(def.value()->source.find(files.credentials_file), std::string::npos);

    files.profile = "work";
    auto work = credentials_from_profile(files);
    ASSERT_TRUE(work.ok() && work.value());
    EXPECT_EQ(work.value()->access_key_id, "AKIDWORK");
    EXPECT_EQ(work.value()->session_token, "tokenwork");
    EXPECT_EQ(region_from_profile(files), "us-east-1");

    files.profile = "cfgonly"; // keys in the config file, under [profile cfgonly]
    auto cfg = credentials_from_profile(files);
    ASSERT_TRUE(cfg.ok() && cfg.value());
    EXPECT_EQ(cfg.value()->access_key_id, "AKIDCFG");

    files.profile = "missing";
    auto missing = credentials_from_profile(files);
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing.value().has_value());
    EXPECT_EQ(region_from_profile(files), "");

    files.profile = "half";
    auto half = credentials_from_profile(files);
    ASSERT_FALSE(half.ok());
    EXPECT_NE(half.error_message().find(files.credentials_file + " line 13"), std::string::npos)
        << half.error_message();

    files.profile = "sso";
    auto sso = credentials_from_profile(files);
    ASSERT_FALSE(sso.ok());
    EXPECT_NE(sso.error_message().find("sso_session"), std::string::npos) << sso.error_message();
    EXPECT_EQ(region_from_profile(files), "ap-south-1");
}

TEST(credentials_profile, follows_the_environment) {
    env_guard env;
    temp_dir dir;
    env.set("AWS_SHARED_CREDENTIALS_FILE", dir.write("elsewhere/creds", credentials_text));
    env.set("AWS_CONFIG_FILE", dir.write("elsewhere/conf", config_text));
    env.set("AWS_PROFILE", "work");
    auto work = credentials_from_profile();
    ASSERT_TRUE(work.ok() && work.value()) << (work.ok() ? "none" : work.error_message());
    EXPECT_EQ(work.value()->access_key_id, "AKIDWORK");
    EXPECT_EQ(region_from_profile(), "us-east-1");

    // HOME/.aws/... when the variables are unset.
    env.unset("AWS_SHARED_CREDENTIALS_FILE");
    env.unset("AWS_CONFIG_FILE");
    env.unset("AWS_PROFILE");
    env.set("HOME", dir.path().string());
    dir.write(".aws/credentials", "[default]\naws_access_key_id=AKIDHOME\naws_secret_access_key=s\n");
    dir.write(".aws/config", "[default]\nregion=sa-east-1\n");
    auto home = credentials_from_profile();
    ASSERT_TRUE(home.ok() && home.value());
    EXPECT_EQ(home.value()->access_key_id, "AKIDHOME");
    EXPECT_EQ(region_from_profile(), "sa-east-1");
}

TEST(credentials_profile, reports_malformed_lines) {
    env_guard env;
    temp_dir dir;
    profile_files files;
    files.credentials_file =
        dir.write("credentials", "[default]\naws_access_key_id = A\nthis is not valid\n");
    files.config_file = dir.path().string() + "/absent";
    auto r = credentials_from_profile(files);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find(files.credentials_file + " line 3"), std::string::npos)
        << r.error_message();

    files.credentials_file = dir.write("credentials2", "aws_access_key_id = A\n");
    r = credentials_from_profile(files);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("line 1"), std::string::npos) << r.error_message();

    files.credentials_file = dir.write("credentials3", "[default\n");
    r = credentials_from_profile(files);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("line 1"), std::string::npos) << r.error_message();
}

TEST(region, environment_then_profile) {
    env_guard env;
    temp_dir dir;
    env.set("AWS_CONFIG_FILE", dir.write("config", config_text));
    env.set("HOME", dir.path().string());
    EXPECT_EQ(region_from_env(), "eu-west-2");
    env.set("AWS_DEFAULT_REGION", "ca-central-1");
    EXPECT_EQ(region_from_env(), "ca-central-1");
    env.set("AWS_REGION", "eu-north-1");
    EXPECT_EQ(region_from_env(), "eu-north-1");
    env.unset("AWS_REGION");
    env.unset("AWS_DEFAULT_REGION");
    env.unset("AWS_CONFIG_FILE");
    EXPECT_EQ(region_from_env(), "");
}

TEST(default_chain, environment_then_files_then_a_clear_error) {
    env_guard env;
    temp_dir dir;
    profile_files files;
    files.credentials_file = dir.path().string() + "/credentials";
    files.config_file = dir.path().string() + "/config";
    auto chain = make_default_chain(files);

    auto none = chain->get();
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.error_message().find("no AWS credentials"), std::string::npos);
    EXPECT_NE(none.error_message().find("AWS_ACCESS_KEY_ID"), std::string::npos);

    // Resolved again on the next use: the file appears.
    dir.write("credentials", credentials_text);
    auto from_file = chain->get();
    ASSERT_TRUE(from_file.ok()) << from_file.error_message();
    EXPECT_EQ(from_file.value().access_key_id, "AKIDDEFAULT");

    // The environment comes first.
    env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env.set("AWS_SECRET_ACCESS_KEY", "secretenv");
    auto fresh = make_default_chain(files)->get();
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ(fresh.value().access_key_id, "AKIDENV");

    env.unset("AWS_SECRET_ACCESS_KEY");
    auto half = make_default_chain(files)->get();
    ASSERT_FALSE(half.ok());
    EXPECT_NE(half.error_message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST(static_provider, returns_its_credentials) {
    credentials c;
    c.access_key_id = "A";
    c.secret_access_key = "S";
    auto p = make_static_provider(c);
    auto r = p->get();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().access_key_id, "A");
}

credentials expiring(const std::string& id, std::optional<clock::time_point> expiration) {
    credentials c;
    c.access_key_id = id;
    c.secret_access_key = "secret";
    c.session_token = "token";
    c.expiration = expiration;
    return c;
}

TEST(refreshing_provider, fetches_once_then_caches) {
    std::atomic<int> calls{0};
    refreshing_provider p([&]() -> lt::core::result<credentials> {
        ++calls;
        return expiring("A" + std::to_string(calls.load()), clock::now() + 1h);
    });
    auto a = p.get();
    auto b = p.get();
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a.value().access_key_id, "A1");
    EXPECT_EQ(b.value().access_key_id, "A1");
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(p.fetches(), 1u);

    p.invalidate();
    auto c = p.get();
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.value().access_key_id, "A2");
    EXPECT_EQ(p.fetches(), 2u);
}

TEST(refreshing_provider, margin_is_capped_at_a_third_of_the_lifetime) {
    std::atomic<int> calls{0};
    // margin 5 min, lifetime 600 ms: refresh after 400 ms, not at once.
    refreshing_provider p([&]() -> lt::core::result<credentials> {
        ++calls;
        return expiring("A" + std::to_string(calls.load()), clock::now() + 600ms);
    });
    ASSERT_TRUE(p.get().ok());
    ASSERT_TRUE(p.get().ok());
    EXPECT_EQ(calls, 1);
    std::this_thread::sleep_for(450ms);
    auto r = p.get();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().access_key_id, "A2");
}

TEST(refreshing_provider, refreshes_after_refresh_after) {
    std::atomic<int> calls{0};
    refresh_options o;
    o.refresh_after = 1s;
    refreshing_provider p(
        [&]() -> lt::core::result<credentials> {
            ++calls;
            return expiring("A", std::nullopt);
        },
        o);
    ASSERT_TRUE(p.get().ok());
    EXPECT_EQ(calls, 1);
    std::this_thread::sleep_for(1050ms);
    ASSERT_TRUE(p.get().ok());
    EXPECT_EQ(calls, 2);
}

TEST(refreshing_provider, failed_refresh_keeps_valid_credentials_then_reports_the_error) {
    std::atomic<int> calls{0};
    refresh_options o;
    o.retry_after = 5s;
    refreshing_provider p(
        [&]() -> lt::core::result<credentials> {
            if (++calls == 1)
                return expiring("A", clock::now() + 600ms);
            return lt::core::make_error("token server said 503");
        },
        o);
    ASSERT_TRUE(p.get().ok());
    std::this_thread::sleep_for(450ms); // inside the (capped) margin: refresh due, still valid
    auto kept = p.get();
    ASSERT_TRUE(kept.ok());
    EXPECT_EQ(kept.value().access_key_id, "A");
    EXPECT_EQ(calls, 2);
    ASSERT_TRUE(p.get().ok());
    EXPECT_EQ(calls, 2) << "retried sooner than retry_after";

    std::this_thread::sleep_for(200ms); // now expired
    auto gone = p.get();
    ASSERT_FALSE(gone.ok());
    EXPECT_NE(gone.error_message().find("token server said 503"), std::string::npos) << gone.error_message();
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(p.fetches(), 1u);
}

TEST(refreshing_provider, retries_failures_after_retry_after) {
    std::atomic<int> calls{0};
    refresh_options o;
    o.retry_after = 0s;
    refreshing_provider p(
        [&]() -> lt::core::result<credentials> {
            if (++calls < 3)
                return lt::core::make_error("down");
            return expiring("A", clock::now() + 1h);
        },
        o);
    auto first = p.get();
    ASSERT_FALSE(first.ok());
    EXPECT_NE(first.error_message().find("down"), std::string::npos);
    EXPECT_FALSE(p.get().ok());
    EXPECT_TRUE(p.get().ok());
    EXPECT_EQ(calls, 3);
}

TEST(refreshing_provider, rejects_expired_or_empty_credentials_and_exceptions) {
    refresh_options o;
    o.retry_after = 0s;
    refreshing_provider expired(
        [] { return lt::core::result<credentials>(expiring("A", clock::now() - 1min)); }, o);
    auto r = expired.get();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("expired"), std::string::npos) << r.error_message();

    refreshing_provider empty([] { return lt::core::result<credentials>(credentials{}); }, o);
    EXPECT_FALSE(empty.get().ok());

    refreshing_provider throws([]() -> lt::core::result<credentials> { throw std::runtime_error("boom"); },
                               o);
    auto t = throws.get();
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error_message().find("boom"), std::string::npos);
}

TEST(refreshing_provider, concurrent_callers_share_one_fetch) {
    std::atomic<int> calls{0};
    refreshing_provider p([&]() -> lt::core::result<credentials> {
        ++calls;
        std::this_thread::sleep_for(50ms);
        return expiring("A", clock::now() + 1h);
    });
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&] {
            if (p.get().ok())
                ++ok;
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(ok, 8);
    EXPECT_EQ(calls, 1);
}

TEST(refreshing_provider, format_round_trip_of_expiration) {
    auto t = parse_iso8601("2030-01-02T03:04:05Z").value();
    EXPECT_EQ(iso(t), "2030-01-02T03:04:05Z");
}

} // namespace
