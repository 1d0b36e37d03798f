// Inquiry conversion (DOMAIN.md): a member inquires with a valid session; it converts when an
// order from it to the shop arrives within the attribution window after the start (first
// assignment) of such a session: [start, start + window), end exclusive like every window
// here. An order id counts once; ids, inquiries and purchases are remembered for the window only.
#pragma once

#include <deque>
#include <functional>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "figures_book.hpp"

namespace sb::core {

struct Inquiry {
  TimeMs connected_at = 0;
  Origin origin;
  std::string agent;
};

struct Purchase {
  TimeMs at = 0;
  std::string category;
  std::string order_id;
};

struct SnapshotCodec;  // snapshot.cpp: writes and loads the state

class Attribution {
  friend struct SnapshotCodec;

 public:
  explicit Attribution(const Thresholds& t) : t_(t) {}
  bool within(const Inquiry& i, TimeMs order_at) const {
    return order_at >= i.connected_at && order_at < i.connected_at + t_.attribution_window_ms;
  }
  // False for an id seen within the window.
  bool first_delivery(const std::string& order_id, TimeMs now);
  // The member's inquiries an order at `now` converts; records the purchase.
  std::vector<Inquiry> purchased(const std::string& member, const Purchase& p);
  // The member's purchases a new inquiry converts; records the inquiry.
  std::vector<Purchase> inquired(const std::string& member, const Inquiry& i);
  void forget_expired(TimeMs now);
  std::size_t order_ids() const { return order_ids_.size(); }
  std::size_t inquiring_members() const { return inquiries_.size(); }
  std::size_t purchasing_members() const { return purchases_.size(); }

 private:
  const Thresholds& t_;
  std::unordered_map<std::string, std::vector<Inquiry>> inquiries_;  // valid sessions, per member
  std::unordered_map<std::string, std::vector<Purchase>> purchases_;
  std::unordered_set<std::string> order_ids_;
  std::deque<std::pair<TimeMs, std::string>> order_ids_by_age_;
  // When each member's entries expire, earliest first: forgetting visits only those due.
  using Expiry = std::pair<TimeMs, std::string>;
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<Expiry>> inquiries_expire_, purchases_expire_;
};

}  // namespace sb::core
