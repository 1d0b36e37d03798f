// Helpers for integration tests that keep history in a throwaway PostgreSQL: the [store] table,
// a journal folder, waiting for the journal to drain, running the CLI.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "support/server_process.hpp"
#include "support/test_postgres.hpp"

namespace sb::test {

// Runs a shell command; its stdout and stderr together, and its exit status in rc.
inline std::string run(const std::string& cmd, int& rc) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  rc = pclose(p);
  return out;
}

inline std::string store_toml(const TestPostgres& pg, const std::string& journal_dir) {
  return "[store]\ndatabase_url = \"" + pg.url() + "\"\njournal_dir = \"" + journal_dir +
         "\"\nbatch_interval_ms = 5\nbatch_events_max = 2000\n\n";
}

inline std::string temp_dir() {
  char tmpl[] = "/tmp/sb-journal-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  return tmpl;
}

// Waits until every journaled event is in the database.
inline void wait_drained(ServerProcess& s, std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (s.metric("switchboard_journal_backlog_events") == 0 && s.metric("switchboard_db_up") == 1) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL("journal backlog did not drain");
}

}  // namespace sb::test
