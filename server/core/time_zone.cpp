#include "time_zone.hpp"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>

namespace sb::core {

TimeZone TimeZone::fixed(int offset_minutes) {
  TimeZone z;
  z.name_ = format_utc_offset(offset_minutes);
  z.transitions_ = {ZoneTransition{0, offset_minutes}};
  return z;
}

TimeZone TimeZone::with_transitions(std::string name, std::vector<ZoneTransition> transitions) {
  assert(!transitions.empty());
  for (std::size_t i = 1; i < transitions.size(); ++i) assert(transitions[i - 1].from < transitions[i].from);
  TimeZone z;
  z.name_ = std::move(name);
  z.transitions_ = std::move(transitions);
  return z;
}

std::size_t TimeZone::index_at(TimeMs t) const {
  // The last transition at or before t; the first one also covers everything before it.
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t,
                             [](TimeMs v, const ZoneTransition& z) { return v < z.from; });
  return it == transitions_.begin() ? 0 : static_cast<std::size_t>(it - transitions_.begin()) - 1;
}

int TimeZone::offset_at(TimeMs t) const {
  return transitions_.size() == 1 ? transitions_[0].offset_minutes : transitions_[index_at(t)].offset_minutes;
}

LocalTime TimeZone::local(TimeMs t) const {
  if (transitions_.size() == 1) return to_local(t, transitions_[0].offset_minutes);
  const std::size_t i = index_at(t);
  LocalTime lt = to_local(t, transitions_[i].offset_minutes);
  // The common case: no transition between this day's midnight and t, so the row is the wall hour.
  const TimeMs midnight = local_midnight_utc(lt.day, transitions_[i].offset_minutes);
  if (i == 0 || transitions_[i].from <= midnight) return lt;
  lt.row = static_cast<int>((t - day_start(lt.day)) / ms_per_hour);
  assert(lt.row >= 0 && lt.row < hour_rows_max);
  return lt;
}

TimeMs TimeZone::day_start(DayNumber day) const {
  if (transitions_.size() == 1) return local_midnight_utc(day, transitions_[0].offset_minutes);
  // Local midnight is UTC midnight minus an offset of at most 14 hours either way: try every
  // offset in force over that window and keep the earliest instant that really is midnight.
  const TimeMs utc_midnight = std::int64_t{day} * ms_per_day;
  const std::size_t first = index_at(utc_midnight - 15 * ms_per_hour), last = index_at(utc_midnight + 15 * ms_per_hour);
  TimeMs best = 0;
  bool found = false;
  for (std::size_t i = first; i <= last; ++i) {
    const TimeMs t = local_midnight_utc(day, transitions_[i].offset_minutes);
    if (index_at(t) == i && (!found || t < best)) best = t, found = true;
  }
  if (found) return best;
  // Midnight fell in a gap (the clocks jumped over it): the day starts at the jump.
  for (std::size_t i = first + 1; i <= last; ++i)
    if (to_local(transitions_[i].from, transitions_[i].offset_minutes).day == day) return transitions_[i].from;
  assert(false && "a local day with no start");
  return utc_midnight;
}

int TimeZone::hour_rows(DayNumber day) const {
  if (transitions_.size() == 1) return 24;
  const DurationMs length = day_start(day + 1) - day_start(day);
  const int rows = static_cast<int>((length + ms_per_hour - 1) / ms_per_hour);
  assert(rows >= 1 && rows <= hour_rows_max);
  return rows;
}

TimeMs TimeZone::hour_row_end(TimeMs t) const {
  const LocalTime lt = local(t);
  const TimeMs start = transitions_.size() == 1 ? local_midnight_utc(lt.day, transitions_[0].offset_minutes) : day_start(lt.day);
  const TimeMs row_end = start + (lt.row + 1) * ms_per_hour;
  return transitions_.size() == 1 ? row_end : std::min(row_end, day_start(lt.day + 1));
}

std::string format_utc_offset(int offset_minutes) {
  char buf[16];
  const int m = std::abs(offset_minutes);
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', m / 60, m % 60);
  return buf;
}

}  // namespace sb::core
