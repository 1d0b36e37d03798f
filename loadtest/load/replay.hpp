// Live replay of a trace against a running server at N x real time: every customer is a real
// WebSocket connection that arrives, waits, writes and rates as the trace says, timed from the
// moment the server assigns it; agents connect with signed tokens and follow their shifts;
// orders go to POST /api/v1/orders. The server runs on a scaled clock at the same speed, so
// its thresholds scale too. At the end the server's figures are compared with the trace's own.
// `synthetic` generates the day in memory instead of reading a file. With several processes
// each plays its own share of the shops (shops share nothing, so figures stay exact) from its
// own range of source addresses; the parent draws one progress bar for all of them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/synthetic_trace.hpp"

namespace sb::load {

struct ReplayOptions {
  std::string trace;
  std::string config;            // the server's config: its token secret and shops
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  double speed = 60;             // must match the server's --speed
  int sources = 1;               // customers spread over 127.0.0.1 .. 127.0.0.N
  bool expect_same = false;      // exit 1 unless the server's figures equal the trace's own
  bool progress = true;
  std::optional<app::SyntheticOptions> synthetic;  // generate the day instead of reading `trace`
  int processes = 1;             // worker processes, each with the shops i, i+P, i+2P, ...
  int part = -1;                 // set in a worker: which share it plays (machine progress on stdout)
  std::vector<std::string> argv; // the command line, for starting workers
};

int replay(const ReplayOptions& options);

}  // namespace sb::load
