#include "engine.hpp"

#include <cassert>
#include <cstdio>
#include <cstdlib>

namespace sb::core {

Engine::Engine(EngineOptions options, CounterSink* sink)
    : options_(std::move(options)), sink_(sink), timers_(options_.timers_max) {}

ShopEngine& Engine::add_shop(ShopConfig config, TimeMs now, Output& out) {
  assert(index_.count(config.id) == 0);
  const auto index = static_cast<std::uint32_t>(shops_.size());
  index_.emplace(config.id, index);
  const std::string prefix = options_.id_prefix + config.id + "-";
  shops_.push_back(std::make_unique<ShopEngine>(std::move(config), index, prefix, sink_));
  shops_.back()->set_record_history(options_.record_history);
  shops_.back()->inject(options_.bug);
  const std::size_t from = out.timers.size();
  shops_.back()->start(now, out);
  schedule(out, from);
  return *shops_.back();
}

ShopEngine* Engine::shop(std::string_view id) {
  auto it = index_.find(std::string(id));
  return it == index_.end() ? nullptr : shops_[it->second].get();
}

const ShopEngine* Engine::shop(std::string_view id) const {
  auto it = index_.find(std::string(id));
  return it == index_.end() ? nullptr : shops_[it->second].get();
}

std::vector<std::string> Engine::shop_ids() const {
  std::vector<std::string> ids;
  for (const auto& s : shops_) ids.push_back(s->config().id);
  return ids;
}

ShopEngine& Engine::shop_of(const Actor& actor) {
  ShopEngine* s = shop(actor.shop);
  assert(s != nullptr && "the caller routes only to shops of this engine");
  return *s;
}

void Engine::schedule(Output& out, std::size_t from) {
  for (std::size_t i = from; i < out.timers.size(); ++i) {
    if (!timers_.push(out.timers[i].due, out.timers[i].key)) {
      // Running out of timer slots would silently break the 45-second clock: stop loudly.
      std::fprintf(stderr, "switchboard: timer queue full (%zu); raise timers_max\n", timers_.size());
      std::abort();
    }
  }
  out.timers.resize(from);
}

void Engine::check(const ShopEngine& shop) {
  if (!options_.check_invariants) return;
  std::string why;
  if (shop.check_invariants(why)) return;
  if (options_.abort_on_broken) {
    std::fprintf(stderr, "switchboard: invariant broken: %s\n", why.c_str());
    std::abort();
  }
  if (broken_.empty()) broken_ = why;
}

template <class F>
decltype(auto) Engine::call(TimeMs now, ShopEngine& shop, Output& out, F&& f) {
  advance(now, out);
  const std::size_t from = out.timers.size();
  struct After {  // runs whatever f returns: the call's timers join the queue, then the check
    Engine& e;
    ShopEngine& shop;
    Output& out;
    std::size_t from;
    ~After() {
      e.schedule(out, from);
      e.check(shop);
    }
  } after{*this, shop, out, from};
  return f();
}

void Engine::person_joined(TimeMs now, const Actor& actor, Output& out, const switchboard::v1::Hello* hello) {
  ShopEngine& s = shop_of(actor);
  call(now, s, out, [&] { s.person_joined(now, actor, out, hello); });
}

void Engine::person_left(TimeMs now, const Actor& actor, Output& out, Departure how) {
  ShopEngine& s = shop_of(actor);
  call(now, s, out, [&] { s.person_left(now, actor, out, how); });
}

void Engine::handle(TimeMs now, const Actor& actor, const switchboard::v1::ClientMessage& msg, Output& out) {
  ShopEngine& s = shop_of(actor);
  call(now, s, out, [&] { s.handle(now, actor, msg, out); });
}

OrderResult Engine::order(TimeMs now, const switchboard::v1::Order& order, Output& out) {
  ShopEngine* s = shop(order.shop_id());
  if (s == nullptr) {
    advance(now, out);
    return OrderResult{false, "no shop \"" + order.shop_id() + "\" on this server", false, false};
  }
  return call(now, *s, out, [&] { return s->order(now, order, out); });
}

std::size_t Engine::advance(TimeMs until, Output& out) {
  assert(until >= last_now_ && "time never runs backwards for the core");
  last_now_ = until;
  std::size_t fired = 0;
  while (auto t = timers_.pop_due(until)) {
    const std::size_t from = out.timers.size();
    ShopEngine& s = *shops_.at(t->key.shop);
    s.on_timer(t->due, t->key, out);
    schedule(out, from);
    check(s);
    ++fired;
  }
  return fired;
}

}  // namespace sb::core
