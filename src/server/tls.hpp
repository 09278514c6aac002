// lt-server's own TLS (--tls-cert, --tls-key): the certificate and key in an ssl::context
// that reload() replaces (SIGHUP). A new connection takes the context current when it starts
// and keeps it; connections already open are not touched by a reload.
//
// Thread-safety: current() and reload() may be called from any thread.
#pragma once

#include "net/asio.hpp"

#include <memory>
#include <mutex>
#include <string>

namespace lt::server {

class tls_context {
public:
    // Loads both files; throws std::runtime_error naming the file and OpenSSL's reason.
    tls_context(std::string cert_file, std::string key_file);

    std::shared_ptr<ssl::context> current() const;
    // Loads the files again. On success new handshakes use them; on failure the old
    // certificate stays and the error is returned (empty on success).
    std::string reload();
    // The loaded certificate in a line: subject, expiry, file.
    std::string description() const;

private:
    std::shared_ptr<ssl::context> load(std::string& description) const;

    std::string cert_file_, key_file_;
    mutable std::mutex mutex_;
    std::shared_ptr<ssl::context> ctx_;
    std::string description_;
};

} // namespace lt::server
