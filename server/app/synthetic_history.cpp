// `switchboard generate-history`: three earlier peaks (4-18, 6-18, 8-18) of a few days each,
// growing peak to peak, each day with its own hour curve (the launch evening, a flatter tail),
// and the planner input that plans the 11-11 peak from them. Same options, same files.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "plan_command.hpp"
#include "synthetic_trace.hpp"
#include "trace_io.hpp"

namespace sb::app {

namespace fs = std::filesystem;

namespace {

struct PeakSpec {
  const char* name;
  const char* first_day;  // 2026-MM-DD
  double size;            // relative sessions
};
constexpr PeakSpec peaks[] = {{"4-18", "2026-04-18", 0.6}, {"6-18", "2026-06-18", 0.8}, {"8-18", "2026-08-18", 1.0}};
constexpr double coming_size = 1.25;  // the 11-11 traffic target against 8-18's

// Day n of a peak: the launch day peaks at 20:00, later days flatten and shift to the afternoon.
std::vector<double> day_curve(std::uint32_t n, std::mt19937_64& rng) {
  std::vector<double> c = peak_day_curve();
  for (std::size_t h = 0; h < c.size(); ++h) {
    if (c[h] == 0) continue;
    if (n > 0 && h >= 19) c[h] *= 1.0 - 0.25 * n;      // less of the evening rush
    if (n > 0 && h >= 13 && h <= 17) c[h] *= 1.0 + 0.15 * n;
    c[h] *= std::uniform_real_distribution<double>(0.93, 1.07)(rng);  // a peak's own wobble
  }
  return c;
}

double day_size(std::uint32_t n) { return n == 0 ? 1.0 : n == 1 ? 0.7 : 0.5; }

std::string next_date(const std::string& first, std::uint32_t n) {
  return core::format_date(core::parse_date(first).value_or(0) + static_cast<core::DayNumber>(n));
}

}  // namespace

int generate_history_command(const HistoryArgs& a) {
  std::mt19937_64 rng(a.seed);
  fs::create_directories(fs::path(a.out_dir) / "history");
  std::ostringstream input, traffic_lines;
  std::vector<std::vector<double>> traffic(a.shops, std::vector<double>(std::size(peaks) + 1, 0));
  std::vector<core::ShopConfig> shops;
  input << "# Written by switchboard generate-history: plan the 11-11 peak from three earlier ones (docs/planning.md).\n"
        << "config = \"base.toml\"\n\n[target]\npeak = \"11-11\"\ndays = [";
  for (std::uint32_t d = 0; d < a.days; ++d) input << (d ? ", " : "") << '"' << next_date("2026-11-11", d) << '"';
  input << "]\n";
  for (std::size_t p = 0; p < std::size(peaks); ++p) {
    input << "\n[[history]]\npeak = \"" << peaks[p].name << "\"\ntraces = [";
    for (std::uint32_t d = 0; d < a.days; ++d) {
      SyntheticOptions o;
      o.shops = a.shops;
      o.sessions = static_cast<std::uint64_t>(std::llround(a.sessions * peaks[p].size * day_size(d)));
      o.seed = a.seed * 1000 + p * 10 + d;
      o.day = next_date(peaks[p].first_day, d);
      o.replay_margin_ms = 0;
      o.staffing = 0.8;  // earlier peaks ran short: some customers gave up, and the planner learns their patience
      o.curve = day_curve(d, rng);
      SyntheticDay day = generate_day(o);
      const std::string file = std::string("history/") + peaks[p].name + "-" + std::to_string(d + 1) + ".jsonl";
      if (auto e = write_trace((fs::path(a.out_dir) / file).string(), day.trace); !e.empty()) {
        std::cerr << "switchboard generate-history: " << e << "\n";
        return 1;
      }
      input << (d ? ", " : "") << '"' << file << '"';
      if (shops.empty()) shops = day.shops;
      // Each shop's traffic follows its own chats that day (shop ids are "shop1", "shop2", ...).
      for (const auto& r : day.trace.records)
        if (r.has_arrival() && r.arrival().left_message().empty()) traffic[std::stoul(r.arrival().shop_id().substr(4)) - 1][p] += 1;
    }
    input << "]\n";
  }
  for (std::uint32_t s = 0; s < a.shops; ++s) {
    // Visitors from requests through each shop's own ratio, a little different each peak.
    const double ratio = 0.03 + 0.02 * static_cast<double>(s % 5) / 4;
    input << "\n[[shops]]\nid = \"shop" << s + 1 << "\"\ntraffic = { ";
    for (std::size_t p = 0; p < std::size(peaks); ++p)
      input << '"' << peaks[p].name << "\" = " << std::llround(traffic[s][p] / (ratio * std::uniform_real_distribution<double>(0.95, 1.05)(rng))) << ", ";
    input << "\"11-11\" = " << std::llround(traffic[s][std::size(peaks) - 1] * coming_size / ratio) << " }\n";
  }
  input << "\n[staffing]\nresponse_45s_rate = 0.90\nabandon_max = 0.05\nwindow = 3\ndaily_cap = 400\nshift_hours = [4, 6, 8, 10]\n"
        << "\n[proof]\nseeds = 8\nrounds_max = 6\nseed = " << a.seed << "\n";
  for (auto& s : shops) s.agents.clear();  // the plan staffs them
  std::ofstream(fs::path(a.out_dir) / "base.toml") << shops_to_toml(shops, "generated-history-signing-key-0123456789-" + std::to_string(a.seed));
  std::ofstream(fs::path(a.out_dir) / "plan-input.toml") << input.str();
  std::printf("wrote %s: base.toml, plan-input.toml and %zu earlier peak days of %u shops\n", a.out_dir.c_str(), std::size(peaks) * a.days, a.shops);
  return 0;
}

void add_plan_commands(CLI::App& app, Commands& commands) {
  auto p = std::make_shared<PlanArgs>();
  auto* cmd = app.add_subcommand("plan", "Forecast the coming peak, staff it, choose shifts and prove the plan on the simulator");
  cmd->add_option("input", p->input, "The planner input (TOML, docs/planning.md)")->required();
  cmd->add_option("--out-dir", p->out_dir, "Where plan.toml, report.html and hours.csv go")->required();
  cmd->add_option("--seeds", p->seeds, "Simulated days per peak day and round (overrides [proof] seeds)")->check(CLI::Range(0, 10'000));
  cmd->add_option("--rounds", p->rounds, "Simulate-and-add rounds at most (overrides [proof] rounds_max)")->check(CLI::Range(1, 100));
  cmd->add_option("--threads", p->threads, "Simulation threads (0: one per core)");
  cmd->add_flag("--keep-traces", p->keep_traces, "Also write each forecast day (first seed) as forecast-<date>.jsonl, for simulate");
  commands.push_back({cmd, [p] { return plan_command(*p); }});

  auto h = std::make_shared<HistoryArgs>();
  auto* gen = app.add_subcommand("generate-history", "Write synthetic earlier peaks (4-18, 6-18, 8-18) and a planner input for 11-11");
  gen->add_option("--out-dir", h->out_dir, "Directory for base.toml, plan-input.toml and history/")->required();
  gen->add_option("--shops", h->shops, "Shops (sizes skewed)")->check(CLI::Range(1, 10'000));
  gen->add_option("--sessions", h->sessions, "Chats on the biggest earlier peak's first day, all shops")->check(CLI::Range(1, 100'000'000));
  gen->add_option("--seed", h->seed, "Random seed: same seed, same files");
  gen->add_option("--days", h->days, "Days per peak")->check(CLI::Range(1, 7));
  commands.push_back({gen, [h] { return generate_history_command(*h); }});
}

}  // namespace sb::app
