// Who is acting: established by the network layer from Hello (and its token), trusted by the core.
#pragma once

#include <string>

#include "switchboard/v1/switchboard.pb.h"

namespace sb::core {

struct Actor {
  switchboard::v1::Role role = switchboard::v1::ROLE_UNSPECIFIED;
  std::string shop;
  std::string person;  // member id, agent id or supervisor id; empty in a new guest's hello
  // Read by the hello only: a customer's tier from its token (unspecified: C), and whether it
  // is a guest (the core names a new guest; a returning one comes back under its own id).
  switchboard::v1::Tier tier = switchboard::v1::TIER_UNSPECIFIED;
  bool guest = false;
};

}  // namespace sb::core
