#include "history_events.hpp"

namespace sb::core {

switchboard::v1::HistoryEvent* HistoryLog::add(Output& out, TimeMs now, const Origin* origin) {
  if (!recording_) return nullptr;
  auto& e = out.events.emplace_back();
  e.set_event_id(id_prefix_ + 'e' + std::to_string(next_event_++));
  e.set_shop_id(shop_id_);
  e.set_at_ms(now);
  if (origin != nullptr) {
    e.set_day(format_date(origin->day));
    e.set_hour(static_cast<std::uint32_t>(origin->hour));
    e.set_skill(origin->skill);
  }
  return &e;
}

switchboard::v1::HistoryEvent* HistoryLog::add_at_own_hour(Output& out, TimeMs now) {
  const LocalTime lt = zone_.local(now);
  const Origin o{lt.day, lt.hour(), {}};
  return add(out, now, &o);
}

}  // namespace sb::core
