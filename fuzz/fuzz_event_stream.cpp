// The AWS event-stream decoder (Transcribe streaming's framing). A decoded message must
// encode back to the same bytes, and the streaming decoder, fed in two pieces, must agree
// with the one-shot decoder.
#include "aws/event_stream.hpp"
#include "fuzz_util.hpp"

using namespace lt::aws::event_stream;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto frame = lt::fuzz::text(data, size);
    auto m = decode(frame);
    if (m) {
        LT_FUZZ_CHECK(encode(m.value()) == frame);
        m.value().string_header(":event-type");
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
