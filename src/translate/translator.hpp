// A translation backend. Implementations: apertium (offline default, translate/apertium/),
// none (the reference's English-only mode), aws (translate/aws/), libretranslate
// (translate/libretranslate/), deepl (translate/deepl/); make_translator.hpp builds one by name.
// Thread-safety: every method may be called from several worker threads at once.
// translate() blocks (pipes, network) and must never run on a network thread; the
// translation_service calls it from its own worker pool.
#pragma once

#include "core/result.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lt::translate {

// A translation and the engine that made it (a chain names the member that answered).
struct translation {
    std::string text;
    std::string engine;
};

// One engine's health, for /health, /metrics and connection_status.
struct engine_health {
    std::string name;
    bool healthy = true;
    std::string state;           // "ok" or what is wrong
    std::uint64_t failures = 0;  // calls that failed (a chain counts its members')
    std::uint64_t failovers = 0; // captions handed to the next engine after this one failed
};

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

    // translate(), and the engine that made the text: this one, or for a chain the member
    // that answered.
    virtual core::result<translation> translate_by_engine(std::string_view source, std::string_view target,
                                                          std::string_view text) {
        auto r = translate(source, target, text);
        if (!r)
            return core::make_error(r.error_message());
        return translation{std::move(r.value()), name()};
    }

    // The engine that translates source -> target now; "" when none serves the pair.
    virtual std::string engine_for(std::string_view source, std::string_view target) const {
        for (const auto& t : targets(source))
            if (t == target)
                return name();
        return {};
    }

    // Whether a call for source -> target costs nothing beyond this machine's CPU: no paid or
    // remote service is asked. Only such an engine translates the live line (partials), which
    // changes several times a second. The engine declares it; Apertium does.
    virtual bool cheap(std::string_view /*source*/, std::string_view /*target*/) const { return false; }

    // translate_by_engine() through a cheap engine only: an error, and no call, when the
    // engine that serves the pair now is not cheap.
    virtual core::result<translation> translate_cheaply(std::string_view source, std::string_view target,
                                                        std::string_view text) {
        if (!cheap(source, target))
            return core::make_error(name() + " is not a cheap engine for " + std::string(source) + " to " +
                                    std::string(target));
        return translate_by_engine(source, target, text);
    }

    // Each engine's health: this one's, or for a chain one per member, in its order.
    virtual std::vector<engine_health> engines() const { return {{name(), available(), state()}}; }

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
