// End-to-end latency under load: many customer/agent pairs, each customer writing at a fixed
// rate; every message carries its send time and the agent side records how long it took.
// Prints percentiles from all samples (not an average).
#pragma once

#include <string>

namespace sb::load {

struct LatencyOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::string config;          // token secret; shops "lat1".."latS" with agents a1..aN each
  int shops = 10;
  int pairs = 5000;            // customers = agents = pairs: 2 x pairs connections
  double rate = 2;             // messages per second per customer
  int seconds = 20;
  int sources = 25;
};

int latency(const LatencyOptions& options);

}  // namespace sb::load
