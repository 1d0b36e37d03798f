// What one call into the core produced: a reply to the caller, messages for people, new timers.
// The caller routes deliveries to connections and arms the timers; the core keeps no sockets.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "switchboard/v1/history.pb.h"
#include "switchboard/v1/switchboard.pb.h"
#include "timer_queue.hpp"

namespace sb::core {

// A person inside a shop; id "*" with ROLE_SUPERVISOR means every supervisor of the shop.
struct PersonKey {
  switchboard::v1::Role role = switchboard::v1::ROLE_UNSPECIFIED;
  std::string id;
};

inline const std::string all_supervisors = "*";

struct Delivery {
  std::string shop;
  PersonKey to;
  std::shared_ptr<const switchboard::v1::ServerMessage> message;  // shared by every receiver
};

struct TimerRequest {
  TimeMs due = 0;
  TimerKey key;
};

struct Output {
  std::optional<switchboard::v1::ServerMessage> reply;
  std::vector<Delivery> deliveries;
  std::vector<TimerRequest> timers;
  std::vector<switchboard::v1::HistoryEvent> events;  // in the order they happened

  void clear() {
    reply.reset();
    deliveries.clear();
    timers.clear();
    events.clear();
  }
};

}  // namespace sb::core
