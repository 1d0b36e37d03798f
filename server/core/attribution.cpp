// Orders and inquiry conversion: the attribution window, duplicate order ids, and the
// conversion events and figures.
#include "attribution.hpp"

#include <cassert>
#include <cmath>

#include "shop_engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

bool Attribution::first_delivery(const std::string& order_id, TimeMs now) {
  // Ids past the window are forgotten first, so "remembered for the window" holds to the millisecond.
  while (!order_ids_by_age_.empty() && order_ids_by_age_.front().first + t_.attribution_window_ms <= now) {
    order_ids_.erase(order_ids_by_age_.front().second);
    order_ids_by_age_.pop_front();
  }
  if (!order_ids_.insert(order_id).second) return false;
  order_ids_by_age_.emplace_back(now, order_id);
  return true;
}

std::vector<Inquiry> Attribution::purchased(const std::string& member, const Purchase& p) {
  auto& bought = purchases_[member];
  std::erase_if(bought, [&](const Purchase& q) { return q.at + t_.attribution_window_ms <= p.at; });
  bought.push_back(p);
  purchases_expire_.emplace(p.at + t_.attribution_window_ms, member);
  std::vector<Inquiry> converts;
  if (auto it = inquiries_.find(member); it != inquiries_.end())
    for (const auto& i : it->second)
      if (within(i, p.at)) converts.push_back(i);
  return converts;
}

std::vector<Purchase> Attribution::inquired(const std::string& member, const Inquiry& inquiry) {
  auto& list = inquiries_[member];
  std::erase_if(list, [&](const Inquiry& i) { return i.connected_at + t_.attribution_window_ms <= inquiry.connected_at; });
  list.push_back(inquiry);
  inquiries_expire_.emplace(inquiry.connected_at + t_.attribution_window_ms, member);
  std::vector<Purchase> converts;
  if (auto it = purchases_.find(member); it != purchases_.end())
    for (const auto& p : it->second)
      if (within(inquiry, p.at)) converts.push_back(p);
  return converts;
}

namespace {

// Drops what has expired of the members whose earliest entry is due, and members left with none.
template <class Map, class Expiries, class Expired>
void forget_due(Map& by_member, Expiries& due, TimeMs now, Expired expired) {
  while (!due.empty() && due.top().first <= now) {
    if (auto it = by_member.find(due.top().second); it != by_member.end()) {
      std::erase_if(it->second, expired);
      if (it->second.empty()) by_member.erase(it);
    }
    due.pop();
  }
}

}  // namespace

void Attribution::forget_expired(TimeMs now) {
  const DurationMs w = t_.attribution_window_ms;
  forget_due(inquiries_, inquiries_expire_, now, [&](const Inquiry& i) { return i.connected_at + w <= now; });
  forget_due(purchases_, purchases_expire_, now, [&](const Purchase& p) { return p.at + w <= now; });
  while (!order_ids_by_age_.empty() && order_ids_by_age_.front().first + w <= now) {
    order_ids_.erase(order_ids_by_age_.front().second);
    order_ids_by_age_.pop_front();
  }
}

void ShopEngine::attribute(TimeMs now, const Inquiry& inquiry, const std::string& member, const Purchase& purchase, Output& out) {
  book_.member_converted(inquiry.origin, inquiry.agent, member, purchase.category);
  if (auto* e = history_.add(out, now, &inquiry.origin)) {
    auto* c = e->mutable_member_converted();
    c->set_member_id(member);
    c->set_agent_id(inquiry.agent);
    c->set_category(purchase.category);
    c->set_order_id(purchase.order_id);
  }
}

// A session became valid: its member inquires, and orders it made since the session began convert.
void ShopEngine::inquire(TimeMs now, const Session& s, const std::string& agent, Output& out) {
  const Inquiry inquiry{s.connected_at, s.origin, agent};
  for (const auto& p : attribution_.inquired(s.member, inquiry)) attribute(now, inquiry, s.member, p, out);
}

OrderResult ShopEngine::order(TimeMs now, const v1::Order& o, Output& out) {
  OrderResult r;
  if (o.order_id().empty()) return OrderResult{false, "the order is missing its order_id", false, false};
  if (o.member_id().empty()) return OrderResult{false, "order " + o.order_id() + " is missing its member_id", false, false};
  if (o.shop_id() != config_.id)
    return OrderResult{false, "order " + o.order_id() + " names shop \"" + o.shop_id() + "\", not " + config_.id, false, false};
  if (!(o.amount() >= 0) || !std::isfinite(o.amount()))
    return OrderResult{false, "order " + o.order_id() + " has a negative or invalid amount", false, false};
  r.ok = true;
  r.duplicate = !attribution_.first_delivery(o.order_id(), now);
  book_.order(r.duplicate);
  if (r.duplicate) return r;
  auto* e = history_.add(out, now, nullptr);
  const Purchase p{now, o.category(), o.order_id()};
  const std::size_t order_event = out.events.size() - (e != nullptr ? 1 : 0);
  if (e != nullptr) {
    auto* ev = e->mutable_order();
    ev->set_order_id(o.order_id());
    ev->set_member_id(o.member_id());
    ev->set_amount(o.amount());
    ev->set_category(o.category());
  }
  for (const auto& i : attribution_.purchased(o.member_id(), p)) {
    attribute(now, i, o.member_id(), p, out);
    r.attributed = true;
  }
  if (e != nullptr) out.events[order_event].mutable_order()->set_attributed(r.attributed);
  return r;
}

}  // namespace sb::core
