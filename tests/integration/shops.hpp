// The shop used by the integration tests: two skills, three agents, peak hours past midnight.
#pragma once

namespace sb::test {

inline const char* day_shop_toml = R"(
[[shops]]
id = "day"
time_zone = "+08:00"
default_skill = "phones"
greeting = "Hello from day shop"

[shops.thresholds]
first_response_warning_s = 30
first_response_threshold_s = 45
rating_window_s = 1800

[shops.hours]
every_day = ["09:00-23:00"]
[shops.hours.dates]
"2026-08-18" = ["07:00-02:00"]

[[shops.skills]]
name = "phones"
[[shops.skills]]
name = "aircon"

[[shops.agents]]
id = "alice"
skills = ["phones"]
window = 1
[[shops.agents]]
id = "bob"
skills = ["phones", "aircon"]
window = 2
[[shops.agents]]
id = "carol"
skills = ["aircon"]
window = 2

[[shops.targets]]
category = "phones"
last_peak_rate = 0.5

[[shops]]
id = "vip"
guests = true
[[shops.skills]]
name = "general"

[[shops]]
id = "other"
[[shops.skills]]
name = "general"
[[shops.agents]]
id = "zed"
skills = ["general"]
)";

}  // namespace sb::test

namespace sb::test {

// Open around the clock (no [shops.hours]): for tests on the system clock.
inline const char* always_open_toml = R"(
[[shops]]
id = "day"
[[shops.skills]]
name = "phones"
[[shops.agents]]
id = "alice"
skills = ["phones"]
)";

}  // namespace sb::test
