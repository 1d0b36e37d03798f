// The operator's tools: `token` (mint a JWT), `check-config`, `migrate`, and `store
// reset-cursor` (resolve a journal that does not match the database's cursor), and
// `haproxy-config` (the proxy's config from the [cluster] assignment).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "app/commands.hpp"
#include "app/haproxy_config.hpp"
#include "net/token.hpp"
#include "store/migrations.hpp"
#include "store/pg_writer.hpp"

namespace sb::app {

namespace v1 = switchboard::v1;

std::optional<AppConfig> config_for(const char* command, const std::string& path) {
  try {
    return load_config(path);
  } catch (const ConfigError& e) {
    std::cerr << "switchboard " << command << ": " << e.what() << "\n";
    return std::nullopt;
  }
}

namespace {

struct TokenArgs {
  std::string config, kid, shop, person, role, tier;
  double ttl_hours = 12;
};

Result<v1::Tier> tier_of(const std::string& letter) {
  if (letter.empty()) return v1::TIER_UNSPECIFIED;
  if (letter == "A") return v1::TIER_A;
  if (letter == "B") return v1::TIER_B;
  if (letter == "C") return v1::TIER_C;
  return invalid_argument("--tier must be A, B or C");
}

int token_command(const TokenArgs& a) {
  const auto cfg = config_for("token", a.config);
  if (!cfg) return 2;
  const auto& keys = cfg->server.keys;
  const net::TokenKey* key = a.kid.empty() ? keys.signing_key() : keys.find(a.kid);
  auto fail = [](const std::string& why) {
    std::cerr << "switchboard token: " << why << "\n";
    return 2;
  };
  if (key == nullptr) return fail("--kid: no key \"" + a.kid + "\" in " + a.config);
  if (!net::valid_role_name(a.role) || a.role == "resume")
    return fail("--role must be customer, agent, supervisor, orders, admin or metrics");
  if (!key->shop.empty() && key->shop != a.shop)
    return fail("key \"" + key->kid + "\" is shop " + key->shop + "'s: it signs only tokens for that shop");
  const auto tier = tier_of(a.tier);
  if (!tier) return fail(tier.error().message);
  if (!(a.ttl_hours > 0 && a.ttl_hours <= 24 * 366)) return fail("--ttl-hours must be above 0 and at most 8784 (a year)");
  const std::int64_t now = net::unix_now_s();
  auto token = net::issue_token(keys, *key, {a.shop, a.person, a.role, *tier, false, now + static_cast<std::int64_t>(a.ttl_hours * 3600)},
                                now);
  if (!token) return fail(token.error().message);
  std::cout << *token << "\n";
  return 0;
}

int check_config_command(const std::string& path) {
  try {
    auto cfg = load_config(path);
    for (const auto& warning : check_runtime(cfg)) std::cout << path << ": warning: " << warning << "\n";
    if (!cfg.store_problem.empty())
      std::cout << path << ": warning: " << cfg.store_problem << " (serve and migrate need it; set it before starting)\n";
    std::cout << path << ": ok: " << cfg.shops.size() << " shops\n";
    for (const auto& s : cfg.shops)
      std::cout << "  " << s.id << ": " << s.skills.size() << " skills, " << s.agents.size() << " agents, time zone " << s.hours.zone().name() << "\n";
    if (cfg.cluster)
      for (const auto& n : cfg.cluster->nodes)
        std::cout << "  node " << n.id << " at " << n.address << ": " << n.shops.size() << " shops\n";
    return 0;
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
}

struct MigrateArgs {
  std::string config, url, dir = SB_MIGRATIONS_DIR;
};

// The database URL of `--database` or the config's [store]; empty after saying why not.
std::string database_url(const char* command, const std::string& config, const std::string& url) {
  if (!url.empty()) return url;
  if (config.empty()) {
    std::cerr << "switchboard " << command << ": give --config or --database\n";
    return {};
  }
  const auto cfg = config_for(command, config);
  if (!cfg) return {};
  if (!cfg->store_problem.empty() || !cfg->store) {
    std::cerr << "switchboard " << command << ": "
              << (cfg->store_problem.empty() ? config + " has no [store]" : cfg->store_problem) << "\n";
    return {};
  }
  return cfg->store->database_url;
}

int migrate_command(const MigrateArgs& a) {
  const std::string url = database_url("migrate", a.config, a.url);
  if (url.empty()) return 2;
  const auto report = store::migrate(url, a.dir);
  for (const auto& name : report.applied) std::cout << "applied " << name << "\n";
  if (!report.ok) {
    std::cerr << "switchboard migrate: " << report.error << "\n";
    return 1;
  }
  std::cout << report.applied.size() << " applied, " << report.already << " already applied\n";
  return 0;
}

struct ResetArgs {
  std::string config, node;
};

int reset_cursor_command(const ResetArgs& a) {
  const auto cfg = config_for("store reset-cursor", a.config);
  if (!cfg) return 2;
  if (!cfg->store || !cfg->store_problem.empty()) {
    std::cerr << "switchboard store reset-cursor: " << (cfg->store ? cfg->store_problem : a.config + " has no [store]") << "\n";
    return 2;
  }
  const std::string node = a.node.empty() ? cfg->store->node_id : a.node;
  store::PgWriter writer(cfg->store->database_url, node, "", false);
  std::string error;
  if (!writer.connect(error)) {
    std::cerr << "switchboard store reset-cursor: cannot reach the database: " << error << "\n";
    return 1;
  }
  const bool had = writer.reset_cursor(error);
  if (!error.empty()) {
    std::cerr << "switchboard store reset-cursor: " << error << "\n";
    return 1;
  }
  std::cout << (had ? "node " + node + ": cursor removed. " : "node " + node + " had no cursor. ")
            << "The journal in " << cfg->store->journal_dir
            << " is written from its start at the next serve; events an earlier journal held that never reached "
               "PostgreSQL are lost, rows already in PostgreSQL are kept and count once.\n";
  return 0;
}

void add_token(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<TokenArgs>();
  auto* cmd = app.add_subcommand("token", "Issue a signed token (JWT) for a customer, agent, supervisor, order system or admin");
  cmd->add_option("--config", a->config, "Config file whose keys sign the token")->required();
  cmd->add_option("--kid", a->kid, "Key id to sign with (default: the operator's first key; a shop's kid signs as its site)");
  cmd->add_option("--shop", a->shop, "Shop id (\"*\" for admin and metrics)")->required();
  cmd->add_option("--person", a->person, "Member, agent or supervisor id; any name for orders/admin/metrics")->required();
  cmd->add_option("--role", a->role, "customer, agent, supervisor, orders, admin or metrics")->required();
  cmd->add_option("--tier", a->tier, "Customers: A, B or C (default C)");
  cmd->add_option("--ttl-hours", a->ttl_hours, "Hours until it expires (default 12)");
  commands.push_back({cmd, [a] { return token_command(*a); }});
}

struct HaproxyArgs {
  std::string config, out;
  HaproxyOptions options;
};

int haproxy_config_command(HaproxyArgs a) {
  const auto cfg = config_for("haproxy-config", a.config);
  if (!cfg) return 2;
  if (!cfg->cluster) {
    std::cerr << "switchboard haproxy-config: " << a.config << " has no [cluster] assigning shops to nodes\n";
    return 2;
  }
  if (a.options.tls_cert.empty() != a.options.tls_bind.empty()) {
    std::cerr << "switchboard haproxy-config: --tls-bind and --tls-cert go together\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(a.out, ec);
  const auto dir = std::filesystem::absolute(a.out, ec);
  a.options.map_path = (dir / "shops.map").string();
  std::ofstream map(a.options.map_path), conf(dir / "haproxy.cfg");
  map << haproxy_shops_map(*cfg->cluster);
  conf << haproxy_config(*cfg->cluster, a.options);
  if (!map || !conf) {
    std::cerr << "switchboard haproxy-config: cannot write " << (dir / "haproxy.cfg").string() << " and shops.map\n";
    return 1;
  }
  std::cout << "wrote " << (dir / "haproxy.cfg").string() << " and " << a.options.map_path << " ("
            << cfg->cluster->nodes.size() << " nodes)\n";
  return 0;
}

void add_haproxy_config(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<HaproxyArgs>();
  auto* cmd = app.add_subcommand("haproxy-config", "Write HAProxy's config and shop map from the config's [cluster]");
  cmd->add_option("--config", a->config, "Config file with the [cluster] (the nodes' own)")->required();
  cmd->add_option("--out", a->out, "Folder for haproxy.cfg and shops.map")->required();
  cmd->add_option("--bind", a->options.bind, "Public HTTP/WebSocket address (default 127.0.0.1:8080)");
  cmd->add_option("--tls-bind", a->options.tls_bind, "HTTPS/wss address, with --tls-cert");
  cmd->add_option("--tls-cert", a->options.tls_cert, "PEM holding the certificate and its private key");
  cmd->add_option("--connections-max", a->options.connections_max, "HAProxy's maxconn (default 9000)");
  cmd->add_option("--admin-socket", a->options.admin_socket, "HAProxy's runtime API socket (move-shop updates the map through it)");
  commands.push_back({cmd, [a] { return haproxy_config_command(*a); }});
}

}  // namespace

void add_admin_commands(CLI::App& app, Commands& commands) {
  add_haproxy_config(app, commands);
  add_token(app, commands);
  auto check = std::make_shared<std::string>();
  auto* check_cmd = app.add_subcommand("check-config", "Validate a config file and print what it describes");
  check_cmd->add_option("--config", *check, "TOML config file")->required();
  commands.push_back({check_cmd, [check] { return check_config_command(*check); }});

  auto m = std::make_shared<MigrateArgs>();
  auto* migrate_cmd = app.add_subcommand("migrate", "Apply the database migrations (each once, in order, in a transaction)");
  migrate_cmd->add_option("--config", m->config, "Config file whose [store] names the database");
  migrate_cmd->add_option("--database", m->url, "PostgreSQL URL (instead of --config)");
  migrate_cmd->add_option("--migrations", m->dir, "Folder of NNNN_name.sql files");
  commands.push_back({migrate_cmd, [m] { return migrate_command(*m); }});

  auto r = std::make_shared<ResetArgs>();
  auto* store_cmd = app.add_subcommand("store", "The history store's maintenance");
  store_cmd->require_subcommand(1);
  auto* reset_cmd = store_cmd->add_subcommand(
      "reset-cursor", "Forget the database's journal cursor for a node, so that its (new) journal is written from its start");
  reset_cmd->add_option("--config", r->config, "Config file with the [store]")->required();
  reset_cmd->add_option("--node", r->node, "Node id (default: the config's store.node_id)");
  commands.push_back({reset_cmd, [r] { return reset_cursor_command(*r); }});
}

}  // namespace sb::app
