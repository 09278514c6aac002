// Why a network operation failed, in words for the person at the console: "timed out",
// "connection refused", "the server closed the connection", a TLS certificate that did not
// verify named as such ("TLS certificate verify failed (...)"); otherwise the system's message.
#pragma once

#include <boost/system/error_code.hpp>

#include <exception>
#include <string>

namespace lt::net {

std::string reason(const boost::system::error_code& ec);
// A boost::system::system_error by its code, any other exception by what().
std::string reason(const std::exception& e);

// The error is a TLS failure (handshake, certificate), so a message can add what to check.
bool is_tls_error(const boost::system::error_code& ec);

} // namespace lt::net
