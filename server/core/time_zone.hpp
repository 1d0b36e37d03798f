// A shop's time zone as the core sees it: plain data, the UTC offsets in force from given
// instants on. The app resolves an IANA name (Europe/Berlin) into these transitions with the
// system's tzdata (server/app/time_zones.cpp); the core never reads a zone database. Local days
// and hour rows follow the zone: a day that springs forward has 23 hour rows, one that falls back
// 25, numbered by the hours elapsed since the local day began (docs/figures.md, "Local days").
#pragma once

#include <string>
#include <vector>

#include "time.hpp"

namespace sb::core {

struct ZoneTransition {
  TimeMs from = 0;         // UTC instant this offset starts
  int offset_minutes = 0;  // minutes east of UTC from then on
};

constexpr int hour_rows_max = 25;  // a local day that falls back by an hour

class TimeZone {
 public:
  TimeZone() = default;  // UTC
  static TimeZone fixed(int offset_minutes);
  // `transitions` sorted by `from`, strictly increasing; the first offset also holds before it.
  static TimeZone with_transitions(std::string name, std::vector<ZoneTransition> transitions);

  const std::string& name() const { return name_; }  // the IANA name, or "+08:00" for a fixed offset
  bool is_fixed() const { return transitions_.size() == 1; }
  const std::vector<ZoneTransition>& transitions() const { return transitions_; }

  int offset_at(TimeMs t) const;
  // The local day, wall-clock minute and hour row of t.
  LocalTime local(TimeMs t) const;
  // The UTC instant the local day begins (its midnight, or the first instant after a gap).
  TimeMs day_start(DayNumber day) const;
  // 23, 24 or 25 (other counts for a zone that shifts by other than an hour; at most 25).
  int hour_rows(DayNumber day) const;
  // The end of the hour row containing t: the next row's start, or the next day's.
  TimeMs hour_row_end(TimeMs t) const;

 private:
  std::size_t index_at(TimeMs t) const;
  std::string name_ = "+00:00";
  std::vector<ZoneTransition> transitions_{ZoneTransition{}};
};

// "+08:00" for 480, "-05:30" for -330.
std::string format_utc_offset(int offset_minutes);

}  // namespace sb::core
