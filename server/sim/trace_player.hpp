// Plays a trace (a day of arrivals, agent shifts, orders) through the real engine on virtual
// time: the capacity planner's simulator. Customers and agents act as the trace says, timed
// from the moments the engine assigns their chats, so a changed staffing plan plays out as it
// would live. No clock, no sockets: the same trace and config always give the same figures.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "trace.hpp"

namespace sb::sim {

using core::ShopConfig;

struct SimulationOptions {
  // > 0: report moments that land this close to a threshold (see NearMiss). Live replay has
  // timing jitter; the synthetic generator moves such moments clear of it.
  DurationMs near_miss_margin_ms = 0;
  // Every invariant of every shop after every call (slow: the bug-hunting runs and the tests);
  // without it the figures' identities are still checked once, at the end.
  bool check_invariants = false;
  // > 0: every this many calls the engine is saved as a snapshot and loaded into a fresh one
  // that plays on (history events are then built too, as on a server), to show a restart from a
  // snapshot changes nothing.
  std::uint64_t snapshot_every_calls = 0;
  // Keep a LegRecord per leg and a GiveUp per customer who left the queue: what the capacity
  // planner learns handle times, concurrency and patience from.
  bool record_legs = false;
};

// One leg as it played: who had it, when, and how many chats that agent held once it began.
struct LegRecord {
  std::uint32_t record = 0;       // the arrival, in Trace::records
  std::uint32_t leg = 0;
  std::string shop_id, agent_id, skill;
  TimeMs clock_start_ms = 0;      // the leg's 45-s clock: the first message, or the transfer
  TimeMs assigned_ms = 0, ended_ms = 0;
  std::uint32_t agent_chats = 0;  // the agent's chats at assignment, this one included
};

struct GiveUp {
  std::uint32_t record = 0;
  DurationMs waited_ms = 0;
};

// Something in the played day that happened within the margin of a threshold, so that a few
// hundred milliseconds of jitter could put it on the other side.
struct NearMiss {
  enum class Kind : std::uint8_t {
    reply,     // a leg's first agent reply vs the first-response threshold from the leg's clock start
    wait,      // the first assignment vs the same threshold (a wait that long is a breach)
    patience,  // the first assignment vs the moment the customer would have given up
  };
  std::uint32_t record = 0;  // index of the arrival in Trace::records
  std::uint32_t leg = 0;
  Kind kind = Kind::reply;
  DurationMs off_ms = 0;     // how far after (+) or before (-) the threshold it happened
};

struct SimulationResult {
  std::vector<switchboard::v1::ShopFigures> figures;  // per shop of the trace, its day
  // Per shop whose requests (or left messages) ran past midnight, the local day after: an
  // 07:00-02:00 day's last hours belong to the next date (docs/figures.md).
  std::vector<switchboard::v1::ShopFigures> next_day;
  std::uint64_t arrivals = 0;
  std::uint64_t engine_calls = 0;
  std::uint64_t snapshots = 0;          // with SimulationOptions::snapshot_every_calls
  std::uint64_t steps_skipped = 0;      // the chat had moved on (closed, transferred, handed back)
  std::vector<std::string> notes;       // e.g. agents the config lacks
  std::vector<std::string> shops_missing;  // shops of the trace the config lacks: not simulated
  std::vector<NearMiss> near_misses;       // with SimulationOptions::near_miss_margin_ms
  std::vector<std::string> broken;         // figures' identities that did not hold at the end (a bug)
  std::vector<LegRecord> legs;             // with SimulationOptions::record_legs
  std::vector<GiveUp> gave_up;             // the same
  std::vector<std::string> shops_on_plan_shifts;  // shops whose agents played the config's shifts
};

// Runs the whole trace; `shops` is the staffing plan (may differ from the trace's own). A shop
// whose agents have shifts in the config plays those (online from the start, paused at the end
// to finish their chats, offline half an hour later) and not the trace's agent records.
SimulationResult simulate(const std::vector<ShopConfig>& shops, const Trace& trace, SimulationOptions options = {});

}  // namespace sb::sim
