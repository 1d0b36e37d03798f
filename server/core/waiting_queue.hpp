// Who waits, and in what order: per shop, higher tiers first (A, then B, then C), then by
// arrival; a session handed back or transferred to a skill goes to the front of its tier.
// Positions are counted per skill. Each skill's queue has a bound (limits.queue_requests_max).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "figures_book.hpp"
#include "switchboard/v1/switchboard.pb.h"

namespace sb::core {

// A demand waiting for an agent: a new chat, or a session transferred to a skill.
struct Request {
  std::uint64_t id = 0;
  std::string member;
  std::string skill;
  switchboard::v1::Tier tier = switchboard::v1::TIER_C;
  Origin origin;
  TimeMs begun_at = 0;
  TimeMs enqueued_at = 0;
  std::uint64_t seq = 0;      // order within a tier: 0 puts it at the front
  std::string held_for;       // the first receiver (or the agent it was handed back from)
  TimeMs hold_until = 0;
  std::uint64_t clock = 0;    // its running 45-second clock
  std::uint64_t session = 0;  // a transferred session waiting for its next leg
  std::uint32_t last_position_sent = 0;
  std::vector<switchboard::v1::ChatMessage> pending;  // what the customer wrote while queued
  bool held() const { return !held_for.empty(); }
  bool held_at(TimeMs now) const { return !held_for.empty() && now < hold_until; }
};

class WaitingQueue {
 public:
  // The explicit priority of a tier: 0 is served first. Not the proto enum's numbers.
  static int tier_rank(switchboard::v1::Tier tier);

  Request& add(Request r);
  void remove(std::uint64_t id);
  Request* find(std::uint64_t id);
  const Request* find(std::uint64_t id) const;
  Request& at(std::uint64_t id);
  std::size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }
  std::uint32_t waiting_in(const std::string& skill) const;
  bool full(const std::string& skill, std::uint32_t bound) const { return waiting_in(skill) >= bound; }

  // In serving order.
  template <class F>
  void each(F&& f) const {
    for (const auto& [rank, seq, id] : order_) f(requests_.at(id));
  }
  template <class F>
  bool any_of(F&& f) {
    for (const auto& [rank, seq, id] : order_)
      if (f(requests_.at(id))) return true;
    return false;
  }

  struct Place {
    std::uint32_t position = 0, length = 0;
  };
  Place place_of(const Request& r) const;
  // Requests whose position changed since it was last told, with their new place.
  std::vector<std::pair<Request*, Place>> moved();
  // Consistency for the invariants: order and requests agree, counts per skill add up.
  bool consistent(std::string& why) const;

 private:
  using Key = std::tuple<int, std::uint64_t, std::uint64_t>;  // (tier rank, seq, id)
  static Key key_of(const Request& r) { return {tier_rank(r.tier), r.seq, r.id}; }
  std::unordered_map<std::uint64_t, Request> requests_;
  std::set<Key> order_;
  std::map<std::string, std::uint32_t> per_skill_;
};

}  // namespace sb::core
