// Messages left (留言) when the shop is closed or nobody can take the chat: kept per shop (at
// most limits.left_messages_kept_max; the oldest answered one goes first), listed and answered
// by agents and supervisors. A message counts on the day it was left; the reply raises that
// day's figure whenever it comes.
#pragma once

#include <cstdint>
#include <map>

#include "switchboard/v1/switchboard.pb.h"
#include "time.hpp"

namespace sb::core {

struct LeftMessage {
  switchboard::v1::LeftMessage message;
  TimeMs left_at = 0;
};

struct SnapshotCodec;  // snapshot.cpp: writes and loads the state

class LeftMessages {
  friend struct SnapshotCodec;

 public:
  // Makes room for one more under `bound`: false when every kept message is unanswered.
  bool make_room(std::size_t bound);
  LeftMessage& add(std::uint64_t id, LeftMessage m) { return messages_.emplace(id, std::move(m)).first->second; }
  LeftMessage* find(std::uint64_t id);
  std::size_t size() const { return messages_.size(); }
  template <class F>
  void each(F&& f) const {
    for (const auto& [id, m] : messages_) f(m);
  }

 private:
  std::map<std::uint64_t, LeftMessage> messages_;  // by id: oldest first
};

}  // namespace sb::core
