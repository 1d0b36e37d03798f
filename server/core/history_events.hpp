// The one place each history event is made: a builder per kind with named fields
// (proto/switchboard/v1/history.proto). The writer, the SQL and the trace export read the same
// messages. With history off (the simulator) nothing is built.
#pragma once

#include <cstdint>
#include <string>

#include "figures_book.hpp"
#include "output.hpp"

namespace sb::core {

class HistoryLog {
 public:
  HistoryLog(std::string shop_id, TimeZone zone) : shop_id_(std::move(shop_id)), zone_(std::move(zone)) {}
  void set_recording(bool on) { recording_ = on; }
  bool recording() const { return recording_; }
  // Ids of events: the shop's id prefix + "e" + n.
  void set_id_prefix(std::string prefix) { id_prefix_ = std::move(prefix); }
  std::uint64_t next_event() const { return next_event_; }
  void set_next_event(std::uint64_t n) { next_event_ = n; }

  // A new event at `now`, belonging to `origin`'s day, hour and skill (or to none). Returns
  // nullptr when history is off: callers fill the body only if they got one.
  switchboard::v1::HistoryEvent* add(Output& out, TimeMs now, const Origin* origin);
  // Belonging to the local day and hour of `now` itself (left messages, status, online time).
  switchboard::v1::HistoryEvent* add_at_own_hour(Output& out, TimeMs now);

 private:
  std::string shop_id_;
  TimeZone zone_;
  std::string id_prefix_;
  std::uint64_t next_event_ = 1;
  bool recording_ = true;
};

}  // namespace sb::core
