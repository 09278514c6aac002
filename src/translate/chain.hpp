// Several translation engines tried in order (`LT_TRANSLATOR=deepl,apertium`): for each
// language the first engine that serves it and is healthy translates. When one fails (a
// timeout, a 5xx, the network, credentials, an answer it could not use), the next engine that
// serves the language translates that caption, and the failed one is marked unhealthy and
// left alone until a background probe (a short test phrase, after 2 s, doubling to 30 s)
// finds it working again. So a dead engine costs each caption in flight at most one timeout,
// and the captions after it none.
// Thread-safe, as translator requires.
#pragma once

#include "translate/translator.hpp"

#include <chrono>
#include <memory>
#include <vector>

namespace lt::translate {

struct chain_options {
    std::chrono::milliseconds first_probe{2000}; // after a failure
    std::chrono::milliseconds max_probe{30000};  // probes back off to this
};

// At least two engines; their names must differ.
core::result<std::shared_ptr<translator>> make_chain(std::vector<std::shared_ptr<translator>> engines,
                                                     chain_options opts = {});

} // namespace lt::translate
