#include "time.hpp"

#include <cassert>
#include <charconv>
#include <chrono>
#include <cstdio>

namespace sb::core {

namespace {

DayNumber floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return static_cast<DayNumber>(q);
}

std::optional<int> parse_digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

LocalTime to_local(TimeMs t, int utc_offset_minutes) {
  const std::int64_t local_ms = t + std::int64_t{utc_offset_minutes} * ms_per_minute;
  LocalTime lt;
  lt.day = floor_div(local_ms, ms_per_day);
  const std::int64_t ms_of_day = local_ms - std::int64_t{lt.day} * ms_per_day;
  lt.minute_of_day = static_cast<int>(ms_of_day / ms_per_minute);
  lt.row = lt.minute_of_day / 60;
  // 1970-01-01 was a Thursday (weekday 3 with Monday = 0).
  lt.weekday = static_cast<int>(((std::int64_t{lt.day} % 7) + 7 + 3) % 7);
  assert(lt.minute_of_day >= 0 && lt.minute_of_day < 1440);
  return lt;
}

TimeMs local_midnight_utc(DayNumber day, int utc_offset_minutes) {
  return std::int64_t{day} * ms_per_day - std::int64_t{utc_offset_minutes} * ms_per_minute;
}

std::optional<DayNumber> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto y = parse_digits(text, 0, 4), m = parse_digits(text, 5, 2), d = parse_digits(text, 8, 2);
  if (!y || !m || !d) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*m)},
                                        std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<DayNumber>(std::chrono::sys_days{ymd}.time_since_epoch().count());
}

std::string format_date(DayNumber day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::optional<int> parse_utc_offset(std::string_view text) {
  if (text == "Z" || text == "z") return 0;
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':') return std::nullopt;
  auto h = parse_digits(text, 1, 2), m = parse_digits(text, 4, 2);
  if (!h || !m || *h > 14 || *m > 59) return std::nullopt;
  const int minutes = *h * 60 + *m;
  return text[0] == '-' ? -minutes : minutes;
}

std::optional<TimeMs> parse_rfc3339(std::string_view text) {
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) return std::nullopt;
  auto day = parse_date(text.substr(0, 10));
  if (!day || text[13] != ':' || text[16] != ':') return std::nullopt;
  auto hh = parse_digits(text, 11, 2), mm = parse_digits(text, 14, 2), ss = parse_digits(text, 17, 2);
  if (!hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 60) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  auto offset = parse_utc_offset(text.substr(pos));
  if (!offset) return std::nullopt;
  const std::int64_t local_ms = std::int64_t{*day} * ms_per_day + (*hh * 3600 + *mm * 60 + *ss) * 1000LL + millis;
  return local_ms - std::int64_t{*offset} * ms_per_minute;
}

std::string format_rfc3339_utc(TimeMs t) {
  const LocalTime lt = to_local(t, 0);
  const std::int64_t ms_of_day = t - std::int64_t{lt.day} * ms_per_day;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d.%03dZ", format_date(lt.day).c_str(),
                static_cast<int>(ms_of_day / ms_per_hour), static_cast<int>(ms_of_day / ms_per_minute % 60),
                static_cast<int>(ms_of_day / 1000 % 60), static_cast<int>(ms_of_day % 1000));
  return buf;
}

std::string format_rfc3339_local(TimeMs t, int utc_offset_minutes) {
  const LocalTime lt = to_local(t, utc_offset_minutes);
  const std::int64_t ms_of_day = t + std::int64_t{utc_offset_minutes} * ms_per_minute - std::int64_t{lt.day} * ms_per_day;
  const int m = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d%c%02d:%02d", format_date(lt.day).c_str(),
                static_cast<int>(ms_of_day / ms_per_hour), static_cast<int>(ms_of_day / ms_per_minute % 60),
                static_cast<int>(ms_of_day / 1000 % 60), utc_offset_minutes < 0 ? '-' : '+', m / 60, m % 60);
  return buf;
}

std::optional<int> parse_clock_time(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  auto h = parse_digits(text, 0, 2), m = parse_digits(text, 3, 2);
  if (!h || !m || *m > 59 || *h > 24 || (*h == 24 && *m != 0)) return std::nullopt;
  return *h * 60 + *m;
}

std::string format_clock_time(int minute_of_day) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", (minute_of_day / 60) % 100, minute_of_day % 60);
  return buf;
}

}  // namespace sb::core
