// The speaker's connection to lt-server: sends partials and finals, keeps every final in an
// outbox until the server acknowledges it (text_ack), reconnects with exponential back-off
// and jitter forever, and resends what was not acknowledged. The server ignores a resent
// final whose id it already published, so a lost acknowledgement never doubles a caption.
//
// All methods are thread-safe; the network runs on the client's own thread, and events are
// reported from that thread.
#pragma once

#include "speech/endpoint.hpp"
#include "speech/outbox.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace lt::speech {

struct client_options {
    endpoint server;
    std::string api_key; // empty: sent without a key
    std::chrono::milliseconds backoff_initial{1000};
    std::chrono::milliseconds backoff_max{16000};
    std::size_t outbox_capacity = 1000;
    // A final unacknowledged this long means the connection is dead: reconnect and resend.
    std::chrono::milliseconds ack_timeout{10000};
    std::chrono::milliseconds connect_timeout{10000};
    std::string ca_file; // extra trusted CA for wss (self-signed servers); the system store always
    std::string client_name = "lt-speech"; // User-Agent
};

struct client_event {
    enum class kind {
        connecting,   // message: the URL
        connected,    // message: the URL
        disconnected, // message: why; retry_in: when the next attempt starts
        failed,       // message: why; the client has stopped (a refused API key)
        warning,      // message: a final dropped or refused, an old server, ...
        acknowledged, // message: the final's id; seq: its number at the server
    };
    kind type;
    std::string message;
    std::chrono::milliseconds retry_in{0};
    std::uint64_t seq = 0;
};

class client {
public:
    using event_fn = std::function<void(const client_event&)>;
    client(client_options opts, event_fn on_event);
    // Stops at once; finals not yet acknowledged are lost (call finish() first).
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // Replaces any partial not yet sent: only the newest partial matters.
    void send_partial(caption c);
    // Queues a final; it is delivered in order, exactly once, whenever a connection exists.
    void send_final(caption c);

    // Delivers what is queued, waiting at most `timeout` (reconnecting meanwhile), then
    // closes the connection. Returns the number of finals left undelivered.
    std::size_t finish(std::chrono::milliseconds timeout);

    struct stats {
        std::uint64_t finals_sent = 0; // writes, including resends
        std::uint64_t finals_acked = 0;
        std::uint64_t finals_dropped = 0; // outbox overflow or refused by the server
        std::uint64_t partials_sent = 0;
        std::uint64_t connections = 0; // successful WebSocket handshakes
        std::size_t pending = 0;       // finals in the outbox
        bool connected = false;
        bool failed = false;
        std::string failure;
    };
    stats snapshot() const;

private:
    class impl;
    std::shared_ptr<impl> impl_;
};

} // namespace lt::speech
