// Drives the real core on virtual time for unit tests and the simulator test: one shop engine,
// inboxes per person, a counter sink that records every add so /metrics totals can be checked.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/engine.hpp"

namespace sb::test {

namespace v1 = switchboard::v1;
using core::TimeMs;

class RecordingSink : public core::CounterSink {
 public:
  void add(std::string_view shop, std::string_view skill, core::Counter c, std::uint64_t delta) override {
    counters[{std::string(shop), std::string(skill), c}] += delta;
  }
  void set(std::string_view shop, std::string_view skill, core::Gauge g, double value) override {
    gauges[{std::string(shop), std::string(skill), g}] = value;
  }
  void observe(std::string_view shop, std::string_view skill, core::Histogram h, double value) override {
    observations[{std::string(shop), std::string(skill), h}].push_back(value);
  }
  // Sum over skills for a shop.
  std::uint64_t total(const std::string& shop, core::Counter c) const {
    std::uint64_t sum = 0;
    for (const auto& [key, v] : counters)
      if (std::get<0>(key) == shop && std::get<2>(key) == c) sum += v;
    return sum;
  }
  std::map<std::tuple<std::string, std::string, core::Counter>, std::uint64_t> counters;
  std::map<std::tuple<std::string, std::string, core::Gauge>, double> gauges;
  std::map<std::tuple<std::string, std::string, core::Histogram>, std::vector<double>> observations;
};

core::ShopConfig demo_shop_config();  // shop "s1", skills phones/aircon, agents a1..a3, UTC+8, open all day

class Harness {
 public:
  explicit Harness(core::ShopConfig config = demo_shop_config(), TimeMs start = default_start());
  static TimeMs default_start();  // 2026-08-18T10:00:00+08:00

  // The tier is the one its token would carry; it matters only when joining.
  core::Actor customer(const std::string& member, v1::Tier tier = v1::TIER_UNSPECIFIED) const {
    return {v1::ROLE_CUSTOMER, shop_id, member, tier, false};
  }
  core::Actor agent(const std::string& id) const { return {v1::ROLE_AGENT, shop_id, id}; }
  core::Actor supervisor(const std::string& id) const { return {v1::ROLE_SUPERVISOR, shop_id, id}; }

  v1::ServerMessage join(const core::Actor& a, const v1::Hello* hello = nullptr);
  void leave(const core::Actor& a, core::Departure how = core::Departure::goodbye);
  v1::ServerMessage send(const core::Actor& a, const v1::ClientMessage& m);
  void advance(TimeMs ms);
  void advance_to(TimeMs t);

  // Conveniences; each returns the reply.
  v1::ServerMessage enter(const std::string& member, const std::string& skill = "");
  v1::ServerMessage say(const std::string& member, const std::string& text = "hello");
  v1::ServerMessage agent_say(const std::string& agent, const std::string& session, const std::string& text = "hi");
  v1::ServerMessage status(const std::string& agent, v1::AgentStatus s);
  v1::ServerMessage close(const core::Actor& a, const std::string& session);
  v1::ServerMessage rate(const std::string& member, const std::string& session, int score);
  v1::ServerMessage transfer(const core::Actor& a, const std::string& session, const std::string& to_agent,
                             const std::string& to_skill);
  // Joins, enters and says the first message.
  v1::ServerMessage arrive(const std::string& member, const std::string& skill = "", v1::Tier tier = v1::TIER_C);
  void agent_online(const std::string& agent);

  // Everything delivered to a person since the last take.
  std::vector<v1::ServerMessage> take(const core::Actor& a);
  // The session id last assigned to this member (empty if none).
  std::string session_of(const std::string& member) const;
  v1::ShopFigures figures(TimeMs at_day_of) const;
  v1::ShopFigures figures_today() const { return figures(now); }
  core::ShopEngine& shop() { return *engine.shop(shop_id); }

  std::string shop_id;
  TimeMs now;
  RecordingSink sink;
  core::Engine engine;

 private:
  void route(core::Output& out);
  static std::string key(v1::Role role, const std::string& id) { return std::to_string(role) + ":" + id; }

  std::map<std::string, std::vector<v1::ServerMessage>> inbox_;
  std::map<std::string, int> supervisors_;
  std::map<std::string, std::string> sessions_;
};

// Count messages of one body case.
int count_of(const std::vector<v1::ServerMessage>& msgs, v1::ServerMessage::BodyCase c);
const v1::ServerMessage* last_of(const std::vector<v1::ServerMessage>& msgs, v1::ServerMessage::BodyCase c);

}  // namespace sb::test
