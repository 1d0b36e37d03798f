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

struct AppConfig {
  std::string path;
  net::ServerOptions server;
  std::vector<core::ShopConfig> shops;
  std::optional<store::StoreOptions> store;  // absent: no history is kept
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
AppConfig parse_config(const std::string& text, const std::string& source_name);

// "host:port" -> host, port; throws ConfigError naming `what`.
void parse_listen(const std::string& text, const std::string& what, std::string& host, unsigned short& port);

}  // namespace sb::app
