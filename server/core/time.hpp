// Time as the core sees it: plain milliseconds since the Unix epoch, handed in by the caller.
// The core never reads a clock; local days and hours come from a shop's fixed UTC offset.
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
  int hour() const { return minute_of_day / 60; }
};

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

// "HH:MM" -> minutes; "24:00" allowed as an end.
std::optional<int> parse_clock_time(std::string_view text);
std::string format_clock_time(int minute_of_day);

}  // namespace sb::core
