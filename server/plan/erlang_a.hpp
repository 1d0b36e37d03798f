// Erlang A (M/M/c+M): Erlang C with customers who give up, each after an exponential patience.
// The planner's second staffing model beside Erlang C (sim/erlang_c.hpp): chat customers do
// leave a queue, and a model without them over-staffs a long queue and cannot bound abandonment.
// Closed forms from Mandelbaum & Zeltyn, "The Palm/Erlang-A queue, with applications to call
// centers" (2007); the wait distribution by integrating the queue-position chain.
#pragma once

#include <vector>

namespace sb::plan {

class ErlangA {
 public:
  // `patience_s` <= 0: nobody gives up (the figures are Erlang C's).
  ErlangA(int servers, double arrivals_per_s, double service_s, double patience_s, double horizon_s = 60);

  double wait_probability() const { return wait_probability_; }     // an arrival waits at all
  double abandon_probability() const { return abandon_probability_; } // an arrival gives up
  double mean_wait_s() const { return mean_wait_s_; }                 // in the queue, every arrival
  double occupancy() const;                                           // busy servers / servers
  // The share of all arrivals served after a wait shorter than `t_s` (0 <= t_s <= horizon_s).
  double served_within(double t_s) const;

 private:
  void wait_distribution(double horizon_s, const std::vector<double>& queue_probability);

  int servers_;
  double arrivals_per_s_, service_s_, patience_s_;
  double wait_probability_ = 1, abandon_probability_ = 0, mean_wait_s_ = 0;
  double step_s_ = 0.25;                // of `served_within_`
  std::vector<double> served_within_;   // at 0, step, 2 step, ... horizon
};

}  // namespace sb::plan
