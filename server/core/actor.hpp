// Who is acting: established by the network layer from Hello (and its token), trusted by the core.
#pragma once

#include <string>

#include "switchboard/v1/switchboard.pb.h"

namespace sb::core {

struct Actor {
  switchboard::v1::Role role = switchboard::v1::ROLE_UNSPECIFIED;
  std::string shop;
  std::string person;  // member id, agent id or supervisor id
};

}  // namespace sb::core
