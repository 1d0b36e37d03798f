// Runs the core's simulator over several threads: shops never share state, so each thread plays
// the whole trace for its own group of shops and the figures are exactly those of one thread.
#pragma once

#include "sim/trace_player.hpp"

namespace sb::app {

// threads 0: one per core.
sim::SimulationResult simulate_in_parallel(const std::vector<core::ShopConfig>& shops, const sim::Trace& trace,
                                            unsigned threads = 0, sim::SimulationOptions options = {});

}  // namespace sb::app
