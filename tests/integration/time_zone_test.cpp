// A shop in Europe/Berlin across the night the clocks fall back, on the real server with history:
// the figures API and the SQL views give 25 hour rows, the repeated 02:00 hour twice, each row
// labelled with its local start and offset; a zone the system does not know is refused at start.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

#include "app/config.hpp"
#include "net/codec.hpp"
#include "scripted_day.hpp"
#include "store_helpers.hpp"
#include "support/server_process.hpp"
#include "support/test_postgres.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;

namespace {

const char* berlin_shop_toml = R"(
[[shops]]
id = "day"
time_zone = "Europe/Berlin"
default_skill = "phones"
[[shops.skills]]
name = "phones"
[[shops.agents]]
id = "ann"
skills = ["phones"]
window = 5
)";

v1::ServerMessage ask(JsonClient& c, const std::string& id, const std::string& body) {
  c.send(R"({"requestId":")" + id + R"(",)" + body + "}");
  return c.reply(id);
}

}  // namespace

TEST_CASE("a shop in Europe/Berlin: 25 hour rows on the night the clocks fall back, in the API and SQL", "[zone][history]") {
  TestPostgres pg;
  const std::string journal = temp_dir();
  ServerProcess server(store_toml(pg, journal) + berlin_shop_toml,
                       {"--clock", "manual", "--clock-start", "2026-10-25T00:00:00+02:00"});
  JsonClient ann(server.port());
  const auto welcome = ask(ann, "w", R"("hello":{"role":"ROLE_AGENT","shopId":"day","token":")" + server.token("day", "ann", "agent") + R"("})");
  REQUIRE(welcome.has_welcome());
  CHECK(welcome.welcome().time_zone() == "Europe/Berlin");
  CHECK(welcome.welcome().utc_offset_minutes() == 120);
  REQUIRE(ask(ann, "s", R"("setAgentStatus":{"status":"AGENT_STATUS_ONLINE"})").has_ack());
  int n = 0;
  for (const char* when : {"2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00", "2026-10-25T23:30:00+01:00"}) {
    REQUIRE(server.advance_to(when).status == 200);
    JsonClient c(server.port());
    const std::string member = "m" + std::to_string(++n);
    c.send(customer_hello("day", member, "h"));
    REQUIRE(c.reply("h").has_welcome());
    REQUIRE(ask(c, "e", R"("enter":{"skill":"phones"})").has_ack());
    REQUIRE(ask(c, "t", R"("sendText":{"text":"hallo"})").has_ack());
  }
  REQUIRE(server.advance_to("2026-10-26T00:30:00+01:00").status == 200);
  wait_drained(server);

  const auto f = shop_figures(server, "2026-10-25");
  REQUIRE(f.hours_size() == 25);
  CHECK(f.hours(2).starts_at() == "2026-10-25T02:00:00+02:00");
  CHECK(f.hours(3).starts_at() == "2026-10-25T02:00:00+01:00");
  CHECK(f.hours(24).starts_at() == "2026-10-25T23:00:00+01:00");
  CHECK(f.hours(2).figures().connection_rate().denominator() == 1);
  CHECK(f.hours(3).figures().connection_rate().denominator() == 1);
  CHECK(f.hours(24).figures().connection_rate().denominator() == 1);
  CHECK(f.figures().online_duration_s() == 25 * 3600);
  CHECK(shop_figures(server, "2026-10-26").hours_size() == 24);

  CHECK(pg.query("SELECT string_agg(hour || ':' || requests, ',' ORDER BY hour) FROM shop_hour_figures "
                 "WHERE shop_id = 'day' AND day = '2026-10-25' AND requests > 0") == "2:1,3:1,24:1");
  CHECK(pg.query("SELECT count(*) || ',' || sum(online_duration_s) FROM shop_hour_figures "
                 "WHERE shop_id = 'day' AND day = '2026-10-25'") == "25,90000");
  CHECK(pg.query("SELECT requests || ',' || online_duration_s FROM shop_day_figures WHERE shop_id = 'day' AND day = '2026-10-25'") ==
        "3,90000");
  std::system(("rm -rf " + journal).c_str());
}

TEST_CASE("a time zone the system does not know is refused at start, naming it", "[zone][errors]") {
  const std::string toml = sb::app::auth_toml("k", "zone-test-signing-key-0123456789abcdef") + "[[shops]]\nid = \"x\"\ntime_zone = \"Europe/Atlantis\"\n[[shops.skills]]\nname = \"general\"\n";
  const std::string path = "/tmp/sb-zone-" + std::to_string(::getpid()) + ".toml";
  { std::ofstream(path) << toml; }
  int rc = 0;
  const std::string out = run(binary_path() + " check-config --config " + path, rc);
  CHECK(rc != 0);
  CHECK(out.find("time_zone") != std::string::npos);
  CHECK(out.find("\"Europe/Atlantis\"") != std::string::npos);
  CHECK(out.find("IANA zone like \"Asia/Shanghai\"") != std::string::npos);
  std::remove(path.c_str());
}
