#include "aws/sigv4.hpp"
#include "aws/text.hpp"

#include "aws/crypto.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

namespace lt::aws {

namespace {

using detail::lower;

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";

bool unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// %XX only: '+' stays a literal plus, as AWS reads query strings.
std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// Trim, and fold every run of white space (line breaks included) into one space.
std::string trim_all(std::string_view v) {
    std::string out;
    bool space = false;
    for (char c : v) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = !out.empty();
            continue;
        }
        if (space)
            out += ' ';
        space = false;
        out += c;
    }
    return out;
}

// RFC 3986 dot-segment removal plus collapsing of empty segments ("//").
std::string normalize(std::string_view path) {
    std::vector<std::string_view> segments;
    bool trailing = false;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        auto next = path.find('/', pos);
        if (next == std::string_view::npos)
            next = path.size();
        auto seg = path.substr(pos, next - pos);
        trailing = seg.empty() || seg == "." || seg == "..";
        if (seg == "..") {
            if (!segments.empty())
                segments.pop_back();
        } else if (!seg.empty() && seg != ".") {
            segments.push_back(seg);
        }
        pos = next + 1;
    }
    std::string out = "/";
    for (std::size_t i = 0; i < segments.size(); ++i) {
        if (i)
            out += '/';
        out += segments[i];
    }
    if (trailing && !segments.empty())
        out += '/';
    return out;
}

std::string canonical_path(std::string_view path, bool normalize_path) {
    if (path.empty())
        return "/";
    if (normalize_path)
        // Every service but S3 encodes the path as sent once more ("double encoding").
        return uri_encode(normalize(path), true);
    return uri_encode(percent_decode(path), true);
}

using param_list = std::vector<std::pair<std::string, std::string>>;

// Query parameters, decoded.
param_list parse_query(std::string_view query) {
    param_list out;
    std::size_t pos = 0;
    while (pos <= query.size() && !query.empty()) {
        auto next = query.find('&', pos);
        if (next == std::string_view::npos)
            next = query.size();
        auto item = query.substr(pos, next - pos);
        if (!item.empty()) {
            auto eq = item.find('=');
            if (eq == std::string_view::npos)
                out.emplace_back(percent_decode(item), "");
            else
                out.emplace_back(percent_decode(item.substr(0, eq)), percent_decode(item.substr(eq + 1)));
        }
        pos = next + 1;
    }
    return out;
}

std::string canonical_query(const param_list& params) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(params.size());
    for (const auto& [k, v] : params)
        encoded.emplace_back(uri_encode(k), uri_encode(v));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [k, v] : encoded) {
        if (!out.empty())
            out += '&';
        out += k;
        out += '=';
        out += v;
    }
    return out;
}

struct canonical_headers_t {
    std::string text; // "name:value\n" lines
    std::string signed_names;
};

canonical_headers_t canonical_headers(const header_list& headers) {
    std::map<std::string, std::string> merged; // sorted by lower-case name
    for (const auto& [name, value] : headers) {
        auto key = lower(trim_all(name));
        auto [it, fresh] = merged.try_emplace(key, trim_all(value));
        if (!fresh)
            it->second += "," + trim_all(value);
    }
    canonical_headers_t out;
    for (const auto& [name, value] : merged) {
        out.text += name + ":" + value + "\n";
        if (!out.signed_names.empty())
            out.signed_names += ';';
        out.signed_names += name;
    }
    return out;
}

void remove_header(header_list& headers, std::string_view name) {
    std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
}

// Replaces the first header of that name in place (keeping the order), drops the others.
void set_header(header_list& headers, std::string_view name, const std::string& value) {
    auto it =
        std::find_if(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
    if (it == headers.end()) {
        headers.emplace_back(std::string(name), value);
        return;
    }
    it->second = value;
    headers.erase(
        std::remove_if(std::next(it), headers.end(), [&](const auto& h) { return iequals(h.first, name); }),
        headers.end());
}

std::string find_header(const header_list& headers, std::string_view name) {
    for (const auto& [n, v] : headers)
        if (iequals(n, name))
            return v;
    return {};
}

std::string signing_key(const credentials& creds, const std::string& date, const signing_params& p) {
    auto k = hmac_sha256("AWS4" + creds.secret_access_key, date);
    k = hmac_sha256(k, p.region);
    k = hmac_sha256(k, p.service);
    return hmac_sha256(k, "aws4_request");
}

std::string payload_hash(const http_request_parts& req, const signing_params& p) {
    return p.unsigned_payload ? std::string("UNSIGNED-PAYLOAD") : sha256_hex(req.body);
}

// Fills string_to_sign and signature from canonical_request.
void finish(signature_steps& s, const credentials& creds, const signing_params& p, const std::string& stamp,
            const std::string& scope) {
    s.string_to_sign =
        std::string(algorithm) + "\n" + stamp + "\n" + scope + "\n" + sha256_hex(s.canonical_request);
    s.signature = hex(hmac_sha256(signing_key(creds, stamp.substr(0, 8), p), s.string_to_sign));
}

} // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (unreserved(c) || (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 0xf];
        }
    }
    return out;
}

std::string amz_date(clock::time_point t) {
    std::time_t tt = clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

signature_steps sign_request(http_request_parts& req, const credentials& creds,
                             const signing_params& params) {
    const std::string stamp = amz_date(params.when);
    const std::string scope =
        stamp.substr(0, 8) + "/" + params.region + "/" + params.service + "/aws4_request";
    const std::string body_hash = payload_hash(req, params);

    // Re-signing a request replaces the previous signature and date.
    remove_header(req.headers, "Authorization");
    set_header(req.headers, "X-Amz-Date", stamp);
    if (!creds.session_token.empty())
        set_header(req.headers, "X-Amz-Security-Token", creds.session_token);
    if (params.content_sha256_header)
        set_header(req.headers, "X-Amz-Content-Sha256", body_hash);

    std::string_view target = req.target;
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);

    auto headers = canonical_headers(req.headers);
    signature_steps s;
    s.canonical_request = req.method + "\n" + canonical_path(path, params.normalize_path) + "\n" +
                          canonical_query(parse_query(query)) + "\n" + headers.text + "\n" +
                          headers.signed_names + "\n" + body_hash;
    finish(s, creds, params, stamp, scope);
    s.authorization = std::string(algorithm) + " Credential=" + creds.access_key_id + "/" + scope +
                      ", SignedHeaders=" + headers.signed_names + ", Signature=" + s.signature;
    req.headers.emplace_back("Authorization", s.authorization);
    return s;
}

std::string presign(const http_request_parts& req, const credentials& creds, const signing_params& params,
                    std::chrono::seconds expires, signature_steps* steps) {
    const std::string stamp = amz_date(params.when);
    const std::string scope =
        stamp.substr(0, 8) + "/" + params.region + "/" + params.service + "/aws4_request";
    expires = std::clamp(expires, std::chrono::seconds(1), std::chrono::seconds(7 * 24 * 3600));

    std::string_view target = req.target;
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);

    param_list params_list = parse_query(query);
    params_list.emplace_back("X-Amz-Algorithm", std::string(algorithm));
    params_list.emplace_back("X-Amz-Credential", creds.access_key_id + "/" + scope);
    params_list.emplace_back("X-Amz-Date", stamp);
    params_list.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
    // Transcribe (and most services) want the token signed, not appended afterwards.
    if (!creds.session_token.empty())
        params_list.emplace_back("X-Amz-Security-Token", creds.session_token);
    params_list.emplace_back("X-Amz-SignedHeaders", "host");
    const std::string query_text = canonical_query(params_list);

    signature_steps s;
    s.canonical_request = req.method + "\n" + canonical_path(path, params.normalize_path) + "\n" +
                          query_text + "\nhost:" + trim_all(find_header(req.headers, "Host")) + "\n\nhost\n" +
                          payload_hash(req, params);
    finish(s, creds, params, stamp, scope);
    std::string out =
        std::string(path.empty() ? "/" : path) + "?" + query_text + "&X-Amz-Signature=" + s.signature;
    if (steps)
        *steps = std::move(s);
    return out;
}

} // namespace lt::aws
