#include "time_zones.hpp"

#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace sb::app {

namespace {

// Zones change their rules by law; tzdata knows the announced ones. Beyond 2100 nobody plans.
constexpr int first_year = 1970, end_year = 2100;

}  // namespace

Result<core::TimeZone> resolve_time_zone(std::string_view name) {
  if (const auto offset = core::parse_utc_offset(name)) return core::TimeZone::fixed(*offset);
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(name);
  } catch (const std::runtime_error& e) {
    return invalid_argument("must be a UTC offset like \"+08:00\" or an IANA zone like \"Asia/Shanghai\", got \"" +
                            std::string(name) + "\" (" + e.what() + ")");
  }
  using namespace std::chrono;
  const date::sys_seconds end = date::sys_days{date::year{end_year} / 1 / 1};
  date::sys_seconds t = date::sys_days{date::year{first_year} / 1 / 1};
  std::vector<core::ZoneTransition> transitions;
  while (t < end) {
    const date::sys_info info = zone->get_info(t);
    const int offset = static_cast<int>(duration_cast<minutes>(info.offset).count());
    const core::TimeMs from = duration_cast<milliseconds>(std::max(info.begin, t).time_since_epoch()).count();
    // Periods that differ only in name or in `save` keep the same offset: one transition.
    if (transitions.empty() || transitions.back().offset_minutes != offset)
      transitions.push_back(core::ZoneTransition{transitions.empty() ? std::numeric_limits<core::TimeMs>::min() / 2 : from, offset});
    if (info.end <= t) break;
    t = info.end;
  }
  return core::TimeZone::with_transitions(std::string(name), std::move(transitions));
}

}  // namespace sb::app
