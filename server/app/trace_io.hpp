// Reading and writing traces: JSON Lines (one TraceRecord per line, protobuf's canonical JSON,
// for people and tools) or, for files ending in .pb, length-delimited binary records (for
// million-session days, where JSON parsing would dominate the simulation).
#pragma once

#include <string>

#include "sim/trace_player.hpp"

namespace sb::app {

// Returns an error naming the file, line and problem; empty on success.
std::string read_trace(const std::string& path, sim::Trace& trace);
std::string write_trace(const std::string& path, const sim::Trace& trace);

}  // namespace sb::app
