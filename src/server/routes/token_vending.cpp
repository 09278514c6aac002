#include "server/routes/token_vending.hpp"

#include "protocol/messages.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace lt::server {

namespace {

std::string xml_unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '&') {
            out += s[i];
            continue;
        }
        static const std::pair<std::string_view, char> entities[] = {
            {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
        bool matched = false;
        for (auto [name, c] : entities)
            if (s.substr(i, name.size()) == name) {
                out += c;
                i += name.size() - 1;
                matched = true;
                break;
            }
        if (!matched)
            out += '&';
    }
    return out;
}

// The text of the first <tag>...</tag>; STS answers are flat enough for this.
std::optional<std::string> element(std::string_view xml, std::string_view tag) {
    std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
    auto a = xml.find(open);
    if (a == std::string_view::npos)
        return std::nullopt;
    a += open.size();
    auto b = xml.find(close, a);
    if (b == std::string_view::npos)
        return std::nullopt;
    return xml_unescape(xml.substr(a, b - a));
}

} // namespace

token_answer token_error(int http_status, std::string code, const std::string& message) {
    token_answer a;
    a.http_status = http_status;
    a.code = std::move(code);
    protocol::token_response r;
    r.error = message;
    a.data = protocol::serialize_token_data(r);
    return a;
}

core::result<std::string> parse_assume_role(std::string_view xml, const std::string& region) {
    protocol::token_credentials creds;
    for (auto [field, value] : {std::pair<const char*, std::string*>{"AccessKeyId", &creds.access_key_id},
                                {"SecretAccessKey", &creds.secret_access_key},
                                {"SessionToken", &creds.session_token},
                                {"Expiration", &creds.expiration}}) {
        auto v = element(xml, field);
        if (!v || v->empty())
            return core::make_error(std::string("STS AssumeRole answer has no ") + field);
        *value = *v;
    }
    protocol::token_response r;
    r.credentials = std::move(creds);
    r.region = region;
    return protocol::serialize_token_data(r);
}

token_vendor::token_vendor(token_settings settings, std::shared_ptr<aws::service_client> sts)
    : settings_(std::move(settings)), sts_(std::move(sts)) {
    if (sts_)
        worker_ = std::thread([this] { run(); });
}

token_vendor::~token_vendor() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable())
        worker_.join();
    // Whoever still waits hears why.
    for (auto& done : queue_)
        done(token_error(503, "busy", "server is shutting down"));
}

void token_vendor::request(const std::string& client, std::function<void(token_answer)> done) {
    if (!sts_)
        return done(token_error(503, "not_configured", token_not_configured));
    {
        std::unique_lock lock(mutex_);
        auto now = std::chrono::steady_clock::now();
        // Forget clients whose bucket is full again, so the map stays small.
        if (per_client_.size() > 10000)
            std::erase_if(per_client_, [now](const auto& kv) { return kv.second.idle(now); });
        double rate = settings_.rate_per_minute / 60.0;
        auto [it, fresh] =
            per_client_.try_emplace(client, rate, std::max(1.0, 2 * settings_.rate_per_minute));
        if (!it->second.allow(now)) {
            lock.unlock();
            return done(token_error(429, "rate_limited",
                                    "too many generate_token requests from this address; retry in a minute"));
        }
        if (stopping_ || queue_.size() >= settings_.queue_limit) {
            lock.unlock();
            return done(token_error(503, "busy", "token service is busy; retry shortly"));
        }
        queue_.push_back(std::move(done));
    }
    cv_.notify_one();
}

void token_vendor::run() {
    for (;;) {
        std::function<void(token_answer)> done;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_)
                return;
            done = std::move(queue_.front());
            queue_.pop_front();
        }
        done(assume_role());
    }
}

token_answer token_vendor::assume_role() {
    std::uint64_t n;
    {
        std::lock_guard lock(mutex_);
        n = ++sessions_;
    }
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::vector<std::pair<std::string, std::string>> params{
        {"Action", "AssumeRole"},
        {"Version", "2011-06-15"},
        {"RoleArn", settings_.role_arn},
        {"RoleSessionName", "live-translate-" + std::to_string(now) + "-" + std::to_string(n)},
        {"DurationSeconds", std::to_string(settings_.seconds)}};
    if (!settings_.external_id.empty())
        params.emplace_back("ExternalId", settings_.external_id);
    auto answer = sts_->call_query(params);
    core::result<std::string> data =
        answer ? parse_assume_role(answer.value(), settings_.region)
               : core::result<std::string>(core::make_error(answer.error_message()));
    std::lock_guard lock(mutex_);
    if (!data) {
        ++failed_;
        spdlog::error("generate_token: {}", data.error_message());
        // The reference's wording, with STS's reason.
        return token_error(502, "sts_failed", "Failed to generate credentials: " + data.error_message());
    }
    ++issued_;
    spdlog::info("generate_token: issued credentials for {} ({} s)", settings_.role_arn, settings_.seconds);
    token_answer ok;
    ok.data = std::move(data).value();
    return ok;
}

std::uint64_t token_vendor::issued() const {
    std::lock_guard lock(mutex_);
    return issued_;
}

std::uint64_t token_vendor::failed() const {
    std::lock_guard lock(mutex_);
    return failed_;
}

std::unique_ptr<token_vendor> make_token_vendor(token_settings settings) {
    if (settings.region.empty())
        settings.region = aws::region_from_env();
    if (settings.region.empty())
        settings.region = "us-east-1";
    if (settings.role_arn.empty()) {
        spdlog::info("generate_token: TRANSCRIBE_ROLE_ARN not configured; speech clients must use "
                     "their own AWS credentials (LT_LOCAL_TOKEN=true) for --engine aws");
        return std::make_unique<token_vendor>(std::move(settings), nullptr);
    }
    std::vector<std::string> warnings;
    auto ep = aws::resolve_endpoint(aws::sts_service(), settings.region, &warnings);
    for (const auto& w : warnings)
        spdlog::warn("{}", w);
    if (!ep)
        throw std::runtime_error("generate_token: " + ep.error_message());
    auto sts = std::make_shared<aws::service_client>(ep.value(), settings.region, aws::sts_service(),
                                                     aws::make_default_chain());
    spdlog::info("generate_token: AssumeRole {} through {} ({} s credentials, region {})", settings.role_arn,
                 ep.value().url(), settings.seconds, settings.region);
    return std::make_unique<token_vendor>(std::move(settings), std::move(sts));
}

} // namespace lt::server
