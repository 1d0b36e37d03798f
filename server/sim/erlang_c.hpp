// Erlang C (M/M/c) queueing figures: the capacity planner's staffing arithmetic, and the
// yardstick simulated days are checked against.
#pragma once

namespace sb::sim {

// Probability that an arrival waits at all, with `servers` servers and `load_erlangs` offered
// load (arrival rate x mean service time). 1 when the load is at or above the servers.
double erlang_c_wait_probability(int servers, double load_erlangs);

// Probability that an arrival waits no longer than `wait_s`: arrivals per second, mean service
// time in seconds.
double erlang_c_service_level(int servers, double arrivals_per_s, double service_s, double wait_s);

// Mean wait of all arrivals (answered ones, since nobody gives up in M/M/c), in seconds;
// infinite when the load is at or above the servers.
double erlang_c_mean_wait_s(int servers, double arrivals_per_s, double service_s);

}  // namespace sb::sim
