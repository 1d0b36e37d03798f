// Everything the core needs to know about one shop: skills, agents, thresholds, hours, targets.
// Filled by the app's TOML loader or by tests; validated there, asserted here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "service_hours.hpp"
#include "time.hpp"

namespace sb::core {

enum class Strategy { longest_idle, fewest_active, round_robin };

// Where the chats of an agent who goes offline (or is evicted) go: to the front of their queue
// for anyone, or first held for that agent for the first-receiver wait (it may be back soon).
enum class Handback { queue_front, first_receiver_wait };

struct AgentConfig {
  std::string id;
  std::vector<std::string> skills;
  std::uint32_t window = 3;            // sessions at once
  std::uint32_t daily_cap = 200;       // sessions assigned per local day (单人最高日服务量)
  std::vector<AgentShift> shifts;
};

struct SkillConfig {
  std::string name;
  std::string overflow_skill;          // empty: no overflow
  DurationMs overflow_after_ms = 60'000;
};

struct Thresholds {
  DurationMs first_response_warning_ms = 30'000;
  DurationMs first_response_threshold_ms = 45'000;
  DurationMs check_back_ms = 3 * ms_per_minute;
  DurationMs long_session_ms = 20 * ms_per_minute;
  DurationMs rating_window_ms = 30 * ms_per_minute;
  DurationMs first_receiver_lookback_ms = 3 * ms_per_day;
  DurationMs first_receiver_wait_ms = 20'000;
  DurationMs attribution_window_ms = ms_per_day;
  // A dropped connection's chat or sessions are held this long for the person to come back;
  // 0: a drop ends them at once, like a goodbye.
  DurationMs reconnect_grace_ms = 60'000;
};

struct CategoryTarget {
  std::string category;        // a skill name: inquiries in that skill, orders in that category
  double last_peak_rate = 0;   // last peak's actual conversion; floor x1.1, stretch x1.2
};

struct Limits {
  std::uint32_t queue_requests_max = 10'000;       // per shop+skill; over it: refused as unavailable
  std::uint32_t transcript_messages_max = 500;     // kept per session for history and watchers
  std::uint32_t text_bytes_max = 8'192;            // one chat message
  std::uint32_t left_messages_kept_max = 100'000;  // per shop, oldest replied dropped first
};

// The shop's own target for one of its figures (a rate, 0 to 1): the alert rules, the dashboard
// and the supervisor console compare the figure with it. `name` is the figure's name in
// docs/figures.md (connection_rate, response_45s_rate, ...).
struct FigureTarget {
  std::string name;
  double at_least = 0;
};

struct ShopConfig {
  std::string id;
  std::string default_skill;
  std::vector<SkillConfig> skills;
  std::vector<AgentConfig> agents;
  Strategy strategy = Strategy::longest_idle;
  Handback handback = Handback::queue_front;
  std::string greeting = "Hello! An agent will be with you shortly.";
  Thresholds thresholds;
  ServiceHours hours;
  std::vector<CategoryTarget> targets;
  // Defaults: connection_rate 0.95 and response_45s_rate 0.90; others only when configured.
  std::vector<FigureTarget> figure_targets{{"connection_rate", 0.95}, {"response_45s_rate", 0.90}};
  Limits limits;
  bool guests = false;  // customers without a token are welcome, each under a server-assigned id
  // The shop's own sites, where its chat widget runs: a browser connecting to /ws/shops/{id}
  // must come from one of them (or from server.allowed_origins). The edge checks it.
  std::vector<std::string> allowed_origins;

  const SkillConfig* find_skill(const std::string& name) const {
    for (const auto& s : skills)
      if (s.name == name) return &s;
    return nullptr;
  }
};

}  // namespace sb::core
