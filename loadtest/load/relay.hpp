// Relay throughput: customers write to their agents as fast as a window of messages in flight
// allows, or, against a bare echo server, connections write and read their own echoes. Prints
// messages delivered per second after a warm-up, so the two can be compared in one run.
#pragma once

#include <string>

namespace sb::load {

struct RelayOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  bool echo = false;          // the target is a bare echo server, not Switchboard
  std::string config;         // Switchboard: its config (token secret); shop "relay" with agents r1..rN
  int pairs = 50;
  int window = 8;             // messages in flight per pair
  int seconds = 10;
  int sources = 1;
};

int relay(const RelayOptions& options);

}  // namespace sb::load
