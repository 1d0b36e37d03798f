// Live replay: a synthetic peak (two shops, 200 chats in ten minutes) played by switchboard-load
// over real WebSocket connections against the real server on a clock scaled 120x gives the
// trace's own figures: every count and ratio of each shop, hour, skill and category.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "app/synthetic_trace.hpp"
#include "app/trace_io.hpp"
#include "core/time.hpp"
#include "support/server_process.hpp"

extern char** environ;

using namespace sb;
using namespace sb::test;

TEST_CASE("a synthetic peak replayed live at 120x gives the trace's own figures", "[integration][replay]") {
  app::SyntheticOptions o;
  o.shops = 2;
  o.sessions = 200;
  o.seed = 11;
  o.only_hour = 20;
  o.minutes = 10;
  const auto day = app::generate_day(o);
  char tmpl[] = "/tmp/sb-replay-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl, trace = dir + "/peak.jsonl", config = dir + "/plan.toml";
  REQUIRE(app::write_trace(trace, day.trace).empty());
  const std::string shops = day.config_toml.substr(day.config_toml.find("\n[[shops]]"));
  std::ofstream(config) << "[server]\nmanual_clock_allowed = true\n[auth]\ntoken_secret = \"" << test_secret << "\"\n" << shops;

  constexpr double speed = 120;
  const core::TimeMs clock_start = day.trace.header.start_ms() - static_cast<core::TimeMs>(5'000 * speed);
  ServerProcess server(shops, {"--clock", "scaled", "--speed", "120", "--clock-start", core::format_rfc3339_utc(clock_start)});

  const std::string out = dir + "/load.out";
  std::vector<std::string> args{SWITCHBOARD_LOAD_BINARY, "replay", trace, "--config", config, "--connect",
                                "127.0.0.1:" + std::to_string(server.port()), "--speed", "120", "--expect-same", "--quiet"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  INFO(text.str());
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(text.str().find("200 arrivals") != std::string::npos);
  CHECK(text.str().find("shop1 2026-08-18: the same as the trace's own") != std::string::npos);
  CHECK(text.str().find("shop2 2026-08-18: the same as the trace's own") != std::string::npos);
  CHECK(text.str().find(" 0 errors") != std::string::npos);
  std::string cmd = "rm -rf '" + dir + "'";
  CHECK(std::system(cmd.c_str()) == 0);
}
