// The first-receiver rule: who a returning customer is held for, and for how long.
#include "first_receiver.hpp"

#include <cassert>

#include "shop_engine.hpp"

namespace sb::core {

std::optional<std::string> FirstReceivers::holder(const std::string& member, TimeMs now) const {
  auto it = last_.find(member);
  if (it == last_.end() || now - it->second.at > t_.first_receiver_lookback_ms) return std::nullopt;
  return it->second.agent;
}

void FirstReceivers::served(const std::string& member, const std::string& agent, TimeMs at) {
  // Served times only grow (they are `now`): the age list stays oldest first.
  assert(by_age_.empty() || by_age_.back().first <= at);
  last_[member] = Served{agent, at};
  by_age_.emplace_back(at, member);
}

void FirstReceivers::session_started(const std::string& member, Earlier e) {
  auto& list = earlier_[member];
  list.push_back(std::move(e));
  if (list.size() > earlier_kept_max) list.erase(list.begin());
}

std::vector<FirstReceivers::Earlier> FirstReceivers::earlier(const std::string& member, TimeMs now) const {
  std::vector<Earlier> out;
  auto it = earlier_.find(member);
  if (it == earlier_.end()) return out;
  for (auto e = it->second.rbegin(); e != it->second.rend(); ++e)
    if (now - e->at <= t_.first_receiver_lookback_ms) out.push_back(*e);
  return out;
}

void FirstReceivers::forget_expired(TimeMs now) {
  while (!by_age_.empty() && now - by_age_.front().first > t_.first_receiver_lookback_ms) {
    // The member may have been served again since: then it stays.
    if (auto it = last_.find(by_age_.front().second); it != last_.end() && now - it->second.at > t_.first_receiver_lookback_ms) {
      earlier_.erase(it->first);
      last_.erase(it);
    }
    by_age_.pop_front();
  }
}

void ShopEngine::hold_for(TimeMs now, Request& r, const std::string& agent, Output& out) {
  r.held_for = agent;
  r.hold_until = now + config_.thresholds.first_receiver_wait_ms;
  timer(out, r.hold_until, TimerKind::first_receiver_release, r.id);
}

void ShopEngine::hold_for_first_receiver(TimeMs now, Request& r, Output& out) {
  const auto agent = first_receivers_.holder(r.member, now);
  if (!agent) return;
  const AgentState* fr = agents_.find(*agent);
  if (fr != nullptr && fr->online()) hold_for(now, r, *agent, out);
}

}  // namespace sb::core
