// Live replay and export: a synthetic peak (two shops, 200 chats in ten minutes) played by
// switchboard-load over real WebSocket connections against the real server on a clock scaled
// 120x gives the trace's own figures (every count and ratio of each shop, hour, skill and
// category). The same live day, kept in PostgreSQL, exported with `switchboard export-trace` and
// simulated with `switchboard simulate`, gives the live server's figures again, agents included.
#include <catch2/catch.hpp>

#include <google/protobuf/util/message_differencer.h>

#include <fstream>
#include <map>
#include <sstream>

#include "app/synthetic_trace.hpp"
#include "app/trace_io.hpp"
#include "core/time.hpp"
#include "net/codec.hpp"
#include "scripted_day.hpp"
#include "shops.hpp"
#include "store_helpers.hpp"

using namespace sb;
using namespace sb::test;
namespace v1 = switchboard::v1;

namespace {

// Server arguments for a replay at 120x: a scaled clock starting 5 real seconds before the
// trace, time for switchboard-load to read it and meet the clock.
std::vector<std::string> scaled_clock_120(const sim::Trace& trace) {
  constexpr core::TimeMs lead_ms = 5'000 * 120;
  return {"--clock", "scaled", "--speed", "120", "--clock-start", core::format_rfc3339_utc(trace.header.start_ms() - lead_ms)};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Exports `shops` for `date`, simulates the export against the same plan, and requires the
// simulated figures to equal the live server's, shop by shop. Returns the export's output.
std::string export_and_compare(ServerProcess& server, const std::string& dir, const std::string& plan,
                               const std::vector<std::string>& shops, const std::string& date) {
  const std::string exported = dir + "/exported.jsonl", report = dir + "/simulated.jsonl";
  int rc = 0;
  const std::string out = run(binary_path() + " export-trace --config " + plan + " --day " + date +
                                  " --out " + exported,
                              rc);
  INFO(out);
  REQUIRE(rc == 0);
  const std::string sim = run(binary_path() + " simulate " + exported + " --config " + plan +
                                  " --report " + report,
                              rc);
  INFO(sim);
  REQUIRE(rc == 0);
  std::map<std::string, v1::ShopFigures> simulated;
  std::istringstream lines(read_file(report));
  for (std::string line; std::getline(lines, line);) {
    v1::ShopFigures f;
    std::string error;
    REQUIRE(net::from_json(line, f, error));
    if (f.date() == date) simulated[f.shop_id()] = f;  // the report holds the day after midnight too
  }
  for (const auto& shop : shops) {
    INFO("shop " << shop);
    const auto r = server.get("/api/v1/shops/" + shop + "/figures?date=" + date, server.token(shop, "boss", "supervisor"));
    REQUIRE(r.status == 200);
    v1::ShopFigures live;
    std::string error;
    REQUIRE(net::from_json(r.body, live, error));
    REQUIRE(simulated.count(shop) == 1);
    INFO("live:      " << net::to_json(live));
    INFO("simulated: " << net::to_json(simulated[shop]));
    CHECK(live.figures().connection_rate().denominator() > 0);
    std::string diff;
    google::protobuf::util::MessageDifferencer d;
    d.ReportDifferencesToString(&diff);
    CHECK(d.Compare(simulated[shop], live));
    INFO(diff);
    CHECK(diff.empty());
  }
  return out;
}

}  // namespace

TEST_CASE("a synthetic peak replayed live at 120x gives the trace's own figures; exported, the live ones again",
          "[integration][replay][history]") {
  TestPostgres pg;
  const std::string dir = temp_dir();
  app::SyntheticOptions o;
  o.shops = 2;
  o.sessions = 200;
  o.seed = 11;
  o.only_hour = 20;
  o.minutes = 10;
  const auto day = app::generate_day(o);
  const std::string trace = dir + "/peak.jsonl", plan = dir + "/plan.toml";
  REQUIRE(app::write_trace(trace, day.trace).empty());
  const std::string shops = day.config_toml.substr(day.config_toml.find("\n[[shops]]"));
  const std::string store = store_toml(pg, dir + "/journal");
  std::ofstream(plan) << "[server]\nmanual_clock_allowed = true\n" << test_auth_toml() << store << shops;

  ServerProcess server(store + shops, scaled_clock_120(day.trace));
  int rc = 0;
  const std::string replay = run(std::string(SWITCHBOARD_LOAD_BINARY) + " replay " + trace + " --config " + plan +
                                     " --connect 127.0.0.1:" + std::to_string(server.port()) + " --speed 120 --expect-same --quiet",
                                 rc);
  INFO(replay);
  CHECK(rc == 0);
  CHECK(replay.find("200 arrivals") != std::string::npos);
  CHECK(replay.find("shop1 2026-08-18: the same as the trace's own") != std::string::npos);
  CHECK(replay.find("shop2 2026-08-18: the same as the trace's own") != std::string::npos);
  CHECK(replay.find(" 0 errors") != std::string::npos);
  wait_drained(server);
  const std::string out = export_and_compare(server, dir, plan, {"shop1", "shop2"}, day.trace.header.day());
  CHECK(out.find("200 arrivals") != std::string::npos);
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_CASE("the scripted day exported from PostgreSQL simulates to its figures", "[integration][history][day]") {
  TestPostgres pg;
  const std::string dir = temp_dir();
  const std::string store = store_toml(pg, dir + "/journal");
  const std::string plan = dir + "/plan.toml";
  std::ofstream(plan) << test_auth_toml() << store << day_shop_toml;
  ServerProcess server(store + day_shop_toml, {"--clock", "manual", "--clock-start", "2026-08-18T06:30:00+08:00"});
  run_scripted_day(server);
  wait_drained(server);
  export_and_compare(server, dir, plan, {"day"}, "2026-08-18");
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_CASE("export-trace refuses a bad day, an unknown shop and an unreachable database", "[integration][history][errors]") {
  const std::string dir = temp_dir();
  const std::string plan = dir + "/plan.toml";
  std::ofstream(plan) << test_auth_toml() << "[store]\ndatabase_url = \"postgresql:///nowhere?host=" << dir
                      << "&connect_timeout=2\"\n" << day_shop_toml;
  const std::string bin = binary_path();
  int rc = 0;
  std::string out = run(bin + " export-trace --config " + plan + " --day 2026-13-01 --out " + dir + "/x.jsonl", rc);
  CHECK(rc != 0);
  CHECK(out.find("day \"2026-13-01\" is not a date") != std::string::npos);
  out = run(bin + " export-trace --config " + plan + " --shop nope --day 2026-08-18 --out " + dir + "/x.jsonl", rc);
  CHECK(rc != 0);
  CHECK(out.find("shop \"nope\" is not in") != std::string::npos);
  out = run(bin + " export-trace --config " + plan + " --day 2026-08-18 --out " + dir + "/x.jsonl", rc);
  CHECK(rc != 0);
  CHECK(out.find("reading the history") != std::string::npos);
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_CASE("switchboard-load synthetic over two worker processes gives the generated day's figures", "[integration][replay]") {
  app::SyntheticOptions o;
  o.shops = 3;
  o.sessions = 120;
  o.seed = 17;
  o.only_hour = 20;
  o.minutes = 5;
  const std::string dir = temp_dir();
  const std::string plan = dir + "/plan.toml";
  const std::string load = SWITCHBOARD_LOAD_BINARY;
  const std::string options = " --shops 3 --sessions 120 --seed 17 --hour 20 --minutes 5";
  int rc = 0;
  // The plan the load tool writes is the generator's: the server is started with its shops.
  std::string out = run(load + " synthetic" + options + " --plan-out " + plan, rc);
  INFO(out);
  REQUIRE(rc == 0);
  const auto day = app::generate_day(o);
  const std::string written = read_file(plan);
  REQUIRE(written == day.config_toml);
  const std::string shops = written.substr(written.find("\n[[shops]]"));
  std::ofstream(plan) << "[server]\nmanual_clock_allowed = true\n" << test_auth_toml() << shops;

  // Workers that cannot reach a server fail, and so does the whole run.
  out = run(load + " synthetic" + options + " --config " + plan + " --connect 127.0.0.1:1 --processes 2 --quiet", rc);
  CHECK(rc != 0);
  CHECK(out.find("all 2 workers") != std::string::npos);
  CHECK(out.find("cannot connect to 127.0.0.1:1") != std::string::npos);

  ServerProcess server(shops, scaled_clock_120(day.trace));
  out = run(load + " synthetic" + options + " --config " + plan + " --connect 127.0.0.1:" + std::to_string(server.port()) +
                " --speed 120 --processes 2 --sources 2 --expect-same --quiet",
            rc);
  INFO(out);
  CHECK(rc == 0);
  // Shops 1 and 3 in worker 0, shop 2 in worker 1, every shop's figures as generated.
  CHECK(out.find("worker 0: replayed synthetic day") != std::string::npos);
  CHECK(out.find("(2 shops)") != std::string::npos);
  CHECK(out.find("worker 1: replayed synthetic day") != std::string::npos);
  CHECK(out.find("(1 shops)") != std::string::npos);
  for (const char* shop : {"shop1", "shop2", "shop3"}) CHECK(out.find(std::string(shop) + " 2026-08-18: the same as the trace's own") != std::string::npos);
  CHECK(out.find("all 2 workers") != std::string::npos);
  CHECK(out.find("120 arrivals") != std::string::npos);
  CHECK(out.find(" 0 errors; exit 0") != std::string::npos);
  std::system(("rm -rf '" + dir + "'").c_str());
}
