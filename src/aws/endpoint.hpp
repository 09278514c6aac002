// Where a service lives: the regional AWS endpoint, or an override from the standard SDK
// settings AWS_ENDPOINT_URL_<SERVICE> (TRANSLATE, STS, TRANSCRIBE_STREAMING) and
// AWS_ENDPOINT_URL, for VPC endpoints, emulators and the tests' local fakes.
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace lt::aws {

struct endpoint {
    std::string scheme = "https"; // https | http (overrides only)
    std::string host;             // no brackets for IPv6
    std::string port;             // always set ("443", "8443", "4566", ...)
    std::string base_path;        // from an override URL; "" or "/prefix" (no trailing slash)
    bool tls() const { return scheme == "https"; }
    // Host header value: host, with ":port" unless the port is the scheme's default.
    std::string host_header() const;
    std::string url() const;      // "https://translate.eu-west-2.amazonaws.com"
};

struct service_info {
    std::string env_id;        // "TRANSLATE", "STS", "TRANSCRIBE_STREAMING"
    std::string host_prefix;   // "translate", "sts", "transcribestreaming"
    std::string port = "443";  // Transcribe streaming: "8443"
    std::string signing_name;  // "translate", "sts", "transcribe"
};
const service_info& translate_service();
const service_info& sts_service();
const service_info& transcribe_streaming_service();

// An override when set (a malformed URL is an error naming the variable), else
// "<prefix>.<region>.amazonaws.com" (".amazonaws.com.cn" for cn- regions); an empty
// region without an override is an error saying to set AWS_REGION. A plain-http override
// adds a warning to `warnings` unless the host is loopback.
core::result<endpoint> resolve_endpoint(const service_info& service, std::string_view region,
                                        std::vector<std::string>* warnings = nullptr);

// Parses "http(s)://host[:port][/path]" (IPv6 in brackets).
core::result<endpoint> parse_endpoint_url(std::string_view url);

} // namespace lt::aws
