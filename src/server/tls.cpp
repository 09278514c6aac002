#include "server/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>

#include <stdexcept>

namespace lt::server {

namespace {

std::string openssl_reason() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0)
        return "unknown error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

template <class Print>
std::string bio_text(Print print) {
    BIO* bio = BIO_new(BIO_s_mem());
    print(bio);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, n > 0 ? static_cast<std::size_t>(n) : 0);
    BIO_free(bio);
    return out;
}

} // namespace

tls_context::tls_context(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {
    ctx_ = load(description_);
}

std::shared_ptr<ssl::context> tls_context::load(std::string& description) const {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    // TLS 1.2 and 1.3 only.
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(native, cert_file_.c_str()) != 1)
        throw std::runtime_error("cannot load the TLS certificate " + cert_file_ + ": " + openssl_reason());
    const auto mismatch = "the TLS key " + key_file_ + " does not match the certificate " + cert_file_;
    if (SSL_CTX_use_PrivateKey_file(native, key_file_.c_str(), SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            throw std::runtime_error(mismatch);
        }
        throw std::runtime_error("cannot load the TLS key " + key_file_ + ": " + openssl_reason());
    }
    if (SSL_CTX_check_private_key(native) != 1)
        throw std::runtime_error(mismatch);
    X509* cert = SSL_CTX_get0_certificate(native);
    auto subject = bio_text([cert](BIO* b) {
        X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
    });
    auto expiry = bio_text([cert](BIO* b) { ASN1_TIME_print(b, X509_get0_notAfter(cert)); });
    bool expired = X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0;
    description =
        "subject " + subject + ", expires " + expiry + (expired ? " (EXPIRED)" : "") + ", from " + cert_file_;
    return ctx;
}

std::shared_ptr<ssl::context> tls_context::current() const {
    std::lock_guard lock(mutex_);
    return ctx_;
}

std::string tls_context::reload() {
    std::string description;
    std::shared_ptr<ssl::context> fresh;
    try {
        fresh = load(description);
    } catch (const std::exception& e) {
        return e.what();
    }
    std::lock_guard lock(mutex_);
    ctx_ = std::move(fresh);
    description_ = std::move(description);
    return {};
}

std::string tls_context::description() const {
    std::lock_guard lock(mutex_);
    return description_;
}

} // namespace lt::server
