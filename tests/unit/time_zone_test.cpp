// Shop time zones by IANA name: the offsets resolved from the system's tzdata, hour rows and day
// starts across a clock change, and a shop's figures on the days Europe/Berlin springs forward
// (23 hour rows) and falls back (25).
#include <catch2/catch.hpp>

#include "app/time_zones.hpp"
#include "support/core_harness.hpp"

using namespace sb::test;
using namespace sb::core;

namespace {

TimeMs at(const char* text) { return *parse_rfc3339(text); }

TimeZone zone(const char* name) {
  auto z = sb::app::resolve_time_zone(name);
  REQUIRE(z.ok());
  return *z;
}

}  // namespace

TEST_CASE("IANA zones resolve into offsets from the system's tzdata", "[time][zone]") {
  const TimeZone berlin = zone("Europe/Berlin");
  CHECK(berlin.name() == "Europe/Berlin");
  CHECK_FALSE(berlin.is_fixed());
  CHECK(berlin.offset_at(at("2026-03-29T00:59:59Z")) == 60);
  CHECK(berlin.offset_at(at("2026-03-29T01:00:00Z")) == 120);
  CHECK(berlin.offset_at(at("2026-10-25T00:59:59Z")) == 120);
  CHECK(berlin.offset_at(at("2026-10-25T01:00:00Z")) == 60);
  CHECK(zone("Asia/Shanghai").offset_at(at("2026-08-18T00:00:00Z")) == 480);
  CHECK(zone("America/New_York").hour_rows(*parse_date("2026-03-08")) == 23);
  CHECK(zone("America/New_York").hour_rows(*parse_date("2026-11-01")) == 25);
  const TimeZone fixed = zone("+05:30");
  CHECK(fixed.is_fixed());
  CHECK(fixed.name() == "+05:30");
  CHECK(fixed.offset_at(0) == 330);

  const auto bad = sb::app::resolve_time_zone("Mars/Olympus");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("\"Mars/Olympus\"") != std::string::npos);
  CHECK(bad.error().message.find("Asia/Shanghai") != std::string::npos);
  CHECK_FALSE(sb::app::resolve_time_zone("").ok());
}

TEST_CASE("hour rows count the hours since the local day began, across a clock change", "[time][zone]") {
  const TimeZone berlin = zone("Europe/Berlin");
  const DayNumber spring = *parse_date("2026-03-29"), autumn = *parse_date("2026-10-25"), summer = *parse_date("2026-08-18");
  CHECK(berlin.hour_rows(spring) == 23);
  CHECK(berlin.hour_rows(autumn) == 25);
  CHECK(berlin.hour_rows(summer) == 24);
  CHECK(berlin.day_start(spring) == at("2026-03-29T00:00:00+01:00"));
  CHECK(berlin.day_start(autumn) == at("2026-10-25T00:00:00+02:00"));
  CHECK(berlin.day_start(autumn + 1) == at("2026-10-26T00:00:00+01:00"));

  // Falling back: 02:00-03:00 comes twice, as rows 2 and 3; the day ends with row 24.
  CHECK(berlin.local(at("2026-10-25T01:59:59+02:00")).row == 1);
  CHECK(berlin.local(at("2026-10-25T02:30:00+02:00")).row == 2);
  CHECK(berlin.local(at("2026-10-25T02:30:00+01:00")).row == 3);
  CHECK(berlin.local(at("2026-10-25T02:30:00+01:00")).minute_of_day == 150);  // the wall clock says 02:30 again
  CHECK(berlin.local(at("2026-10-25T03:00:00+01:00")).row == 4);
  CHECK(berlin.local(at("2026-10-25T23:59:59+01:00")).row == 24);
  CHECK(berlin.local(at("2026-10-26T00:00:00+01:00")).row == 0);
  CHECK(berlin.hour_row_end(at("2026-10-25T02:30:00+02:00")) == at("2026-10-25T02:00:00+01:00"));
  CHECK(berlin.hour_row_end(at("2026-10-25T23:30:00+01:00")) == at("2026-10-26T00:00:00+01:00"));

  // Springing forward: 02:00 becomes 03:00, so 03:00 is row 2 and the day ends with row 22.
  CHECK(berlin.local(at("2026-03-29T01:59:59+01:00")).row == 1);
  CHECK(berlin.local(at("2026-03-29T03:00:00+02:00")).row == 2);
  CHECK(berlin.local(at("2026-03-29T23:59:59+02:00")).row == 22);
  CHECK(berlin.hour_row_end(at("2026-03-29T01:30:00+01:00")) == at("2026-03-29T03:00:00+02:00"));

  // A zone whose clocks jump over midnight (Cuba, 00:00 -> 01:00): the day starts at the jump.
  const TimeZone havana = zone("America/Havana");
  const DayNumber cuba = *parse_date("2026-03-08");
  CHECK(havana.day_start(cuba) == at("2026-03-08T01:00:00-04:00"));
  CHECK(havana.hour_rows(cuba) == 23);
  CHECK(havana.local(at("2026-03-08T01:30:00-04:00")).row == 0);
  CHECK(havana.local(at("2026-03-07T23:30:00-05:00")).day == cuba - 1);
}

namespace {

ShopConfig berlin_shop() {
  ShopConfig c = demo_shop_config();
  c.hours.set_zone(zone("Europe/Berlin"));
  return c;
}

// One customer at `when`, answered at once and closed, so the hour row it belongs to shows it.
void chat_at(Harness& h, const std::string& member, TimeMs when) {
  h.advance_to(when);
  h.arrive(member);
  const std::string sid = h.session_of(member);
  REQUIRE_FALSE(sid.empty());
  h.agent_say("a1", sid);
  h.close(h.agent("a1"), sid);
}

}  // namespace

TEST_CASE("a shop in Europe/Berlin has 25 hour rows on the day the clocks fall back", "[figures][zone]") {
  Harness h(berlin_shop(), at("2026-10-25T00:00:00+02:00"));
  h.agent_online("a1");
  chat_at(h, "first", at("2026-10-25T02:30:00+02:00"));
  chat_at(h, "second", at("2026-10-25T02:30:00+01:00"));
  chat_at(h, "late", at("2026-10-25T23:30:00+01:00"));
  h.advance_to(at("2026-10-26T00:00:00+01:00"));
  const auto f = h.figures(at("2026-10-25T12:00:00+01:00"));
  REQUIRE(f.hours_size() == 25);
  CHECK(f.hours(2).starts_at() == "2026-10-25T02:00:00+02:00");
  CHECK(f.hours(3).starts_at() == "2026-10-25T02:00:00+01:00");
  CHECK(f.hours(24).starts_at() == "2026-10-25T23:00:00+01:00");
  CHECK(f.hours(2).figures().connection_rate().denominator() == 1);
  CHECK(f.hours(3).figures().connection_rate().denominator() == 1);
  CHECK(f.hours(24).figures().connection_rate().denominator() == 1);
  std::uint32_t requests = 0;
  std::uint64_t online_s = 0;
  for (const auto& hr : f.hours()) {
    requests += hr.figures().connection_rate().denominator();
    online_s += hr.figures().online_duration_s();
    CHECK(hr.figures().online_duration_s() == 3600);  // a1 online all day: every row a full hour
  }
  CHECK(requests == f.figures().connection_rate().denominator());
  CHECK(online_s == 25 * 3600);
  CHECK(f.figures().online_duration_s() == 25 * 3600);
}

TEST_CASE("a shop in Europe/Berlin has 23 hour rows on the day the clocks spring forward", "[figures][zone]") {
  Harness h(berlin_shop(), at("2026-03-29T00:00:00+01:00"));
  h.agent_online("a1");
  chat_at(h, "early", at("2026-03-29T01:30:00+01:00"));
  chat_at(h, "after", at("2026-03-29T03:30:00+02:00"));
  h.advance_to(at("2026-03-30T00:00:00+02:00"));
  const auto f = h.figures(at("2026-03-29T12:00:00+02:00"));
  REQUIRE(f.hours_size() == 23);
  CHECK(f.hours(1).starts_at() == "2026-03-29T01:00:00+01:00");
  CHECK(f.hours(2).starts_at() == "2026-03-29T03:00:00+02:00");
  CHECK(f.hours(1).figures().connection_rate().denominator() == 1);
  CHECK(f.hours(2).figures().connection_rate().denominator() == 1);
  CHECK(f.figures().online_duration_s() == 23 * 3600);
  for (const auto& hr : f.hours()) CHECK(hr.figures().online_duration_s() == 3600);
}

TEST_CASE("service hours follow the wall clock in summer and in winter", "[hours][zone]") {
  ServiceHours hours;
  hours.set_zone(zone("Europe/Berlin"));
  std::string err;
  for (int d = 0; d < 7; ++d) hours.set_weekday(d, {*parse_hours_span("09:00-18:00", err)});
  CHECK(hours.is_open(at("2026-08-18T07:00:00Z")));        // 09:00 CEST
  CHECK_FALSE(hours.is_open(at("2026-08-18T06:59:59Z")));
  CHECK(hours.is_open(at("2026-12-01T08:00:00Z")));        // 09:00 CET
  CHECK_FALSE(hours.is_open(at("2026-12-01T07:30:00Z")));  // 08:30 CET
}
