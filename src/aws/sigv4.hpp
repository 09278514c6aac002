// AWS Signature Version 4: signed headers (Authorization) and presigned URLs (query
// string). Checked against AWS's published SigV4 test suite (tests/aws/data/sigv4/).
#pragma once

#include "aws/credentials.hpp"

#include <string>
#include <utility>
#include <vector>

namespace lt::aws {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_request_parts {
    std::string method = "GET";
    std::string target = "/"; // path and query exactly as sent ("/a%20b?x=1&y=2")
    header_list headers;      // must include Host
    std::string body;
};

struct signing_params {
    std::string region;
    std::string service; // signing name: "translate", "sts", "transcribe"
    clock::time_point when = clock::now();
    bool normalize_path = true;         // every service but S3
    bool content_sha256_header = false; // add x-amz-content-sha256 (S3, some streaming APIs)
    bool unsigned_payload = false;      // "UNSIGNED-PAYLOAD" instead of hex(sha256(body))
};

// The intermediate steps, for tests and for logging a signature mismatch.
struct signature_steps {
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;     // hex
    std::string authorization; // the Authorization header value
};

// Header signing: adds X-Amz-Date, X-Amz-Security-Token (when the credentials have a
// session token) and Authorization to `req` and returns the steps. Headers already present
// are signed as they are.
signature_steps sign_request(http_request_parts& req, const credentials& creds, const signing_params& params);

// Presigning: returns `req.target` with X-Amz-Algorithm, -Credential, -Date, -Expires,
// -SignedHeaders (host only), -Security-Token and -Signature appended to its query.
// `expires` is at most 7 days (AWS's limit); Transcribe streaming accepts up to 300 s.
std::string presign(const http_request_parts& req, const credentials& creds, const signing_params& params,
                    std::chrono::seconds expires, signature_steps* steps = nullptr);

// RFC 3986 unreserved-only percent-encoding, as SigV4 wants; '/' kept when `keep_slash`.
std::string uri_encode(std::string_view s, bool keep_slash = false);
// "20150830T123600Z"
std::string amz_date(clock::time_point t);

} // namespace lt::aws
