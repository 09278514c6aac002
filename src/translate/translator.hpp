// A translation backend. Implementations: apertium (offline default, translate/apertium/),
// none (the reference's English-only mode), aws (translate/aws/); make_translator.hpp
// builds one by name.
// Thread-safety: every method may be called from several worker threads at once.
// translate() blocks (pipes, network) and must never run on a network thread; the
// translation_service calls it from its own worker pool.
#pragma once

#include "core/result.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lt::translate {

class translator {
public:
    virtual ~translator() = default;

    // Short backend name: "apertium", "none", ...
    virtual std::string name() const = 0;

    // Target languages (ISO 639-1) this backend reaches from `source`, sorted, without
    // `source` itself.
    virtual std::vector<std::string> targets(std::string_view source) const = 0;

    // Translates one caption. Errors say why in words a viewer's page can show
    // ("apertium eng-spa timed out after 5000 ms"). Precondition: source != target.
    virtual core::result<std::string> translate(std::string_view source, std::string_view target,
                                                std::string_view text) = 0;

    // One line for /health: "ok", or what is wrong ("restarting eng-spa pipeline").
    virtual std::string state() const { return "ok"; }

    // Whether translation works now (connection_status.aws_available, the page's
    // "limited mode" banner): a cloud backend answers false until a call succeeded.
    virtual bool available() const { return !targets("en").empty(); }

    // A final caption was published, before its translations are asked for. A backend that
    // gives a model the earlier captions as context (openai) keeps them from here, so text a
    // viewer sends with request_translation never becomes context for others' captions.
    // Called under the room's lock: must not block.
    virtual void note_caption(std::string_view /*source*/, std::string_view /*text*/) {}

    // Calls worth running at once. Local pipelines gain nothing past one per pair; a
    // network service is limited by latency, so every language of a caption should be
    // in flight together.
    virtual std::size_t parallelism() const { return 4; }
};

// The reference's English-only mode: provides no targets; translate() always fails.
std::unique_ptr<translator> make_none_translator();

} // namespace lt::translate
