// Where a service lives: the regional AWS endpoint, or an override from the standard SDK
// settings AWS_ENDPOINT_URL_<SERVICE> (TRANSLATE, STS, TRANSCRIBE_STREAMING) and
// AWS_ENDPOINT_URL, for VPC endpoints, emulators and the tests' local fakes.
#pragma once

#include "core/result.hpp"
#include "net/endpoint.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace lt::aws {

// scheme https or http (overrides only); host without brackets for IPv6; port always set;
// target: the path prefix of an override URL, "" or "/prefix" (no trailing slash).
using endpoint = lt::net::endpoint;

struct service_info {
    std::string env_id;       // "TRANSLATE", "STS", "TRANSCRIBE_STREAMING"
    std::string host_prefix;  // "translate", "sts", "transcribestreaming"
    std::string port = "443"; // Transcribe streaming: "8443"
    std::string signing_name; // "translate", "sts", "transcribe"
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
