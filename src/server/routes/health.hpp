// The bodies of GET /health (JSON: status, viewers, rooms, translator, tokens, cluster) and
// GET /metrics (Prometheus text). Fields and metric names are listed in docs/operations.md.
#pragma once

#include <string>

namespace lt::server {

struct server_state;

std::string health_json(const server_state& state);
std::string metrics_text(const server_state& state);

} // namespace lt::server
