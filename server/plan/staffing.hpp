// Chat-aware staffing per hour (docs/planning.md): the fewest agents for a skill's hour that hold
// the 45-second rate and bound abandonment, by Erlang C and by Erlang A. An agent with window w
// is w servers (chat slots); a slot's service time is the handle time learned at that
// concurrency; the 45-s rate counts the queue wait plus the learned first-reply delay.
#pragma once

#include <cstdint>
#include <vector>

#include "peak_history.hpp"

namespace sb::plan {

struct StaffingTarget {
  double response_45s_rate = 0.90;  // among sessions, per hour
  double abandon_max = 0.05;        // of requests, per hour
  std::uint32_t window = 3;
};

// What the queueing models need about one skill.
struct SkillModel {
  double handle_s = 300;             // a slot's service time
  double patience_s = 0;             // exponential mean; 0: nobody gives up
  std::vector<double> reply_share;   // first-reply delays, [s] bins (sum 1)
  double threshold_s = 45;           // the shop's first-response threshold
};

SkillModel skill_model(const SkillBehaviour& b, std::uint32_t window, double threshold_s);

struct Prediction {
  double response_45s_rate = 0;  // among the served
  double abandon = 0;            // of arrivals
  double wait_s = 0;             // mean queue time of arrivals
  double occupancy = 0;          // busy slots / slots
};

// `agents` (each `window` slots) on `arrivals_per_hour`: Erlang A (patience from the model) or,
// with `erlang_c`, nobody giving up.
Prediction predict(const SkillModel& m, double arrivals_per_hour, std::uint32_t agents, std::uint32_t window, bool erlang_c);

struct Requirement {
  double fractional = 0;        // agents, interpolated between the slot counts either side of the target
  std::uint32_t agents = 0;     // rounded up
  Prediction at;                // at `agents`
  bool rate_reachable = true;   // false: first replies alone keep the rate under the target
};

Requirement required_agents(const SkillModel& m, double arrivals_per_hour, const StaffingTarget& t, bool erlang_c);

}  // namespace sb::plan
