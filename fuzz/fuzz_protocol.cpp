// The WebSocket protocol's parsers: every client message type, and the speaker's view of
// the server's replies. A parsed new_text must come back the same through serialize().
#include "fuzz_util.hpp"
#include "protocol/messages.hpp"

#include <variant>

using namespace lt::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto frame = lt::fuzz::text(data, size);
    auto m = parse_client_message(frame);
    if (m) {
        if (auto* t = std::get_if<new_text>(&m.value())) {
            auto again = parse_client_message(serialize(*t));
            LT_FUZZ_CHECK(again);
            auto* t2 = std::get_if<new_text>(&again.value());
            LT_FUZZ_CHECK(t2 && t2->text == t->text && t2->lang == t->lang && t2->id == t->id &&
                          t2->partial == t->partial && t2->api_key == t->api_key);
        } else if (auto* s = std::get_if<set_language>(&m.value())) {
            LT_FUZZ_CHECK(is_language_code(s->lang));
            serialize_language_set(s->lang);
        } else if (auto* g = std::get_if<generate_token>(&m.value())) {
            serialize(*g);
        }
    } else {
        LT_FUZZ_CHECK(!m.error_message().empty());
        serialize_error(m.error_message(), "bad_request");
    }
    parse_token_response(frame);
    parse_speaker_reply(frame);
    is_language_code(frame);
    return 0;
}
