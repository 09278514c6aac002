#include "aws/http_client.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <unordered_set>

namespace lt::aws {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string xml_unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '&') {
            static const std::pair<std::string_view, char> entities[] = {
                {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
            bool done = false;
            for (auto [name, c] : entities) {
                if (s.substr(i, name.size()) == name) {
                    out += c;
                    i += name.size() - 1;
                    done = true;
                    break;
                }
            }
            if (done)
                continue;
        }
        out += s[i];
    }
    return out;
}

std::string xml_tag(std::string_view body, std::string_view tag) {
    std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
    auto b = body.find(open);
    if (b == std::string_view::npos)
        return {};
    b += open.size();
    auto e = body.find(close, b);
    if (e == std::string_view::npos)
        return {};
    return xml_unescape(body.substr(b, e - b));
}

// "com.amazon.coral.service#ExpiredTokenException" or "Code:http://internal..." -> the code.
std::string clean_code(std::string code) {
    if (auto hash = code.rfind('#'); hash != std::string::npos)
        code = code.substr(hash + 1);
    if (auto colon = code.find(':'); colon != std::string::npos)
        code = code.substr(0, colon);
    return code;
}

std::string json_string(const nlohmann::json& j, std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
        auto it = j.find(k);
        if (it != j.end() && it->is_string())
            return it->get<std::string>();
    }
    return {};
}

// The same request as net's and as SigV4's (the target as sent).
template <class To, class From>
To moved(From& from) {
    return To{std::move(from.method), std::move(from.target), std::move(from.headers), std::move(from.body)};
}

std::string action_of_target(std::string_view target) {
    auto dot = target.rfind('.');
    return std::string(dot == std::string_view::npos ? target : target.substr(dot + 1));
}

} // namespace

service_error parse_service_error(const http_response& r) {
    service_error e;
    e.status = r.status;
    std::string_view body = r.body;
    auto first = body.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && body[first] == '{') {
        auto j = nlohmann::json::parse(body, nullptr, false);
        if (!j.is_discarded() && j.is_object()) {
            e.code = json_string(j, {"__type", "code", "Code"});
            e.message = json_string(j, {"message", "Message", "errorMessage"});
        }
    } else if (first != std::string_view::npos && body[first] == '<') {
        e.code = xml_tag(body, "Code");
        e.message = xml_tag(body, "Message");
    }
    if (e.code.empty())
        e.code = r.header("x-amzn-ErrorType");
    e.code = clean_code(e.code);
    return e;
}

bool is_retryable(const service_error& e) {
    if (e.status >= 500 || e.status == 429)
        return true;
    static const std::unordered_set<std::string> codes = {"Throttling",
                                                          "ThrottlingException",
                                                          "ThrottledException",
                                                          "RequestThrottledException",
                                                          "TooManyRequestsException",
                                                          "ProvisionedThroughputExceededException",
                                                          "TransactionInProgressException",
                                                          "RequestLimitExceeded",
                                                          "BandwidthLimitExceeded",
                                                          "RequestThrottled",
                                                          "SlowDown",
                                                          "PriorRequestNotComplete",
                                                          "EC2ThrottledException",
                                                          "InternalError",
                                                          "InternalFailure",
                                                          "InternalServerException",
                                                          "ServiceUnavailable",
                                                          "ServiceUnavailableException",
                                                          "IDPCommunicationError"};
    return codes.count(e.code) > 0 || starts_with(e.code, "Throttling") ||
           starts_with(e.code, "TooManyRequests");
}

struct service_client::impl {
    std::string region;
    service_info service;
    std::shared_ptr<credentials_provider> creds;
    net::http_client http;

    impl(endpoint e, std::string r, service_info s, std::shared_ptr<credentials_provider> c, client_options o)
        : region(std::move(r)), service(std::move(s)), creds(std::move(c)),
          http(std::move(e), with_service(std::move(o), service)) {}

    static client_options with_service(client_options o, const service_info& s) {
        o.service = s.signing_name;
        o.endpoint_hint = "AWS_ENDPOINT_URL_" + s.env_id + " / AWS_ENDPOINT_URL or AWS_REGION";
        return o;
    }

    std::string hint(const service_error& e, const std::string& action) const {
        const std::string& code = e.code;
        if (code == "UnrecognizedClientException" || code == "InvalidClientTokenId")
            return " (the access key ID is not valid: check AWS_ACCESS_KEY_ID or the profile's "
                   "aws_access_key_id, "
                   "and that a session token comes with temporary keys)";
        if (code == "InvalidSignatureException" || code == "SignatureDoesNotMatch" ||
            code == "IncompleteSignature")
            return " (the secret access key does not match the key ID, or this machine's clock is off by "
                   "more "
                   "than 5 minutes: check AWS_SECRET_ACCESS_KEY and the system time)";
        if (code == "RequestExpired" || code == "SignatureExpired" || code == "RequestTimeTooSkewed")
            return " (this machine's clock is off: sync the system time, e.g. with NTP)";
        if (starts_with(code, "ExpiredToken") || code == "TokenRefreshRequired")
            return " (the AWS credentials have expired; refresh them or ask the server for a new token)";
        if (starts_with(code, "AccessDenied") || e.status == 403) {
            std::string what = action;
            auto at = e.message.find("perform: ");
            if (at != std::string::npos) {
                auto start = at + 9;
                auto end = e.message.find_first_of(" \t,;", start);
                what = e.message.substr(start, end == std::string::npos ? std::string::npos : end - start);
            }
            return " (the IAM identity lacks a permission: allow " +
                   (what.empty() ? std::string("this action") : what) + " in its IAM policy)";
        }
        if (is_retryable(e)) {
            const int n = http.options().max_attempts;
            return " (gave up after " + std::to_string(n) + " attempt" + (n == 1 ? "" : "s") +
                   "; lower the request rate or try again later)";
        }
        return {};
    }

    std::string describe(const service_error& e, const http_response& r, const std::string& action) const {
        std::string text = service.signing_name + " ";
        if (!e.code.empty()) {
            text += e.code + ": " + (e.message.empty() ? "HTTP " + std::to_string(r.status) : e.message);
        } else {
            const std::string body = net::body_excerpt(r, 300);
            text += "HTTP " + std::to_string(r.status) + (body.empty() ? std::string() : ": " + body);
        }
        return text + hint(e, action);
    }

    // Signs each attempt afresh: fresh credentials and date (the Host and Content-Length the
    // client set are signed too).
    std::string sign(net::http_request& req) const {
        auto c = creds->get();
        if (!c)
            return c.error_message();
        auto parts = moved<http_request_parts>(req);
        signing_params sp;
        sp.region = region;
        sp.service = service.signing_name;
        sp.when = clock::now();
        sign_request(parts, c.value(), sp);
        req = moved<net::http_request>(parts);
        return {};
    }

    core::result<http_response> send(http_request_parts parts, const std::string& action) {
        auto r = http.send(
            moved<net::http_request>(parts), [this](net::http_request& attempt) { return sign(attempt); },
            [](const http_response& answer) { return is_retryable(parse_service_error(answer)); });
        if (!r)
            return r;
        if (r.value().status >= 200 && r.value().status < 300)
            return r;
        auto e = parse_service_error(r.value());
        if (starts_with(e.code, "ExpiredToken") || e.code == "UnrecognizedClientException" ||
            e.code == "InvalidClientTokenId") {
            // Cached credentials are wrong: fetch again on the next call.
            creds->invalidate();
        }
        return core::make_error(describe(e, r.value(), action));
    }
};

service_client::service_client(endpoint ep, std::string region, service_info service,
                               std::shared_ptr<credentials_provider> creds, client_options opts)
    : impl_(std::make_unique<impl>(std::move(ep), std::move(region), std::move(service), std::move(creds),
                                   std::move(opts))) {}

service_client::~service_client() = default;

core::result<http_response> service_client::send(http_request_parts req) {
    auto target = net::find_header(req.headers, "X-Amz-Target");
    std::string action = target.empty() ? "" : impl_->service.signing_name + ":" + action_of_target(target);
    return impl_->send(std::move(req), action);
}

core::result<std::string> service_client::call_json(std::string_view target, std::string body) {
    http_request_parts req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"X-Amz-Target", std::string(target)}, {"Content-Type", "application/x-amz-json-1.1"}};
    req.body = std::move(body);
    auto r = impl_->send(std::move(req), impl_->service.signing_name + ":" + action_of_target(target));
    if (!r)
        return core::make_error(r.error_message());
    return std::move(r.value().body);
}

core::result<std::string>
service_client::call_query(const std::vector<std::pair<std::string, std::string>>& params) {
    http_request_parts req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    std::string action;
    for (const auto& [k, v] : params) {
        if (!req.body.empty())
            req.body += '&';
        req.body += uri_encode(k) + "=" + uri_encode(v);
        if (k == "Action")
            action = impl_->service.signing_name + ":" + v;
    }
    auto r = impl_->send(std::move(req), action);
    if (!r)
        return core::make_error(r.error_message());
    return std::move(r.value().body);
}

const endpoint& service_client::where() const { return impl_->http.where(); }

std::uint64_t service_client::attempts() const { return impl_->http.attempts(); }

} // namespace lt::aws
