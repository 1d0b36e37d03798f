// Synthetic peak days: many shops of skewed sizes, arrivals following the 818 hourly curve
// from 07:00 to 02:00, agents staffed per hour from the load, customers and agents with
// seeded-random behaviour (think times, reply delays with some 45-s breaches, patience,
// transfers, ratings, orders, messages left outside hours). Same options, same trace.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/trace_player.hpp"

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
};

struct SyntheticDay {
  core::Trace trace;                     // with its own figures (simulated on its staffing)
  std::vector<core::ShopConfig> shops;   // the staffing plan the trace was made for
  std::string config_toml;               // the same, as a loadable config file
};

SyntheticDay generate_day(const SyntheticOptions& options);

// The 818 curve: relative arrivals per local hour 0..23 (zero outside 07:00-02:00).
const std::vector<double>& peak_day_curve();

// Writes shops (and a [server]/[auth] preamble) as a config file `switchboard serve` loads.
std::string shops_to_toml(const std::vector<core::ShopConfig>& shops, const std::string& token_secret);

}  // namespace sb::app
