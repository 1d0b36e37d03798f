#include "service_hours.hpp"

#include <cstdio>

#include <cassert>

namespace sb::core {

std::optional<HoursSpan> parse_hours_span(std::string_view text, std::string& error) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) {
    error = "expected \"HH:MM-HH:MM\", got \"" + std::string(text) + "\"";
    return std::nullopt;
  }
  auto open = parse_clock_time(text.substr(0, dash));
  auto close = parse_clock_time(text.substr(dash + 1));
  if (!open || !close || *open == 24 * 60) {
    error = "expected \"HH:MM-HH:MM\" with real clock times, got \"" + std::string(text) + "\"";
    return std::nullopt;
  }
  HoursSpan span{*open, *close};
  if (span.close_minute <= span.open_minute) span.close_minute += 24 * 60;  // runs past midnight
  if (span.close_minute - span.open_minute > 24 * 60) {
    error = "span \"" + std::string(text) + "\" is longer than a day";
    return std::nullopt;
  }
  return span;
}

std::optional<AgentShift> parse_agent_shift(std::string_view text, std::string& error) {
  AgentShift shift;
  if (const auto space = text.find(' '); space != std::string_view::npos) {
    shift.day = parse_date(text.substr(0, space));
    if (!shift.day) {
      error = "expected a date YYYY-MM-DD before the span, got \"" + std::string(text.substr(0, space)) + "\"";
      return std::nullopt;
    }
    text = text.substr(space + 1);
  }
  auto span = parse_hours_span(text, error);
  if (!span) return std::nullopt;
  shift.span = *span;
  return shift;
}

std::string agent_shift_text(const AgentShift& shift) {
  char buf[40];
  const int open = shift.span.open_minute, close = shift.span.close_minute % (24 * 60);
  std::snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d", open / 60, open % 60, close / 60, close % 60);
  if (shift.span.close_minute == 24 * 60) std::snprintf(buf, sizeof buf, "%02d:%02d-24:00", open / 60, open % 60);
  return shift.day ? format_date(*shift.day) + " " + buf : std::string(buf);
}

ServiceHours::ServiceHours() {
  for (auto& day : weekly_) day = {HoursSpan{0, 24 * 60}};
}

void ServiceHours::set_weekday(int weekday, std::vector<HoursSpan> spans) {
  assert(weekday >= 0 && weekday < 7);
  weekly_[weekday] = std::move(spans);
}

void ServiceHours::set_date(DayNumber day, std::vector<HoursSpan> spans) { overrides_[day] = std::move(spans); }

const std::vector<HoursSpan>& ServiceHours::spans_of(DayNumber day) const {
  if (auto it = overrides_.find(day); it != overrides_.end()) return it->second;
  const int weekday = static_cast<int>(((std::int64_t{day} % 7) + 7 + 3) % 7);
  return weekly_[weekday];
}

bool ServiceHours::is_open(TimeMs t) const {
  const LocalTime lt = zone_.local(t);
  for (const auto& span : spans_of(lt.day)) {
    if (lt.minute_of_day >= span.open_minute && lt.minute_of_day < span.close_minute) return true;
  }
  // The tail of yesterday's span that ran past midnight.
  for (const auto& span : spans_of(lt.day - 1)) {
    if (lt.minute_of_day + 24 * 60 >= span.open_minute && lt.minute_of_day + 24 * 60 < span.close_minute) return true;
  }
  return false;
}

std::string ServiceHours::describe_day(TimeMs t) const {
  const LocalTime lt = zone_.local(t);
  std::string out;
  for (const auto& span : spans_of(lt.day)) {
    if (!out.empty()) out += ",";
    out += format_clock_time(span.open_minute) + "-" + format_clock_time(span.close_minute % (24 * 60));
    if (span.close_minute == 24 * 60) out.replace(out.size() - 5, 5, "24:00");
  }
  return out;
}

}  // namespace sb::core
