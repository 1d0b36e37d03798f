// Startup configuration from TOML (config/*.toml), validated as a whole: a bad file refuses to
// start with a message naming the file, the key and what is wrong.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/shop_config.hpp"
#include "net/server.hpp"
#include "store/history_store.hpp"

namespace sb::app {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Several nodes behind a proxy: which node serves which shop (docs/operations.md). The same
// [cluster] section in every node's config drives the nodes and `switchboard haproxy-config`.
struct ClusterNode {
  std::string id;
  std::string address;  // HOST:PORT of its public listener, as the proxy reaches it
  std::vector<std::string> shops;
};

struct Cluster {
  std::string node;  // this node (cluster.node, or serve --node)
  std::vector<ClusterNode> nodes;
  const ClusterNode* find(const std::string& id) const;
  const ClusterNode* owner(const std::string& shop) const;
};

struct AppConfig {
  std::string path;
  net::ServerOptions server;
  std::vector<core::ShopConfig> shops;
  std::vector<core::ShopConfig> other_shops;  // [cluster]: the shops other nodes serve (this one may adopt them)
  std::optional<store::StoreOptions> store;  // absent: no history is kept
  bool node_id_given = false;                 // store.node_id was set (else a cluster node names its cursor)
  bool copy_journal_given = false;            // store.copy_journal was set (else on for a node of a cluster)
  std::optional<Cluster> cluster;             // absent: one node serves every shop
  // Set when [store] names an environment variable that is not set: an error for the commands
  // that use the database (serve, migrate, check-config), not for those that do not (token).
  std::string store_problem;
};

// Checks against this machine, made by serve and check-config: a connections_max above the
// process's open-files limit is capped to fit (each connection holds one file; some are kept
// for the journal, the database and the listeners). Returns the warnings to print.
std::vector<std::string> check_runtime(AppConfig& cfg);

// An [auth] table with one operator key, for generated configs (plans, tests, benchmarks).
std::string auth_toml(const std::string& kid, const std::string& secret);

// Throws ConfigError.
AppConfig load_config(const std::string& path);

// With a [cluster]: makes `node` (empty: cluster.node) this node: cfg.shops keeps only its
// shops, cfg.server.shops_elsewhere says where each other shop is, and the store's cursor is
// named for the node unless store.node_id was given. Throws ConfigError for an unknown node.
void assign_node(AppConfig& cfg, const std::string& node);
AppConfig parse_config(const std::string& text, const std::string& source_name);

// "host:port" -> host, port; throws ConfigError naming `what`.
void parse_listen(const std::string& text, const std::string& what, std::string& host, unsigned short& port);

}  // namespace sb::app
