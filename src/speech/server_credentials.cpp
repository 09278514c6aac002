#include "speech/server_credentials.hpp"

#include "speech/token.hpp"

#include <cstdlib>

namespace lt::speech {

namespace {

std::string expiry(const aws::credentials& c) {
    return c.expiration ? ", expire " + aws::format_iso8601(*c.expiration) : "";
}

} // namespace

server_credentials_provider::server_credentials_provider(server_credentials_options opts,
                                                         aws::credentials first)
    : opts_(std::move(opts)), first_(std::move(first)), inner_([this] { return fetch(); }, opts_.refresh) {}

core::result<aws::credentials> server_credentials_provider::get() { return inner_.get(); }

void server_credentials_provider::invalidate() { inner_.invalidate(); }

std::uint64_t server_credentials_provider::fetches() const { return inner_.fetches(); }

core::result<aws::credentials> server_credentials_provider::fetch() {
    {
        std::lock_guard lock(mu_);
        if (first_) { // the token fetched at start serves the first use
            auto c = std::move(*first_);
            first_.reset();
            return c;
        }
    }
    auto t = fetch_server_token(opts_.server, opts_.api_key, opts_.ca_file, opts_.timeout);
    if (!t.token) {
        if (opts_.notice)
            opts_.notice("warning: refreshing AWS credentials: " + t.error);
        return core::make_error(t.error);
    }
    if (opts_.verbose && opts_.notice)
        opts_.notice("refreshed AWS credentials from the server (" +
                     t.token->credentials.access_key_id.substr(0, 8) + "..." + expiry(t.token->credentials) +
                     ")");
    return t.token->credentials;
}

engine_credentials aws_engine_credentials(bool local, const server_credentials_options& opts) {
    auto notice = [&opts](const std::string& text) {
        if (opts.notice)
            opts.notice(text);
    };
    engine_credentials out;
    if (local) {
        auto chain = aws::make_default_chain();
        auto first = chain->get();
        if (!first) {
            notice("error: LT_LOCAL_TOKEN=true but " + first.error_message());
            return out;
        }
        notice("AWS credentials: local, from " + first.value().source + expiry(first.value()));
        out.provider = chain;
        return out;
    }
    auto first = fetch_server_token(opts.server, opts.api_key, opts.ca_file, opts.timeout);
    if (!first.token) {
        notice("error: " + first.error +
               (first.refused ? "" : " (or set LT_LOCAL_TOKEN=true to use local AWS credentials)"));
        out.refused = first.refused;
        return out;
    }
    if (const char* r = std::getenv("AWS_REGION"); r && *r)
        out.region = r;
    else if (const char* d = std::getenv("AWS_DEFAULT_REGION"); d && *d)
        out.region = d;
    else
        out.region = first.token->region;
    notice("AWS credentials: from " + opts.server.url() + " (generate_token" +
           expiry(first.token->credentials) + "), region " + (out.region.empty() ? "unset" : out.region));
    out.provider = std::make_shared<server_credentials_provider>(opts, first.token->credentials);
    return out;
}

} // namespace lt::speech
