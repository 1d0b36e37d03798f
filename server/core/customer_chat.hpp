// A customer's chat with the shop: idle (connected, window not opened), entered (greeted, no
// request yet), queued, or in session. The tier is its token's. A dropped customer's chat is
// held for the reconnect grace (reconnect.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "switchboard/v1/switchboard.pb.h"

namespace sb::core {

enum class ChatState { idle, entered, queued, in_session };

struct Chat {
  ChatState state = ChatState::idle;
  std::string skill;
  switchboard::v1::Tier tier = switchboard::v1::TIER_C;
  std::uint64_t request = 0;
  std::uint64_t session = 0;
  std::uint32_t connections = 0;
  std::string member;
  std::uint64_t id = 0;                // names its reconnect-grace timer
  bool detached = false;               // dropped, within the reconnect grace
  std::uint64_t grace_generation = 0;
};

}  // namespace sb::core
