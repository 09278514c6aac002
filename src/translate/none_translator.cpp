#include "translate/translator.hpp"

namespace lt::translate {

namespace {
class none_translator final : public translator {
public:
    std::string name() const override { return "none"; }
    std::vector<std::string> targets(std::string_view) const override { return {}; }
    core::result<std::string> translate(std::string_view source, std::string_view target,
                                        std::string_view) override {
        return core::make_error("no translation backend configured (" + std::string(source) + "→" +
                                std::string(target) + " shown in the original)");
    }
};
} // namespace

std::unique_ptr<translator> make_none_translator() { return std::make_unique<none_translator>(); }

} // namespace lt::translate
