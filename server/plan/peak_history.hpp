// What the capacity planner learns from earlier peaks (docs/planning.md): requests per day of the
// peak, local hour and skill; and, per skill, how chats behave — handle time against how many
// chats the agent holds, first-reply delays, patience, transfers — and the last peak's category
// conversion. Demand comes from every earlier peak; behaviour from the most recent one, replayed
// on the simulator with the agents that peak had, so concurrency is what the router made it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/shop_config.hpp"
#include "sim/trace.hpp"

namespace sb::plan {

// Hours of a peak day counted from its local midnight: 07:00-02:00 reaches hour 26.
constexpr int day_hours = 30;
// First replies are binned by the second up to this; later ones (or none) share the last bin.
constexpr int reply_bins = 60;

struct SkillBehaviour {
  std::uint64_t arrivals = 0, legs = 0, gave_up = 0, transferred = 0;
  double handle_s = 0;                          // mean leg, assignment to its end (close or transfer)
  std::vector<double> handle_s_by_chats;        // [k - 1]: mean leg begun while the agent held k chats
  std::vector<std::uint64_t> legs_by_chats;
  std::vector<double> reply_share;              // [s]: legs whose first reply came s..s+1 s after assignment
  double exposure_s = 0;                        // queue time observed, served and given up
  double patience_s = 0;                        // exponential fit: exposure / give-ups; 0: nobody gave up
  double transfer_share = 0;                    // arrivals handed on to another skill
  std::string transfer_to;
  std::vector<std::uint32_t> samples;           // indexes into ShopHistory::arrivals
};

struct PeakDemand {
  std::string peak;
  std::vector<std::string> days;                              // local dates, in order
  std::vector<std::map<std::string, std::vector<double>>> by_day;  // [day] skill -> [hour] requests
  double requests = 0;
};

struct CategoryRate {
  std::uint64_t converted = 0, inquiring = 0;
  double rate() const { return inquiring == 0 ? 0 : static_cast<double>(converted) / static_cast<double>(inquiring); }
};

struct ShopHistory {
  std::string shop_id;
  std::vector<PeakDemand> peaks;                       // oldest first
  std::map<std::string, SkillBehaviour> skills;
  std::vector<switchboard::v1::TraceArrival> arrivals;  // the last peak's, as behaviour samples
  std::map<std::string, CategoryRate> last_peak_conversion;
};

struct HistoryPeak {
  std::string name;                   // "6-18"
  std::vector<const sim::Trace*> days;
};

// Learns each shop of `shops` (their skills and service hours) from `peaks`, oldest first; the
// window is the agents' when the last peak is replayed. An error names a trace or shop problem.
Result<std::map<std::string, ShopHistory>> learn_history(const std::vector<HistoryPeak>& peaks,
                                                               const std::vector<core::ShopConfig>& shops, std::uint32_t window);

// P(first reply later than `s` seconds) for a skill's learned reply delays.
double reply_later_than(const SkillBehaviour& b, int s);

}  // namespace sb::plan
