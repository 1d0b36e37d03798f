// Snapshots of the core: a saved engine loads into a fresh one with the same figures and the
// same bytes; a snapshot the config cannot hold is refused with a message that names what
// is missing, while an agent taken out of the config while away is dropped.
#include <catch2/catch.hpp>

#include <algorithm>

#include "support/core_harness.hpp"

using namespace sb::test;
using sb::core::ShopConfig;

namespace {

struct Restored {
  bool ok = false;
  std::string why;
  v1::EngineSnapshot again;
};

Restored restore(const v1::EngineSnapshot& snapshot, const std::optional<ShopConfig>& config) {
  RecordingSink sink;
  sb::core::Engine engine(sb::core::EngineOptions{"t-", 1'000'000, true}, &sink);
  Restored r;
  r.ok = engine.restore(snapshot, [&](const std::string&) { return config; }, r.why);
  if (r.ok) engine.save(r.again);
  return r;
}

ShopConfig without_agent(const std::string& id) {
  ShopConfig c = demo_shop_config();
  c.agents.erase(std::remove_if(c.agents.begin(), c.agents.end(), [&](const auto& a) { return a.id == id; }), c.agents.end());
  return c;
}

}  // namespace

TEST_CASE("a snapshot loads into a fresh engine with the same bytes, or is refused with what is missing", "[snapshot]") {
  Harness h;
  h.agent_online("a1");
  h.arrive("m1");  // a1 takes it: a1 is at work, a2 and a3 are away
  h.arrive("m2");
  h.advance(10'000);
  REQUIRE(!h.session_of("m1").empty());
  v1::EngineSnapshot snapshot;
  h.engine.save(snapshot);
  REQUIRE(snapshot.timers_size() > 0);  // the 45-second clocks and the rest are in it

  SECTION("the same config: the same bytes again") {
    const auto r = restore(snapshot, demo_shop_config());
    REQUIRE(r.ok);
    CHECK(r.again.SerializeAsString() == snapshot.SerializeAsString());
  }
  SECTION("an agent removed while away is dropped") {
    const auto r = restore(snapshot, without_agent("a2"));
    INFO(r.why);
    REQUIRE(r.ok);
    CHECK(r.again.shops(0).agents_size() == snapshot.shops(0).agents_size() - 1);
  }
  SECTION("an agent removed while at work is refused") {
    const auto r = restore(snapshot, without_agent("a1"));
    CHECK(!r.ok);
    CHECK_THAT(r.why, Catch::Contains("agent a1") && Catch::Contains("put the agent back"));
  }
  SECTION("a shop the config lacks is refused") {
    const auto r = restore(snapshot, std::nullopt);
    CHECK(!r.ok);
    CHECK_THAT(r.why, Catch::Contains("the snapshot holds shop s1, which the config lacks"));
  }
  SECTION("a timer of a shop that does not exist is refused") {
    snapshot.mutable_timers(0)->set_shop(7);
    const auto r = restore(snapshot, demo_shop_config());
    CHECK(!r.ok);
    CHECK_THAT(r.why, Catch::Contains("a snapshot timer names shop 7"));
  }
}
