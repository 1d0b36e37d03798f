#include "haproxy_config.hpp"

#include <sstream>

namespace sb::app {

namespace {

std::string backend_of(const ClusterNode& n) { return "node_" + n.id; }

void write_backends(std::ostringstream& out, const Cluster& cluster) {
  // A node's /readyz answers 503 while it drains, so the proxy stops sending it new clients
  // before the node tells its connections to come back (docs/architecture.md, "Stopping").
  const char* health = "  option httpchk GET /readyz\n  http-check expect status 200\n";
  for (const auto& n : cluster.nodes) {
    out << "\nbackend " << backend_of(n) << "\n" << health;
    out << "  server " << n.id << " " << n.address << " check inter 1s fall 2 rise 2\n";
  }
  // Shops on no map line (unknown ones) and /ws without a shop: any node answers as for an
  // unknown shop, or names the node that serves it to a caller whose token verified.
  out << "\nbackend any_node\n" << health << "  balance roundrobin\n";
  for (const auto& n : cluster.nodes) out << "  server " << n.id << " " << n.address << " check inter 1s fall 2 rise 2\n";
}

}  // namespace

std::string haproxy_shops_map(const Cluster& cluster) {
  std::ostringstream out;
  out << "# shop backend: made by `switchboard haproxy-config` from the [cluster] assignment\n";
  for (const auto& n : cluster.nodes)
    for (const auto& shop : n.shops) out << shop << " " << backend_of(n) << "\n";
  return out.str();
}

std::string haproxy_config(const Cluster& cluster, const HaproxyOptions& o) {
  std::ostringstream out;
  out << "# Made by `switchboard haproxy-config` from the [cluster] assignment; see docs/operations.md.\n"
      << "global\n  maxconn " << o.connections_max << "\n";
  // The runtime API: `switchboard move-shop` points a moving shop at its new node with `set map`.
  if (!o.admin_socket.empty()) out << "  stats socket " << o.admin_socket << " mode 600 level admin\n";
  out << "\n"
      << "defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n"
      << "  # An upgraded WebSocket is a tunnel: idle chats live long; the nodes ping every idle_timeout_ms.\n"
      << "  timeout tunnel 1h\n  timeout client-fin 5s\n  timeout http-request 10s\n"
      << "  # The nodes count connections per client address (server.trusted_proxies lists this proxy).\n"
      << "  option forwardfor\n\n"
      << "frontend switchboard\n  bind " << o.bind << "\n";
  if (!o.tls_cert.empty()) out << "  bind " << o.tls_bind << " ssl crt " << o.tls_cert << "\n";
  out << "  # The shop is in the path: /ws/shops/{shop} and /api/v1/shops/{shop}/...\n"
      << "  http-request set-var(txn.shop) path,field(4,/) if { path_beg /ws/shops/ }\n"
      << "  http-request set-var(txn.shop) path,field(5,/) if { path_beg /api/v1/shops/ }\n"
      << "  # The admin API and /metrics stay off the public side (the nodes' admin_listen is scraped directly).\n"
      << "  http-request deny deny_status 404 if { path_beg /api/v1/admin } || { path /metrics }\n"
      << "  use_backend %[var(txn.shop),map(" << o.map_path << ",any_node)] if { var(txn.shop) -m found }\n"
      << "  default_backend any_node\n";
  write_backends(out, cluster);
  return out.str();
}

}  // namespace sb::app
