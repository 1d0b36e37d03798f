// What must hold after every call into a shop: the queue, the sessions, the agents, the
// clocks and the chats agree with each other, and the figures keep their identities (sessions
// never exceed requests, a numerator never its denominator). Tests and the simulator check it
// after every call; a broken state stops loudly there.
#include <set>

#include "eligibility.hpp"
#include "shop_engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

namespace {

struct Checker {
  std::string& why;
  const std::string& shop;
  bool fail(std::string text) {
    why = shop + ": " + std::move(text);
    return false;
  }
};

// A tally's numerators within their denominators.
bool tally_holds(const Tally& t, std::string& what) {
  if (t.sessions > t.requests) what = "sessions above requests";
  else if (t.judged > t.sessions) what = "judged sessions above sessions";
  else if (t.responded > t.judged) what = "responded within 45 s above judged";
  else if (t.rated > t.valid) what = "final ratings above valid sessions";
  else if (t.satisfied > t.rated) what = "satisfied above rated";
  else if (t.messages_replied > t.messages_left) what = "messages replied above messages left";
  else if (t.requests_no_agent + t.requests_abandoned > t.requests) what = "unconnected requests above requests";
  else if (t.converted.size() > t.inquiring.size()) what = "converted members above inquiring";
  return what.empty();
}

}  // namespace

bool ShopEngine::queue_holds(std::string& why) const {
  Checker c{why, config_.id};
  std::string what;
  if (!queue_.consistent(what)) return c.fail(what);
  bool ok = true;
  queue_.each([&](const Request& r) {
    if (!ok) return;
    const Clock* clock = clocks_.find(r.clock);
    if (clock == nullptr) ok = c.fail("waiting request " + std::to_string(r.id) + " without a running clock");
    else if (clock->request != r.id) ok = c.fail("request " + std::to_string(r.id) + "'s clock names another request");
    if (r.session != 0) {
      const Session* s = sessions_.find(r.session);
      if (s == nullptr || !s->open() || s->waiting_request != r.id) ok = c.fail("a transferred request's session does not wait on it");
    } else {
      auto chat = chats_.find(r.member);
      if (chat == chats_.end() || chat->second.state != ChatState::queued || chat->second.request != r.id)
        ok = c.fail("queued request " + std::to_string(r.id) + " of " + r.member + " without its queued chat");
    }
  });
  return ok;
}

bool ShopEngine::sessions_hold(std::string& why) const {
  Checker c{why, config_.id};
  bool ok = true;
  std::size_t open = 0;
  sessions_.each([&](const Session& s) {
    if (!ok || !s.open()) return;
    ++open;
    if (s.legs.empty()) ok = c.fail("open session without a leg");
    else if (s.waiting() && (queue_.find(s.waiting_request) == nullptr || queue_.find(s.waiting_request)->session != s.id))
      ok = c.fail("session waits on a request that is not its own");
    else if (!s.waiting() && agents_.find(s.agent())->sessions.count(s.id) == 0) ok = c.fail("session missing from its agent's set");
    else if (s.clock != 0 && (clocks_.find(s.clock) == nullptr || clocks_.find(s.clock)->session != s.id))
      ok = c.fail("session's running clock is not its own");
    else if (s.valid && (!s.customer_wrote || !s.agent_wrote)) ok = c.fail("valid session in which somebody never wrote");
  });
  if (ok && open != sessions_.open())
    return c.fail("open sessions counted " + std::to_string(open) + ", kept " + std::to_string(sessions_.open()));
  clocks_.each([&](std::uint64_t id, const Clock& clock) {
    if (!ok) return;
    const bool waiting = clock.request != 0 && queue_.find(clock.request) != nullptr && queue_.find(clock.request)->clock == id;
    const Session* s = clock.session != 0 ? sessions_.find(clock.session) : nullptr;
    const bool running = s != nullptr && s->open() && s->clock == id;
    if (!waiting && !running) ok = c.fail("clock " + std::to_string(id) + " runs for nothing");
  });
  return ok;
}

bool ShopEngine::agents_hold(std::string& why) const {
  Checker c{why, config_.id};
  int online = 0;
  for (const AgentState* a : agents_.in_order()) {
    online += a->online() ? 1 : 0;
    for (std::uint64_t sid : a->sessions) {
      const Session* s = sessions_.find(sid);
      if (s == nullptr || !s->open() || s->waiting() || s->agent() != a->id())
        return c.fail("agent " + a->id() + " holds a session that is not its own");
    }
    if (a->status == v1::AGENT_STATUS_OFFLINE && !a->sessions.empty()) return c.fail("offline agent " + a->id() + " holds sessions");
    if (a->detached && (a->connections > 0 || a->status == v1::AGENT_STATUS_OFFLINE))
      return c.fail("agent " + a->id() + " is held for a reconnect while connected or offline");
    if (a->sessions_today > a->config->daily_cap) return c.fail("agent " + a->id() + " took more sessions than its daily cap");
    if ((a->online_since >= 0) != a->online()) return c.fail("agent " + a->id() + "'s online time bookkeeping disagrees with its status");
  }
  if (online != online_.agents_online()) return c.fail("agents online counted " + std::to_string(online));
  if ((online_.agents_online() > 0) != (online_.since() >= 0)) return c.fail("shop online interval bookkeeping mismatch");
  return true;
}

bool ShopEngine::chats_hold(std::string& why) const {
  Checker c{why, config_.id};
  std::size_t detached = 0;
  for (const auto& [member, chat] : chats_) {
    if (chat.member != member) return c.fail("chat of " + member + " names " + chat.member);
    if (chat.detached) {
      ++detached;
      if (chat.connections > 0) return c.fail("chat of " + member + " is held for a reconnect while connected");
      if (detached_chats_.count(chat.id) == 0) return c.fail("held chat of " + member + " has no grace entry");
    } else if (chat.connections == 0) {
      return c.fail("chat of " + member + " has no connection and is not held");
    }
    if (chat.state == ChatState::in_session) {
      const Session* s = sessions_.find(chat.session);
      if (s == nullptr || !s->open() || s->member != member) return c.fail("chat of " + member + " is in a session it does not have");
    }
  }
  if (detached != detached_chats_.size()) return c.fail("grace entries without a held chat");
  return true;
}

bool ShopEngine::check_invariants(std::string& why) const {
  return queue_holds(why) && sessions_hold(why) && agents_hold(why) && chats_hold(why) && figures_hold(why);
}

bool ShopEngine::figures_hold(std::string& why) const {
  for (const auto& entry : book_.days()) {
    const auto& day = entry.first;  // a named variable: lambdas may not capture structured bindings before C++20 P1091 in clang 14
    const auto& t = entry.second;
    std::string what;
    const auto fail = [&](const std::string& where) {
      why = config_.id + ": " + format_date(day) + " " + where + ": " + what;
      return false;
    };
    if (!tally_holds(t.shop, what)) return fail("shop");
    Tally hours_sum;
    const auto rows = static_cast<std::size_t>(config_.hours.zone().hour_rows(day));
    for (std::size_t h = 0; h < hour_rows_max; ++h) {
      if (!tally_holds(t.hours[h], what)) return fail("hour " + std::to_string(h));
      if (h >= rows && (t.hours[h].requests != 0 || t.hours[h].online_ms != 0 || t.hours[h].messages_left != 0)) {
        what = "a row past the day's " + std::to_string(rows) + " hour rows has figures";
        return fail("hour " + std::to_string(h));
      }
      hours_sum.requests += t.hours[h].requests;
      hours_sum.sessions += t.hours[h].sessions;
      hours_sum.judged += t.hours[h].judged;
      hours_sum.online_ms += t.hours[h].online_ms;
    }
    if (hours_sum.requests != t.shop.requests || hours_sum.sessions != t.shop.sessions || hours_sum.judged != t.shop.judged ||
        hours_sum.online_ms != t.shop.online_ms) {
      what = "the hours do not add up to the day";
      return fail("shop");
    }
    std::uint64_t agents_judged = 0;
    for (const auto& [agent, at] : t.agents) agents_judged += at.judged;
    if (agents_judged > t.shop.judged) {
      what = "agents judged more legs than the shop judged sessions";
      return fail("agents");
    }
  }
  return true;
}

}  // namespace sb::core
