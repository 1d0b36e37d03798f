// Synthetic peak days: many shops of skewed sizes, arrivals following the 818 hourly curve
// from 07:00 to 02:00, agents staffed per hour from the load, customers and agents with
// seeded-random behaviour (think times, reply delays with some 45-s breaches, patience,
// transfers, ratings, orders, messages left outside hours). Same options, same trace.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/trace_player.hpp"

namespace sb::app {

struct SyntheticOptions {
  std::uint32_t shops = 10;
  std::uint64_t sessions = 10'000;  // arrivals in the day (or the hour)
  std::uint64_t seed = 1;
  std::string day = "2026-08-18";
  int utc_offset_minutes = 8 * 60;
  double staffing = 1.0;            // agents relative to the load-sized plan
  int only_hour = -1;               // 0..23: every arrival in this one local hour...
  int minutes = 60;                 // ...within its first this many minutes (a short peak)
  // Live replay plays a trace with some timing jitter: every reply, wait and patience that
  // lands closer than this to a threshold is moved clear of it (0: leave them).
  std::int64_t replay_margin_ms = 3'000;
  int nudge_rounds_max = 8;
  std::vector<double> curve;        // relative arrivals per local hour 0..23; empty: peak_day_curve()
};

struct SyntheticDay {
  sim::Trace trace;                     // with its own figures (simulated on its staffing)
  std::vector<core::ShopConfig> shops;   // the staffing plan the trace was made for
  std::string config_toml;               // the same, as a loadable config file
  std::size_t nudged = 0;                // moments moved clear of a threshold
  std::size_t near_misses_left = 0;      // still within the margin when the rounds ran out
};

SyntheticDay generate_day(const SyntheticOptions& options);

// The 818 curve: relative arrivals per local hour 0..23 (zero outside 07:00-02:00).
const std::vector<double>& peak_day_curve();

// Writes shops (and a [server]/[auth] preamble) as a config file `switchboard serve` loads.
std::string shops_to_toml(const std::vector<core::ShopConfig>& shops, const std::string& token_secret);

}  // namespace sb::app
