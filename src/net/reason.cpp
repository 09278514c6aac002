#include "net/reason.hpp"

#include "net/asio.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace lt::net {

bool is_tls_error(const boost::system::error_code& ec) {
    return ec.category() == asio::error::get_ssl_category() ||
           ec.category() == ssl::error::get_stream_category();
}

std::string reason(const boost::system::error_code& ec) {
    if (ec == websocket::error::closed || ec == asio::error::eof || ec == http::error::end_of_stream ||
        ec == ssl::error::stream_truncated)
        return "the server closed the connection";
    if (ec == beast::error::timeout || ec == asio::error::timed_out)
        return "timed out";
    if (ec == asio::error::connection_refused)
        return "connection refused";
    if (ec == asio::error::connection_reset)
        return "the connection was reset";
    if (ec == asio::error::operation_aborted)
        return "aborted";
    if (ec.category() == asio::error::get_ssl_category()) {
        // "certificate verify failed", OpenSSL's words, which users search for.
        if (ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED)
            return "TLS " + ec.message() +
                   " (the server's certificate is not trusted here or is not issued "
                   "for this host name)";
        return "TLS error: " + ec.message();
    }
    return ec.message();
}

std::string reason(const std::exception& e) {
    if (auto* se = dynamic_cast<const boost::system::system_error*>(&e))
        return reason(se->code());
    return e.what();
}

} // namespace lt::net
