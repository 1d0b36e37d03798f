// A trace (docs/trace.md): a day of arrivals, agent shifts, orders and replies to left messages,
// with the figures the day had, as the simulator, the live replay and the export share it.
#pragma once

#include <vector>

#include "core/time.hpp"
#include "switchboard/v1/switchboard.pb.h"
#include "switchboard/v1/trace.pb.h"

namespace sb::sim {

using core::DurationMs;
using core::TimeMs;

struct Trace {
  switchboard::v1::TraceHeader header;
  std::vector<switchboard::v1::TraceRecord> records;   // agent_status, arrival, order, left_reply
  std::vector<switchboard::v1::ShopFigures> figures;   // the trace's own, if it carries them
};

// When a record happens (0 for a header or figures).
TimeMs record_time(const switchboard::v1::TraceRecord& r);

}  // namespace sb::sim
