// `switchboard chat`: a line-oriented WebSocket client for trying the server by hand (and for the
// README walkthrough). Prints every server message as one JSON line.
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
};

int run_chat(const ChatOptions& options);

}  // namespace sb::app
