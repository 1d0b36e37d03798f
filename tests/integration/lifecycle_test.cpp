// Health, readiness, /metrics shape and graceful shutdown of the real binary.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "shops.hpp"
#include "store_helpers.hpp"
#include "support/server_process.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

TEST_CASE("healthz, readyz and /metrics answer; metric names carry no agent or member ids", "[integration][lifecycle]") {
  ServerProcess server(day_shop_toml, {"--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"});
  CHECK(server.get("/healthz").status == 200);
  CHECK(server.get("/readyz").status == 200);
  CHECK(server.get("/nowhere").status == 404);
  CHECK(server.post("/healthz", "").status == 405);
  JsonClient c(server.port());
  c.send(customer_hello("day", "member-42", "h"));
  c.reply("h");
  const auto m = server.get("/metrics", server.token("*", "prometheus", "metrics"));
  REQUIRE(m.status == 200);
  CHECK(m.body.find("switchboard_queue_length{shop=\"day\",skill=\"phones\"} 0") != std::string::npos);
  CHECK(m.body.find("switchboard_connections_open 1") != std::string::npos);
  CHECK(m.body.find("member-42") == std::string::npos);
  std::istringstream lines(m.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    CHECK(line.rfind("switchboard_", 0) == 0);
  }
}

TEST_CASE("--version and switchboard_build_info name the same build", "[integration][lifecycle]") {
  int rc = 0;
  const std::string out = run(binary_path() + " --version", rc);
  CHECK(rc == 0);
  std::smatch m;
  REQUIRE(std::regex_search(out, m, std::regex(R"(^switchboard (\d+\.\d+\.\d+) \(([^)]+)\)\n$)")));
  ServerProcess server(day_shop_toml, {});
  CHECK_THAT(server.scrape(), Catch::Contains("switchboard_build_info{revision=\"" + m[2].str() + "\",version=\"" + m[1].str() + "\"} 1"));
  CHECK_THAT(server.stderr_text(), Catch::Contains("switchboard " + m[1].str() + " (" + m[2].str() + ")"));
}

TEST_CASE("--log-format json writes one JSON object per line with the server's local time and zone", "[integration][lifecycle]") {
  ServerProcess server(day_shop_toml, {"--log-format", "json"});
  CHECK(server.get("/healthz").status == 200);
  REQUIRE(server.stop() == 0);
  std::istringstream lines(server.stderr_text());
  std::string line;
  int n = 0;
  bool version = false;
  while (std::getline(lines, line)) {
    INFO(line);
    const auto j = nlohmann::json::parse(line, nullptr, false);
    REQUIRE(j.is_object());
    CHECK(std::regex_match(j.value("time", ""), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d)")));
    CHECK(!j.value("level", "").empty());
    version = version || j.value("msg", "").rfind("switchboard 0.", 0) == 0;
    ++n;
  }
  CHECK(n >= 3);  // the start, the stop and what lies between
  CHECK(version);
  try {
    ServerProcess bad(day_shop_toml, {"--log-format", "xml"});
    FAIL("started with --log-format xml");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("--log-format: must be text or json, got \"xml\""));
  }
}

TEST_CASE("SIGTERM tells connected clients to reconnect elsewhere and exits cleanly", "[integration][lifecycle]") {
  ServerProcess server(day_shop_toml, {});
  JsonClient c(server.port());
  c.send(customer_hello("day", "m1", "h"));
  c.reply("h");
  JsonClient silent(server.port());  // never said hello: still told
  const int rc = server.stop();
  CHECK(rc == 0);
  if (rc != 0) std::fprintf(stderr, "SERVER STDERR: %s\n", server.stderr_text().c_str());
  const auto s = c.expect(BC::kShutdown);
  CHECK(s.shutdown().reconnect_after_ms() > 0);
  CHECK(silent.expect(BC::kShutdown).has_shutdown());
  for (int i = 0; i < 100 && !c.raw().closed(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(c.raw().closed());
  CHECK(c.raw().close_code() == 1001);
}

TEST_CASE("every metric the recording rules use is exported by the server", "[integration][lifecycle]") {
  ServerProcess server(day_shop_toml, {"--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"});
  const std::string metrics = server.scrape();
  std::ifstream in(std::string(SB_SOURCE_DIR) + "/deploy/prometheus/switchboard_rules.yml");
  REQUIRE(in);
  std::stringstream rules;
  rules << in.rdbuf();
  const std::string all = rules.str();
  const std::string text = all.substr(all.find("\n    rules:"));  // the expressions, not the group name
  std::regex name(R"(switchboard_[a-z0-9_]+)");
  int checked = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) {
    const std::string n = it->str();
    if (text.find(":" + n) != std::string::npos) continue;  // part of a recorded name, not an input
    INFO(n);
    CHECK(metrics.find("# TYPE " + n + " ") != std::string::npos);
    ++checked;
  }
  CHECK(checked >= 12);
  // What the alert rules compare with: the shops' targets (defaults here) and the connection bound.
  CHECK_THAT(metrics, Catch::Contains("switchboard_shop_target_ratio{figure=\"response_45s_rate\",shop=\"day\"} 0.9\n"));
  CHECK_THAT(metrics, Catch::Contains("switchboard_shop_target_ratio{figure=\"connection_rate\",shop=\"day\"} 0.95\n"));
  CHECK_THAT(metrics, Catch::Contains("switchboard_connections_max 18000\n"));
}

TEST_CASE("SIGTERM first drains: /readyz 503 while the node still serves, then clients are told to go", "[integration][lifecycle]") {
  ServerProcess server(day_shop_toml, {"--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"}, "drain_window_ms = 1500\nmanual_clock_allowed = true\n");
  JsonClient c(server.port());
  c.send(customer_hello("day", "m1", "h"));
  REQUIRE(c.reply("h").has_welcome());
  const auto t0 = std::chrono::steady_clock::now();
  server.terminate();
  // The proxy's health check sees the node leave...

  for (int i = 0; i < 50 && server.get("/readyz").status != 503; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto ready = server.get("/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.body.find("\"status\":\"draining\"") != std::string::npos);
  // ...while chats go on and new connections are still taken.
  c.send(R"({"requestId":"e","enter":{}})");
  CHECK(c.reply("e").has_ack());
  JsonClient late(server.port());
  late.send(customer_hello("day", "m2", "h"));
  CHECK(late.reply("h").has_welcome());
  CHECK(c.quiet(BC::kShutdown, std::chrono::milliseconds(200)));
  // Then everyone is told to reconnect, and the process exits.
  CHECK(c.expect(BC::kShutdown, std::chrono::milliseconds(5000)).shutdown().reconnect_after_ms() > 0);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(1400));
  CHECK(server.stop() == 0);
}
