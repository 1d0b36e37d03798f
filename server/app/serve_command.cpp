// `switchboard serve`: loads the config, starts the history store, the shards and the
// listeners, and drains on SIGTERM (docs/architecture.md, "Stopping").
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "app/commands.hpp"
#include "app/json_log.hpp"
#include "net/build_info.hpp"
#include "core/time.hpp"
#include "net/server.hpp"
#include "net/shard.hpp"
#include "recovery.hpp"
#include "store/history_store.hpp"
#include "store/journal.hpp"
#include "store/shop_handoffs.hpp"
#include "store/lost_node.hpp"
#include "rebuild_lost.hpp"

namespace sb::app {

namespace {

struct ServeArgs {
  std::string config;
  std::string listen;
  int threads = 0;
  std::string node;  // with a [cluster]: which node this is (overrides cluster.node)
  std::string clock = "system";
  std::string clock_start;
  double speed = 60;
  std::string log_level = "info";
  std::string log_format = "text";
};

std::string base36(std::uint64_t v) {
  const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s;
  do {
    s.insert(s.begin(), digits[v % 36]);
    v /= 36;
  } while (v > 0);
  return s;
}

// Ids carry the process start so that sessions of two runs never share an id.
std::string make_id_prefix() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return base36(static_cast<std::uint64_t>(ms)) + base36(static_cast<std::uint64_t>(::getpid()) % 1296) + "-";
}

prometheus::Gauge& gauge(prometheus::Registry& reg, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(reg).Add({});
}

prometheus::Counter& counter(prometheus::Registry& reg, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(reg).Add({});
}

// The store's figures as Prometheus series, refreshed before each scrape; its health in /readyz.
void wire_store(net::Server& server, const store::HistoryStore& history, std::uint64_t journal_bytes_max) {
  auto& reg = server.metrics().registry();
  auto* up = &gauge(reg, "switchboard_db_up", "1 while the last database write succeeded");
  auto* backlog_events = &gauge(reg, "switchboard_journal_backlog_events", "Events journaled but not yet in PostgreSQL");
  auto* backlog_bytes = &gauge(reg, "switchboard_journal_backlog_bytes", "Journal bytes not yet in PostgreSQL");
  gauge(reg, "switchboard_journal_backlog_bytes_max", "The journal backlog bound; over it the node reports not ready")
      .Set(static_cast<double>(journal_bytes_max));
  // Monotonic counts since start, exported as counters (advanced by their delta per scrape).
  auto* batches = &counter(reg, "switchboard_db_batches_written_total", "Batches committed to PostgreSQL");
  auto* rows = &counter(reg, "switchboard_db_events_written_total", "Events committed to PostgreSQL");
  auto* errors = &counter(reg, "switchboard_db_write_errors_total", "Failed database connects and writes");
  auto* journaled = &counter(reg, "switchboard_journal_events_total", "Events journaled");
  auto* quarantined = &counter(reg, "switchboard_history_quarantined_total",
                               "History events PostgreSQL refused, kept aside in quarantined_events");
  auto* snapshots = &counter(reg, "switchboard_snapshots_total", "Shard snapshots written and marked in the journal");
  auto* snapshot_errors = &counter(reg, "switchboard_snapshot_errors_total",
                                   "Shard snapshots that could not be written (the journal still holds every call)");
  auto* segments_removed = &counter(reg, "switchboard_journal_segments_removed_total",
                                    "Journal segments deleted once covered by snapshots and the database cursor");
  const store::StoreStats* s = &history.stats();
  server.before_scrape = [=, h = &history] {
    auto advance = [](prometheus::Counter* c, std::uint64_t now) {
      if (static_cast<double>(now) > c->Value()) c->Increment(static_cast<double>(now) - c->Value());
    };
    up->Set(s->db_up ? 1 : 0);
    backlog_events->Set(static_cast<double>(h->backlog_events()));
    backlog_bytes->Set(static_cast<double>(h->backlog_bytes()));
    advance(batches, s->batches);
    advance(rows, s->events_written);
    advance(errors, s->write_errors);
    advance(journaled, s->events_journaled);
    advance(quarantined, s->quarantined);
    advance(snapshots, s->snapshots);
    advance(snapshot_errors, s->snapshot_errors);
    advance(segments_removed, s->segments_removed);
  };
  server.not_ready_reason = [s, h = &history]() -> std::string {
    if (s->over_bound) return "journal backlog over its bound";
    return h->writer_problem();
  };
  server.ready_note = [s]() -> std::string {
    const std::int64_t q = s->quarantined_in_db;
    return q <= 0 ? "" : std::to_string(q) + " history events of this node refused by PostgreSQL are in quarantined_events";
  };
}

// The clock the core runs on; nullopt after saying what is wrong.
std::optional<net::Clock> make_clock(const ServeArgs& a, const AppConfig& cfg) {
  if (a.clock == "system") return net::Clock::system();
  if (a.clock != "manual" && a.clock != "scaled") {
    std::cerr << "switchboard: refusing to start: --clock: must be system, manual or scaled, got \"" << a.clock << "\"\n";
    return std::nullopt;
  }
  if (!cfg.server.manual_clock_allowed) {
    std::cerr << "switchboard: refusing to start: " << a.config << ": server.manual_clock_allowed: must be true to run with --clock "
              << a.clock << "\n";
    return std::nullopt;
  }
  if (a.clock == "scaled" && !(a.speed >= 1 && a.speed <= 1000)) {
    std::cerr << "switchboard: refusing to start: --speed: must be 1 to 1000, got " << a.speed << "\n";
    return std::nullopt;
  }
  core::TimeMs start = net::Clock::system().now();
  if (!a.clock_start.empty()) {
    auto t = core::parse_rfc3339(a.clock_start);
    if (!t) {
      std::cerr << "switchboard: refusing to start: --clock-start: not an RFC 3339 time: \"" << a.clock_start << "\"\n";
      return std::nullopt;
    }
    start = *t;
  }
  return a.clock == "manual" ? net::Clock::manual(start) : net::Clock::scaled(start, a.speed);
}

std::optional<AppConfig> serve_config(const ServeArgs& a) {
  try {
    AppConfig cfg = load_config(a.config);
    if (!cfg.store_problem.empty()) throw ConfigError(cfg.store_problem);
    assign_node(cfg, a.node);
    if (!a.listen.empty()) parse_listen(a.listen, "--listen", cfg.server.host, cfg.server.port);
    for (const auto& warning : check_runtime(cfg)) spdlog::warn("{}", warning);
    if (a.threads > 0) cfg.server.threads = static_cast<std::size_t>(a.threads);
    // With a journal, the prefix lives as long as it does: a replay makes the same ids again.
    cfg.server.id_prefix = cfg.store ? store::persisted_id_prefix(cfg.store->journal_dir, make_id_prefix()) : make_id_prefix();
    return cfg;
  } catch (const ConfigError& e) {
    std::cerr << "switchboard: refusing to start: " << e.what() << "\n";
    return std::nullopt;
  } catch (const std::runtime_error& e) {
    std::cerr << "switchboard: refusing to start: " << a.config << ": store: " << e.what() << "\n";
    return std::nullopt;
  }
}

// Opens the journal and checks it against the database's cursor; nullptr with `status` set on a refusal.
std::unique_ptr<store::HistoryStore> open_history(const ServeArgs& a, const AppConfig& cfg, net::Server& server, int& status) {
  std::unique_ptr<store::HistoryStore> history;
  try {
    history = std::make_unique<store::HistoryStore>(
        *cfg.store, [&server](std::size_t shard, std::uint64_t seq) { server.shard(shard).durable(seq); });
  } catch (const std::exception& e) {
    std::cerr << "switchboard: refusing to start: " << a.config << ": store: " << e.what() << "\n";
    status = 2;
    return nullptr;
  }
  if (const std::string problem = history->check_cursor_at_start(); !problem.empty()) {
    std::cerr << "switchboard: refusing to start: " << problem << "\n";
    status = 2;
    return nullptr;
  }
  return history;
}

// Moving shops (docs/operations.md): this node's name in hand-overs, and the claims on
// PostgreSQL's shop_handoffs when it adopts one.
void wire_moves(net::Server& server, const AppConfig& cfg) {
  server.node_id = cfg.cluster ? cfg.cluster->node : cfg.store ? cfg.store->node_id : std::string();
  if (!cfg.store) return;
  server.claim_handoff = [url = cfg.store->database_url, node = server.node_id](const std::string& shop) -> Result<net::Server::Claim> {
    auto c = store::claim_handoff(url, shop, node);
    if (!c) return c.error();
    return net::Server::Claim{c->event_id, c->from_node, c->handed_at, std::move(c->state)};
  };
  server.unclaim_handoff = [url = cfg.store->database_url](const std::string& event_id) {
    if (auto r = store::unclaim_handoff(url, event_id); !r) spdlog::error("{}", r.error().message);
  };
  std::map<std::string, core::ShopConfig> configs;
  for (const auto* list : {&cfg.shops, &cfg.other_shops})
    for (const auto& c : *list) configs.emplace(c.id, c);
  server.rebuild_lost = [url = cfg.store->database_url, configs = std::move(configs), &server](const std::string& shop,
                                                                                             const std::string& lost) {
    return rebuild_lost_shop(url, configs, core::EngineOptions{server.options().id_prefix, 4'000'000, false}, shop, lost,
                             server.node_id);
  };
  server.drop_rebuild = [url = cfg.store->database_url](const std::string& record_id) {
    if (auto r = store::drop_rebuild(url, record_id); !r) spdlog::error("{}", r.error().message);
  };
}

// A node declared lost whose shops were rebuilt elsewhere must not come back with them: its
// journal (or the [cluster] assignment) would make two nodes serve one shop.
std::string rebuilt_elsewhere(const AppConfig& cfg, net::Server& server) {
  auto rebuilt = store::shops_rebuilt_from(cfg.store->database_url, server.node_id);
  if (!rebuilt) return {};  // PostgreSQL away: the writer reports it; nothing to compare with
  std::size_t replayed = 0;
  for (std::size_t i = 0; i < server.shard_count(); ++i) replayed += server.shard(i).replayed_calls();
  for (const auto& [shop, by] : *rebuilt) {
    const bool assigned = std::any_of(cfg.shops.begin(), cfg.shops.end(), [&](const core::ShopConfig& c) { return c.id == shop; });
    if (!assigned && replayed == 0) continue;
    return "shop \"" + shop + "\" was rebuilt on node " + by + " after this node (" + server.node_id + ") was declared lost; " +
           (assigned ? "assign it to " + by + " in [cluster]" : "this node's journal still holds its old state") +
           (replayed > 0 ? ", and move this node's journal folder (" + cfg.store->journal_dir + ") aside," : "") +
           " so that two nodes never serve it";
  }
  return {};
}

int serve(const ServeArgs& a) {
  // First, so that even the config's warnings come out in the chosen format.
  if (!set_log_format(a.log_format)) {
    std::cerr << "switchboard: refusing to start: --log-format: must be text or json, got \"" << a.log_format << "\"\n";
    return 2;
  }
  auto cfg = serve_config(a);
  if (!cfg) return 2;
  spdlog::set_level(spdlog::level::from_str(a.log_level));
  const auto clock = make_clock(a, *cfg);
  if (!clock) return 2;
  net::Server server(cfg->server, cfg->shops, *clock, cfg->other_shops);
  wire_moves(server, *cfg);
  std::unique_ptr<store::HistoryStore> history;
  if (cfg->store) {
    int status = 0;
    cfg->store->shards = server.shard_count();
    history = open_history(a, *cfg, server, status);
    if (!history) return status;
    if (std::string why; !recover(server, cfg->store->journal_dir, why)) {
      std::cerr << "switchboard: refusing to start: " << why << "\n";
      return 2;
    }
    if (const std::string why = rebuilt_elsewhere(*cfg, server); !why.empty()) {
      std::cerr << "switchboard: refusing to start: " << why << "\n";
      return 2;
    }
    for (std::size_t i = 0; i < server.shard_count(); ++i) {
      server.shard(i).set_history(history.get());
      server.shard(i).set_snapshots(cfg->store->snapshot_calls, cfg->store->snapshot_interval);
    }
    wire_store(server, *history, cfg->store->journal_bytes_max);
    history->start();
  } else {
    spdlog::warn("no [store] in {}: history is not kept", a.config);
  }
  // Catch the stop signals before anyone can know our port, so an early SIGTERM still drains.
  boost::asio::io_context signals_ctx;
  boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  unsigned short port = 0;
  try {
    port = server.start();
  } catch (const std::exception& e) {
    std::cerr << "switchboard: cannot listen on " << cfg->server.host << ":" << cfg->server.port << ": " << e.what() << "\n";
    return 1;
  }
  spdlog::info("switchboard {} ({})", net::build_version, net::build_revision);
  std::cout << "switchboard listening on " << cfg->server.host << ":" << port << " (" << cfg->shops.size() << " shops, "
            << cfg->server.threads << " shards, " << a.clock << " clock)";
  if (cfg->server.admin_listener) std::cout << "; admin on " << cfg->server.admin_host << ":" << server.admin_port();
  if (cfg->cluster) std::cout << "; node " << cfg->cluster->node;
  std::cout << std::endl;
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: draining", sig);
    server.stop();
  });
  signals_ctx.run();
  // Connections are closed and the shards stopped: flush the journal, let the writer catch up.
  if (history) history->stop(cfg->server.drain_timeout);
  spdlog::info("stopped");
  spdlog::shutdown();
  std::fflush(nullptr);
  // Everything durable is done. Skip destructors: connections still referenced by queued
  // handlers on one shard's loop own sockets of another's, so no teardown order is safe.
  std::_Exit(0);
}

}  // namespace

void add_serve_command(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Run the server");
  cmd->add_option("--config", a->config, "TOML config file")->required();
  cmd->add_option("--listen", a->listen, "HOST:PORT, overrides server.listen (port 0: any free port)");
  cmd->add_option("--threads", a->threads, "Shards (event-loop threads), overrides server.threads");
  cmd->add_option("--node", a->node, "With a [cluster]: the node this process is (serves only its shops), overrides cluster.node");
  cmd->add_option("--clock", a->clock, "system (default), manual (tests: advance via POST /api/v1/admin/clock) or scaled (replays: --speed N)");
  cmd->add_option("--clock-start", a->clock_start, "Manual or scaled clock start, RFC 3339, e.g. 2026-08-18T06:00:00+08:00");
  cmd->add_option("--speed", a->speed, "Scaled clock: virtual seconds per real second (replays at N x)");
  cmd->add_option("--log-level", a->log_level, "trace, debug, info, warn, error");
  cmd->add_option("--log-format", a->log_format, "text (default) or json: one JSON object per line, time in the server's zone");
  commands.push_back({cmd, [a] { return serve(*a); }});
}

}  // namespace sb::app
