// What this binary is: its version and the source revision it was configured from, for
// `switchboard --version`, the `switchboard_build_info` gauge and the start-up log line.
#pragma once

namespace sb::net {

inline constexpr const char* build_version = SB_VERSION;    // CMake's project version
inline constexpr const char* build_revision = SB_REVISION;  // `git describe` at configure time, or "unknown"

}  // namespace sb::net
