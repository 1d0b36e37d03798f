// The capacity planner through the real binary (docs/planning.md): generated earlier peaks, the
// forecast backtest, the plan as a config file the server's loader accepts, the report and CSV,
// simulate on the plan's shifts; and the planner's and simulate's refusals of bad input.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "app/config.hpp"
#include "store_helpers.hpp"
#include "support/server_process.hpp"

using namespace sb;
using sb::test::binary_path;
using sb::test::run;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string fresh_dir(const char* name) {
  const std::string d = std::string("/tmp/sb-planner-test-") + name;
  std::filesystem::remove_all(d);
  return d;
}

// A small planned peak, made once for the cases below.
const std::string& planned() {
  static const std::string dir = [] {
    const std::string d = fresh_dir("plan");
    int rc = 0;
    const std::string gen = run(binary_path() + " generate-history --out-dir " + d + " --shops 3 --sessions 4000 --seed 5", rc);
    INFO(gen);
    REQUIRE(rc == 0);
    const std::string plan = run(binary_path() + " plan " + d + "/plan-input.toml --out-dir " + d + "/out --seeds 3 --keep-traces", rc);
    std::ofstream(d + "/plan-output.txt") << plan;
    INFO(plan);
    REQUIRE((rc == 0 || WEXITSTATUS(rc) == 3));  // 3: the plan did not hold within the rounds
    return d;
  }();
  return dir;
}

}  // namespace

TEST_CASE("plan: a backtest on 4-18 and 6-18 forecasting 8-18, with its WAPE printed", "[planner]") {
  const std::string out = slurp(planned() + "/plan-output.txt");
  INFO(out);
  std::smatch m;
  REQUIRE(std::regex_search(out, m, std::regex(R"(forecast backtest: 8-18 from 2 earlier peak\(s\): WAPE per hour ([0-9.]+)%, per day ([0-9.]+)%)")));
  const double per_hour = std::stod(m[1]), per_day = std::stod(m[2]);
  CHECK(per_hour > 0);
  CHECK(per_hour < 25);  // three small shops: Poisson noise per hour dominates
  CHECK(per_day < 10);
  CHECK(out.find("simulation proof:") != std::string::npos);
}

TEST_CASE("plan: the plan is a config file with shifts and conversion targets the loader accepts", "[planner]") {
  const app::AppConfig cfg = app::load_config(planned() + "/out/plan.toml");
  REQUIRE(cfg.shops.size() == 3);
  for (const auto& s : cfg.shops) {
    INFO(s.id);
    REQUIRE(!s.agents.empty());
    std::set<std::string> dates;
    for (const auto& a : s.agents) {
      REQUIRE(!a.shifts.empty());
      for (const auto& sh : a.shifts) {
        REQUIRE(sh.day.has_value());
        dates.insert(core::format_date(*sh.day));
        CHECK(sh.span.close_minute > sh.span.open_minute);
      }
    }
    CHECK(dates.count("2026-11-11") == 1);
    CHECK(dates.count("2026-11-13") == 1);
    REQUIRE(s.targets.size() == 2);  // presale and aftersale, from 8-18's conversion
    for (const auto& t : s.targets) CHECK(t.last_peak_rate > 0);
  }
}

TEST_CASE("plan: the CSV has a row per shop, day and line hour; the HTML is self-contained", "[planner]") {
  const std::string csv = slurp(planned() + "/out/hours.csv");
  std::istringstream lines(csv);
  std::string header;
  std::getline(lines, header);
  CHECK(header.rfind("shop,date,hour,forecast,earlier_4-18,earlier_6-18,earlier_8-18,required_erlang_c,required_erlang_a", 0) == 0);
  int rows = 0;
  for (std::string line; std::getline(lines, line);) ++rows;
  CHECK(rows == 3 * 3 * 19);  // 07:00-02:00 is 19 line hours
  CHECK(csv.find("shop1,2026-11-11,20:00,") != std::string::npos);
  CHECK(csv.find("shop1,2026-11-12,01:00,") != std::string::npos);  // the line day's hour past midnight
  const std::string html = slurp(planned() + "/out/report.html");
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("Erlang A") != std::string::npos);
  CHECK(html.find("http://") == std::string::npos);  // nothing fetched: no network
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
}

TEST_CASE("simulate plays the plan's shifts, per hour, as CSV, and against a changed plan", "[planner]") {
  const std::string d = planned();
  int rc = 0;
  const std::string base = binary_path() + " simulate " + d + "/out/forecast-2026-11-11.jsonl --config " + d + "/out/plan.toml";
  const std::string out = run(base + " --hours --csv " + d + "/sim.csv", rc);
  INFO(out);
  REQUIRE(rc == 0);
  CHECK(out.find("note: shop shop1 plays the config's shifts, not the trace's") != std::string::npos);
  CHECK(out.find("is not in the config") == std::string::npos);
  CHECK(out.find("shop1 2026-11-12") != std::string::npos);  // the chats after midnight, reported on their date
  CHECK(out.find("  20:00 ") != std::string::npos);
  const std::string csv = slurp(d + "/sim.csv");
  CHECK(csv.rfind("shop,date,hour,requests,sessions,connection_rate,judged,replied_45s,response_45s_rate", 0) == 0);
  CHECK(csv.find("shop1,2026-11-12,01:00,") != std::string::npos);
  // Fewer agents: the 45-s rate can only fall.
  const std::string fewer = run(base + " --agents 0.5", rc);
  REQUIRE(rc == 0);
  auto rate_of = [](const std::string& text) {
    std::smatch m;
    REQUIRE(std::regex_search(text, m, std::regex(R"(shop1 2026-11-11\n  plan .*45-s ([0-9.]+) )")));
    return std::stod(m[1]);
  };
  CHECK(rate_of(fewer) < rate_of(out));
  CHECK(run(base + " --strategy round_robin --window 2", rc).find("shop1 2026-11-11") != std::string::npos);
  CHECK(rc == 0);
  const std::string bad = run(base + " --strategy fastest", rc);
  CHECK(WEXITSTATUS(rc) == 2);
  CHECK(bad.find("--strategy fastest: expected longest_idle, fewest_active or round_robin") != std::string::npos);
}

TEST_CASE("simulate with several threads notes no agent of another thread's shops", "[planner]") {
  const std::string d = fresh_dir("threads");
  std::filesystem::create_directories(d);
  int rc = 0;
  run(binary_path() + " generate-trace --out " + d + "/t.jsonl --config-out " + d + "/c.toml --shops 6 --sessions 3000", rc);
  REQUIRE(rc == 0);
  const std::string out = run(binary_path() + " simulate " + d + "/t.jsonl --config " + d + "/c.toml --threads 2 --expect-same", rc);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("note:") == std::string::npos);
}

TEST_CASE("plan refuses bad input with a message naming the problem", "[planner]") {
  const std::string d = fresh_dir("bad");
  std::filesystem::create_directories(d);
  std::filesystem::copy(planned() + "/base.toml", d + "/base.toml");
  std::filesystem::create_directories(d + "/history");
  for (const auto& e : std::filesystem::directory_iterator(planned() + "/history")) std::filesystem::copy(e.path(), d + "/history/" + e.path().filename().string());
  const std::string good = slurp(planned() + "/plan-input.toml");
  auto attempt = [&](const std::string& text) {
    std::ofstream(d + "/in.toml") << text;
    int rc = 0;
    const std::string out = run(binary_path() + " plan " + d + "/in.toml --out-dir " + d + "/out --seeds 0", rc);
    CHECK(WEXITSTATUS(rc) == 2);
    return out;
  };
  CHECK(attempt("config = \"base.toml\"\n").find("[target] is missing") != std::string::npos);
  CHECK(attempt(std::regex_replace(good, std::regex("\"4-18\" = [0-9]+, "), "")).find("no traffic for earlier peak \"4-18\"") != std::string::npos);
  CHECK(attempt(std::regex_replace(good, std::regex("history/6-18-1.jsonl"), "history/missing.jsonl")).find("missing.jsonl") != std::string::npos);
  CHECK(attempt(std::regex_replace(good, std::regex("window = 3"), "window = 0")).find("staffing.window") != std::string::npos);
  CHECK(attempt(std::regex_replace(good, std::regex("shift_hours = \\[4, 6, 8, 10\\]"), "shift_hours = [30]")).find("shift_hours") != std::string::npos);
  CHECK(attempt(good + "\n[staffing.extra]\n").find("not a staffing setting") != std::string::npos);
  CHECK(attempt(std::regex_replace(good, std::regex("days = \\[\"2026-11-11\""), "days = [\"2026-13-11\"")).find("not a date") != std::string::npos);
}

TEST_CASE("a config's agent shift must be a span, optionally dated", "[planner]") {
  const std::string d = fresh_dir("shift");
  std::filesystem::create_directories(d);
  auto check = [&](const std::string& shift) {
    std::ofstream(d + "/c.toml") << app::auth_toml("k", "planner-test-signing-key-0123456789abcdef") << "[[shops]]\nid = \"s\"\n[[shops.skills]]\nname = \"k\"\n[[shops.agents]]\nid = \"a\"\nskills = [\"k\"]\n"
                                 << "shifts = [\"" << shift << "\"]\n";
    int rc = 0;
    return run(binary_path() + " check-config --config " + d + "/c.toml", rc);
  };
  CHECK(check("2026-08-18 nine-to-five").find("shops[0].agents[0].shifts: \"2026-08-18 nine-to-five\"") != std::string::npos);
  CHECK(check("2026-8-x 09:00-17:00").find("expected a date YYYY-MM-DD before the span") != std::string::npos);
  const app::AppConfig ok = [&] {
    std::ofstream(d + "/c.toml") << app::auth_toml("k", "planner-test-signing-key-0123456789abcdef") << "[[shops]]\nid = \"s\"\n[[shops.skills]]\nname = \"k\"\n[[shops.agents]]\nid = \"a\"\nskills = [\"k\"]\n"
                                 << "shifts = [\"20:00-02:00\", \"2026-08-18 07:00-15:00\"]\n";
    return app::load_config(d + "/c.toml");
  }();
  REQUIRE(ok.shops[0].agents[0].shifts.size() == 2);
  CHECK(!ok.shops[0].agents[0].shifts[0].day);
  CHECK(ok.shops[0].agents[0].shifts[0].span.close_minute == 26 * 60);
  CHECK(core::agent_shift_text(ok.shops[0].agents[0].shifts[1]) == "2026-08-18 07:00-15:00");
}

TEST_CASE("a shop's allowed_origins must be origins, and the demo sign-in is off unless asked for", "[frontends]") {
  const std::string d = fresh_dir("origins");
  std::filesystem::create_directories(d);
  auto check = [&](const std::string& extra) {
    std::ofstream(d + "/c.toml") << app::auth_toml("k", "planner-test-signing-key-0123456789abcdef") << extra
                                 << "[[shops]]\nid = \"s\"\nallowed_origins = [\"https://shop.example\", \"https://shop.example/page\"]\n"
                                 << "[[shops.skills]]\nname = \"k\"\n";
    int rc = 0;
    return run(binary_path() + " check-config --config " + d + "/c.toml", rc);
  };
  CHECK(check("").find("shops[0].allowed_origins: \"https://shop.example/page\" is not an origin like \"https://shop.example\"") !=
        std::string::npos);
  std::ofstream(d + "/ok.toml") << app::auth_toml("k", "planner-test-signing-key-0123456789abcdef")
                                << "[server]\ndemo_sign_in = true\n[[shops]]\nid = \"s\"\nallowed_origins = [\"http://127.0.0.1:9\"]\n"
                                << "[[shops.skills]]\nname = \"k\"\n";
  int rc = 0;
  const std::string out = run(binary_path() + " check-config --config " + d + "/ok.toml", rc);
  CHECK(rc == 0);
  CHECK(out.find("server.demo_sign_in is on: anyone who reaches this server can sign in as any agent or supervisor") != std::string::npos);
  CHECK(app::load_config(d + "/ok.toml").shops[0].allowed_origins == std::vector<std::string>{"http://127.0.0.1:9"});
}
