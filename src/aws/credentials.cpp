#include "aws/credentials.hpp"
#include "aws/text.hpp"

#include "aws/metadata.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

namespace lt::aws {

namespace {

using detail::env;
using detail::lower;
using detail::trim;

using namespace std::chrono;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
long long days_from_civil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long long>(doe) - 719468;
}

struct ini_entry {
    std::string value;
    int line = 0;
};
struct ini_section {
    std::map<std::string, ini_entry> keys; // lower-case key
    int line = 0;
};
struct ini_file {
    std::string path;
    std::map<std::string, ini_section> sections;
};

// AWS's shared-file dialect: [section], key = value, # and ; comments (whole-line, or
// after white space), indented sub-properties (ignored).
core::result<std::optional<ini_file>> read_ini(const std::string& path, bool config) {
    std::ifstream in(path);
    if (!in)
        return std::optional<ini_file>{};
    ini_file file{path, {}};
    ini_section* current = nullptr;
    bool in_nested = false;
    std::string raw;
    int number = 0;
    while (std::getline(in, raw)) {
        ++number;
        std::string line = trim(raw);
        if (line.empty() || line[0] == '#' || line[0] == ';')
            continue;
        bool indented = raw[0] == ' ' || raw[0] == '\t';
        if (line[0] == '[') {
            auto close = line.find(']');
            if (close == std::string::npos)
                return core::make_error(path + " line " + std::to_string(number) +
                                        ": section header without ']': " + line);
            std::string name = trim(std::string_view(line).substr(1, close - 1));
            if (config && name.rfind("profile", 0) == 0 && name.size() > 7 &&
                (name[7] == ' ' || name[7] == '\t'))
                name = trim(std::string_view(name).substr(7));
            current = &file.sections[name];
            current->line = number;
            in_nested = false;
            continue;
        }
        if (indented && in_nested)
            continue;
        auto eq = line.find('=');
        if (eq == std::string::npos || !current)
            return core::make_error(path + " line " + std::to_string(number) + ": expected " +
                                    (current ? "'key = value'" : "a [section] before the first key") +
                                    ", found: " + line);
        std::string key = lower(trim(std::string_view(line).substr(0, eq)));
        std::string value = trim(std::string_view(line).substr(eq + 1));
        for (std::size_t i = 1; i < value.size(); ++i) {
            if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
                value = trim(std::string_view(value).substr(0, i));
                break;
            }
        }
        if (key.empty())
            return core::make_error(path + " line " + std::to_string(number) + ": empty key");
        in_nested = value.empty(); // "s3 =" opens indented sub-properties
        current->keys[key] = {value, number};
    }
    return std::optional<ini_file>{std::move(file)};
}

std::string expand_home(const std::string& path) {
    if (path.rfind("~/", 0) == 0) {
        auto home = env("HOME");
        if (!home.empty())
            return home + path.substr(1);
    }
    return path;
}

std::string credentials_path(const profile_files& f) {
    if (!f.credentials_file.empty())
        return expand_home(f.credentials_file);
    if (auto e = env("AWS_SHARED_CREDENTIALS_FILE"); !e.empty())
        return expand_home(e);
    auto home = env("HOME");
    return home.empty() ? std::string() : home + "/.aws/credentials";
}

std::string config_path(const profile_files& f) {
    if (!f.config_file.empty())
        return expand_home(f.config_file);
    if (auto e = env("AWS_CONFIG_FILE"); !e.empty())
        return expand_home(e);
    auto home = env("HOME");
    return home.empty() ? std::string() : home + "/.aws/config";
}

std::string profile_name(const profile_files& f) {
    if (!f.profile.empty())
        return f.profile;
    if (auto e = env("AWS_PROFILE"); !e.empty())
        return e;
    return "default";
}

core::result<std::optional<ini_file>> read_optional(const std::string& path, bool config) {
    if (path.empty())
        return std::optional<ini_file>{};
    return read_ini(path, config);
}

// Keys from one section; nullopt when it has none at all.
core::result<std::optional<credentials>> keys_from(const ini_file& file, const ini_section& s,
                                                   const std::string& profile) {
    auto get = [&](const char* k) -> const ini_entry* {
        auto it = s.keys.find(k);
        return it == s.keys.end() ? nullptr : &it->second;
    };
    const ini_entry* id = get("aws_access_key_id");
    const ini_entry* secret = get("aws_secret_access_key");
    if (!id && !secret)
        return std::optional<credentials>{};
    if (!id || id->value.empty() || !secret || secret->value.empty()) {
        const ini_entry* present = id ? id : secret;
        return core::make_error(file.path + " line " + std::to_string(present->line) + ": profile '" +
                                profile + "' needs both aws_access_key_id and aws_secret_access_key");
    }
    credentials c;
    c.access_key_id = id->value;
    c.secret_access_key = secret->value;
    if (auto t = get("aws_session_token"))
        c.session_token = t->value;
    else if (auto legacy = get("aws_security_token"))
        c.session_token = legacy->value;
    c.source = "profile " + profile + " (" + file.path + ")";
    return std::optional<credentials>{std::move(c)};
}

class static_provider : public credentials_provider {
public:
    explicit static_provider(credentials c) : creds_(std::move(c)) {}
    core::result<credentials> get() override { return creds_; }

private:
    credentials creds_;
};

// A source found by the chain that must be refreshed: the credentials of the first
// successful fetch are handed out first, then `fetch` is asked again before they expire.
std::shared_ptr<refreshing_provider> refreshing_from(credentials first, refreshing_provider::fetch_fn fetch,
                                                     refresh_options opts) {
    auto seed = std::make_shared<std::optional<credentials>>(std::move(first));
    return std::make_shared<refreshing_provider>(
        [seed, fetch = std::move(fetch)]() -> core::result<credentials> {
            if (*seed) { // refreshing_provider never calls fetch() twice at once
                credentials c = std::move(**seed);
                seed->reset();
                return c;
            }
            return fetch();
        },
        opts);
}

class default_chain : public credentials_provider {
public:
    default_chain(profile_files files, chain_options opts) : files_(std::move(files)), opts_(opts) {}

    core::result<credentials> get() override {
        std::unique_lock lock(mu_);
        if (found_) {
            auto found = found_;
            lock.unlock();
            return found->get();
        }
        auto from_env = credentials_from_env();
        if (!from_env)
            return core::make_error(from_env.error_message());
        if (from_env.value()) {
            found_ = make_static_provider(*from_env.value());
            return *from_env.value();
        }
        auto from_profile = credentials_from_profile(files_);
        if (!from_profile)
            return core::make_error(from_profile.error_message());
        if (from_profile.value()) {
            found_ = make_static_provider(*from_profile.value());
            return *from_profile.value();
        }

        const std::string profile = profile_name(files_);
        const std::string creds_file = credentials_path(files_);
        const std::string conf_file = config_path(files_);
        std::vector<std::string> looked{
            "the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY unset)",
            "profile [" + profile + "] in " +
                (creds_file.empty() ? std::string("~/.aws/credentials") : creds_file) + " and " +
                (conf_file.empty() ? std::string("~/.aws/config") : conf_file) + " (none there)"};
        auto looked_text = [&] {
            std::string text;
            for (const auto& l : looked)
                text += (text.empty() ? "" : "; ") + l;
            return text;
        };
        const auto now = std::chrono::steady_clock::now();

        // The container endpoint: when configured it is the intended source, so its failure
        // is the error (as in the SDKs), not a reason to try instance metadata.
        if (container_credentials_configured()) {
            std::string error;
            if (container_failed_at_ && now - *container_failed_at_ < container_recheck) {
                error = container_error_;
            } else {
                auto c = fetch_container_credentials();
                if (c) {
                    found_ = refreshing_from(
                        std::move(c.value()), [] { return fetch_container_credentials(); }, refresh_opts());
                    auto found = found_;
                    lock.unlock();
                    return found->get();
                }
                error = c.error_message();
                container_failed_at_ = now;
                container_error_ = error;
            }
            looked.push_back("the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / "
                             "AWS_CONTAINER_CREDENTIALS_FULL_URI)");
            return core::make_error("no AWS credentials: " + error + ". Looked at: " + looked_text());
        }
        looked.push_back("the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
                         "AWS_CONTAINER_CREDENTIALS_FULL_URI unset)");

        if (imds_disabled()) {
            looked.push_back("EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)");
        } else if (imds_failed_at_ && now - *imds_failed_at_ < opts_.imds_recheck) {
            auto ago = std::chrono::duration_cast<std::chrono::seconds>(now - *imds_failed_at_).count();
            looked.push_back(imds_error_ + " (" + std::to_string(ago) + " s ago; asked again after " +
                             std::to_string(opts_.imds_recheck.count()) + " s)");
        } else {
            auto c = imds_.fetch();
            if (c) {
                imds_failed_at_.reset();
                found_ = refreshing_from(
                    std::move(c.value()), [imds = imds_]() mutable { return imds.fetch(); }, refresh_opts());
                auto found = found_;
                lock.unlock();
                return found->get();
            }
            imds_failed_at_ = now;
            imds_error_ = c.error_message();
            looked.push_back(imds_error_);
        }
        return core::make_error(
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for "
            "temporary keys), or put aws_access_key_id and aws_secret_access_key under [" +
            profile + "] in " + (creds_file.empty() ? std::string("~/.aws/credentials") : creds_file) +
            " (AWS_PROFILE selects the profile), or run with an ECS task role or an EC2 instance profile. "
            "Looked at: " +
            looked_text());
    }

    void invalidate() override {
        std::unique_lock lock(mu_);
        auto found = found_;
        lock.unlock();
        if (found)
            found->invalidate();
    }

private:
    static constexpr std::chrono::seconds container_recheck{5};

    static refresh_options refresh_opts() {
        refresh_options o; // refresh every 20 min or 5 min before expiry
        o.retry_after = std::chrono::seconds(10);
        return o;
    }

    profile_files files_;
    chain_options opts_;
    std::mutex mu_;
    std::shared_ptr<credentials_provider> found_;
    imds_fetcher imds_{metadata_options{}};
    std::optional<std::chrono::steady_clock::time_point> container_failed_at_, imds_failed_at_;
    std::string container_error_, imds_error_;
};

bool still_valid(const credentials& c, clock::time_point now) { return !c.expiration || now < *c.expiration; }

} // namespace

core::result<clock::time_point> parse_iso8601(std::string_view text) {
    auto fail = [&](const std::string& why) {
        return core::make_error("invalid ISO 8601 time '" + std::string(text) + "' (" + why +
                                "); expected e.g. 2026-11-26T12:00:00Z");
    };
    std::string_view s = text;
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    std::size_t i = 0;
    auto number = [&](std::size_t digits, long long& out) {
        if (i + digits > s.size())
            return false;
        out = 0;
        for (std::size_t k = 0; k < digits; ++k) {
            char c = s[i + k];
            if (c < '0' || c > '9')
                return false;
            out = out * 10 + (c - '0');
        }
        i += digits;
        return true;
    };
    auto expect = [&](char c) {
        if (i < s.size() && (s[i] == c || std::toupper(static_cast<unsigned char>(s[i])) == c)) {
            ++i;
            return true;
        }
        return false;
    };
    long long y, mo, d, h, mi, sec;
    if (!number(4, y) || !expect('-') || !number(2, mo) || !expect('-') || !number(2, d))
        return fail("bad date");
    if (!(expect('T') || expect(' ')))
        return fail("missing 'T' between date and time");
    if (!number(2, h) || !expect(':') || !number(2, mi) || !expect(':') || !number(2, sec))
        return fail("bad time of day");
    static constexpr int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] || h > 23 || mi > 59 || sec > 60)
        return fail("field out of range");
    nanoseconds fraction{0};
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        long long scale = 100000000, ns = 0;
        std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ns += (s[i] - '0') * scale;
            scale /= 10;
            ++i;
        }
        if (i == start)
            return fail("empty fraction");
        fraction = nanoseconds(ns);
    }
    seconds offset{0};
    if (expect('Z')) {
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        ++i;
        long long oh, om = 0;
        if (!number(2, oh))
            return fail("bad UTC offset");
        if (i < s.size() && s[i] == ':')
            ++i;
        if (i < s.size() && !number(2, om))
            return fail("bad UTC offset");
        if (oh > 23 || om > 59)
            return fail("UTC offset out of range");
        offset = seconds(sign * (oh * 3600 + om * 60));
    } else {
        return fail("missing time zone: end with Z or +hh:mm");
    }
    if (i != s.size())
        return fail("unexpected text after the time");
    auto days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    auto since_epoch = seconds(days * 86400 + h * 3600 + mi * 60 + sec) - offset;
    // The clock counts nanoseconds in 64 bits (1677-09-22 to 2262-04-11); beyond, the conversion
    // below would overflow.
    constexpr auto latest = duration_cast<seconds>(clock::duration::max()) - seconds(1);
    constexpr auto earliest = duration_cast<seconds>(clock::duration::min()) + seconds(1);
    if (since_epoch > latest || since_epoch < earliest)
        return fail("out of range: the clock holds 1677-09-22 to 2262-04-11");
    return clock::time_point(duration_cast<clock::duration>(since_epoch + fraction));
}

std::string format_iso8601(clock::time_point t) {
    std::time_t tt = clock::to_time_t(floor<seconds>(t));
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

core::result<std::optional<credentials>> credentials_from_env() {
    auto id = env("AWS_ACCESS_KEY_ID");
    auto secret = env("AWS_SECRET_ACCESS_KEY");
    if (id.empty() && secret.empty())
        return std::optional<credentials>{};
    if (id.empty())
        return core::make_error("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both, or "
                                "neither to use the shared credentials file");
    if (secret.empty())
        return core::make_error("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or "
                                "neither to use the shared credentials file");
    credentials c;
    c.access_key_id = id;
    c.secret_access_key = secret;
    c.session_token = env("AWS_SESSION_TOKEN");
    c.source = "environment";
    return std::optional<credentials>{std::move(c)};
}

core::result<std::optional<credentials>> credentials_from_profile(const profile_files& files) {
    const std::string profile = profile_name(files);
    auto creds_file = read_optional(credentials_path(files), false);
    if (!creds_file)
        return core::make_error(creds_file.error_message());
    auto conf_file = read_optional(config_path(files), true);
    if (!conf_file)
        return core::make_error(conf_file.error_message());

    bool seen = false;
    // The credentials file wins over the config file.
    for (const auto* file : {&creds_file.value(), &conf_file.value()}) {
        if (!*file)
            continue;
        auto it = (*file)->sections.find(profile);
        if (it == (*file)->sections.end())
            continue;
        seen = true;
        auto keys = keys_from(**file, it->second, profile);
        if (!keys || keys.value())
            return keys;
    }
    if (!seen)
        return std::optional<credentials>{};
    std::string note;
    if (conf_file.value()) {
        auto it = conf_file.value()->sections.find(profile);
        if (it != conf_file.value()->sections.end()) {
            for (const char* k : {"sso_session", "sso_start_url", "role_arn", "credential_process",
                                  "web_identity_token_file"})
                if (it->second.keys.count(k))
                    note = " (it uses " + std::string(k) +
                           ", which this program does not support: export keys with `aws configure "
                           "export-credentials --profile " +
                           profile + " --format env`)";
        }
    }
    return core::make_error("AWS profile '" + profile + "' has no aws_access_key_id/aws_secret_access_key" +
                            note);
}

std::string region_from_profile(const profile_files& files) {
    auto conf = read_optional(config_path(files), true);
    if (!conf || !conf.value())
        return {};
    auto it = conf.value()->sections.find(profile_name(files));
    if (it == conf.value()->sections.end())
        return {};
    auto r = it->second.keys.find("region");
    return r == it->second.keys.end() ? std::string() : r->second.value;
}

std::string region_from_env() {
    if (auto r = env("AWS_REGION"); !r.empty())
        return r;
    if (auto r = env("AWS_DEFAULT_REGION"); !r.empty())
        return r;
    return region_from_profile();
}

std::shared_ptr<credentials_provider> make_static_provider(credentials creds) {
    return std::make_shared<static_provider>(std::move(creds));
}

std::shared_ptr<credentials_provider> make_default_chain(profile_files files, chain_options opts) {
    return std::make_shared<default_chain>(std::move(files), opts);
}

refreshing_provider::refreshing_provider(fetch_fn fetch, refresh_options opts)
    : fetch_(std::move(fetch)), opts_(opts) {}

bool refreshing_provider::due(clock::time_point now) const {
    if (!current_)
        return true;
    if (now - fetched_at_ >= opts_.refresh_after)
        return true;
    if (current_->expiration) {
        auto lifetime = *current_->expiration - fetched_at_;
        auto margin = std::min<clock::duration>(opts_.margin, std::max<clock::duration>(lifetime / 3, {}));
        if (now >= *current_->expiration - margin)
            return true;
    }
    return false;
}

core::result<credentials> refreshing_provider::get() {
    std::unique_lock lock(mu_);
    for (;;) {
        auto now = clock::now();
        bool valid = current_ && still_valid(*current_, now);
        if (valid && !due(now))
            return *current_;
        if (fetching_) {
            // Another thread is fetching: use what is still valid, else wait for its result.
            if (valid)
                return *current_;
            fetched_cv_.wait(lock);
            continue;
        }
        if (last_failure_ != clock::time_point{} && now - last_failure_ < opts_.retry_after) {
            if (valid)
                return *current_;
            return core::make_error("no valid AWS credentials: " + last_error_);
        }
        break;
    }

    fetching_ = true;
    lock.unlock();
    core::result<credentials> fetched = core::make_error("credentials fetch failed");
    try {
        fetched = fetch_();
    } catch (const std::exception& e) {
        fetched = core::make_error(std::string("credentials fetch threw: ") + e.what());
    }
    lock.lock();
    fetching_ = false;
    fetched_cv_.notify_all();

    auto now = clock::now();
    std::string error;
    if (!fetched) {
        error = fetched.error_message();
    } else if (fetched.value().access_key_id.empty() || fetched.value().secret_access_key.empty()) {
        error = "the credentials source returned an empty access key";
    } else if (!still_valid(fetched.value(), now)) {
        error = "the credentials source returned credentials that expired at " +
                format_iso8601(*fetched.value().expiration) + " (now " + format_iso8601(now) +
                "; check the clock of this machine and of the server)";
    } else {
        current_ = std::move(fetched.value());
        fetched_at_ = now;
        last_failure_ = {};
        last_error_.clear();
        ++fetches_;
        return *current_;
    }
    last_failure_ = now;
    last_error_ = error;
    if (current_ && still_valid(*current_, now))
        return *current_;
    return core::make_error("no valid AWS credentials: " + error);
}

std::uint64_t refreshing_provider::fetches() const {
    std::lock_guard lock(mu_);
    return fetches_;
}

void refreshing_provider::invalidate() {
    std::lock_guard lock(mu_);
    current_.reset();
    last_failure_ = {};
}

} // namespace lt::aws
