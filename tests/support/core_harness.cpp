#include "core_harness.hpp"

#include <cassert>

namespace sb::test {

core::ShopConfig demo_shop_config() {
  core::ShopConfig c;
  c.id = "s1";
  c.default_skill = "phones";
  c.skills = {core::SkillConfig{"phones", "", 60'000}, core::SkillConfig{"aircon", "", 60'000}};
  c.agents = {core::AgentConfig{"a1", {"phones"}, 2, 100, {}}, core::AgentConfig{"a2", {"phones", "aircon"}, 2, 100, {}},
              core::AgentConfig{"a3", {"aircon"}, 2, 100, {}}};
  c.hours.set_zone(core::TimeZone::fixed(8 * 60));
  c.greeting = "Welcome!";
  return c;
}

TimeMs Harness::default_start() { return *core::parse_rfc3339("2026-08-18T10:00:00+08:00"); }

Harness::Harness(core::ShopConfig config, TimeMs start)
    : shop_id(config.id), now(start), engine(core::EngineOptions{"t-", 1'000'000, true}, &sink) {
  core::Output out;
  engine.add_shop(std::move(config), now, out);
  route(out);
}

void Harness::route(core::Output& out) {
  for (const auto& d : out.deliveries) {
    assert(d.shop == shop_id);
    if (d.to.role == v1::ROLE_SUPERVISOR && d.to.id == core::all_supervisors) {
      for (const auto& [id, n] : supervisors_) inbox_[key(v1::ROLE_SUPERVISOR, id)].push_back(*d.message);
      continue;
    }
    if (d.message->has_assigned() && d.to.role == v1::ROLE_CUSTOMER)
      sessions_[d.to.id] = d.message->assigned().session_id();
    inbox_[key(d.to.role, d.to.id)].push_back(*d.message);
  }
  out.deliveries.clear();
}

v1::ServerMessage Harness::join(const core::Actor& a, const v1::Hello* hello) {
  core::Output out;
  engine.person_joined(now, a, out, hello);
  if (a.role == v1::ROLE_SUPERVISOR && out.reply && out.reply->has_welcome()) ++supervisors_[a.person];
  route(out);
  return out.reply.value_or(v1::ServerMessage{});
}

void Harness::leave(const core::Actor& a, core::Departure how) {
  core::Output out;
  engine.person_left(now, a, out, how);
  if (a.role == v1::ROLE_SUPERVISOR && --supervisors_[a.person] == 0) supervisors_.erase(a.person);
  route(out);
}

v1::ServerMessage Harness::send(const core::Actor& a, const v1::ClientMessage& m) {
  core::Output out;
  engine.handle(now, a, m, out);
  route(out);
  assert(out.reply.has_value());
  return *out.reply;
}

void Harness::advance(TimeMs ms) { advance_to(now + ms); }

void Harness::advance_to(TimeMs t) {
  core::Output out;
  engine.advance(t, out);
  now = t;
  route(out);
}

v1::ServerMessage Harness::enter(const std::string& member, const std::string& skill) {
  v1::ClientMessage m;
  m.mutable_enter()->set_skill(skill);
  return send(customer(member), m);
}

v1::ServerMessage Harness::say(const std::string& member, const std::string& text) {
  v1::ClientMessage m;
  m.mutable_send_text()->set_text(text);
  return send(customer(member), m);
}

v1::ServerMessage Harness::agent_say(const std::string& agent_id, const std::string& session, const std::string& text) {
  v1::ClientMessage m;
  m.mutable_send_text()->set_session_id(session);
  m.mutable_send_text()->set_text(text);
  return send(agent(agent_id), m);
}

v1::ServerMessage Harness::status(const std::string& agent_id, v1::AgentStatus s) {
  v1::ClientMessage m;
  m.mutable_set_agent_status()->set_status(s);
  return send(agent(agent_id), m);
}

v1::ServerMessage Harness::close(const core::Actor& a, const std::string& session) {
  v1::ClientMessage m;
  m.mutable_close_session()->set_session_id(session);
  return send(a, m);
}

v1::ServerMessage Harness::rate(const std::string& member, const std::string& session, int score) {
  v1::ClientMessage m;
  m.mutable_rate()->set_session_id(session);
  m.mutable_rate()->set_score(score);
  return send(customer(member), m);
}

v1::ServerMessage Harness::transfer(const core::Actor& a, const std::string& session, const std::string& to_agent,
                                    const std::string& to_skill) {
  v1::ClientMessage m;
  m.mutable_transfer()->set_session_id(session);
  m.mutable_transfer()->set_to_agent_id(to_agent);
  m.mutable_transfer()->set_to_skill(to_skill);
  return send(a, m);
}

v1::ServerMessage Harness::arrive(const std::string& member, const std::string& skill, v1::Tier tier) {
  join(customer(member, tier));
  enter(member, skill);
  return say(member, "question from " + member);
}

void Harness::agent_online(const std::string& agent_id) {
  join(agent(agent_id));
  status(agent_id, v1::AGENT_STATUS_ONLINE);
}

std::vector<v1::ServerMessage> Harness::take(const core::Actor& a) {
  auto& box = inbox_[key(a.role, a.person)];
  std::vector<v1::ServerMessage> out;
  out.swap(box);
  return out;
}

std::string Harness::session_of(const std::string& member) const {
  auto it = sessions_.find(member);
  return it == sessions_.end() ? std::string() : it->second;
}

v1::ShopFigures Harness::figures(TimeMs at_day_of) const {
  const core::ShopEngine* s = engine.shop(shop_id);
  return s->figures(s->config().hours.zone().local(at_day_of).day, now);
}

int count_of(const std::vector<v1::ServerMessage>& msgs, v1::ServerMessage::BodyCase c) {
  int n = 0;
  for (const auto& m : msgs) n += m.body_case() == c ? 1 : 0;
  return n;
}

const v1::ServerMessage* last_of(const std::vector<v1::ServerMessage>& msgs, v1::ServerMessage::BodyCase c) {
  for (auto it = msgs.rbegin(); it != msgs.rend(); ++it)
    if (it->body_case() == c) return &*it;
  return nullptr;
}

}  // namespace sb::test
