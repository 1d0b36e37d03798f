#include <catch2/catch.hpp>

#include "core/service_hours.hpp"
#include "core/time.hpp"

using namespace sb::core;

TEST_CASE("dates and RFC 3339 round-trip through the local calendar", "[time]") {
  REQUIRE(parse_date("2026-08-18").has_value());
  CHECK(format_date(*parse_date("2026-08-18")) == "2026-08-18");
  CHECK_FALSE(parse_date("2026-02-30").has_value());
  CHECK_FALSE(parse_date("2026-8-18").has_value());
  const TimeMs t = *parse_rfc3339("2026-08-18T06:00:00+08:00");
  CHECK(format_rfc3339_utc(t) == "2026-08-17T22:00:00.000Z");
  CHECK(*parse_rfc3339("2026-08-17T22:00:00.250Z") == t + 250);
  CHECK_FALSE(parse_rfc3339("2026-08-18 06:00").has_value());
  const LocalTime lt = to_local(t, 8 * 60);
  CHECK(format_date(lt.day) == "2026-08-18");
  CHECK(lt.hour() == 6);
  CHECK(lt.weekday == 1);  // 2026-08-18 is a Tuesday
  CHECK(*parse_utc_offset("-05:30") == -330);
  CHECK_FALSE(parse_utc_offset("+8").has_value());
}

TEST_CASE("service hours span past midnight and honour date overrides", "[hours]") {
  ServiceHours h;
  h.set_zone(TimeZone::fixed(8 * 60));
  std::string err;
  auto normal = parse_hours_span("09:00-23:00", err);
  auto peak = parse_hours_span("07:00-02:00", err);
  REQUIRE(normal);
  REQUIRE(peak);
  for (int d = 0; d < 7; ++d) h.set_weekday(d, {*normal});
  h.set_date(*parse_date("2026-08-18"), {*peak});
  h.set_date(*parse_date("2026-08-20"), {});  // closed all day

  auto at = [](const char* s) { return *parse_rfc3339(s); };
  CHECK_FALSE(h.is_open(at("2026-08-17T08:59:59+08:00")));
  CHECK(h.is_open(at("2026-08-17T09:00:00+08:00")));
  CHECK_FALSE(h.is_open(at("2026-08-17T23:00:00+08:00")));
  CHECK(h.is_open(at("2026-08-18T07:00:00+08:00")));
  CHECK(h.is_open(at("2026-08-19T01:30:00+08:00")));   // tail of the 8-18 peak span
  CHECK_FALSE(h.is_open(at("2026-08-19T02:00:00+08:00")));
  CHECK_FALSE(h.is_open(at("2026-08-19T08:00:00+08:00")));
  CHECK(h.is_open(at("2026-08-19T09:00:00+08:00")));
  CHECK_FALSE(h.is_open(at("2026-08-20T12:00:00+08:00")));
  CHECK(h.describe_day(at("2026-08-18T12:00:00+08:00")) == "07:00-02:00");
  CHECK(h.describe_day(at("2026-08-20T12:00:00+08:00")).empty());

  CHECK_FALSE(parse_hours_span("25:00-02:00", err));
  CHECK(err.find("25:00-02:00") != std::string::npos);
  CHECK_FALSE(parse_hours_span("0900", err));
}
