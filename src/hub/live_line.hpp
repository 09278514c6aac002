// The live line: which part of a partial caption is settled enough to translate.
//
// A speech engine revises the end of its partial as it hears more ("the whole" becomes "the
// hole thing" becomes "the whole thing is"). The words at the start that two partials of the
// same utterance agree on are taken as settled, except the newest partial's last word, which
// may still be growing ("transl" -> "translation"). Agreement of two partials rather than a
// sentence or clause boundary: a clause can run for seconds, and the translated line would
// then stay empty for most of it.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

namespace lt::hub {

struct live_split {
    std::string_view stable;  // a prefix of `latest`, whole words, no trailing space
    std::string_view pending; // the rest of `latest`, without leading space
};

// `previous`: the partial before `latest` of the same id (empty for the first one). Words are
// separated by whitespace and compared exactly.
live_split split_live_line(std::string_view previous, std::string_view latest);

} // namespace lt::hub
