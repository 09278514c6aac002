// Hashes and checksums the AWS protocols need, on OpenSSL (and Boost.CRC for CRC32).
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lt::aws {

std::string sha256(std::string_view data);                            // 32 raw bytes
std::string hmac_sha256(std::string_view key, std::string_view data); // 32 raw bytes
std::string hex(std::string_view bytes);                              // lower case
std::string sha256_hex(std::string_view data);
// CRC-32 (IEEE 802.3, as zlib), `seed` to continue over split buffers.
std::uint32_t crc32(std::string_view data, std::uint32_t seed = 0);

} // namespace lt::aws
