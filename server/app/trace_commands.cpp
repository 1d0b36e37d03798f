#include "trace_commands.hpp"

#include <memory>

#include "app/commands.hpp"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

#include "config.hpp"
#include "net/codec.hpp"
#include "sim/parallel_simulation.hpp"
#include "store/trace_export.hpp"
#include "trace_io.hpp"
#include "sim/fuzz_day.hpp"

#include <unistd.h>

namespace sb::app {

namespace v1 = switchboard::v1;

namespace {

std::string ratio(const v1::Ratio& r) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f (%u/%u)", r.value(), r.numerator(), r.denominator());
  return buf;
}

void print_row(const char* label, const v1::FigureSet& f) {
  std::printf("  %-8s connection %-22s 45-s %-22s breaches %-5u rating %-20s satisfied %-20s replied %-16s conversion %s\n", label,
              ratio(f.connection_rate()).c_str(), ratio(f.response_45s_rate()).c_str(), f.first_response_breaches(),
              ratio(f.rating_rate()).c_str(), ratio(f.satisfaction()).c_str(), ratio(f.message_reply_rate()).c_str(),
              ratio(f.inquiry_conversion_rate()).c_str());
}

// A planner's per-hour table: requests, connection, 45-s rate, breaches, abandoned, no agent.
void print_hours(const v1::ShopFigures& f) {
  std::printf("  %-5s %8s %10s %10s %8s %9s %8s\n", "hour", "requests", "connection", "45-s", "breaches", "abandoned", "no agent");
  for (const auto& h : f.hours()) {
    const auto& x = h.figures();
    if (x.connection_rate().denominator() == 0 && x.first_response_breaches() == 0) continue;
    std::printf("  %02u:00 %8u %10.4f %10.4f %8u %9u %8u\n", h.hour(), x.connection_rate().denominator(), x.connection_rate().value(),
                x.response_45s_rate().value(), x.first_response_breaches(), x.requests_abandoned(), x.requests_no_agent());
  }
}

std::string csv_rows(const v1::ShopFigures& f) {
  std::string out;
  char buf[256];
  for (const auto& h : f.hours()) {
    const auto& x = h.figures();
    if (x.connection_rate().denominator() == 0 && x.first_response_breaches() == 0) continue;
    std::snprintf(buf, sizeof buf, "%s,%s,%02u:00,%u,%u,%.4f,%u,%u,%.4f,%u,%u,%u,%u\n", f.shop_id().c_str(), f.date().c_str(), h.hour(),
                  x.connection_rate().denominator(), x.connection_rate().numerator(), x.connection_rate().value(),
                  x.response_45s_rate().denominator(), x.response_45s_rate().numerator(), x.response_45s_rate().value(),
                  x.first_response_breaches(), x.requests_abandoned(), x.requests_no_agent(), x.online_duration_s());
    out += buf;
  }
  return out;
}

constexpr const char* csv_header =
    "shop,date,hour,requests,sessions,connection_rate,judged,replied_45s,response_45s_rate,breaches,abandoned,no_agent,online_s\n";

}  // namespace

int generate_trace_command(const GenerateArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  SyntheticDay day = generate_day(a.options);
  if (auto e = write_trace(a.out, day.trace); !e.empty()) {
    std::cerr << "switchboard generate-trace: " << e << "\n";
    return 1;
  }
  if (!a.config_out.empty()) {
    std::ofstream c(a.config_out, std::ios::trunc);
    c << day.config_toml;
    if (!c) {
      std::cerr << "switchboard generate-trace: " << a.config_out << ": cannot write\n";
      return 1;
    }
  }
  std::size_t agents = 0;
  for (const auto& s : day.shops) agents += s.agents.size();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("wrote %s: %zu records, %zu shops, %zu agents (%s) in %.1f s\n", a.out.c_str(), day.trace.records.size(),
              day.shops.size(), agents, day.trace.header.source().c_str(), s);
  if (a.options.replay_margin_ms > 0)
    std::printf("moved %zu replies, waits and patiences clear of their thresholds by %.1f s for live replay; %zu still closer\n",
                day.nudged, static_cast<double>(a.options.replay_margin_ms) / 1000.0, day.near_misses_left);
  for (const auto& f : day.trace.figures) print_row(f.shop_id().c_str(), f.figures());
  return 0;
}

namespace {

// switchboard simulate --fuzz: seeded days with faults, invariants after every call.
int fuzz_command(const SimulateArgs& a) {
  const bool tty = ::isatty(2) != 0;
  std::uint64_t calls = 0, sessions = 0, transfers = 0, drops = 0, breaches = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t seed = a.seed; seed < a.seed + a.seeds; ++seed) {
    const auto r = sim::fuzz_day(sim::FuzzOptions{seed, a.steps, core::InjectedBug::none});
    if (!r.ok) {
      if (tty) std::fprintf(stderr, "\n");
      const auto shortest = sim::shortest_failing_prefix(sim::FuzzOptions{seed, a.steps, core::InjectedBug::none}, r.failed_at);
      std::printf("seed %lu FAILED after step %u: %s\nshortest failing prefix: %u steps; replay it with: switchboard simulate "
                  "--fuzz --seed %lu --steps %u\n",
                  static_cast<unsigned long>(seed), r.failed_at, r.failure.c_str(), shortest, static_cast<unsigned long>(seed), shortest);
      return 1;
    }
    calls += r.calls;
    sessions += r.sessions;
    transfers += r.transfers;
    drops += r.drops;
    breaches += r.breaches;
    if (tty)
      std::fprintf(stderr, "\r[%-30s] seed %lu of %lu", std::string(static_cast<std::size_t>(30 * (seed - a.seed + 1) / a.seeds), '#').c_str(),
                   static_cast<unsigned long>(seed - a.seed + 1), static_cast<unsigned long>(a.seeds));
  }
  if (tty) std::fprintf(stderr, "\n");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("fuzz: %lu seeds from %lu, %u steps each: every invariant held after each of %lu calls (%lu sessions, %lu "
              "transfers, %lu dropped connections, %lu breaches) in %.1f s\n",
              static_cast<unsigned long>(a.seeds), static_cast<unsigned long>(a.seed), a.steps, static_cast<unsigned long>(calls),
              static_cast<unsigned long>(sessions), static_cast<unsigned long>(transfers), static_cast<unsigned long>(drops),
              static_cast<unsigned long>(breaches), secs);
  return 0;
}

}  // namespace

namespace {

// The planner's changes to the plan for this run only (docs/trace.md): another strategy,
// another window, a fraction of each shop's agents.
std::string change_plan(const SimulateArgs& a, std::vector<core::ShopConfig>& shops) {
  static const std::map<std::string, core::Strategy> strategies{
      {"longest_idle", core::Strategy::longest_idle}, {"fewest_active", core::Strategy::fewest_active}, {"round_robin", core::Strategy::round_robin}};
  std::optional<core::Strategy> strategy;
  if (!a.strategy.empty()) {
    auto it = strategies.find(a.strategy);
    if (it == strategies.end()) return "--strategy " + a.strategy + ": expected longest_idle, fewest_active or round_robin";
    strategy = it->second;
  }
  for (auto& s : shops) {
    if (strategy) s.strategy = *strategy;
    if (a.window > 0)
      for (auto& ag : s.agents) ag.window = a.window;
    if (a.agents_fraction < 1.0) {
      const auto keep = static_cast<std::size_t>(std::ceil(a.agents_fraction * static_cast<double>(s.agents.size())));
      s.agents.resize(std::min(s.agents.size(), keep));
    }
  }
  return "";
}

// Prints one shop-day against the trace's own figures for it; returns whether they are the same
// (a day the trace has no figures for is not compared).
bool report_day(const v1::ShopFigures& f, const std::map<std::string, const v1::ShopFigures*>& own, bool hours, bool& compared) {
  std::printf("%s %s\n", f.shop_id().c_str(), f.date().c_str());
  print_row("plan", f.figures());
  if (hours) print_hours(f);
  auto it = own.find(f.shop_id() + ' ' + f.date());
  compared = it != own.end();
  if (!compared) return false;
  const bool same = google::protobuf::util::MessageDifferencer::Equals(f, *it->second);
  if (same) std::printf("  trace    the same, every figure of every hour, skill, agent and category\n");
  else print_row("trace", it->second->figures());
  return same;
}

int write_outputs(const SimulateArgs& a, const std::vector<const v1::ShopFigures*>& days) {
  if (!a.report.empty()) {
    std::ofstream out(a.report, std::ios::trunc);
    for (const auto* f : days) out << net::to_json(*f) << '\n';
    if (!out) {
      std::cerr << "switchboard simulate: " << a.report << ": cannot write\n";
      return 2;
    }
  }
  if (!a.csv.empty()) {
    std::ofstream out(a.csv, std::ios::trunc);
    out << csv_header;
    for (const auto* f : days) out << csv_rows(*f);
    if (!out) {
      std::cerr << "switchboard simulate: " << a.csv << ": cannot write\n";
      return 2;
    }
  }
  return 0;
}

}  // namespace

int simulate_command(const SimulateArgs& a) {
  if (a.fuzz) return fuzz_command(a);
  if (a.trace.empty() || a.config.empty()) {
    std::cerr << "switchboard simulate: give a trace and --config (or --fuzz)\n";
    return 2;
  }
  sim::Trace trace;
  const auto t0 = std::chrono::steady_clock::now();
  if (auto e = read_trace(a.trace, trace); !e.empty()) {
    std::cerr << "switchboard simulate: " << e << "\n";
    return 2;
  }
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<core::ShopConfig> shops;
  try {
    shops = load_config(a.config).shops;
  } catch (const ConfigError& e) {
    std::cerr << "switchboard simulate: " << e.what() << "\n";
    return 2;
  }
  if (auto e = change_plan(a, shops); !e.empty()) {
    std::cerr << "switchboard simulate: " << e << "\n";
    return 2;
  }
  const auto t1 = std::chrono::steady_clock::now();
  sim::SimulationOptions options;
  options.snapshot_every_calls = a.snapshot_every;
  const sim::SimulationResult r = sim::simulate_in_parallel(shops, trace, a.threads, options);
  const double sim_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::printf("simulated %s against %s: %lu arrivals, %lu engine calls; loaded in %.2f s, simulated in %.2f s (%.0f arrivals/s)\n",
              a.trace.c_str(), a.config.c_str(), static_cast<unsigned long>(r.arrivals),
              static_cast<unsigned long>(r.engine_calls), load_s, sim_s, static_cast<double>(r.arrivals) / std::max(sim_s, 1e-9));
  if (a.snapshot_every > 0)
    std::printf("restarted from a snapshot %lu times (every %lu calls)\n", static_cast<unsigned long>(r.snapshots),
                static_cast<unsigned long>(a.snapshot_every));
  for (const auto& b : r.broken) std::printf("BROKEN: %s\n", b.c_str());
  for (const auto& n : r.notes) std::printf("note: %s\n", n.c_str());
  for (const auto& s : r.shops_missing) std::printf("note: shop %s of the trace is not in the config: not simulated\n", s.c_str());
  for (const auto& s : r.shops_on_plan_shifts) std::printf("note: shop %s plays the config's shifts, not the trace's\n", s.c_str());
  std::map<std::string, const v1::ShopFigures*> own;
  for (const auto& f : trace.figures) own[f.shop_id() + ' ' + f.date()] = &f;
  std::vector<const v1::ShopFigures*> days;
  for (const auto& f : r.figures) days.push_back(&f);
  for (const auto& f : r.next_day) days.push_back(&f);
  bool all_same = !r.figures.empty();
  for (const auto* f : days) {
    bool compared = false;
    const bool same = report_day(*f, own, a.hours, compared);
    // The day after midnight is compared when the trace has figures for it (older traces do not).
    if (compared ? !same : f->date() == trace.header.day()) all_same = false;
  }
  if (int rc = write_outputs(a, days); rc != 0) return rc;
  if (a.expect_same && !all_same) {
    std::printf("figures differ from the trace's own\n");
    return 1;
  }
  return r.broken.empty() ? 0 : 1;  // an identity or a snapshot that did not hold is a bug
}

int export_trace_command(const ExportArgs& a) {
  AppConfig cfg;
  try {
    cfg = load_config(a.config);
  } catch (const ConfigError& e) {
    std::cerr << "switchboard export-trace: " << e.what() << "\n";
    return 2;
  }
  store::TraceExportOptions o;
  o.database_url = a.database;
  if (o.database_url.empty()) {
    if (!cfg.store_problem.empty()) {
      std::cerr << "switchboard export-trace: " << cfg.store_problem << "\n";
      return 2;
    }
    if (!cfg.store) {
      std::cerr << "switchboard export-trace: " << a.config << " has no [store] and no --database was given\n";
      return 2;
    }
    o.database_url = cfg.store->database_url;
  }
  o.day = a.day;
  for (const auto& shop : cfg.shops) {
    if (!a.shops.empty() && std::find(a.shops.begin(), a.shops.end(), shop.id) == a.shops.end()) continue;
    o.shops.push_back({shop.id, shop.hours.zone(), shop.thresholds.rating_window_ms,
                       shop.thresholds.attribution_window_ms});
  }
  for (const auto& id : a.shops)
    if (std::none_of(cfg.shops.begin(), cfg.shops.end(), [&](const auto& s) { return s.id == id; })) {
      std::cerr << "switchboard export-trace: shop \"" << id << "\" is not in " << a.config << "\n";
      return 2;
    }
  sim::Trace trace;
  const auto t0 = std::chrono::steady_clock::now();
  const store::TraceExportReport r = store::export_trace(o, trace);
  if (!r.error.empty()) {
    std::cerr << "switchboard export-trace: " << r.error << "\n";
    return 1;
  }
  if (auto e = write_trace(a.out, trace); !e.empty()) {
    std::cerr << "switchboard export-trace: " << e << "\n";
    return 1;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("wrote %s: %zu shops, day %s: %lu arrivals (%lu connected, %lu steps), %lu agent status changes, %lu orders, "
              "%lu left messages in %.1f s\n",
              a.out.c_str(), o.shops.size(), a.day.c_str(), static_cast<unsigned long>(r.arrivals), static_cast<unsigned long>(r.sessions),
              static_cast<unsigned long>(r.steps), static_cast<unsigned long>(r.agent_changes), static_cast<unsigned long>(r.orders),
              static_cast<unsigned long>(r.left_messages), s);
  for (const auto& n : r.notes) std::printf("note: %s\n", n.c_str());
  return 0;
}

}  // namespace sb::app

namespace sb::app {

void add_trace_commands(CLI::App& app, Commands& commands) {
  auto gen = std::make_shared<GenerateArgs>();
  auto margin_s = std::make_shared<double>(3);
  auto* gen_cmd = app.add_subcommand("generate-trace", "Write a synthetic peak-day trace and the staffing plan it was made for");
  gen_cmd->add_option("--out", gen->out, "Trace file: .jsonl (JSON Lines) or .pb (binary)")->required();
  gen_cmd->add_option("--config-out", gen->config_out, "Write the staffing plan here as a config file");
  gen_cmd->add_option("--shops", gen->options.shops, "Shops (sizes skewed)");
  gen_cmd->add_option("--sessions", gen->options.sessions, "Chats in the day (or the hour)");
  gen_cmd->add_option("--seed", gen->options.seed, "Random seed: same seed, same trace");
  gen_cmd->add_option("--day", gen->options.day, "Shop-local day, YYYY-MM-DD");
  gen_cmd->add_option("--staffing", gen->options.staffing, "Agents relative to the load-sized plan (1.0)");
  gen_cmd->add_option("--hour", gen->options.only_hour, "Put every chat in this one local hour (0-23): a peak hour");
  gen_cmd->add_option("--minutes", gen->options.minutes, "With --hour: only its first N minutes (5-60), staffed for that rate");
  gen_cmd->add_option("--replay-margin-s", *margin_s,
                      "Move replies, waits and patiences this far clear of their thresholds, for live replay (0: off)")
      ->check(CLI::Range(0.0, 30.0));
  commands.push_back({gen_cmd, [gen, margin_s] {
                        gen->options.replay_margin_ms = static_cast<std::int64_t>(*margin_s * 1000);
                        return generate_trace_command(*gen);
                      }});

  auto sim = std::make_shared<SimulateArgs>();
  auto* sim_cmd = app.add_subcommand("simulate", "Play a trace through the routing core on virtual time against a staffing plan");
  sim_cmd->add_option("trace", sim->trace, "Trace file (.jsonl or .pb)");
  sim_cmd->add_option("--config", sim->config, "Config file with the shops and agents to simulate");
  sim_cmd->add_flag("--fuzz", sim->fuzz, "Hunt bugs: seeded random days with faults, every invariant checked after every call");
  sim_cmd->add_option("--seed", sim->seed, "--fuzz: the first seed");
  sim_cmd->add_option("--seeds", sim->seeds, "--fuzz: how many seeds (default 1)")->check(CLI::Range(1, 100'000'000));
  sim_cmd->add_option("--steps", sim->steps, "--fuzz: actions per day (default 3000)")->check(CLI::Range(1, 10'000'000));
  sim_cmd->add_option("--report", sim->report, "Write the simulated figures here (JSON Lines, one shop per line)");
  sim_cmd->add_flag("--expect-same", sim->expect_same, "Exit 1 unless the figures equal the trace's own");
  sim_cmd->add_option("--snapshot-every", sim->snapshot_every,
                      "Restart each thread's engine from a snapshot every N calls (the figures must not change)");
  sim_cmd->add_option("--threads", sim->threads, "Threads (shops are split between them; 0: one per core)");
  sim_cmd->add_flag("--hours", sim->hours, "Print each shop-day's figures per hour");
  sim_cmd->add_option("--csv", sim->csv, "Write the figures per shop, day and hour here (CSV)");
  sim_cmd->add_option("--strategy", sim->strategy, "Route every shop by this strategy instead (longest_idle, fewest_active, round_robin)");
  sim_cmd->add_option("--window", sim->window, "Give every agent this window instead")->check(CLI::Range(1, 50));
  sim_cmd->add_option("--agents", sim->agents_fraction, "Keep this fraction of each shop's agents (the first ones)")->check(CLI::Range(0.0, 1.0));
  commands.push_back({sim_cmd, [sim] { return simulate_command(*sim); }});

  auto exp = std::make_shared<ExportArgs>();
  auto* exp_cmd = app.add_subcommand("export-trace", "Write a day of the PostgreSQL history as a trace, for simulate and replay");
  exp_cmd->add_option("--config", exp->config, "Config file with the shops (and [store], unless --database)")->required();
  exp_cmd->add_option("--database", exp->database, "PostgreSQL URL (instead of the config's [store])");
  exp_cmd->add_option("--shop", exp->shops, "Shop id (repeat for several; default: every shop of the config)");
  exp_cmd->add_option("--day", exp->day, "Shop-local day, YYYY-MM-DD")->required();
  exp_cmd->add_option("--out", exp->out, "Trace file: .jsonl (JSON Lines) or .pb (binary)")->required();
  commands.push_back({exp_cmd, [exp] { return export_trace_command(*exp); }});
}

}  // namespace sb::app
