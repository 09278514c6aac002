#include "aws/metadata.hpp"
#include "aws/text.hpp"

#include "net/asio.hpp"
#include "net/connect.hpp"
#include "net/reason.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace lt::aws {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

using detail::env;
using detail::lower;
using detail::trim;

constexpr std::size_t max_reply = 64 * 1024;
constexpr const char* ecs_host = "169.254.170.2";
constexpr const char* imds_token_ttl = "21600"; // 6 h, the SDKs' value
constexpr auto token_lifetime = std::chrono::seconds(21600 - 60);

// At most 200 characters of an answer, on one line, for error messages.
std::string snippet(std::string_view body) {
    std::string s(body.substr(0, 200));
    std::replace(s.begin(), s.end(), '\n', ' ');
    std::replace(s.begin(), s.end(), '\r', ' ');
    return trim(s);
}

// Starts one asynchronous operation and runs the io_context until it has completed.
template <class Start>
beast::error_code run(asio::io_context& ioc, Start&& start) {
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
}

std::string describe(const beast::error_code& ec, const char* stage, std::chrono::milliseconds timeout) {
    if (ec == beast::error::timeout || ec == asio::error::timed_out)
        return std::string(stage) + " timed out after " + std::to_string(timeout.count()) + " ms";
    if (ec == asio::error::connection_refused)
        return std::string(stage) + ": connection refused";
    return std::string(stage) + ": " + ec.message();
}

bool allowed_container_address(asio::ip::address a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    if (a.is_loopback())
        return true;
    static const auto ecs = asio::ip::make_address("169.254.170.2");
    static const auto eks = asio::ip::make_address("169.254.170.23");
    static const auto eks6 = asio::ip::make_address("fd00:ec2::23");
    return a == ecs || a == eks || a == eks6;
}

const char* allowed_hosts_text =
    "a loopback address (127.0.0.1, ::1, localhost), 169.254.170.2 (ECS) or 169.254.170.23 / "
    "[fd00:ec2::23] (EKS Pod Identity)";

// FULL_URI's host must be one of the container agent's addresses, so the Authorization
// token and the answer never cross the network. Names must resolve only to such addresses.
core::result<bool> check_full_uri_host(const std::string& host) {
    boost::system::error_code ec;
    auto literal = asio::ip::make_address(host, ec);
    if (!ec) {
        if (allowed_container_address(literal))
            return true;
        return core::make_error("host " + host + " is not allowed");
    }
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(host, "80", ec);
    if (ec)
        return core::make_error("cannot resolve host " + host + ": " + ec.message());
    if (results.empty())
        return core::make_error("host " + host + " resolves to no address");
    for (const auto& r : results) {
        auto a = r.endpoint().address();
        if (!allowed_container_address(a))
            return core::make_error("host " + host + " resolves to " + a.to_string() +
                                    ", which is not allowed");
    }
    return true;
}

core::result<credentials> parse_credentials(std::string_view body, const std::string& what, bool check_code) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return core::make_error(what + " answered something that is not a JSON object: " + snippet(body));
    auto text = [&](const char* key) -> std::string {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (check_code) {
        auto code = text("Code");
        if (code != "Success")
            return core::make_error(what + " answered Code " + (code.empty() ? std::string("(none)") : code) +
                                    (text("Message").empty() ? std::string() : ": " + text("Message")));
    }
    credentials c;
    c.access_key_id = text("AccessKeyId");
    c.secret_access_key = text("SecretAccessKey");
    c.session_token = text("Token");
    if (c.access_key_id.empty() || c.secret_access_key.empty())
        return core::make_error(what + " answered without AccessKeyId and SecretAccessKey: " + snippet(body));
    if (auto exp = text("Expiration"); !exp.empty()) {
        auto t = parse_iso8601(exp);
        if (!t)
            return core::make_error(what + " answered a bad Expiration: " + t.error_message());
        c.expiration = t.value();
    }
    return c;
}

} // namespace

core::result<metadata_reply> metadata_request(const endpoint& ep, std::string_view method,
                                              std::string_view target, const header_list& headers,
                                              const metadata_options& opts, bool* network_error) {
    if (network_error)
        *network_error = false;
    const std::string where = std::string(method) + " " + ep.url() + std::string(target);
    if (ep.tls())
        return core::make_error(where + ": only plain http is supported for metadata services");
    auto verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
    if (verb == http::verb::unknown)
        return core::make_error("unknown HTTP method '" + std::string(method) + "'");
    http::request<http::string_body> req{verb, std::string(target.empty() ? "/" : target), 11};
    req.set(http::field::host, ep.host_header());
    req.set(http::field::user_agent, "live-translate");
    for (const auto& [name, value] : headers)
        req.set(beast::string_view(name.data(), name.size()), value);
    req.prepare_payload();

    const int attempts = std::max(1, opts.max_attempts);
    std::string last_error;
    for (int n = 1; n <= attempts; ++n) {
        if (n > 1)
            std::this_thread::sleep_for(50ms);
        asio::io_context ioc;
        beast::tcp_stream stream(ioc);
        net::connect_options limits;
        limits.connect_timeout = opts.connect_timeout;
        auto failed = net::connect(ioc, stream, ep, limits);
        if (failed) {
            last_error = failed.where == net::step::resolve
                             ? "cannot resolve " + ep.host + ": " + net::reason(failed.code)
                             : describe(failed.code, "connect", opts.connect_timeout);
            continue;
        }
        beast::error_code ec;
        stream.expires_after(opts.read_timeout);
        ec = run(ioc, [&](auto handler) { http::async_write(stream, req, handler); });
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(max_reply);
        if (!ec)
            ec = run(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.socket().close(ignored);
        if (ec) {
            last_error = describe(ec, parser.got_some() ? "reading the answer" : "waiting for the answer",
                                  opts.read_timeout);
            continue;
        }
        metadata_reply reply;
        reply.status = static_cast<int>(parser.get().result_int());
        reply.body = std::move(parser.get().body());
        if (reply.status >= 500 && n < attempts) {
            last_error = "HTTP " + std::to_string(reply.status);
            continue;
        }
        return reply;
    }
    if (network_error)
        *network_error = true;
    return core::make_error(where + ": " + last_error + " (" + std::to_string(attempts) + " attempt" +
                            (attempts == 1 ? "" : "s") + ")");
}

// --- container credentials ---

bool container_credentials_configured() {
    return !env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").empty() ||
           !env("AWS_CONTAINER_CREDENTIALS_FULL_URI").empty();
}

metadata_options container_metadata_options() {
    metadata_options o;
    o.connect_timeout = 2000ms;
    o.read_timeout = 5000ms;
    o.max_attempts = 3;
    return o;
}

core::result<container_source> container_source_from_env() {
    container_source src;
    const auto relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const auto full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!relative.empty()) {
        src.ep.scheme = "http";
        src.ep.host = ecs_host;
        src.ep.port = "80";
        src.target = relative.front() == '/' ? relative : "/" + relative;
        src.url = "http://" + std::string(ecs_host) + src.target;
    } else if (!full.empty()) {
        const std::string var = "AWS_CONTAINER_CREDENTIALS_FULL_URI=" + full;
        auto scheme_end = full.find("://");
        auto path_start =
            scheme_end == std::string::npos ? std::string::npos : full.find_first_of("/?#", scheme_end + 3);
        auto ep = parse_endpoint_url(full.substr(0, path_start));
        if (!ep)
            return core::make_error(var + " is not a valid URL: " + ep.error_message());
        if (ep.value().tls())
            return core::make_error(var +
                                    ": https is not supported for the container credentials endpoint; use "
                                    "an http:// URL whose host is " +
                                    std::string(allowed_hosts_text));
        if (auto ok = check_full_uri_host(ep.value().host); !ok)
            return core::make_error(var + " is refused: " + ok.error_message() +
                                    "; over plain http the host must be " + allowed_hosts_text +
                                    ", so that credentials never cross the network");
        src.ep = ep.value();
        std::string target = path_start == std::string::npos ? std::string("/") : full.substr(path_start);
        if (auto hash = target.find('#'); hash != std::string::npos)
            target.erase(hash);
        if (target.empty() || target.front() != '/')
            target = "/" + target;
        src.target = target;
        src.url = full;
    } else {
        return core::make_error("neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                                "AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
    }

    // The token file wins (EKS Pod Identity rotates it, so it is read on every call).
    if (auto file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !file.empty()) {
        std::ifstream in(file);
        if (!in)
            return core::make_error("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + file);
        std::stringstream text;
        text << in.rdbuf();
        src.authorization = trim(text.str());
        if (src.authorization.empty())
            return core::make_error("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + file + " is empty");
        if (src.authorization.find_first_of("\r\n") != std::string::npos)
            return core::make_error("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + file +
                                    " holds more than one line; it must hold only the token");
    } else if (auto token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN"); !token.empty()) {
        if (token.find_first_of("\r\n") != std::string::npos)
            return core::make_error("AWS_CONTAINER_AUTHORIZATION_TOKEN contains a line break");
        src.authorization = token;
    }
    return src;
}

core::result<credentials> fetch_container_credentials(const metadata_options& opts) {
    auto src = container_source_from_env();
    if (!src)
        return core::make_error(src.error_message());
    const auto& s = src.value();
    header_list headers{{"Accept", "application/json"}};
    if (!s.authorization.empty())
        headers.emplace_back("Authorization", s.authorization);
    auto r = metadata_request(s.ep, "GET", s.target, headers, opts);
    const std::string what = "the container credentials endpoint " + s.url;
    if (!r)
        return core::make_error("cannot reach " + what + ": " + r.error_message());
    if (r.value().status != 200) {
        std::string hint;
        if (r.value().status == 401 || r.value().status == 403)
            hint = s.authorization.empty()
                       ? " (it wants an Authorization token: set AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or "
                         "AWS_CONTAINER_AUTHORIZATION_TOKEN)"
                       : " (it refused the Authorization token)";
        return core::make_error(what + " answered HTTP " + std::to_string(r.value().status) +
                                (r.value().body.empty() ? std::string() : ": " + snippet(r.value().body)) +
                                hint);
    }
    auto c = parse_credentials(r.value().body, what, false);
    if (c)
        c.value().source = "container credentials (" + s.url + ")";
    return c;
}

// --- EC2 instance metadata ---

bool imds_disabled() { return lower(trim(env("AWS_EC2_METADATA_DISABLED"))) == "true"; }

core::result<endpoint> imds_endpoint() {
    std::string url = "http://169.254.169.254";
    if (auto e = env("AWS_EC2_METADATA_SERVICE_ENDPOINT"); !e.empty()) {
        url = e;
    } else if (auto mode = lower(env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")); !mode.empty()) {
        if (mode == "ipv6")
            url = "http://[fd00:ec2::254]";
        else if (mode != "ipv4")
            return core::make_error("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE='" + mode +
                                    "': use IPv4 or IPv6");
    }
    auto ep = parse_endpoint_url(url);
    if (!ep)
        return core::make_error("AWS_EC2_METADATA_SERVICE_ENDPOINT: " + ep.error_message());
    if (ep.value().tls())
        return core::make_error("AWS_EC2_METADATA_SERVICE_ENDPOINT=" + url +
                                ": the instance metadata service is plain http; use an http:// URL");
    return ep;
}

struct imds_fetcher::state {
    metadata_options opts;
    std::mutex mu;
    std::string token;
    std::string token_url; // the endpoint the token is for
    steady::time_point token_expiry{};
};

imds_fetcher::imds_fetcher(metadata_options opts) : state_(std::make_shared<state>()) { state_->opts = opts; }

core::result<credentials> imds_fetcher::fetch() {
    std::lock_guard lock(state_->mu);
    auto& st = *state_;
    auto ep_r = imds_endpoint();
    if (!ep_r)
        return core::make_error(ep_r.error_message());
    const endpoint ep = ep_r.value();
    const std::string what = "EC2 instance metadata at " + ep.url();

    auto new_token = [&]() -> core::result<bool> {
        st.token.clear();
        auto r = metadata_request(ep, "PUT", ep.target + "/latest/api/token",
                                  {{"X-aws-ec2-metadata-token-ttl-seconds", imds_token_ttl}}, st.opts);
        if (!r)
            return core::make_error(what + " is unreachable: " + r.error_message());
        if (r.value().status != 200)
            return core::make_error(
                what + " refused the session token request (PUT /latest/api/token): HTTP " +
                std::to_string(r.value().status) +
                (r.value().status == 403 ? " (instance metadata is turned off for this instance, or "
                                           "something else answered at that address)"
                                         : std::string()));
        auto token = trim(r.value().body);
        if (token.empty())
            return core::make_error(what + " answered an empty session token");
        st.token = token;
        st.token_url = ep.url();
        st.token_expiry = steady::now() + token_lifetime;
        return true;
    };
    // GET with the session token; a 401 means the token has expired: one new token, once.
    auto get = [&](const std::string& path) -> core::result<metadata_reply> {
        if (st.token.empty() || st.token_url != ep.url() || steady::now() >= st.token_expiry)
            if (auto t = new_token(); !t)
                return core::make_error(t.error_message());
        for (int round = 0;; ++round) {
            auto r = metadata_request(ep, "GET", ep.target + path, {{"X-aws-ec2-metadata-token", st.token}},
                                      st.opts);
            if (!r)
                return core::make_error(what + " is unreachable: " + r.error_message());
            if (r.value().status != 401 || round == 1)
                return r;
            if (auto t = new_token(); !t)
                return core::make_error(t.error_message());
        }
    };

    const std::string base = "/latest/meta-data/iam/security-credentials/";
    auto roles = get(base);
    if (!roles)
        return core::make_error(roles.error_message());
    if (roles.value().status == 404)
        return core::make_error(what + ": no IAM role (instance profile) is attached to this instance");
    if (roles.value().status != 200)
        return core::make_error(what + " answered HTTP " + std::to_string(roles.value().status) + " for " +
                                base);
    std::string role = trim(roles.value().body);
    role = trim(role.substr(0, role.find('\n')));
    if (role.empty())
        return core::make_error(what + ": no IAM role (instance profile) is attached to this instance");

    auto r = get(base + role);
    if (!r)
        return core::make_error(r.error_message());
    if (r.value().status != 200)
        return core::make_error(what + " answered HTTP " + std::to_string(r.value().status) +
                                " for the role " + role + "'s credentials");
    auto c = parse_credentials(r.value().body, what, true);
    if (c)
        c.value().source = "EC2 instance metadata (role " + role + ")";
    return c;
}

} // namespace lt::aws
