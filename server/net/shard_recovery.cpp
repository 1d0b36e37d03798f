// Crash recovery of one shard: the journaled calls replayed through the core in order. The core
// is a pure state machine on injected time, so the same calls at the same times rebuild the same
// queues, sessions, clocks and timers; their replies, deliveries and events were already sent
// and journaled before the crash and are dropped here. Connections the journal shows open died
// with the process: start() counts each as dropped at the last journaled time.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "shard.hpp"

namespace sb::net {

namespace v1 = switchboard::v1;

v1::JournalActor journal_actor(const core::Actor& actor) {
  v1::JournalActor a;
  a.set_role(actor.role);
  a.set_shop_id(actor.shop);
  a.set_person_id(actor.person);
  a.set_tier(actor.tier);
  a.set_guest(actor.guest);
  return a;
}

core::Actor core_actor(const v1::JournalActor& a) {
  return core::Actor{a.role(), a.shop_id(), a.person_id(), a.tier(), a.guest()};
}

namespace {

bool same_actor(const core::Actor& a, const core::Actor& b) {
  return a.role == b.role && a.shop == b.shop && a.person == b.person;
}

// The replayed call made the events the journal holds for it: same ids, in the same order.
bool same_events(const v1::JournalEntry& entry, const core::Output& out) {
  if (out.events.size() != static_cast<std::size_t>(entry.events_size())) return false;
  for (std::size_t i = 0; i < out.events.size(); ++i)
    if (out.events[i].event_id() != entry.events(static_cast<int>(i)).event_id()) return false;
  return true;
}

}  // namespace

bool Shard::replay(const v1::JournalEntry& entry) {
  const core::TimeMs t = entry.now_ms();
  floor_ = std::max(floor_, t);
  core::Output out;
  switch (entry.call_case()) {
    case v1::JournalEntry::kShopAdded: {
      const std::string& id = entry.shop_added().shop_id();
      auto config = configs_.find(id);
      if (config == configs_.end() || engine_.shop(id) != nullptr) break;  // the caller checked the config has it
      sink_.declare_shop(config->second);
      engine_.add_shop(config->second, t, out);
      std::erase_if(pending_shops_, [&](const core::ShopConfig& c) { return c.id == id; });
      break;
    }
    case v1::JournalEntry::kShopReleased:
    case v1::JournalEntry::kShopAdopted:
      if (!replay_move(entry, out)) {
        spdlog::error("shard {}: the journaled move of a shop at {} cannot be replayed", index_, core::format_rfc3339_utc(t));
        return false;
      }
      break;
    case v1::JournalEntry::kJoined: {
      const core::Actor actor = core_actor(entry.joined().actor());
      engine_.person_joined(t, actor, out, &entry.joined().hello());
      if (out.reply && out.reply->has_welcome()) {
        recovered_.push_back(actor);
        recovered_.back().person = out.reply->welcome().person_id();
      }
      break;
    }
    case v1::JournalEntry::kLeft: {
      const core::Actor actor = core_actor(entry.left().actor());
      auto it = std::find_if(recovered_.begin(), recovered_.end(), [&](const core::Actor& a) { return same_actor(a, actor); });
      if (it != recovered_.end()) recovered_.erase(it);
      engine_.person_left(t, actor, out, entry.left().dropped() ? core::Departure::dropped : core::Departure::goodbye);
      break;
    }
    case v1::JournalEntry::kHandled:
      engine_.handle(t, core_actor(entry.handled().actor()), entry.handled().message(), out);
      break;
    case v1::JournalEntry::kOrder:
      engine_.order(t, entry.order(), out);
      break;
    case v1::JournalEntry::kAdvanced:
      engine_.advance(entry.advanced().until_ms(), out);
      break;
    case v1::JournalEntry::kSnapshotTaken:  // recovery starts after the newest: an older one changes nothing
    case v1::JournalEntry::CALL_NOT_SET:
      return true;  // events without a call (written by tools): nothing to replay
  }
  ++replayed_;
  if (!compare_events_ || same_events(entry, out)) return true;
  if (++divergences_logged_ <= 3)  // the first few name the call, for whoever looks into it
    spdlog::warn("shard {}: replayed call at {} ({}) made {} events (first {}); the journal holds {} (first {})", index_,
                 core::format_rfc3339_utc(t), v1::JournalEntry::descriptor()->FindFieldByNumber(entry.call_case())->name(),
                 out.events.size(), out.events.empty() ? "-" : out.events.front().event_id(), entry.events_size(),
                 entry.events().empty() ? "-" : entry.events(0).event_id());
  return false;
}

void Shard::drop_recovered() {
  if (!recovered_at_) return;
  floor_ = std::max(floor_, *recovered_at_);
  for (const core::Actor& actor : recovered_) {
    auto call = entry(floor_);
    *call.mutable_left()->mutable_actor() = journal_actor(actor);
    call.mutable_left()->set_dropped(true);
    core::Output out;
    engine_.person_left(floor_, actor, out, core::Departure::dropped);
    finish(std::move(call), out, nullptr, {});
  }
  if (!recovered_.empty()) spdlog::info("shard {}: {} connections cut by the crash counted as dropped", index_, recovered_.size());
  recovered_.clear();
  recovered_at_.reset();
}

}  // namespace sb::net
