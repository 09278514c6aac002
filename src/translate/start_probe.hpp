// One call made when an engine starts, on its own thread: the first call may wait on DNS, TLS,
// retries or a model loading its weights, and must never hold up the server's start. Its
// outcome is logged either way. Declare it as the engine's last member: it is joined first.
#pragma once

#include "core/result.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace lt::translate {

class start_probe {
public:
    start_probe() = default;
    // Logs "<ok>" on success, else "<failed>: <error>; captions go out untranslated until a
    // call succeeds".
    start_probe(std::string ok, std::string failed, std::function<core::result<std::string>()> call);
    start_probe(start_probe&&) = default;
    start_probe& operator=(start_probe&&) = default;
    ~start_probe();

private:
    std::thread thread_;
};

// Every language the page offers but `source`, sorted: what an engine that translates between
// any two of them serves (AWS Translate, an LLM).
std::vector<std::string> page_languages_but(std::string_view source);

} // namespace lt::translate
