// The capacity planner end to end (docs/planning.md): learn from earlier peaks, forecast the
// coming one, staff each shop's skills per hour by Erlang C and Erlang A, choose shifts by
// integer program, then prove the plan on the routing core over many seeded days of the
// forecast, adding agents to hours whose simulated 45-s rate falls short until it holds.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "forecast.hpp"
#include "shift_plan.hpp"
#include "staffing.hpp"

namespace sb::plan {

struct PlanInput {
  std::vector<core::ShopConfig> shops;            // the base config: skills, hours, thresholds
  std::string peak;                               // the coming peak's name, "8-18"
  std::vector<std::string> days;                  // its local dates
  std::vector<HistoryPeak> history;               // earlier peaks, oldest first
  std::map<std::string, std::map<std::string, double>> traffic;  // shop -> peak -> visitors (the coming one too)
  StaffingTarget target;
  ShiftRules rules;
  std::uint32_t seeds = 10;        // simulated days per peak day and round
  std::uint32_t rounds_max = 8;    // simulate-and-add rounds
  std::uint64_t seed = 1;
  std::uint32_t judged_min = 20;   // an hour is judged by the simulation only with this many sessions over the seeds
  unsigned threads = 0;
  // Called with each forecast day of the first seed in the first round (to keep them as traces).
  std::function<void(const sim::Trace&)> on_forecast_trace;
};

// One shop, day and hour (hours after the day's local midnight), its skills summed.
struct HourRow {
  int hour = 0;
  double forecast = 0;
  std::vector<double> earlier;        // per earlier peak: that peak's same day and hour, scaled to the coming traffic
  double required_c = 0, required_a = 0;              // fractional agents
  std::uint32_t agents_c = 0, agents_a = 0;           // rounded, per skill then summed
  std::uint32_t scheduled = 0, uncovered = 0, added = 0;
  Prediction erlang_c, erlang_a;                      // at the scheduled agents, weighted by demand
  double sim_rate = 0, sim_rate_low = 0, sim_rate_high = 0;  // pooled over seeds, and the seeds' lowest and highest
  double sim_connection = 0;
  std::uint64_t sim_judged = 0;
  // Short on the simulator, but an added agent changed nothing: the same customers' first replies
  // (not the wait) keep it under the target, so no more agents are added to it.
  bool reply_bound = false;
  bool judged() const { return sim_judged > 0; }
};

struct SkillDay {
  std::string skill;
  SkillModel model;
  std::vector<double> arrivals;          // [hour] requests + transfers in
  std::vector<Requirement> by_c, by_a;   // [hour]
  std::vector<std::uint32_t> required;   // [hour] what the shifts must cover (Erlang A, at least 1 in line hours, plus added)
  std::vector<std::uint32_t> added;      // [hour] by the simulation rounds
  ShiftPlan shifts;
};

struct ShopDay {
  std::string date;
  int open_h = 0, close_h = 0;           // line hours, hours after local midnight
  std::vector<SkillDay> skills;
  std::vector<HourRow> hours;            // [hour]
  // Between rounds: each hour's simulated rate when an agent was last added to it (< 0: none).
  std::vector<double> rate_when_added = std::vector<double>(day_hours, -1.0);
  std::vector<bool> reply_bound = std::vector<bool>(day_hours, false);
};

struct ShopPlan {
  std::string shop_id;
  ShopForecast forecast;
  std::vector<ShopDay> days;
  std::vector<core::CategoryTarget> targets;  // the last peak's conversion per category
  std::map<std::string, SkillBehaviour> behaviour;
  std::vector<std::string> uncovered;         // "2026-08-18 20:00 presale: 3 agents short"
};

struct CapacityPlan {
  std::string peak;
  std::vector<ShopPlan> shops;
  std::optional<Backtest> backtest;
  std::vector<std::string> history_peaks;
  std::uint32_t rounds = 0;      // simulation rounds run
  bool holds = false;            // every judged hour met the target in the last round
  std::vector<std::string> short_hours;  // hours still short after the last round
  std::vector<std::string> reply_bound_hours;  // short, but not for want of agents (HourRow::reply_bound)
  std::uint64_t simulated_arrivals = 0;
};

// fraction 0..1 and what is being done, for a progress bar.
using Progress = std::function<void(double, const std::string&)>;

Result<CapacityPlan> make_plan(const PlanInput& in, const Progress& progress = {});

// The plan's agents and shifts for one shop: per skill and shift, one agent per head, named
// "<shop>-<skill>-<n>", each with one dated shift per day of the peak it works.
std::vector<core::AgentConfig> plan_agents(const ShopPlan& shop, std::uint32_t window, std::uint32_t daily_cap);

}  // namespace sb::plan
