// Moving a shop between engines (between nodes, docs/operations.md "Moving a shop"): the old
// owner writes the shop's whole live state and its pending timers, exactly as a snapshot has
// them, and forgets it; the new owner loads them and goes on. The same codec as crash recovery
// (snapshot.cpp), so a moved shop is the shop it was: queues, sessions, clocks, figures, ids.
#include <cassert>

#include "engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

bool Engine::hand_over(std::string_view id, TimeMs now, v1::EngineSnapshot& out, Output& o, std::string& why) {
  auto it = index_.find(std::string(id));
  if (it == index_.end()) {
    why = "shop " + std::string(id) + " is not on this engine";
    return false;
  }
  advance(now, o);  // what fell due before the move fires here, where its clients were
  const std::uint32_t index = it->second;
  out.set_last_now_ms(last_now_);
  shops_[index]->save(*out.add_shops());
  for (const Timer& t : timers_.take_shop(index)) {
    auto* s = out.add_timers();
    s->set_due_ms(t.due);
    s->set_shop(0);
    s->set_kind(static_cast<std::uint32_t>(t.key.kind));
    s->set_id(t.key.id);
    s->set_generation(t.key.generation);
  }
  shops_.erase(shops_.begin() + index);
  index_.erase(it);
  for (std::uint32_t i = index; i < shops_.size(); ++i) {
    shops_[i]->set_index(i);
    index_[shops_[i]->config().id] = i;
  }
  return true;
}

bool Engine::take_over(ShopConfig config, const v1::EngineSnapshot& in, TimeMs now, Output& o, std::string& why) {
  if (in.shops_size() != 1 || in.shops(0).shop_id() != config.id) {
    why = "a hand-over holds one shop, " + config.id + "; this one holds " + std::to_string(in.shops_size());
    return false;
  }
  if (index_.count(config.id) != 0) {
    why = "shop " + config.id + " is already on this engine";
    return false;
  }
  if (now < in.last_now_ms()) {
    why = "this node's clock (" + format_rfc3339_utc(now) + ") is behind the shop's last call (" +
          format_rfc3339_utc(in.last_now_ms()) + "); advance it first";
    return false;
  }
  advance(now, o);
  const auto index = static_cast<std::uint32_t>(shops_.size());
  auto shop = std::make_unique<ShopEngine>(std::move(config), index, options_.id_prefix + in.shops(0).shop_id() + "-", sink_);
  shop->set_record_history(options_.record_history);
  shop->inject(options_.bug);
  if (!shop->load(in.shops(0), why)) return false;
  for (const auto& t : in.timers())
    if (t.shop() != 0 || t.kind() >= timer_kinds) {
      why = "a hand-over timer names shop " + std::to_string(t.shop()) + " kind " + std::to_string(t.kind());
      return false;
    }
  index_.emplace(shop->config().id, index);
  shops_.push_back(std::move(shop));
  for (const auto& t : in.timers())
    if (!timers_.push(t.due_ms(), TimerKey{index, static_cast<TimerKind>(t.kind()), t.id(), t.generation()})) {
      why = "the hand-over holds more timers than timers_max";
      return false;  // cannot happen below the bound of 4,000,000; the shop stays, short of timers
    }
  advance(now, o);  // its timers that fell due during the move fire now, in order
  check(*shops_.back());
  return true;
}

}  // namespace sb::core
