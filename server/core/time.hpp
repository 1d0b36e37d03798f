// Time as the core sees it: plain milliseconds since the Unix epoch, handed in by the caller.
// The core never reads a clock; local days and hours come from a shop's zone (time_zone.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sb::core {

using TimeMs = std::int64_t;
using DurationMs = std::int64_t;

constexpr DurationMs ms_per_minute = 60'000;
constexpr DurationMs ms_per_hour = 3'600'000;
constexpr DurationMs ms_per_day = 86'400'000;

// A day number counts local calendar days since 1970-01-01 (negative before).
using DayNumber = std::int32_t;

struct LocalTime {
  DayNumber day = 0;
  int minute_of_day = 0;  // 0..1439
  int weekday = 0;        // 0 = Monday .. 6 = Sunday
  // The hour row: hours elapsed since the local day began (time_zone.hpp). The wall-clock hour
  // on every day without a clock change; 0..22 or 0..24 on a day with one.
  int row = 0;
  int hour() const { return row; }
};

// At a fixed offset; a shop's zone gives its local times by TimeZone::local.
LocalTime to_local(TimeMs t, int utc_offset_minutes);
TimeMs local_midnight_utc(DayNumber day, int utc_offset_minutes);

// "YYYY-MM-DD" <-> day number; nullopt for anything that is not a real date.
std::optional<DayNumber> parse_date(std::string_view text);
std::string format_date(DayNumber day);

// "+08:00", "-05:30", "Z" -> minutes east of UTC.
std::optional<int> parse_utc_offset(std::string_view text);

// RFC 3339 with offset or Z, e.g. "2026-08-18T06:00:00+08:00" (fractions of a second allowed).
std::optional<TimeMs> parse_rfc3339(std::string_view text);
std::string format_rfc3339_utc(TimeMs t);
// "2026-10-25T02:00:00+01:00": t in local time at that offset, to the second.
std::string format_rfc3339_local(TimeMs t, int utc_offset_minutes);

// "HH:MM" -> minutes; "24:00" allowed as an end.
std::optional<int> parse_clock_time(std::string_view text);
std::string format_clock_time(int minute_of_day);

}  // namespace sb::core
