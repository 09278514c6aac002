#include "translate/start_probe.hpp"

#include "core/languages.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace lt::translate {

start_probe::start_probe(std::string ok, std::string failed, std::function<core::result<std::string>()> call)
    : thread_([ok = std::move(ok), failed = std::move(failed), call = std::move(call)] {
          auto r = call();
          if (r)
              spdlog::info("{}", ok);
          else
              spdlog::error("{}: {}; captions go out untranslated until a call succeeds", failed,
                            r.error_message());
      }) {}

start_probe::~start_probe() {
    if (thread_.joinable())
        thread_.join();
}

std::vector<std::string> page_languages_but(std::string_view source) {
    std::vector<std::string> out;
    for (const auto& l : core::viewer_languages())
        if (l.code != source)
            out.emplace_back(l.code);
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace lt::translate
