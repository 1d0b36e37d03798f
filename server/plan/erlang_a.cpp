#include "erlang_a.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "sim/erlang_c.hpp"

namespace sb::plan {

namespace {

double erlang_b(int servers, double load) {
  double b = 1.0;
  for (int k = 1; k <= servers; ++k) b = load * b / (k + load * b);
  return b;
}

double log_add(double a, double b) {
  if (a == -std::numeric_limits<double>::infinity()) return b;
  if (b == -std::numeric_limits<double>::infinity()) return a;
  const double m = std::max(a, b);
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}

}  // namespace

ErlangA::ErlangA(int servers, double arrivals_per_s, double service_s, double patience_s, double horizon_s)
    : servers_(servers), arrivals_per_s_(arrivals_per_s), service_s_(service_s), patience_s_(patience_s) {
  assert(servers >= 0 && arrivals_per_s >= 0 && service_s > 0 && horizon_s > 0);
  const int points = static_cast<int>(std::ceil(horizon_s / step_s_)) + 1;
  const double load = arrivals_per_s * service_s;
  if (arrivals_per_s == 0) {
    wait_probability_ = 0;
    served_within_.assign(static_cast<std::size_t>(points), 1.0);
    return;
  }
  if (servers == 0) {  // nobody serves: everyone waits, and gives up if they ever do
    abandon_probability_ = patience_s > 0 ? 1 : 0;
    mean_wait_s_ = patience_s > 0 ? patience_s : std::numeric_limits<double>::infinity();
    served_within_.assign(static_cast<std::size_t>(points), 0.0);
    return;
  }
  if (patience_s <= 0) {  // Erlang C
    if (load >= servers) {
      mean_wait_s_ = std::numeric_limits<double>::infinity();
      served_within_.assign(static_cast<std::size_t>(points), 0.0);
      return;
    }
    wait_probability_ = sim::erlang_c_wait_probability(servers, load);
    mean_wait_s_ = sim::erlang_c_mean_wait_s(servers, arrivals_per_s, service_s);
    for (int i = 0; i < points; ++i)
      served_within_.push_back(1.0 - wait_probability_ * std::exp(-(servers - load) * i * step_s_ / service_s));
    return;
  }
  // x = c mu / theta, y = lambda / theta; the queue's terms t_j = y^j / prod_{k<=j} (x + k) sum to
  // A(x, y), kept in logs because an overloaded hour makes them overflow.
  const double theta = 1.0 / patience_s, mu = 1.0 / service_s;
  const double x = servers * mu / theta, y = arrivals_per_s / theta;
  std::vector<double> log_t{0.0};
  double log_a = 0, log_max = 0;
  for (int j = 1;; ++j) {
    const double next = log_t.back() + std::log(y / (x + j));
    log_t.push_back(next);
    log_a = log_add(log_a, next);
    log_max = std::max(log_max, next);
    if (j > y - x && next < log_max - 40) break;  // past the mode and negligible
  }
  const double e = erlang_b(servers, load), rho = arrivals_per_s / (servers * mu);
  const double big_a = std::exp(std::min(log_a, 700.0));
  // Mandelbaum & Zeltyn: P(W > 0) = A E / (1 + (A - 1) E); P(Ab | W > 0) = 1/(rho A) + 1 - 1/rho.
  const double log_denominator = log_add(std::log1p(-e), std::log(e) + log_a);
  wait_probability_ = std::exp(std::log(e) + log_a - log_denominator);
  abandon_probability_ = wait_probability_ * (1.0 / (rho * big_a) + 1.0 - 1.0 / rho);
  abandon_probability_ = std::clamp(abandon_probability_, 0.0, 1.0);
  std::vector<double> queue(log_t.size());  // P(an arrival finds j waiting ahead of it)
  double waiting = 0;
  for (std::size_t j = 0; j < log_t.size(); ++j) {
    queue[j] = std::exp(std::log(e) + log_t[j] - log_denominator);
    waiting += static_cast<double>(j) * queue[j];
  }
  mean_wait_s_ = waiting / arrivals_per_s;  // Little's law on the queue
  wait_distribution(horizon_s, queue);
}

// g_j(t) = P(served within t | j ahead on arrival): each of the j + 1 places ahead clears at
// c mu + i theta (a server frees, or someone ahead gives up) unless the customer itself gives up
// first (theta): g_j' = (c mu + j theta) g_{j-1} - (c mu + (j + 1) theta) g_j, g_{-1} = 1.
void ErlangA::wait_distribution(double horizon_s, const std::vector<double>& queue) {
  const double theta = 1.0 / patience_s_, cmu = servers_ / service_s_;
  const std::size_t n = queue.size();
  const double fastest = cmu + static_cast<double>(n + 1) * theta;
  const int substeps = std::max(1, static_cast<int>(std::ceil(step_s_ * fastest / 0.2)));
  const double dt = step_s_ / substeps;
  std::vector<double> g(n, 0.0), k1(n), k2(n), k3(n), k4(n), tmp(n);
  auto slope = [&](const std::vector<double>& v, std::vector<double>& d) {
    for (std::size_t j = 0; j < n; ++j) {
      const double ahead = j == 0 ? 1.0 : v[j - 1];
      d[j] = (cmu + static_cast<double>(j) * theta) * ahead - (cmu + static_cast<double>(j + 1) * theta) * v[j];
    }
  };
  auto record = [&] {
    double served = 1.0 - wait_probability_;
    for (std::size_t j = 0; j < n; ++j) served += queue[j] * g[j];
    served_within_.push_back(std::clamp(served, 0.0, 1.0));
  };
  record();
  const int points = static_cast<int>(std::ceil(horizon_s / step_s_));
  for (int p = 0; p < points; ++p) {
    for (int s = 0; s < substeps; ++s) {
      slope(g, k1);
      for (std::size_t j = 0; j < n; ++j) tmp[j] = g[j] + dt / 2 * k1[j];
      slope(tmp, k2);
      for (std::size_t j = 0; j < n; ++j) tmp[j] = g[j] + dt / 2 * k2[j];
      slope(tmp, k3);
      for (std::size_t j = 0; j < n; ++j) tmp[j] = g[j] + dt * k3[j];
      slope(tmp, k4);
      for (std::size_t j = 0; j < n; ++j) g[j] += dt / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
    }
    record();
  }
}

double ErlangA::served_within(double t_s) const {
  if (t_s <= 0) return served_within_.front();
  const double pos = t_s / step_s_;
  const auto i = static_cast<std::size_t>(pos);
  if (i + 1 >= served_within_.size()) return served_within_.back();
  const double f = pos - static_cast<double>(i);
  return served_within_[i] * (1 - f) + served_within_[i + 1] * f;
}

double ErlangA::occupancy() const {
  if (servers_ == 0) return 0;
  const double served_load = arrivals_per_s_ * (1.0 - abandon_probability_) * service_s_;
  return std::min(1.0, served_load / servers_);
}

}  // namespace sb::plan
