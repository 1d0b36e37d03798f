// `switchboard chat`: a terminal client for people — customers, agents and supervisors — that
// prints one readable line per event (`[10:00:05] m-1001: Is the X200 in stock?`, times in the
// shop's zone), or with --json every protocol message as the server sent it. When the server
// closes (a drain: `shutdown` says when to come back) or the connection drops, it reconnects
// with its resume token and shows the messages it missed; typing meanwhile never blocks.
#pragma once

#include <string>

namespace sb::app {

struct ChatOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::string shop;
  std::string role;  // customer | agent | supervisor
  std::string person;
  std::string token;
  bool json = false;          // print the raw protocol instead of readable lines
  int reconnects_max = 20;    // attempts in a row before giving up
};

int run_chat(const ChatOptions& options);

}  // namespace sb::app
