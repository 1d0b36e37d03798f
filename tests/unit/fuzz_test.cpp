// The bug-hunting simulator in the test command: a fixed budget of seeded days with faults,
// every invariant after every call; the same seed plays the same day; and a rule broken on
// purpose is found, with a seed and the shortest failing prefix that replays it.
#include <catch2/catch.hpp>

#include "sim/fuzz_day.hpp"

using sb::core::InjectedBug;
using sb::sim::FuzzOptions;
using sb::sim::fuzz_day;

TEST_CASE("seeded days with faults keep every invariant after every call", "[fuzz]") {
  std::uint64_t sessions = 0, transfers = 0, drops = 0, resumes = 0, breaches = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const auto r = fuzz_day(FuzzOptions{seed, 4000, InjectedBug::none});
    INFO("seed " << seed << " failed after step " << r.failed_at << ": " << r.failure
                 << " (replay: switchboard simulate --fuzz --seed " << seed << " --steps " << r.failed_at << ")");
    REQUIRE(r.ok);
    sessions += r.sessions;
    transfers += r.transfers;
    drops += r.drops;
    resumes += r.resumes;
    breaches += r.breaches;
  }
  // The days reach what they are meant to try.
  CHECK(sessions > 3000);
  CHECK(transfers > 500);
  CHECK(drops > 5000);
  CHECK(resumes > 500);
  CHECK(breaches > 500);
}

TEST_CASE("the same seed plays the same day", "[fuzz]") {
  const auto a = fuzz_day(FuzzOptions{7, 3000, InjectedBug::none});
  const auto b = fuzz_day(FuzzOptions{7, 3000, InjectedBug::none});
  REQUIRE(a.ok);
  CHECK(a.calls == b.calls);
  CHECK(a.figures == b.figures);
  CHECK(a.figures != fuzz_day(FuzzOptions{8, 3000, InjectedBug::none}).figures);
}

TEST_CASE("a rule broken on purpose is found with a seed and its shortest failing prefix", "[fuzz]") {
  // The bug: a session that was transferred is judged twice at its close.
  std::uint64_t seed = 0;
  sb::sim::FuzzResult failed;
  for (std::uint64_t s = 1; s <= 40 && seed == 0; ++s) {
    failed = fuzz_day(FuzzOptions{s, 2500, InjectedBug::judge_transferred_twice});
    if (!failed.ok) seed = s;
  }
  REQUIRE(seed != 0);
  CHECK(failed.failure.find("judged sessions above sessions") != std::string::npos);
  const std::uint32_t shortest = sb::sim::shortest_failing_prefix(FuzzOptions{seed, 2500, InjectedBug::judge_transferred_twice}, failed.failed_at);
  CHECK(shortest <= failed.failed_at);
  CHECK_FALSE(fuzz_day(FuzzOptions{seed, shortest, InjectedBug::judge_transferred_twice}).ok);
  if (shortest > 1) CHECK(fuzz_day(FuzzOptions{seed, shortest - 1, InjectedBug::judge_transferred_twice}).ok);
  // Without the bug the same seed passes.
  CHECK(fuzz_day(FuzzOptions{seed, 2500, InjectedBug::none}).ok);
}

TEST_CASE("crash-and-recover at random calls of a day changes no figure", "[fuzz][recovery]") {
  for (std::uint64_t seed : {3u, 11u, 29u, 57u}) {
    INFO("seed " << seed);
    const auto calm = fuzz_day(FuzzOptions{seed, 2500, InjectedBug::none});
    const auto crashed = fuzz_day(FuzzOptions{seed, 2500, InjectedBug::none, 3});
    REQUIRE(calm.ok);
    REQUIRE(crashed.ok);
    CHECK(crashed.recoveries >= 1);
    CHECK(crashed.calls == calm.calls);
    CHECK(crashed.figures == calm.figures);
  }
}

TEST_CASE("snapshots loaded mid-day, and crashes recovered from the newest snapshot, change no figure",
          "[fuzz][recovery][snapshot]") {
  for (std::uint64_t seed : {3u, 11u, 29u, 57u, 101u}) {
    INFO("seed " << seed);
    const auto calm = fuzz_day(FuzzOptions{seed, 2500, InjectedBug::none});
    const auto snapped = fuzz_day(FuzzOptions{seed, 2500, InjectedBug::none, 0, 4});
    const auto crashed = fuzz_day(FuzzOptions{seed, 2500, InjectedBug::none, 3, 3});
    REQUIRE(calm.ok);
    INFO(snapped.failure << crashed.failure);
    REQUIRE(snapped.ok);
    REQUIRE(crashed.ok);
    CHECK(snapped.snapshots >= 1);
    CHECK(crashed.snapshots >= 1);
    CHECK(crashed.recoveries >= 1);
    CHECK(snapped.figures == calm.figures);
    CHECK(crashed.figures == calm.figures);
  }
}

TEST_CASE("a shop handed over and taken over mid-day, with crashes replaying the moves, changes no figure",
          "[fuzz][move]") {
  for (std::uint64_t seed : {4u, 12u, 30u, 58u, 102u, 211u}) {
    INFO("seed " << seed);
    const auto calm = fuzz_day(FuzzOptions{seed, 2500, InjectedBug::none});
    const auto moved = fuzz_day(FuzzOptions{seed, 2500, InjectedBug::none, 0, 0, 4});
    const auto crashed = fuzz_day(FuzzOptions{seed, 2500, InjectedBug::none, 2, 2, 3});
    REQUIRE(calm.ok);
    INFO(moved.failure << crashed.failure);
    REQUIRE(moved.ok);
    REQUIRE(crashed.ok);
    CHECK(moved.moves >= 1);
    CHECK(crashed.recoveries >= 1);
    CHECK(moved.figures == calm.figures);
    CHECK(crashed.figures == calm.figures);
  }
}
