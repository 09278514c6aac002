// AWS event-stream framing (see event_stream.hpp for the layout). Integers are big-endian;
// both CRCs are CRC-32 (IEEE 802.3, the gzip/zlib one). The decoder checks the prelude CRC
// before it trusts either length, as the format intends, so a corrupted length is reported
// as a prelude CRC mismatch rather than making the decoder wait for bytes that never come.
#include "aws/event_stream.hpp"

#include "aws/crypto.hpp"

#include <cstdio>
#include <stdexcept>
#include <type_traits>

namespace lt::aws::event_stream {
namespace {

constexpr std::size_t prelude_size = 12; // total length, headers length, prelude CRC
constexpr std::size_t overhead = 16;     // prelude + message CRC
constexpr std::size_t max_name_size = 255;
constexpr std::size_t max_value_size = 32767; // string and bytes values (u16 length, signed limit)

void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }

void put_be(std::string& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_be(std::string_view in, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v = (v << 8) | static_cast<unsigned char>(in[at + i]);
    return v;
}

std::string hex32(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v));
    return buf;
}

core::error fail(const std::string& what) { return core::make_error("event-stream: " + what); }

// The type byte of a header value, in the variant's order (bool is 0 or 1 by value).
std::uint8_t type_of(const header_value& v) {
    switch (v.index()) {
    case 0:
        return std::get<bool>(v) ? 0 : 1;
    case 1:
        return 2; // int8
    case 2:
        return 3; // int16
    case 3:
        return 4; // int32
    case 4:
        return 5; // int64
    case 5:
        return 6; // bytes
    case 6:
        return 7; // string
    case 7:
        return 8; // timestamp
    default:
        return 9; // uuid
    }
}

void encode_header(std::string& out, const header& h) {
    if (h.name.empty() || h.name.size() > max_name_size)
        throw std::invalid_argument("event-stream: header name must be 1.." + std::to_string(max_name_size) +
                                    " bytes, got " + std::to_string(h.name.size()));
    put_u8(out, static_cast<std::uint8_t>(h.name.size()));
    out += h.name;
    put_u8(out, type_of(h.value));
    auto put_blob = [&](const std::string& data) {
        if (data.size() > max_value_size)
            throw std::invalid_argument("event-stream: header '" + h.name + "' value is " +
                                        std::to_string(data.size()) + " bytes, the limit is " +
                                        std::to_string(max_value_size));
        put_be(out, data.size(), 2);
        out += data;
    };
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, bool>) {
                // the type byte carries the value
            } else if constexpr (std::is_same_v<T, std::int8_t>) {
                put_be(out, static_cast<std::uint8_t>(v), 1);
            } else if constexpr (std::is_same_v<T, std::int16_t>) {
                put_be(out, static_cast<std::uint16_t>(v), 2);
            } else if constexpr (std::is_same_v<T, std::int32_t>) {
                put_be(out, static_cast<std::uint32_t>(v), 4);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                put_be(out, static_cast<std::uint64_t>(v), 8);
            } else if constexpr (std::is_same_v<T, bytes>) {
                put_blob(v.data);
            } else if constexpr (std::is_same_v<T, std::string>) {
                put_blob(v);
            } else if constexpr (std::is_same_v<T, timestamp>) {
                put_be(out, static_cast<std::uint64_t>(v.ms), 8);
            } else {
                out.append(reinterpret_cast<const char*>(v.data.data()), v.data.size());
            }
        },
        h.value);
}

// Parses the header block; every read is bounds-checked against `in`.
core::result<std::vector<header>> decode_headers(std::string_view in) {
    std::vector<header> out;
    std::size_t at = 0;
    auto need = [&](std::size_t n) { return at + n <= in.size(); };
    while (at < in.size()) {
        const std::size_t start = at;
        const std::size_t name_len = static_cast<unsigned char>(in[at++]);
        if (name_len == 0)
            return fail("empty header name at header offset " + std::to_string(start));
        if (!need(name_len + 1)) // the name and the type byte
            return fail("truncated header at header offset " + std::to_string(start));
        header h;
        h.name = std::string(in.substr(at, name_len));
        at += name_len;
        const std::uint8_t type = static_cast<std::uint8_t>(in[at++]);
        switch (type) {
        case 0:
            h.value = true;
            break;
        case 1:
            h.value = false;
            break;
        case 2:
            if (!need(1))
                return fail("truncated value of header '" + h.name + "'");
            h.value = static_cast<std::int8_t>(get_be(in, at, 1));
            at += 1;
            break;
        case 3:
            if (!need(2))
                return fail("truncated value of header '" + h.name + "'");
            h.value = static_cast<std::int16_t>(get_be(in, at, 2));
            at += 2;
            break;
        case 4:
            if (!need(4))
                return fail("truncated value of header '" + h.name + "'");
            h.value = static_cast<std::int32_t>(get_be(in, at, 4));
            at += 4;
            break;
        case 5:
        case 8: {
            if (!need(8))
                return fail("truncated value of header '" + h.name + "'");
            const auto v = static_cast<std::int64_t>(get_be(in, at, 8));
            at += 8;
            if (type == 5)
                h.value = v;
            else
                h.value = timestamp{v};
            break;
        }
        case 6:
        case 7: {
            if (!need(2))
                return fail("truncated value of header '" + h.name + "'");
            const std::size_t len = get_be(in, at, 2);
            at += 2;
            if (len > max_value_size)
                return fail("header '" + h.name + "' value is " + std::to_string(len) +
                            " bytes, the limit is " + std::to_string(max_value_size));
            if (!need(len))
                return fail("truncated value of header '" + h.name + "'");
            std::string data(in.substr(at, len));
            at += len;
            if (type == 6)
                h.value = bytes{std::move(data)};
            else
                h.value = std::move(data);
            break;
        }
        case 9: {
            if (!need(16))
                return fail("truncated value of header '" + h.name + "'");
            uuid u;
            for (std::size_t i = 0; i < 16; ++i)
                u.data[i] = static_cast<std::uint8_t>(in[at + i]);
            at += 16;
            h.value = u;
            break;
        }
        default:
            return fail("unknown type " + std::to_string(type) + " of header '" + h.name + "'");
        }
        for (const auto& prev : out) {
            if (prev.name == h.name)
                return fail("duplicate header '" + h.name + "'");
        }
        out.push_back(std::move(h));
    }
    return out;
}

struct prelude {
    std::uint32_t total = 0;
    std::uint32_t headers = 0;
};

// Checks the prelude CRC and the lengths; `in` holds at least prelude_size bytes.
core::result<prelude> check_prelude(std::string_view in) {
    const auto got = static_cast<std::uint32_t>(get_be(in, 8, 4));
    const auto computed = crc32(in.substr(0, 8));
    if (got != computed)
        return fail("prelude CRC mismatch (got " + hex32(got) + ", computed " + hex32(computed) + ")");
    prelude p;
    p.total = static_cast<std::uint32_t>(get_be(in, 0, 4));
    p.headers = static_cast<std::uint32_t>(get_be(in, 4, 4));
    if (p.total < overhead)
        return fail("total length " + std::to_string(p.total) + " is below the minimum of 16");
    if (p.total > max_message_size)
        return fail("message of " + std::to_string(p.total) + " bytes exceeds the limit of " +
                    std::to_string(max_message_size));
    if (p.headers > max_headers_size)
        return fail("headers of " + std::to_string(p.headers) + " bytes exceed the limit of " +
                    std::to_string(max_headers_size));
    if (p.headers > p.total - overhead)
        return fail("headers length " + std::to_string(p.headers) + " does not fit in a message of " +
                    std::to_string(p.total) + " bytes");
    return p;
}

} // namespace

const std::string* message::string_header(std::string_view name) const {
    for (const auto& h : headers) {
        if (h.name == name)
            return std::get_if<std::string>(&h.value);
    }
    return nullptr;
}

std::string encode(const message& m) {
    std::string head;
    for (std::size_t i = 0; i < m.headers.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (m.headers[j].name == m.headers[i].name)
                throw std::invalid_argument("event-stream: duplicate header '" + m.headers[i].name + "'");
        }
        encode_header(head, m.headers[i]);
    }
    if (head.size() > max_headers_size)
        throw std::invalid_argument("event-stream: headers of " + std::to_string(head.size()) +
                                    " bytes exceed the limit of " + std::to_string(max_headers_size));
    const std::size_t total = overhead + head.size() + m.payload.size();
    if (total > max_message_size)
        throw std::invalid_argument("event-stream: message of " + std::to_string(total) +
                                    " bytes exceeds the limit of " + std::to_string(max_message_size));
    std::string out;
    out.reserve(total);
    put_be(out, total, 4);
    put_be(out, head.size(), 4);
    put_be(out, crc32(out), 4);
    out += head;
    out += m.payload;
    put_be(out, crc32(out), 4);
    return out;
}

core::result<message> decode(std::string_view frame) {
    if (frame.size() < overhead)
        return fail("message too short (" + std::to_string(frame.size()) + " bytes, the minimum is 16)");
    auto p = check_prelude(frame);
    if (!p)
        return core::make_error(p.error_message());
    if (p.value().total != frame.size())
        return fail("total length " + std::to_string(p.value().total) + " does not match the " +
                    std::to_string(frame.size()) + " bytes received");
    const auto got = static_cast<std::uint32_t>(get_be(frame, frame.size() - 4, 4));
    const auto computed = crc32(frame.substr(0, frame.size() - 4));
    if (got != computed)
        return fail("message CRC mismatch (got " + hex32(got) + ", computed " + hex32(computed) + ")");
    auto headers = decode_headers(frame.substr(prelude_size, p.value().headers));
    if (!headers)
        return core::make_error(headers.error_message());
    message m;
    m.headers = std::move(headers).value();
    const std::size_t payload_at = prelude_size + p.value().headers;
    m.payload = std::string(frame.substr(payload_at, frame.size() - 4 - payload_at));
    return m;
}

void decoder::feed(std::string_view data) {
    if (failed_.empty())
        buffer_.append(data);
}

core::result<std::optional<message>> decoder::next() {
    if (!failed_.empty())
        return core::make_error(failed_);
    if (buffer_.size() < prelude_size)
        return std::optional<message>{};
    auto p = check_prelude(buffer_);
    if (!p) {
        failed_ = p.error_message();
        buffer_.clear();
        return core::make_error(failed_);
    }
    const std::size_t total = p.value().total;
    if (buffer_.size() < total)
        return std::optional<message>{};
    auto m = decode(std::string_view(buffer_).substr(0, total));
    if (!m) {
        failed_ = m.error_message();
        buffer_.clear();
        return core::make_error(failed_);
    }
    buffer_.erase(0, total);
    return std::optional<message>{std::move(m).value()};
}

message audio_event(std::string_view pcm_s16le) {
    // The header order of AWS Transcribe's "Setting up a WebSocket stream" table.
    message m;
    m.headers.push_back({":content-type", std::string("application/octet-stream")});
    m.headers.push_back({":event-type", std::string("AudioEvent")});
    m.headers.push_back({":message-type", std::string("event")});
    m.payload = std::string(pcm_s16le);
    return m;
}

message end_of_stream() { return audio_event({}); }

} // namespace lt::aws::event_stream
