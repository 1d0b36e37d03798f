// The planner's report (docs/planning.md): one self-contained HTML file (charts drawn inline as
// SVG, no script, no network) and a CSV with a row per shop, day and hour — forecast against the
// earlier peaks, required against scheduled agents, predicted and simulated 45-s rate,
// connection rate, queue wait, occupancy, and whether the hour is over- or under-staffed.
#pragma once

#include <string>

#include "capacity_plan.hpp"

namespace sb::plan {

// "under": fewer agents on shift than Erlang A asks (or uncovered); "over": at least two and
// a quarter more than it asks; "ok" otherwise; "" outside the line hours with no demand.
std::string staffing_state(const HourRow& row, bool line_hour);

std::string plan_csv(const CapacityPlan& plan, const StaffingTarget& target);
std::string plan_html(const CapacityPlan& plan, const StaffingTarget& target);

}  // namespace sb::plan
