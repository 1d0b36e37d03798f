// The capacity planner's commands on traces: generate a synthetic peak day, simulate a trace
// on virtual time against a staffing plan and compare with the trace's own figures, export a
// day of the PostgreSQL history as a trace.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "synthetic_trace.hpp"

namespace sb::app {

struct GenerateArgs {
  SyntheticOptions options;
  std::string out;          // trace file (.jsonl or .pb)
  std::string config_out;   // the staffing plan as a config file
};
int generate_trace_command(const GenerateArgs& a);

struct SimulateArgs {
  std::string trace;
  std::string config;       // staffing plan; empty: the trace's own figures are required to compare
  std::string report;       // optional: figures as JSON Lines (one ShopFigures per line)
  bool expect_same = false; // exit 1 unless every shop's figures equal the trace's own
  unsigned threads = 0;     // 0: one per core; shops are split between them
  std::uint64_t snapshot_every = 0;  // > 0: restart from a snapshot every this many calls
  bool hours = false;       // a per-hour table per shop-day
  std::string csv;          // figures per shop, day and hour as CSV
  // A changed plan for this run: another strategy, another window, a fraction of the agents.
  std::string strategy;
  std::uint32_t window = 0;
  double agents_fraction = 1.0;
  // The bug-hunting mode (sim/fuzz_day.hpp): seeds [seed, seed + seeds), `steps` actions each.
  bool fuzz = false;
  std::uint64_t seed = 1;
  std::uint64_t seeds = 1;
  std::uint32_t steps = 3000;
};
int simulate_command(const SimulateArgs& a);

struct ExportArgs {
  std::string config;              // the shops (time zones, windows) and, unless --database, [store]
  std::string database;            // PostgreSQL URL; empty: the config's store.database_url
  std::vector<std::string> shops;  // empty: every shop of the config
  std::string day;                 // shop-local YYYY-MM-DD
  std::string out;                 // trace file (.jsonl or .pb)
};
int export_trace_command(const ExportArgs& a);

}  // namespace sb::app
