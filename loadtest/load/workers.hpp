// Spreads one replay over several worker processes (one process holds at most ~20,000 open
// files here): starts them with the same command line plus `--part i`, reads their progress
// lines, draws one bar for all, and prints their summaries and a total at the end.
#pragma once

#include "replay.hpp"

namespace sb::load {

// Exit status: the worst of the workers' (0 when every worker succeeded).
int run_workers(const ReplayOptions& options);

}  // namespace sb::load
