// Shop time zones by name: "+08:00" (a fixed offset) or an IANA name ("Asia/Shanghai",
// "Europe/Berlin") resolved with the system's tzdata (Debian's tzdata, read by Howard Hinnant's
// date library) into the offset transitions the core takes as data (core/time_zone.hpp).
#pragma once

#include <string_view>

#include "core/result.hpp"
#include "core/time_zone.hpp"

namespace sb::app {

// The zone's transitions from 1970 to 2100; an error naming the zone when the system's zone
// database does not know it.
Result<core::TimeZone> resolve_time_zone(std::string_view name);

}  // namespace sb::app
