// Idle connections: opens many customer connections that say hello and then only answer
// pings, for measuring what an idle connection costs the server.
#pragma once

#include <string>

namespace sb::load {

struct IdleOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::string shop;
  int connections = 1000;
  int sources = 1;           // spread over 127.0.0.1 .. 127.0.0.N (500 per address by default)
  int hold_s = 10;           // keep them this long once all are open
  std::string ready_file;    // written once all are open (for a wrapper measuring the server)
};

int idle(const IdleOptions& options);

}  // namespace sb::load
