// Shifts (docs/planning.md): which shifts — allowed lengths and starts inside the line hours —
// cover a skill's hourly requirement at least cost, as an integer program solved by GLPK. Hours
// that cannot be covered (too few agents allowed, no shift fits) come back as uncovered agent
// counts per hour, never as a bare "infeasible": each hour's cover has a heavily priced slack.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sb::plan {

struct ShiftRules {
  std::vector<int> lengths_h{4, 6, 8, 10};
  int start_every_h = 1;
  double cost_per_agent_hour = 1;
  std::uint32_t agents_max = 0;  // per skill and day; 0: no bound
  std::uint32_t daily_cap = 0;   // sessions one agent may serve in a day (单人最高日服务量); 0: none
};

struct Shift {
  int start_h = 0;  // hours after the day's local midnight (may pass 24)
  int length_h = 0;
  std::uint32_t agents = 0;
};

struct ShiftPlan {
  std::vector<Shift> shifts;
  std::vector<std::uint32_t> scheduled;  // [hour] agents on shift
  std::vector<std::uint32_t> uncovered;  // [hour] agents the requirement lacks
  double cost = 0;                       // agent hours x cost
  std::uint32_t agents_for_cap = 0;      // the daily cap's lower bound on agents
  std::string problem;                   // the solver's, if it failed (the plan is then empty)
};

// `required`: agents per hour (index = hours after local midnight); shifts lie in [open_h, close_h).
ShiftPlan plan_shifts(const std::vector<std::uint32_t>& required, int open_h, int close_h, double day_sessions, const ShiftRules& rules);

}  // namespace sb::plan
