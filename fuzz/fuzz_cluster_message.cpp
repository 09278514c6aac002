// The cluster message codec (what nodes publish to each other through Redis): decode any
// text; what decodes must encode and decode back to the same message.
#include "fuzz_util.hpp"
#include "hub/cluster_message.hpp"

using namespace lt::hub;

namespace {

bool same_frames(const std::map<std::string, frame_ptr>& a, const std::map<std::string, frame_ptr>& b) {
    if (a.size() != b.size())
        return false;
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib)
        if (ia->first != ib->first || !ia->second || !ib->second || *ia->second != *ib->second)
            return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto m = decode(lt::fuzz::text(data, size));
    if (!m)
        return 0;
    if (auto* f = std::get_if<cluster_final>(&m.value())) {
        for (const auto& [lang, frame] : f->frames)
            LT_FUZZ_CHECK(frame != nullptr);
        auto again = decode(encode(*f));
        LT_FUZZ_CHECK(again);
        auto* g = std::get_if<cluster_final>(&again.value());
        LT_FUZZ_CHECK(g && g->node == f->node && g->seq == f->seq && g->id == f->id && g->text == f->text &&
                      g->lang == f->lang && g->timestamp == f->timestamp &&
                      same_frames(g->frames, f->frames));
    } else if (auto* s = std::get_if<cluster_pause>(&m.value())) {
        auto again = decode(encode(*s));
        LT_FUZZ_CHECK(again);
        auto* t = std::get_if<cluster_pause>(&again.value());
        LT_FUZZ_CHECK(t && t->node == s->node && t->paused == s->paused);
    } else {
        auto& p = std::get<cluster_partial>(m.value());
        LT_FUZZ_CHECK(p.frame != nullptr);
        auto again = decode(encode(p));
        LT_FUZZ_CHECK(again);
        auto* q = std::get_if<cluster_partial>(&again.value());
        LT_FUZZ_CHECK(q && q->node == p.node && q->frame && *q->frame == *p.frame);
    }
    return 0;
}
