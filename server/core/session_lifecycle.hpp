// Sessions and their legs (DOMAIN.md): a connected request is one session from its first
// assignment to its close, whatever transfers happen; each agent's part is a leg. A transfer
// ends one leg and starts the next (to a named agent at once, or through a skill's queue). A
// session is judged once, at its close, on its last leg. Closed sessions stay here until their
// rating window closes.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "figures_book.hpp"
#include "switchboard/v1/switchboard.pb.h"

namespace sb::core {

struct Leg {
  std::string agent;
  TimeMs assigned_at = 0;
  TimeMs clock_start = 0;
  TimeMs first_reply_at = -1;
  bool transferred_out = false;
};

struct Session {
  std::uint64_t id = 0;
  std::string member;
  std::string skill;  // the queue it is in now (the origin keeps the request's skill)
  switchboard::v1::Tier tier = switchboard::v1::TIER_C;
  Origin origin;
  TimeMs begun_at = 0;
  TimeMs connected_at = 0;
  TimeMs closed_at = -1;
  std::vector<Leg> legs;
  std::uint64_t clock = 0;            // the current leg's running clock, 0 once answered
  std::uint64_t waiting_request = 0;  // queued for its next leg after a transfer to a skill
  bool customer_wrote = false, agent_wrote = false, valid = false;
  int rating = 0;                     // the last rating given; final when the window closes
  TimeMs customer_waiting_since = -1;
  std::uint64_t check_back_generation = 0;
  std::set<std::string> watchers;     // supervisors listening in
  std::deque<switchboard::v1::ChatMessage> transcript;
  std::uint64_t message_seq = 0;      // the last ChatMessage.seq given out
  bool open() const { return closed_at < 0; }
  bool waiting() const { return waiting_request != 0; }
  const std::string& agent() const { return legs.back().agent; }
  // The agent of the current leg, or nobody while it waits in a queue.
  std::string current_agent() const { return waiting() ? std::string() : legs.back().agent; }
};

struct SnapshotCodec;  // snapshot.cpp: writes and loads the state

class Sessions {
  friend struct SnapshotCodec;

 public:
  Session& add(Session s);
  Session* find(std::uint64_t id);
  const Session* find(std::uint64_t id) const;
  Session& at(std::uint64_t id);
  const Session& at(std::uint64_t id) const;
  void closed() { --open_; }  // a session of these closed
  void erase(std::uint64_t id) { sessions_.erase(id); }
  std::size_t open() const { return open_; }
  template <class F>
  void each(F&& f) const {
    for (const auto& [id, s] : sessions_) f(s);
  }
  template <class F>
  void each(F&& f) {
    for (auto& [id, s] : sessions_) f(s);
  }

 private:
  std::unordered_map<std::uint64_t, Session> sessions_;
  std::size_t open_ = 0;
};

}  // namespace sb::core
