// switchboard: the server and its tools. `switchboard --help` lists every subcommand.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include "app/chat_client.hpp"
#include "app/config.hpp"
#include "app/trace_commands.hpp"
#include "core/time.hpp"
#include "net/server.hpp"
#include "net/token.hpp"
#include "net/shard.hpp"
#include "store/history_store.hpp"
#include "store/migrations.hpp"

namespace {

using namespace sb;

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

// The store's figures as Prometheus series, refreshed before each scrape.
void wire_store_metrics(net::Server& server, const store::HistoryStore& history, std::uint64_t journal_bytes_max) {
  auto& reg = server.metrics().registry();
  auto& up = prometheus::BuildGauge().Name("switchboard_db_up").Help("1 while the last database write succeeded").Register(reg).Add({});
  auto& backlog_events = prometheus::BuildGauge()
                             .Name("switchboard_journal_backlog_events")
                             .Help("Events journaled but not yet in PostgreSQL")
                             .Register(reg)
                             .Add({});
  auto& backlog_bytes = prometheus::BuildGauge()
                            .Name("switchboard_journal_backlog_bytes")
                            .Help("Journal bytes not yet in PostgreSQL")
                            .Register(reg)
                            .Add({});
  auto& bound = prometheus::BuildGauge()
                    .Name("switchboard_journal_backlog_bytes_max")
                    .Help("The journal backlog bound; over it the node reports not ready")
                    .Register(reg)
                    .Add({});
  bound.Set(static_cast<double>(journal_bytes_max));
  // Monotonic counts since start, exported as counters (advanced by their delta per scrape).
  auto counter = [&reg](const char* name, const char* help) -> prometheus::Counter& {
    return prometheus::BuildCounter().Name(name).Help(help).Register(reg).Add({});
  };
  auto& batches = counter("switchboard_db_batches_written_total", "Batches committed to PostgreSQL");
  auto& rows = counter("switchboard_db_events_written_total", "Events committed to PostgreSQL");
  auto& errors = counter("switchboard_db_write_errors_total", "Failed database connects and writes");
  auto& journaled = counter("switchboard_journal_events_total", "Events journaled");
  // The gauges and counters live in the registry for the life of the server; capture them by address.
  server.before_scrape = [up = &up, backlog_events = &backlog_events, backlog_bytes = &backlog_bytes,
                          batches = &batches, rows = &rows, errors = &errors, journaled = &journaled,
                          s = &history.stats(), h = &history] {
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
  };
  server.not_ready_reason = [s = &history.stats()]() -> std::string {
    return s->over_bound ? "journal backlog over its bound" : "";
  };
}

// A tool subcommand's config: nullopt after saying what is wrong with it.
std::optional<app::AppConfig> config_for(const char* command, const std::string& path) {
  try {
    return app::load_config(path);
  } catch (const app::ConfigError& e) {
    std::cerr << "switchboard " << command << ": " << e.what() << "\n";
    return std::nullopt;
  }
}

struct ServeArgs {
  std::string config;
  std::string listen;
  int threads = 0;
  std::string clock = "system";
  std::string clock_start;
  double speed = 60;
  std::string log_level = "info";
};

int serve(const ServeArgs& a) {
  app::AppConfig cfg;
  try {
    cfg = app::load_config(a.config);
    if (!cfg.store_problem.empty()) throw app::ConfigError(cfg.store_problem);
    if (!a.listen.empty()) app::parse_listen(a.listen, "--listen", cfg.server.host, cfg.server.port);
  } catch (const app::ConfigError& e) {
    std::cerr << "switchboard: refusing to start: " << e.what() << "\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(a.log_level));
  if (a.threads > 0) cfg.server.threads = static_cast<std::size_t>(a.threads);
  cfg.server.id_prefix = make_id_prefix();
  net::Clock clock = net::Clock::system();
  if (a.clock == "manual" || a.clock == "scaled") {
    if (!cfg.server.manual_clock_allowed) {
      std::cerr << "switchboard: refusing to start: " << a.config
                << ": server.manual_clock_allowed: must be true to run with --clock " << a.clock << "\n";
      return 2;
    }
    if (a.clock == "scaled" && !(a.speed >= 1 && a.speed <= 1000)) {
      std::cerr << "switchboard: refusing to start: --speed: must be 1 to 1000, got " << a.speed << "\n";
      return 2;
    }
    core::TimeMs start = clock.now();
    if (!a.clock_start.empty()) {
      auto t = core::parse_rfc3339(a.clock_start);
      if (!t) {
        std::cerr << "switchboard: refusing to start: --clock-start: not an RFC 3339 time: \"" << a.clock_start << "\"\n";
        return 2;
      }
      start = *t;
    }
    clock = a.clock == "manual" ? net::Clock::manual(start) : net::Clock::scaled(start, a.speed);
  } else if (a.clock != "system") {
    std::cerr << "switchboard: refusing to start: --clock: must be system, manual or scaled, got \"" << a.clock << "\"\n";
    return 2;
  }

  net::Server server(cfg.server, cfg.shops, clock);
  std::unique_ptr<store::HistoryStore> history;
  if (cfg.store) {
    try {
      history = std::make_unique<store::HistoryStore>(*cfg.store, [&server](std::size_t shard, std::uint64_t seq) {
        server.shard(shard).durable(seq);
      });
    } catch (const std::exception& e) {
      std::cerr << "switchboard: refusing to start: " << a.config << ": store: " << e.what() << "\n";
      return 2;
    }
    for (std::size_t i = 0; i < server.shard_count(); ++i) server.shard(i).set_history(history.get());
    wire_store_metrics(server, *history, cfg.store->journal_bytes_max);
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
    std::cerr << "switchboard: cannot listen on " << cfg.server.host << ":" << cfg.server.port << ": " << e.what() << "\n";
    return 1;
  }
  std::cout << "switchboard listening on " << cfg.server.host << ":" << port << " (" << cfg.shops.size() << " shops, "
            << cfg.server.threads << " shards, " << a.clock << " clock)";
  if (cfg.server.admin_listener) std::cout << "; admin on " << cfg.server.admin_host << ":" << server.admin_port();
  std::cout << std::endl;

  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: draining", sig);
    server.stop();
  });
  signals_ctx.run();
  // Connections are closed and the shards stopped: flush the journal, let the writer catch up.
  if (history) history->stop(cfg.server.drain_timeout);
  spdlog::info("stopped");
  spdlog::shutdown();
  std::fflush(nullptr);
  // Everything durable is done. Skip destructors: connections still referenced by queued
  // handlers on one shard's loop own sockets of another's, so no teardown order is safe.
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("switchboard"));
  CLI::App app{"Switchboard: routes live customer-service chats for marketplace shops and measures them."};
  app.require_subcommand(1);

  ServeArgs serve_args;
  auto* serve_cmd = app.add_subcommand("serve", "Run the server");
  serve_cmd->add_option("--config", serve_args.config, "TOML config file")->required();
  serve_cmd->add_option("--listen", serve_args.listen, "HOST:PORT, overrides server.listen (port 0: any free port)");
  serve_cmd->add_option("--threads", serve_args.threads, "Shards (event-loop threads), overrides server.threads");
  serve_cmd->add_option("--clock", serve_args.clock, "system (default), manual (tests: advance via POST /api/v1/admin/clock) or scaled (replays: --speed N)");
  serve_cmd->add_option("--clock-start", serve_args.clock_start, "Manual or scaled clock start, RFC 3339, e.g. 2026-08-18T06:00:00+08:00");
  serve_cmd->add_option("--speed", serve_args.speed, "Scaled clock: virtual seconds per real second (replays at N x)");
  serve_cmd->add_option("--log-level", serve_args.log_level, "trace, debug, info, warn, error");

  std::string token_config, token_secret, token_shop, token_person, token_role;
  double token_ttl_hours = 12;
  auto* token_cmd = app.add_subcommand("token", "Issue a signed token for an agent, supervisor, order system or admin");
  token_cmd->add_option("--config", token_config, "Config file whose [auth] secret signs the token");
  token_cmd->add_option("--secret", token_secret, "The secret itself (instead of --config)");
  token_cmd->add_option("--shop", token_shop, "Shop id (\"*\" for admin)")->required();
  token_cmd->add_option("--person", token_person, "Agent, supervisor or member id; any name for orders/admin")->required();
  token_cmd->add_option("--role", token_role, "customer, agent, supervisor, orders or admin")->required();
  token_cmd->add_option("--ttl-hours", token_ttl_hours, "Hours until it expires (default 12)");

  std::string check_config;
  auto* check_cmd = app.add_subcommand("check-config", "Validate a config file and print what it describes");
  check_cmd->add_option("--config", check_config, "TOML config file")->required();

  app::ChatOptions chat;
  std::string chat_connect = "127.0.0.1:8080";
  auto* chat_cmd = app.add_subcommand("chat", "Chat over WebSocket from the terminal as a customer, agent or supervisor");
  chat_cmd->add_option("--connect", chat_connect, "HOST:PORT of the server");
  chat_cmd->add_option("--shop", chat.shop, "Shop id")->required();
  chat_cmd->add_option("--role", chat.role, "customer, agent or supervisor")->required();
  chat_cmd->add_option("--as", chat.person, "Member id (customers); agents and supervisors take theirs from the token")->required();
  chat_cmd->add_option("--token", chat.token, "Signed token (agents and supervisors)");

  std::string migrate_config, migrate_url, migrate_dir = SB_MIGRATIONS_DIR;
  auto* migrate_cmd = app.add_subcommand("migrate", "Apply the database migrations (each once, in order, in a transaction)");
  migrate_cmd->add_option("--config", migrate_config, "Config file whose [store] names the database");
  migrate_cmd->add_option("--database", migrate_url, "PostgreSQL URL (instead of --config)");
  migrate_cmd->add_option("--migrations", migrate_dir, "Folder of NNNN_name.sql files");

  app::GenerateArgs gen;
  auto* gen_cmd = app.add_subcommand("generate-trace", "Write a synthetic peak-day trace and the staffing plan it was made for");
  gen_cmd->add_option("--out", gen.out, "Trace file: .jsonl (JSON Lines) or .pb (binary)")->required();
  gen_cmd->add_option("--config-out", gen.config_out, "Write the staffing plan here as a config file");
  gen_cmd->add_option("--shops", gen.options.shops, "Shops (sizes skewed)");
  gen_cmd->add_option("--sessions", gen.options.sessions, "Chats in the day (or the hour)");
  gen_cmd->add_option("--seed", gen.options.seed, "Random seed: same seed, same trace");
  gen_cmd->add_option("--day", gen.options.day, "Shop-local day, YYYY-MM-DD");
  gen_cmd->add_option("--staffing", gen.options.staffing, "Agents relative to the load-sized plan (1.0)");
  gen_cmd->add_option("--hour", gen.options.only_hour, "Put every chat in this one local hour (0-23): a peak hour");
  gen_cmd->add_option("--minutes", gen.options.minutes, "With --hour: only its first N minutes (5-60), staffed for that rate");
  double replay_margin_s = 3;
  gen_cmd->add_option("--replay-margin-s", replay_margin_s,
                      "Move replies, waits and patiences this far clear of their thresholds, for live replay (0: off)")
      ->check(CLI::Range(0.0, 30.0));

  app::SimulateArgs sim;
  auto* sim_cmd = app.add_subcommand("simulate", "Play a trace through the routing core on virtual time against a staffing plan");
  sim_cmd->add_option("trace", sim.trace, "Trace file (.jsonl or .pb)")->required();
  sim_cmd->add_option("--config", sim.config, "Config file with the shops and agents to simulate")->required();
  sim_cmd->add_option("--report", sim.report, "Write the simulated figures here (JSON Lines, one shop per line)");
  sim_cmd->add_flag("--expect-same", sim.expect_same, "Exit 1 unless the figures equal the trace's own");
  sim_cmd->add_option("--threads", sim.threads, "Threads (shops are split between them; 0: one per core)");

  app::ExportArgs exp;
  auto* exp_cmd = app.add_subcommand("export-trace", "Write a day of the PostgreSQL history as a trace, for simulate and replay");
  exp_cmd->add_option("--config", exp.config, "Config file with the shops (and [store], unless --database)")->required();
  exp_cmd->add_option("--database", exp.database, "PostgreSQL URL (instead of the config's [store])");
  exp_cmd->add_option("--shop", exp.shops, "Shop id (repeat for several; default: every shop of the config)");
  exp_cmd->add_option("--day", exp.day, "Shop-local day, YYYY-MM-DD")->required();
  exp_cmd->add_option("--out", exp.out, "Trace file: .jsonl (JSON Lines) or .pb (binary)")->required();

  CLI11_PARSE(app, argc, argv);
  if (gen_cmd->parsed()) {
    gen.options.replay_margin_ms = static_cast<std::int64_t>(replay_margin_s * 1000);
    return app::generate_trace_command(gen);
  }
  if (exp_cmd->parsed()) return app::export_trace_command(exp);
  if (sim_cmd->parsed()) return app::simulate_command(sim);

  if (migrate_cmd->parsed()) {
    if (migrate_url.empty() && !migrate_config.empty()) {
      const auto cfg = config_for("migrate", migrate_config);
      if (!cfg) return 2;
      if (!cfg->store_problem.empty()) {
        std::cerr << "switchboard migrate: " << cfg->store_problem << "\n";
        return 2;
      }
      if (!cfg->store) {
        std::cerr << "switchboard migrate: " << migrate_config << " has no [store]\n";
        return 2;
      }
      migrate_url = cfg->store->database_url;
    }
    if (migrate_url.empty()) {
      std::cerr << "switchboard migrate: give --config or --database\n";
      return 2;
    }
    const auto report = store::migrate(migrate_url, migrate_dir);
    for (const auto& name : report.applied) std::cout << "applied " << name << "\n";
    if (!report.ok) {
      std::cerr << "switchboard migrate: " << report.error << "\n";
      return 1;
    }
    std::cout << report.applied.size() << " applied, " << report.already << " already applied\n";
    return 0;
  }

  if (serve_cmd->parsed()) return serve(serve_args);
  if (token_cmd->parsed()) {
    if (token_secret.empty() && !token_config.empty()) {
      const auto cfg = config_for("token", token_config);
      if (!cfg) return 2;
      token_secret = cfg->server.token_secret;
    }
    if (token_secret.empty()) {
      std::cerr << "switchboard token: give --config or --secret\n";
      return 2;
    }
    if (!net::valid_role_name(token_role)) {
      std::cerr << "switchboard token: --role must be customer, agent, supervisor, orders or admin\n";
      return 2;
    }
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::cout << net::issue_token(token_secret, {token_shop, token_person, token_role,
                                                 now_s + static_cast<std::int64_t>(token_ttl_hours * 3600)})
              << "\n";
    return 0;
  }
  if (check_cmd->parsed()) {
    try {
      const auto cfg = app::load_config(check_config);
      if (!cfg.store_problem.empty()) throw app::ConfigError(cfg.store_problem);
      std::cout << check_config << ": ok: " << cfg.shops.size() << " shops\n";
      for (const auto& s : cfg.shops)
        std::cout << "  " << s.id << ": " << s.skills.size() << " skills, " << s.agents.size() << " agents\n";
      return 0;
    } catch (const app::ConfigError& e) {
      std::cerr << e.what() << "\n";
      return 2;
    }
  }
  if (chat_cmd->parsed()) {
    try {
      app::parse_listen(chat_connect, "--connect", chat.host, chat.port);
    } catch (const app::ConfigError& e) {
      std::cerr << "switchboard chat: " << e.what() << "\n";
      return 2;
    }
    return app::run_chat(chat);
  }
  return 0;
}
