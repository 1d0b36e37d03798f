// What the terminal client prints for each server message: one readable line per event, times
// in the shop's zone ("[10:00:05] m-1001: Is the X200 in stock?"), or nothing for what a person
// need not see (acks of chat texts, pongs).
#pragma once

#include <string>
#include <vector>

#include "switchboard/v1/switchboard.pb.h"

namespace sb::app {

// `utc_offset_minutes`: the shop's, from its welcome.
std::vector<std::string> readable_lines(const switchboard::v1::ServerMessage& m, int utc_offset_minutes);
std::string clock_text(const google::protobuf::Timestamp& at, int utc_offset_minutes);  // "10:00:05"

}  // namespace sb::app
