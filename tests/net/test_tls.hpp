// Test TLS material made at run time: a self-signed CA certificate for given names, and a
// CA file on disk that trusts it (removed again at the end).
#pragma once

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include <unistd.h>

namespace lt::test {

struct test_cert {
    std::string cert_pem, key_pem;
};

// A self-signed CA certificate for `san` ("DNS:localhost,IP:127.0.0.1").
inline test_cert self_signed(const std::string& san) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), -600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("lt-test"),
                               -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, san},
                              std::pair<int, std::string>{NID_basic_constraints, "critical,CA:TRUE"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    X509_sign(x, key, EVP_sha256());
    auto to_pem = [](auto write) {
        BIO* bio = BIO_new(BIO_s_mem());
        write(bio);
        char* data = nullptr;
        long n = BIO_get_mem_data(bio, &data);
        std::string pem(data, static_cast<std::size_t>(n));
        BIO_free(bio);
        return pem;
    };
    test_cert out;
    out.cert_pem = to_pem([&](BIO* b) { PEM_write_bio_X509(b, x); });
    out.key_pem =
        to_pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
    X509_free(x);
    EVP_PKEY_free(key);
    return out;
}

// `pem` in a temporary file, for make_tls_context(ca_file) and the clients' ca_file options.
struct ca_file {
    explicit ca_file(const std::string& pem) {
        static std::atomic<int> n{0};
        path = (std::filesystem::temp_directory_path() /
                ("lt-test-ca-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".pem"))
                   .string();
        std::ofstream(path) << pem;
    }
    ~ca_file() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
    ca_file(const ca_file&) = delete;
    ca_file& operator=(const ca_file&) = delete;
    std::string path;
};

} // namespace lt::test
