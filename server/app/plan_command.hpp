// The capacity planner's commands: `plan` (forecast, staffing, shifts, the proof on the
// simulator, the report; docs/planning.md) and `generate-history` (synthetic earlier peaks).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "app/commands.hpp"

namespace sb::app {

struct PlanArgs {
  std::string input;                    // the planner input (TOML)
  std::string out_dir;                  // plan.toml, report.html, hours.csv
  std::optional<std::uint32_t> seeds;   // overrides [proof] seeds
  std::optional<std::uint32_t> rounds;  // overrides [proof] rounds_max
  unsigned threads = 0;
  bool keep_traces = false;             // write the first seed's forecast days as traces
};
int plan_command(const PlanArgs& a);

struct HistoryArgs {
  std::string out_dir;
  std::uint32_t shops = 5;
  std::uint64_t sessions = 20'000;  // the biggest earlier peak's first day, all shops
  std::uint64_t seed = 1;
  std::uint32_t days = 3;           // per peak
};
// Writes base.toml, history/<peak>-<n>.jsonl and plan-input.toml (peaks 4-18, 6-18, 8-18; target 11-11).
int generate_history_command(const HistoryArgs& a);

void add_plan_commands(CLI::App& app, Commands& commands);

}  // namespace sb::app
