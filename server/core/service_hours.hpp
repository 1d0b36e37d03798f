// A shop's service hours (线路时间): weekly spans plus date overrides, in the shop's local time.
// A span may run past midnight (07:00-02:00): its tail belongs to the day it opened on.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "time.hpp"
#include "time_zone.hpp"

namespace sb::core {

struct HoursSpan {
  int open_minute = 0;   // minutes after local midnight of the opening day
  int close_minute = 0;  // > open_minute; up to 2880 when the span runs past midnight
};

// Parses "07:00-02:00" (past midnight), "09:00-23:00", "00:00-24:00"; error text on failure.
std::optional<HoursSpan> parse_hours_span(std::string_view text, std::string& error);

// One shift of the staffing plan (switchboard plan writes them): the agent is online over the
// span on that local day, or on every day when `day` is unset. The server keeps them as the plan
// (agents still sign in themselves); the simulator plays them instead of the trace's own shifts.
struct AgentShift {
  std::optional<DayNumber> day;
  HoursSpan span;
};

// "07:00-15:00" (every day) or "2026-08-18 20:00-02:00" (that local day, past midnight).
std::optional<AgentShift> parse_agent_shift(std::string_view text, std::string& error);
// The same text back.
std::string agent_shift_text(const AgentShift& shift);

class ServiceHours {
 public:
  ServiceHours();  // open all day, every day

  void set_weekday(int weekday, std::vector<HoursSpan> spans);  // 0 = Monday; empty: closed
  void set_date(DayNumber day, std::vector<HoursSpan> spans);   // overrides the weekday
  void set_zone(TimeZone zone) { zone_ = std::move(zone); }
  const TimeZone& zone() const { return zone_; }

  bool is_open(TimeMs t) const;
  // "07:00-02:00" for the local day containing t (comma separated; empty when closed).
  std::string describe_day(TimeMs t) const;

 private:
  const std::vector<HoursSpan>& spans_of(DayNumber day) const;

  std::vector<HoursSpan> weekly_[7];
  std::map<DayNumber, std::vector<HoursSpan>> overrides_;
  TimeZone zone_;
};

}  // namespace sb::core
