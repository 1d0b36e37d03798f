// Routing: which waiting request goes to which agent. Each pass takes the first request in
// queue order (tier, then arrival) that some agent may take, and gives it to the agent the
// shop's strategy picks: longest idle (since its last assignment, or since it came online),
// fewest active sessions (then longest idle), or round robin in config order. Ties keep config
// order. Customers hear their queue position whenever it changes.
#include <algorithm>
#include <cassert>
#include <map>

#include "eligibility.hpp"
#include "shop_engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

// `free`: the agents that can take a session now, in config order (eligible = free and takes).
AgentState* ShopEngine::pick_agent(TimeMs now, const Request& r, const std::vector<AgentState*>& free) {
  if (config_.strategy == Strategy::round_robin) {
    // The first in config order from round_robin_next_ on, wrapping around.
    std::size_t from = 0;
    while (from < free.size() && free[from]->order < round_robin_next_) ++from;
    for (std::size_t i = 0; i < free.size(); ++i) {
      AgentState* a = free[(from + i) % free.size()];
      if (takes(*a, r, now, config_)) {
        round_robin_next_ = (a->order + 1) % agents_.size();
        return a;
      }
    }
    return nullptr;
  }
  AgentState* best = nullptr;
  for (AgentState* a : free) {
    if (!takes(*a, r, now, config_)) continue;
    if (best == nullptr) {
      best = a;
      continue;
    }
    if (config_.strategy == Strategy::fewest_active && a->sessions.size() != best->sessions.size()) {
      if (a->sessions.size() < best->sessions.size()) best = a;
      continue;
    }
    if (a->idle_since < best->idle_since) best = a;  // ties keep config order
  }
  return best;
}

void ShopEngine::dispatch(TimeMs now, Output& out) {
  const TimeZone& zone = config_.hours.zone();
  std::vector<AgentState*> free;  // asked once a pass: at a peak few agents are free and the queue is long
  while (!queue_.empty()) {
    free.clear();
    for (AgentState* a : agents_.in_order())
      if (can_take(*a, now, zone)) free.push_back(a);
    if (free.empty()) return;
    Request* chosen = nullptr;
    AgentState* to = nullptr;
    queue_.any_of([&](Request& r) {
      to = pick_agent(now, r, free);
      chosen = &r;
      return to != nullptr;
    });
    if (to == nullptr) return;
    assert(eligible(*to, *chosen, now, config_));
    assign(now, *chosen, *to, out);
  }
}

void ShopEngine::refresh_queue(Output& out) {
  for (auto& [r, place] : queue_.moved()) {
    auto msg = make_message();
    auto* q = msg->mutable_queued();
    q->set_request_id(r->session == 0 ? external_id('r', r->id) : external_id('s', r->session));
    q->set_skill(r->skill);
    q->set_position(place.position);
    q->set_queue_length(place.length);
    q->set_expected_wait_s(expected_wait_.seconds(r->skill, place.position));
    deliver(out, v1::ROLE_CUSTOMER, r->member, msg);
  }
  refresh_gauges();
}

void ShopEngine::refresh_gauges() {
  if (sink_ == nullptr) return;
  std::map<std::string, std::pair<std::uint32_t, TimeMs>> queues;  // length, oldest enqueue
  for (const auto& s : config_.skills) queues[s.name] = {0, 0};
  queue_.each([&](const Request& r) {
    auto& q = queues[r.skill];
    ++q.first;
    if (q.second == 0 || r.enqueued_at < q.second) q.second = r.enqueued_at;
  });
  for (const auto& [skill, q] : queues) {
    sink_->set(config_.id, skill, Gauge::queue_length, q.first);
    sink_->set(config_.id, skill, Gauge::queue_oldest_enqueued_ms, static_cast<double>(q.second));
  }
  int paused = 0;
  for (const AgentState* a : agents_.in_order()) paused += a->status == v1::AGENT_STATUS_PAUSED ? 1 : 0;
  sink_->set(config_.id, "", Gauge::agents_online, online_.agents_online());
  sink_->set(config_.id, "", Gauge::agents_paused, paused);
  sink_->set(config_.id, "", Gauge::sessions_open, static_cast<double>(sessions_.open()));
}

}  // namespace sb::core
