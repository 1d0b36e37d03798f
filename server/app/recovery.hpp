// Crash recovery at start: each shard loads its newest snapshot (if the journal marks one) and
// the calls journaled after it are replayed through its core before the node listens, so
// queues, sessions, clocks and timers are what they were after the last acknowledged call
// (docs/architecture.md, "Crash recovery").
#pragma once

#include <string>

#include "net/server.hpp"

namespace sb::app {

// False with `why` (what is wrong and what to do) when the journal cannot be replayed here.
bool recover(net::Server& server, const std::string& journal_dir, std::string& why);

}  // namespace sb::app
