// Runs the core's simulator over several threads: shops never share state, so each thread plays
// the whole trace for its own group of shops and the figures are exactly those of one thread.
#pragma once

#include "trace_player.hpp"

namespace sb::sim {

// threads 0: one per core.
SimulationResult simulate_in_parallel(const std::vector<ShopConfig>& shops, const Trace& trace,
                                            unsigned threads = 0, SimulationOptions options = {});

}  // namespace sb::sim
