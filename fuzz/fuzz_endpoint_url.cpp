// The URL readers: lt-speech's server URL (net::parse_url) and the AWS endpoint overrides
// (aws::parse_endpoint_url). What parses must print back to a URL that parses the same.
#include "aws/endpoint.hpp"
#include "fuzz_util.hpp"
#include "net/endpoint.hpp"

namespace {

void check_round_trip(const lt::net::endpoint& e,
                      lt::core::result<lt::net::endpoint> (*parse)(std::string_view)) {
    LT_FUZZ_CHECK(!e.host.empty() && !e.port.empty());
    auto again = parse(e.url());
    LT_FUZZ_CHECK(again);
    const auto& b = again.value();
    LT_FUZZ_CHECK(b.scheme == e.scheme && b.host == e.host && b.port == e.port && b.target == e.target);
}

lt::core::result<lt::net::endpoint> net_parse(std::string_view s) { return lt::net::parse_url(s); }
lt::core::result<lt::net::endpoint> aws_parse(std::string_view s) { return lt::aws::parse_endpoint_url(s); }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto url = lt::fuzz::text(data, size);
    if (auto e = lt::net::parse_url(url)) {
        check_round_trip(e.value(), net_parse);
        e.value().host_header();
        e.value().tls();
    } else {
        LT_FUZZ_CHECK(!e.error_message().empty());
    }
    if (auto e = lt::aws::parse_endpoint_url(url))
        check_round_trip(e.value(), aws_parse);
    lt::net::is_ip_literal(url);
    return 0;
}
