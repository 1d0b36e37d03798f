#include "erlang_c.hpp"

#include <cmath>
#include <limits>

namespace sb::sim {

double erlang_c_wait_probability(int servers, double load) {
  if (servers <= 0 || load >= servers) return 1.0;
  // Erlang B by its stable recurrence, then C from B.
  double b = 1.0;
  for (int k = 1; k <= servers; ++k) b = load * b / (k + load * b);
  const double rho = load / servers;
  return b / (1.0 - rho + rho * b);
}

double erlang_c_service_level(int servers, double arrivals_per_s, double service_s, double wait_s) {
  const double load = arrivals_per_s * service_s;
  if (load >= servers) return 0.0;
  const double c = erlang_c_wait_probability(servers, load);
  return 1.0 - c * std::exp(-(servers - load) * wait_s / service_s);
}

double erlang_c_mean_wait_s(int servers, double arrivals_per_s, double service_s) {
  const double load = arrivals_per_s * service_s;
  if (load >= servers) return std::numeric_limits<double>::infinity();
  return erlang_c_wait_probability(servers, load) * service_s / (servers - load);
}

}  // namespace sb::sim
