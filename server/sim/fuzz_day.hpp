// The bug-hunting simulator (TigerBeetle's VOPR is the model): a seed generates a shop, a day of
// customers, agents, supervisors and order systems doing anything they may (and much they may
// not), and the faults a live node sees — connections dropped and resumed, agents going offline
// mid-chat, transfers to busy or offline agents, duplicate and late orders, ratings at the
// window's edge, queues at their bound, clock jumps to hour and day boundaries. Every invariant
// of the core is checked after every call, and at the end of the day the figures' identities
// (every session judged once, per-agent and per-hour sums within the shop's). The same seed
// always plays the same day; a failure is reported with its seed and the shortest failing
// prefix of steps, which replays it.
#pragma once

#include <cstdint>
#include <string>

#include "core/engine.hpp"

namespace sb::sim {

struct FuzzOptions {
  std::uint64_t seed = 1;
  std::uint32_t steps = 3000;  // actions before the day is wound down
  core::InjectedBug bug = core::InjectedBug::none;
  // Crash-and-recover at this many random steps: the engine is rebuilt by replaying every call
  // so far, as the server does from its journal; the day's figures must not change.
  std::uint32_t crashes = 0;
  // Snapshots at this many random steps: the engine's state is saved, loaded into a new engine
  // that plays on (its saved bytes must equal the original's), and a later crash replays only
  // the calls after the newest snapshot, as the server does.
  std::uint32_t snapshots = 0;
  // Moves at this many random steps: the shop is handed over (its state and timers written out,
  // the shop removed) and taken over again from those bytes, as a move between nodes does; a
  // bystander shop in the same engine shifts its place. The figures must not change.
  std::uint32_t moves = 0;
};

struct FuzzResult {
  bool ok = true;
  std::string failure;         // the broken invariant or identity
  std::uint32_t failed_at = 0; // the step after which it was found (steps + 1: at the wind-down)
  std::uint64_t calls = 0;
  std::string figures;         // every day's figures, serialized: same seed, same bytes
  std::uint64_t sessions = 0, transfers = 0, drops = 0, resumes = 0, orders = 0, breaches = 0, recoveries = 0, snapshots = 0,
                moves = 0;
};

FuzzResult fuzz_day(const FuzzOptions& options);

// For a seed that fails at `failing_steps`: the fewest steps that still fail (binary search).
std::uint32_t shortest_failing_prefix(FuzzOptions options, std::uint32_t failing_steps);

}  // namespace sb::sim
