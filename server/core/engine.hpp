// The shops of one shard and their timers. Whoever owns a shard (an Asio thread, a test, the
// simulator) calls in with `now`; timers due by then fire first, in due order, at their due time.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shop_engine.hpp"
#include "timer_queue.hpp"

namespace sb::core {

struct EngineOptions {
  std::string id_prefix;              // makes ids unique across restarts and nodes
  std::size_t timers_max = 4'000'000; // pending timers in this shard
  bool check_invariants = false;      // after every call; for tests and simulation
  bool record_history = true;         // build HistoryEvents; the simulator needs only the figures
  // With check_invariants: stop the process on a broken invariant (tests), or keep the first
  // one in broken() and carry on (the bug-hunting simulator reports it with its seed).
  bool abort_on_broken = true;
  InjectedBug bug = InjectedBug::none;
};

struct SnapshotCodec;  // snapshot.cpp: writes and loads the state

class Engine {
  friend struct SnapshotCodec;

 public:
  Engine(EngineOptions options, CounterSink* sink);

  ShopEngine& add_shop(ShopConfig config, TimeMs now, Output& out);
  ShopEngine* shop(std::string_view id);
  const ShopEngine* shop(std::string_view id) const;
  std::vector<std::string> shop_ids() const;

  void person_joined(TimeMs now, const Actor& actor, Output& out, const switchboard::v1::Hello* hello = nullptr);
  void person_left(TimeMs now, const Actor& actor, Output& out, Departure how = Departure::goodbye);
  void handle(TimeMs now, const Actor& actor, const switchboard::v1::ClientMessage& msg, Output& out);
  OrderResult order(TimeMs now, const switchboard::v1::Order& order, Output& out);

  // Fires every timer due at or before `until`; returns how many fired.
  std::size_t advance(TimeMs until, Output& out);
  std::optional<TimeMs> next_due() const { return timers_.next_due(); }
  std::size_t timers_pending() const { return timers_.size(); }
  // snapshot.cpp: every shop and every pending timer, in firing order. restore() fills an engine
  // without shops; `config_of` gives each snapshot shop's config (nullopt: the config lacks it,
  // and the snapshot is refused with why).
  void save(switchboard::v1::EngineSnapshot& out) const;
  bool restore(const switchboard::v1::EngineSnapshot& in,
               const std::function<std::optional<ShopConfig>(const std::string&)>& config_of, std::string& why);
  // shop_handover.cpp: moving a shop to another engine (another node). hand_over() fires what
  // is due by `now`, writes the shop and its pending timers into `out` (one shop, its timers
  // at index 0) and removes it; false with why for a shop this engine lacks. take_over() adds
  // such a snapshot's shop with `config` (its id) at `now`, no earlier than its last call.
  bool hand_over(std::string_view id, TimeMs now, switchboard::v1::EngineSnapshot& out, Output& o, std::string& why);
  bool take_over(ShopConfig config, const switchboard::v1::EngineSnapshot& in, TimeMs now, Output& o, std::string& why);
  TimeMs last_now() const { return last_now_; }
  // The first invariant found broken (with abort_on_broken off); empty while all hold.
  const std::string& broken() const { return broken_; }

 private:
  ShopEngine& shop_of(const Actor& actor);
  // Every entry point's one path: due timers first, then the call, its timers, the invariants.
  template <class F>
  decltype(auto) call(TimeMs now, ShopEngine& shop, Output& out, F&& f);
  void schedule(Output& out, std::size_t from);
  void check(const ShopEngine& shop);

  EngineOptions options_;
  CounterSink* sink_;
  std::vector<std::unique_ptr<ShopEngine>> shops_;
  std::unordered_map<std::string, std::uint32_t> index_;
  TimerQueue timers_;
  TimeMs last_now_ = 0;
  std::string broken_;
};

}  // namespace sb::core
