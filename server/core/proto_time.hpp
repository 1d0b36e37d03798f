// Conversions between the core's epoch milliseconds and protobuf Timestamps.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include "time.hpp"

namespace sb::core {

inline void set_time(google::protobuf::Timestamp* ts, TimeMs t) {
  std::int64_t seconds = t / 1000, millis = t % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<std::int32_t>(millis * 1'000'000));
}

inline TimeMs time_of(const google::protobuf::Timestamp& ts) { return ts.seconds() * 1000 + ts.nanos() / 1'000'000; }

}  // namespace sb::core
