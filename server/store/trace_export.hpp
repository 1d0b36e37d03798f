// Reads shop-days of the PostgreSQL history back into a trace (docs/trace.md), so a capacity
// planner can play a real day through the simulator against another staffing plan.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "core/time_zone.hpp"
#include "sim/trace_player.hpp"

namespace sb::store {

struct TraceExportShop {
  std::string id;
  core::TimeZone zone;
  core::DurationMs rating_window_ms = 30 * core::ms_per_minute;
  core::DurationMs attribution_window_ms = core::ms_per_day;
};

struct TraceExportOptions {
  std::string database_url;
  std::vector<TraceExportShop> shops;
  std::string day;  // YYYY-MM-DD, the shops' local day
};

struct TraceExportReport {
  std::string error;  // empty: the trace is complete
  std::uint64_t arrivals = 0, sessions = 0, steps = 0, agent_changes = 0, orders = 0, left_messages = 0;
  std::vector<std::string> notes;  // what a trace cannot say and was left out, counted
};

// Fills `trace` with the requests of `day` in each shop, what happened in their sessions,
// agents' status changes and orders until the day's attribution window has passed.
TraceExportReport export_trace(const TraceExportOptions& options, sim::Trace& trace);

}  // namespace sb::store
