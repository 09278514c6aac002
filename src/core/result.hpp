// A value or an error message, for per-request results (C++20 has no std::expected).
// Errors are human-readable strings that reach the client as they are.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace lt::core {

struct error {
    std::string message;
};

template <class T>
class result {
public:
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    result(error e) : v_(std::in_place_index<1>, std::move(e)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    // Precondition: ok().
    const T& value() const& { return std::get<0>(v_); }
    T& value() & { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }

    // Precondition: !ok().
    const std::string& error_message() const { return std::get<1>(v_).message; }

private:
    std::variant<T, error> v_;
};

inline error make_error(std::string message) { return error{std::move(message)}; }

} // namespace lt::core
