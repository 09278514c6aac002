// Event-stream framing: round trips of every header type, the decoder over split buffers,
// corrupted and oversized frames, AWS's published test vectors (tests/aws/data/event_stream,
// see its README) and the AudioEvent layout of AWS Transcribe's WebSocket documentation.
#include "aws/event_stream.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

namespace es = lt::aws::event_stream;

namespace {

// An independent CRC-32 (bitwise, reflected 0xEDB88320) to build frames by hand.
std::uint32_t crc(std::string_view data) {
    std::uint32_t c = 0xffffffffu;
    for (unsigned char b : data) {
        c ^= b;
        for (int k = 0; k < 8; ++k)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

std::string be32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

std::uint32_t read_be32(std::string_view s, std::size_t at) {
    return (std::uint32_t(static_cast<unsigned char>(s[at])) << 24) |
           (std::uint32_t(static_cast<unsigned char>(s[at + 1])) << 16) |
           (std::uint32_t(static_cast<unsigned char>(s[at + 2])) << 8) |
           std::uint32_t(static_cast<unsigned char>(s[at + 3]));
}

std::string hex32(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

// A frame with correct CRCs around arbitrary (possibly invalid) header bytes.
std::string frame(std::string_view headers, std::string_view payload) {
    std::string out = be32(static_cast<std::uint32_t>(16 + headers.size() + payload.size())) +
                      be32(static_cast<std::uint32_t>(headers.size()));
    out += be32(crc(out));
    out += headers;
    out += payload;
    out += be32(crc(out));
    return out;
}

std::string unhex(std::string_view h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    return out;
}

std::string base64_decode(std::string_view in) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=')
            break;
        const auto pos = alphabet.find(c);
        if (pos == std::string::npos)
            throw std::runtime_error("bad base64");
        acc = (acc << 6) | static_cast<std::uint32_t>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    return out;
}

std::filesystem::path data_dir() {
    if (const char* src = std::getenv("LT_SOURCE_DIR"))
        return std::filesystem::path(src) / "tests/aws/data/event_stream";
    return std::filesystem::path(__FILE__).parent_path() / "data/event_stream";
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot open " + p.string());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

es::message sample() {
    es::message m;
    es::uuid id;
    for (std::size_t i = 0; i < 16; ++i)
        id.data[i] = static_cast<std::uint8_t>(0xf0 + i);
    m.headers = {
        {"t", true},
        {"f", false},
        {"i8", std::int8_t{-128}},
        {"i16", std::int16_t{-2}},
        {"i32", std::int32_t{-123456789}},
        {"i64", std::int64_t{-9000000000000000000LL}},
        {"bytes", es::bytes{std::string("\x00\x01\xff\x00", 4)}},
        {":event-type", std::string("TranscriptEvent")},
        {"ts", es::timestamp{1700000000123LL}},
        {"id", id},
    };
    m.payload = std::string("{\"a\":1}\0\xff", 9);
    return m;
}

void expect_same(const es::message& a, const es::message& b) {
    ASSERT_EQ(a.headers.size(), b.headers.size());
    for (std::size_t i = 0; i < a.headers.size(); ++i) {
        EXPECT_EQ(a.headers[i].name, b.headers[i].name);
        ASSERT_EQ(a.headers[i].value.index(), b.headers[i].value.index()) << a.headers[i].name;
        std::visit(
            [&](const auto& va) {
                using T = std::decay_t<decltype(va)>;
                const auto& vb = std::get<T>(b.headers[i].value);
                if constexpr (std::is_same_v<T, es::bytes>)
                    EXPECT_EQ(va.data, vb.data);
                else if constexpr (std::is_same_v<T, es::timestamp>)
                    EXPECT_EQ(va.ms, vb.ms);
                else if constexpr (std::is_same_v<T, es::uuid>)
                    EXPECT_EQ(va.data, vb.data);
                else
                    EXPECT_EQ(va, vb);
            },
            a.headers[i].value);
    }
    EXPECT_EQ(a.payload, b.payload);
}

} // namespace

TEST(EventStream, RoundTripEveryHeaderType) {
    const auto m = sample();
    const std::string wire = es::encode(m);
    EXPECT_EQ(read_be32(wire, 0), wire.size());
    EXPECT_EQ(read_be32(wire, 8), crc(wire.substr(0, 8)));
    EXPECT_EQ(read_be32(wire, wire.size() - 4), crc(wire.substr(0, wire.size() - 4)));
    auto d = es::decode(wire);
    ASSERT_TRUE(d) << d.error_message();
    expect_same(m, d.value());
    EXPECT_EQ(es::encode(d.value()), wire);
}

TEST(EventStream, EachHeaderTypeHasItsWireByte) {
    const auto m = sample();
    const int expected[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    for (std::size_t i = 0; i < m.headers.size(); ++i) {
        es::message one;
        one.headers = {m.headers[i]};
        const std::string wire = es::encode(one);
        const std::size_t name_len = static_cast<unsigned char>(wire[12]);
        EXPECT_EQ(static_cast<int>(static_cast<unsigned char>(wire[13 + name_len])), expected[i])
            << m.headers[i].name;
        auto d = es::decode(wire);
        ASSERT_TRUE(d) << d.error_message();
        expect_same(one, d.value());
    }
}

TEST(EventStream, StringHeaderLookup) {
    const auto m = sample();
    ASSERT_NE(m.string_header(":event-type"), nullptr);
    EXPECT_EQ(*m.string_header(":event-type"), "TranscriptEvent");
    EXPECT_EQ(m.string_header("i32"), nullptr);   // not a string
    EXPECT_EQ(m.string_header("bytes"), nullptr); // bytes are not a string
    EXPECT_EQ(m.string_header(":missing"), nullptr);
}

TEST(EventStream, EmptyMessageIsTheSixteenBytePublishedFrame) {
    EXPECT_EQ(es::encode(es::message{}), unhex("000000100000000005c248eb7d98c8ff"));
}

// AWS's published suite: decode to the documented values, re-encode byte for byte, and
// decode again one byte at a time through the streaming decoder.
TEST(EventStream, PublishedPositiveVectors) {
    const auto dir = data_dir();
    int cases = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir / "encoded/positive")) {
        const std::string name = entry.path().filename().string();
        SCOPED_TRACE(name);
        const std::string wire = read_file(entry.path());
        const auto json = nlohmann::json::parse(read_file(dir / "decoded/positive" / name));
        auto d = es::decode(wire);
        ASSERT_TRUE(d) << d.error_message();
        const auto& m = d.value();

        EXPECT_EQ(wire.size(), json["total_length"].get<std::size_t>());
        EXPECT_EQ(read_be32(wire, 4), json["headers_length"].get<std::uint32_t>());
        EXPECT_EQ(read_be32(wire, 8), static_cast<std::uint32_t>(json["prelude_crc"].get<std::int64_t>()));
        EXPECT_EQ(read_be32(wire, wire.size() - 4),
                  static_cast<std::uint32_t>(json["message_crc"].get<std::int64_t>()));
        EXPECT_EQ(m.payload, base64_decode(json["payload"].get<std::string>()));
        ASSERT_EQ(m.headers.size(), json["headers"].size());
        for (std::size_t i = 0; i < m.headers.size(); ++i) {
            const auto& jh = json["headers"][i];
            const auto& h = m.headers[i];
            EXPECT_EQ(h.name, jh["name"].get<std::string>());
            const int type = jh["type"].get<int>();
            const auto& v = jh["value"];
            switch (type) {
            case 0:
            case 1:
                ASSERT_TRUE(std::holds_alternative<bool>(h.value));
                EXPECT_EQ(std::get<bool>(h.value), type == 0);
                EXPECT_EQ(std::get<bool>(h.value), v.get<bool>());
                break;
            case 2:
                ASSERT_TRUE(std::holds_alternative<std::int8_t>(h.value));
                EXPECT_EQ(std::get<std::int8_t>(h.value), static_cast<std::int8_t>(v.get<int>()));
                break;
            case 3:
                ASSERT_TRUE(std::holds_alternative<std::int16_t>(h.value));
                EXPECT_EQ(std::get<std::int16_t>(h.value), v.get<std::int16_t>());
                break;
            case 4:
                ASSERT_TRUE(std::holds_alternative<std::int32_t>(h.value));
                EXPECT_EQ(std::get<std::int32_t>(h.value), v.get<std::int32_t>());
                break;
            case 5:
                ASSERT_TRUE(std::holds_alternative<std::int64_t>(h.value));
                EXPECT_EQ(std::get<std::int64_t>(h.value), v.get<std::int64_t>());
                break;
            case 6:
                ASSERT_TRUE(std::holds_alternative<es::bytes>(h.value));
                EXPECT_EQ(std::get<es::bytes>(h.value).data, base64_decode(v.get<std::string>()));
                break;
            case 7:
                ASSERT_TRUE(std::holds_alternative<std::string>(h.value));
                EXPECT_EQ(std::get<std::string>(h.value), base64_decode(v.get<std::string>()));
                break;
            case 8:
                ASSERT_TRUE(std::holds_alternative<es::timestamp>(h.value));
                EXPECT_EQ(std::get<es::timestamp>(h.value).ms, v.get<std::int64_t>());
                break;
            case 9: {
                ASSERT_TRUE(std::holds_alternative<es::uuid>(h.value));
                const auto& u = std::get<es::uuid>(h.value).data;
                EXPECT_EQ(std::string(u.begin(), u.end()), base64_decode(v.get<std::string>()));
                break;
            }
            default:
                ADD_FAILURE() << "unknown type " << type;
            }
        }
        EXPECT_EQ(es::encode(m), wire);

        es::decoder dec;
        for (std::size_t i = 0; i < wire.size(); ++i) {
            dec.feed(std::string_view(wire).substr(i, 1));
            auto r = dec.next();
            ASSERT_TRUE(r) << r.error_message();
            EXPECT_EQ(r.value().has_value(), i + 1 == wire.size());
        }
        ++cases;
    }
    EXPECT_EQ(cases, 5);
}

TEST(EventStream, PublishedNegativeVectors) {
    const auto dir = data_dir();
    int cases = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir / "encoded/negative")) {
        const std::string name = entry.path().filename().string();
        SCOPED_TRACE(name);
        const std::string wire = read_file(entry.path());
        std::string prose = read_file(dir / "decoded/negative" / name);
        while (!prose.empty() && (prose.back() == '\n' || prose.back() == '\r'))
            prose.pop_back();
        std::string expected;
        if (prose == "Prelude checksum mismatch")
            expected = "event-stream: prelude CRC mismatch";
        else if (prose == "Message checksum mismatch")
            expected = "event-stream: message CRC mismatch";
        else
            FAIL() << "unclassified upstream error: " << prose;

        auto d = es::decode(wire);
        ASSERT_FALSE(d);
        EXPECT_EQ(d.error_message().rfind(expected, 0), 0u) << d.error_message();

        // The streaming decoder reports it too, as soon as it can.
        es::decoder dec;
        dec.feed(wire);
        auto r = dec.next();
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error_message().rfind(expected, 0), 0u) << r.error_message();
        ++cases;
    }
    EXPECT_EQ(cases, 4);
}

TEST(EventStream, PreludeCrcErrorNamesBothValues) {
    const std::string wire = read_file(data_dir() / "encoded/negative/corrupted_header_len");
    auto d = es::decode(wire);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error_message(), "event-stream: prelude CRC mismatch (got 0x07fd8396, computed " +
                                     hex32(crc(wire.substr(0, 8))) + ")");
}

TEST(EventStream, MessageCrcErrorNamesBothValues) {
    std::string wire = es::encode(sample());
    wire[wire.size() - 6] ^= 0x20; // a payload byte
    auto d = es::decode(wire);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error_message(), "event-stream: message CRC mismatch (got " +
                                     hex32(read_be32(wire, wire.size() - 4)) + ", computed " +
                                     hex32(crc(wire.substr(0, wire.size() - 4))) + ")");
}

// Vectors of the amazon-transcribe-streaming-sdk (Python) event-stream tests: negative
// integers, every header type, an error event, and a duplicate header.
TEST(EventStream, TranscribeSdkVectors) {
    {
        auto d = es::decode(unhex("000000170000000729860158046279746502ffc2f869dc"));
        ASSERT_TRUE(d) << d.error_message();
        EXPECT_EQ(std::get<std::int8_t>(d.value().headers.at(0).value), -1);
    }
    {
        auto d = es::decode(unhex("0000001900000009710e923e0573686f727403ffffb27cb6cc"));
        ASSERT_TRUE(d) << d.error_message();
        EXPECT_EQ(std::get<std::int16_t>(d.value().headers.at(0).value), -1);
    }
    {
        auto d = es::decode(unhex("0000001e0000000e5d4adb8d046c6f6e6705ffffffffffffffff4bc232da"));
        ASSERT_TRUE(d) << d.error_message();
        EXPECT_EQ(std::get<std::int64_t>(d.value().headers.at(0).value), -1);
    }
    {
        const std::string wire =
            unhex("000000230000001367fdcb630974696d657374616d700800000172eebc27a6d4445e11");
        auto d = es::decode(wire);
        ASSERT_TRUE(d) << d.error_message();
        EXPECT_EQ(std::get<es::timestamp>(d.value().headers.at(0).value).ms,
                  1593143207846LL); // 2020-06-26T03:46:47.846Z
        EXPECT_EQ(es::encode(d.value()), wire);
    }
    {
        const std::string wire = unhex(
            "000000620000005203b5cb9c0130000131010132020201330300030134040000000401350500000000000000050136"
            "060005627974657301370700047574663801380800000000000000080139093031323334353637383961626364656663"
            "353671");
        auto d = es::decode(wire);
        ASSERT_TRUE(d) << d.error_message();
        const auto& h = d.value().headers;
        ASSERT_EQ(h.size(), 10u);
        EXPECT_EQ(std::get<bool>(h[0].value), true);
        EXPECT_EQ(std::get<bool>(h[1].value), false);
        EXPECT_EQ(std::get<std::int8_t>(h[2].value), 2);
        EXPECT_EQ(std::get<std::int16_t>(h[3].value), 3);
        EXPECT_EQ(std::get<std::int32_t>(h[4].value), 4);
        EXPECT_EQ(std::get<std::int64_t>(h[5].value), 5);
        EXPECT_EQ(std::get<es::bytes>(h[6].value).data, "bytes");
        EXPECT_EQ(std::get<std::string>(h[7].value), "utf8");
        EXPECT_EQ(std::get<es::timestamp>(h[8].value).ms, 8);
        const auto& u = std::get<es::uuid>(h[9].value).data;
        EXPECT_EQ(std::string(u.begin(), u.end()), "0123456789abcdef");
        EXPECT_EQ(es::encode(d.value()), wire);
    }
    {
        auto d = es::decode(
            unhex("0000005200000042bf23637e0d3a6d6573736167652d747970650700056572726f720b3a6572726f72"
                  "2d636f6465070004636f64650e3a6572726f722d6d6573736167650700076d6573736167656b6cea3d"));
        ASSERT_TRUE(d) << d.error_message();
        ASSERT_NE(d.value().string_header(":message-type"), nullptr);
        EXPECT_EQ(*d.value().string_header(":message-type"), "error");
        EXPECT_EQ(*d.value().string_header(":error-code"), "code");
        EXPECT_EQ(*d.value().string_header(":error-message"), "message");
    }
    {
        auto d =
            es::decode(unhex("00000024000000144bb982d00474657374046173646604746573740461736466f3f47563"));
        ASSERT_FALSE(d);
        EXPECT_EQ(d.error_message(), "event-stream: duplicate header 'test'");
    }
}

TEST(EventStream, DecoderByteByByteOverManyMessages) {
    std::vector<es::message> sent;
    std::string stream;
    for (int i = 0; i < 5; ++i) {
        es::message m = sample();
        m.payload = std::string(static_cast<std::size_t>(i * 37), static_cast<char>('a' + i));
        sent.push_back(m);
        stream += es::encode(m);
    }
    stream += es::encode(es::end_of_stream());
    es::decoder dec;
    std::vector<es::message> got;
    for (char c : stream) {
        dec.feed(std::string_view(&c, 1));
        for (;;) {
            auto r = dec.next();
            ASSERT_TRUE(r) << r.error_message();
            if (!r.value())
                break;
            got.push_back(std::move(*r.value()));
        }
    }
    ASSERT_EQ(got.size(), sent.size() + 1);
    for (std::size_t i = 0; i < sent.size(); ++i)
        expect_same(sent[i], got[i]);
    EXPECT_TRUE(got.back().payload.empty());
}

TEST(EventStream, DecoderRandomSplitsAndSeveralMessagesPerFeed) {
    std::string stream;
    std::vector<es::message> sent;
    for (int i = 0; i < 40; ++i) {
        auto m = es::audio_event(std::string(static_cast<std::size_t>(i * 101 % 3200), static_cast<char>(i)));
        sent.push_back(m);
        stream += es::encode(m);
    }
    std::mt19937 rng(7);
    es::decoder dec;
    std::size_t at = 0, n = 0;
    while (at < stream.size()) {
        const std::size_t len = std::min<std::size_t>(stream.size() - at, rng() % 5000 + 1);
        dec.feed(std::string_view(stream).substr(at, len));
        at += len;
        for (;;) {
            auto r = dec.next();
            ASSERT_TRUE(r) << r.error_message();
            if (!r.value())
                break;
            ASSERT_LT(n, sent.size());
            expect_same(sent[n++], *r.value());
        }
    }
    EXPECT_EQ(n, sent.size());
}

TEST(EventStream, DecoderStaysFailed) {
    std::string bad = es::encode(sample());
    bad[9] ^= 1; // prelude CRC
    es::decoder dec;
    dec.feed(bad.substr(0, 11));
    auto r = dec.next();
    ASSERT_TRUE(r);
    EXPECT_FALSE(r.value()); // 11 bytes: the prelude is not complete yet
    dec.feed(bad.substr(11));
    r = dec.next();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error_message().rfind("event-stream: prelude CRC mismatch (got 0x", 0), 0u);
    dec.feed(es::encode(sample()));
    auto again = dec.next();
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error_message(), r.error_message());
}

TEST(EventStream, TruncatedAndShortFrames) {
    const std::string wire = es::encode(sample());
    for (std::size_t n : {std::size_t{0}, std::size_t{11}, std::size_t{15}}) {
        auto d = es::decode(wire.substr(0, n));
        ASSERT_FALSE(d);
        EXPECT_EQ(d.error_message(),
                  "event-stream: message too short (" + std::to_string(n) + " bytes, the minimum is 16)");
    }
    auto d = es::decode(wire.substr(0, wire.size() - 1));
    ASSERT_FALSE(d);
    EXPECT_NE(
        d.error_message().find("does not match the " + std::to_string(wire.size() - 1) + " bytes received"),
        std::string::npos)
        << d.error_message();
    auto longer = es::decode(wire + "x");
    ASSERT_FALSE(longer);
    // The streaming decoder waits for the rest.
    es::decoder dec;
    dec.feed(wire.substr(0, wire.size() - 1));
    auto r = dec.next();
    ASSERT_TRUE(r);
    EXPECT_FALSE(r.value());
}

TEST(EventStream, OversizedAndInconsistentLengthsRejected) {
    auto prelude = [](std::uint32_t total, std::uint32_t headers) {
        std::string p = be32(total) + be32(headers);
        return p + be32(crc(p));
    };
    // A valid prelude announcing more than max_message_size: rejected without waiting for it.
    {
        es::decoder dec;
        dec.feed(prelude(static_cast<std::uint32_t>(es::max_message_size + 1), 0));
        auto r = dec.next();
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error_message(), "event-stream: message of " + std::to_string(es::max_message_size + 1) +
                                         " bytes exceeds the limit of " +
                                         std::to_string(es::max_message_size));
    }
    {
        es::decoder dec;
        dec.feed(prelude(1024 * 1024, static_cast<std::uint32_t>(es::max_headers_size + 1)));
        auto r = dec.next();
        ASSERT_FALSE(r);
        EXPECT_NE(r.error_message().find("exceed the limit of"), std::string::npos) << r.error_message();
    }
    {
        es::decoder dec;
        dec.feed(prelude(15, 0));
        auto r = dec.next();
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error_message(), "event-stream: total length 15 is below the minimum of 16");
    }
    {
        std::string f = prelude(20, 5) + "abcd";
        f += be32(crc(f));
        auto d = es::decode(f);
        ASSERT_FALSE(d);
        EXPECT_EQ(d.error_message(), "event-stream: headers length 5 does not fit in a message of 20 bytes");
    }
}

TEST(EventStream, MalformedHeadersRejected) {
    struct bad_case {
        std::string headers;
        std::string error;
    };
    const std::vector<bad_case> cases = {
        {std::string("\x01"
                     "a"
                     "\x0a",
                     3),
         "event-stream: unknown type 10 of header 'a'"},
        {std::string("\x01"
                     "a"
                     "\xff",
                     3),
         "event-stream: unknown type 255 of header 'a'"},
        {std::string("\x00", 1), "event-stream: empty header name at header offset 0"},
        {std::string("\x05"
                     "ab",
                     3),
         "event-stream: truncated header at header offset 0"},
        {std::string("\x01"
                     "a"
                     "\x04"
                     "\x00\x01",
                     5),
         "event-stream: truncated value of header 'a'"},
        {std::string("\x01"
                     "a"
                     "\x07"
                     "\x00\x05"
                     "abc",
                     8),
         "event-stream: truncated value of header 'a'"},
        {std::string("\x01"
                     "a"
                     "\x09"
                     "0123456789",
                     13),
         "event-stream: truncated value of header 'a'"},
        {std::string("\x01"
                     "a"
                     "\x06"
                     "\x80\x00",
                     5),
         "event-stream: header 'a' value is 32768 bytes, the limit is 32767"},
        {std::string("\x01"
                     "a"
                     "\x00"
                     "\x01"
                     "a"
                     "\x01",
                     6),
         "event-stream: duplicate header 'a'"},
    };
    for (const auto& c : cases) {
        auto d = es::decode(frame(c.headers, "payload"));
        ASSERT_FALSE(d) << c.error;
        EXPECT_EQ(d.error_message(), c.error);
        es::decoder dec;
        dec.feed(frame(c.headers, ""));
        auto r = dec.next();
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error_message(), c.error);
    }
}

// Random header blocks inside frames with correct CRCs: every one either decodes (and then
// re-encodes to the same bytes) or is rejected with an event-stream error; nothing crashes.
TEST(EventStream, RandomHeaderBlocksNeverCrash) {
    std::mt19937 rng(42);
    const std::string valid = es::encode(sample()).substr(12);
    int decoded = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string headers = valid.substr(0, valid.size() - 4 - sample().payload.size());
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = rng() % headers.size();
            switch (rng() % 3) {
            case 0:
                headers[at] = static_cast<char>(rng());
                break;
            case 1:
                headers.erase(at, 1 + rng() % 8);
                break;
            default:
                headers.resize(at);
                break;
            }
            if (headers.empty())
                headers = "x";
        }
        const std::string wire = frame(headers, "p");
        auto d = es::decode(wire);
        if (d) {
            ++decoded;
            EXPECT_EQ(es::encode(d.value()), wire);
        } else {
            EXPECT_EQ(d.error_message().rfind("event-stream: ", 0), 0u);
        }
    }
    EXPECT_GT(decoded, 0);
}

TEST(EventStream, EncoderLimits) {
    es::message m;
    m.headers = {{std::string(255, 'n'), std::string(32767, 'v')}};
    const std::string wire = es::encode(m);
    auto d = es::decode(wire);
    ASSERT_TRUE(d) << d.error_message();
    EXPECT_EQ(std::get<std::string>(d.value().headers[0].value).size(), 32767u);

    m.headers = {{std::string(256, 'n'), true}};
    EXPECT_THROW(es::encode(m), std::invalid_argument);
    m.headers = {{"", true}};
    EXPECT_THROW(es::encode(m), std::invalid_argument);
    m.headers = {{"s", std::string(32768, 'v')}};
    EXPECT_THROW(es::encode(m), std::invalid_argument);
    m.headers = {{"b", es::bytes{std::string(32768, 'v')}}};
    EXPECT_THROW(es::encode(m), std::invalid_argument);
    m.headers = {{"a", true}, {"a", false}};
    EXPECT_THROW(es::encode(m), std::invalid_argument);
    m.headers.clear();
    for (int i = 0; i < 5; ++i)
        m.headers.push_back({"h" + std::to_string(i), std::string(32000, 'v')});
    EXPECT_THROW(es::encode(m), std::invalid_argument); // > max_headers_size
    m.headers.clear();
    m.payload.assign(es::max_message_size - 16, 'p');
    EXPECT_EQ(es::encode(m).size(), es::max_message_size);
    m.payload.push_back('p');
    EXPECT_THROW(es::encode(m), std::invalid_argument);
}

// AWS Transcribe, "Setting up a WebSocket stream": each data frame has three string headers,
// :content-type application/octet-stream (13, 24 bytes), :event-type AudioEvent (11, 10),
// :message-type event (13, 5), in that order; an empty AudioEvent ends the stream.
TEST(EventStream, TranscribeAudioEventLayout) {
    const std::string pcm("\x01\x00\xff\x7f", 4);
    const std::string wire = es::encode(es::audio_event(pcm));
    const std::string headers = std::string("\x0d") + ":content-type" + "\x07" + std::string("\x00\x18", 2) +
                                "application/octet-stream" + "\x0b" + ":event-type" + "\x07" +
                                std::string("\x00\x0a", 2) + "AudioEvent" + "\x0d" + ":message-type" +
                                "\x07" + std::string("\x00\x05", 2) + "event";
    ASSERT_EQ(headers.size(), 88u);
    EXPECT_EQ(read_be32(wire, 0), 16u + 88u + 4u);
    EXPECT_EQ(read_be32(wire, 4), 88u);
    EXPECT_EQ(wire, frame(headers, pcm));

    const std::string end = es::encode(es::end_of_stream());
    EXPECT_EQ(read_be32(end, 0), 104u);
    EXPECT_EQ(end, frame(headers, ""));
    auto d = es::decode(end);
    ASSERT_TRUE(d) << d.error_message();
    EXPECT_EQ(*d.value().string_header(":event-type"), "AudioEvent");
    EXPECT_EQ(*d.value().string_header(":message-type"), "event");
    EXPECT_EQ(*d.value().string_header(":content-type"), "application/octet-stream");
    EXPECT_TRUE(d.value().payload.empty());
}
