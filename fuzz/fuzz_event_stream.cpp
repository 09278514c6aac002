// The AWS event-stream decoder (Transcribe streaming's framing). A decoded message must
// encode back to the same bytes, and the streaming decoder, fed in two pieces, must agree
// with the one-shot decoder. The input is also decoded with its total length and both CRCs
// fixed up, so the fuzzer reaches the headers (random bytes almost never pass the CRCs).
#include "aws/crypto.hpp"
#include "aws/event_stream.hpp"
#include "fuzz_util.hpp"

using namespace lt::aws::event_stream;

namespace {

void put_u32(std::string& s, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        s[at + i] = static_cast<char>(v >> (24 - 8 * i));
}

// The input as a message whose lengths and CRCs are right (the headers length as given).
std::string with_valid_framing(std::string_view in) {
    std::string s(in);
    if (s.size() < 16)
        return s;
    put_u32(s, 0, static_cast<std::uint32_t>(s.size()));
    put_u32(s, 8, lt::aws::crc32(std::string_view(s).substr(0, 8)));
    put_u32(s, s.size() - 4, lt::aws::crc32(std::string_view(s).substr(0, s.size() - 4)));
    return s;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto frame = lt::fuzz::text(data, size);
    auto m = decode(frame);
    if (m) {
        LT_FUZZ_CHECK(encode(m.value()) == frame);
        m.value().string_header(":event-type");
    }
    auto fixed = with_valid_framing(frame);
    if (auto f = decode(fixed)) {
        LT_FUZZ_CHECK(encode(f.value()) == fixed);
        f.value().string_header(":message-type");
    }
    decoder d;
    std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
    d.feed(frame.substr(0, cut));
    d.feed(frame.substr(cut));
    std::size_t messages = 0;
    for (int i = 0; i < 64; ++i) {
        auto next = d.next();
        if (!next || !next.value())
            break;
        ++messages;
    }
    if (m)
        LT_FUZZ_CHECK(messages == 1);
    return 0;
}
