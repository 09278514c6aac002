#include "aws/crypto.hpp"

#include <boost/crc.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace lt::aws {

std::string sha256(std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr))
        throw std::runtime_error("OpenSSL SHA-256 failed");
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len))
        throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 0xf];
    }
    return out;
}

std::string sha256_hex(std::string_view data) { return hex(sha256(data)); }

std::uint32_t crc32(std::string_view data, std::uint32_t seed) {
    // A seed is a previous final value; Boost's register holds it complemented and, for this
    // reflected CRC, bit-reversed.
    std::uint32_t reg = seed ^ 0xFFFFFFFFu, reversed = 0;
    for (int i = 0; i < 32; ++i)
        if (reg & (1u << i))
            reversed |= 1u << (31 - i);
    boost::crc_32_type crc(reversed);
    crc.process_bytes(data.data(), data.size());
    return crc.checksum();
}

} // namespace lt::aws
