// `switchboard haproxy-config`: HAProxy's configuration and shop map made from the [cluster]
// assignment, so the proxy and the nodes can never disagree on which node serves a shop.
#pragma once

#include <string>

#include "app/config.hpp"

namespace sb::app {

struct HaproxyOptions {
  std::string bind = "127.0.0.1:8080";  // the public, plain-HTTP address (WebSocket ws://)
  std::string tls_bind;                 // with tls_cert: the HTTPS address (wss:// for browsers on HTTPS pages)
  std::string tls_cert;                 // PEM with the certificate and its key
  std::string map_path;                 // where shops.map will be (absolute)
  int connections_max = 9'000;          // two open files per proxied connection: ~9,900 fit in 20,000
  std::string admin_socket;             // HAProxy's runtime API (`set map` when a shop moves); empty: none
};

// shop -> backend, one line each.
std::string haproxy_shops_map(const Cluster& cluster);
std::string haproxy_config(const Cluster& cluster, const HaproxyOptions& options);

}  // namespace sb::app
