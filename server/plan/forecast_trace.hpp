// A day of the forecast as a trace for the simulator: per shop, skill and hour a Poisson number
// of arrivals around the forecast, spread evenly over the hour, each chat behaving as one drawn
// at random from the last peak (its legs, patience, rating). Shifts come from the plan, so the
// trace has no agent records. Same inputs and seed, same trace.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "forecast.hpp"

namespace sb::plan {

struct ForecastShop {
  const core::ShopConfig* config = nullptr;
  const ShopHistory* history = nullptr;
  const DayDemand* demand = nullptr;  // the day's forecast
};

sim::Trace forecast_trace(const std::vector<ForecastShop>& shops, const std::string& date, std::uint64_t seed);

}  // namespace sb::plan
