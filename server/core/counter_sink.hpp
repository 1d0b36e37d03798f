// Where the figures engine reports every numerator, denominator and live gauge as it changes.
// The server implements it with Prometheus metrics; tests and the simulator may ignore it.
#pragma once

#include <cstdint>
#include <string_view>

namespace sb::core {

enum class Counter : std::uint8_t {
  requests,                   // connection rate denominator (inside hours)
  requests_no_agent,          // not connected: no agent online
  requests_abandoned,         // not connected: customer gave up in the queue
  sessions,                   // connection rate numerator
  sessions_judged,            // 45-s rate denominator (counted at close, last leg)
  sessions_responded_45s,     // 45-s rate numerator
  first_response_breaches,    // legs (or waits) that crossed the threshold unanswered
  sessions_valid,             // rating rate denominator
  sessions_rated,             // rating rate numerator / satisfaction denominator (final ratings)
  sessions_satisfied,         // satisfaction numerator
  messages_left,              // message reply rate denominator
  messages_replied,           // message reply rate numerator
  members_inquiring,          // conversion denominator (distinct per day)
  members_converted,          // conversion numerator (distinct per day)
  orders,                     // distinct order ids accepted
  orders_duplicate,           // repeated deliveries of a known order id
  requests_outside_hours,     // first messages outside service hours (not requests)
  online_ms,                  // shop online duration, accrued at interval ends and hour boundaries
  count_,
};

enum class Gauge : std::uint8_t {
  queue_length,
  queue_oldest_enqueued_ms,   // epoch ms of the longest waiter; 0 when empty
  agents_online,
  agents_paused,
  sessions_open,
  count_,
};

enum class Histogram : std::uint8_t {
  queue_wait_seconds,
  first_response_seconds,
  count_,
};

class CounterSink {
 public:
  virtual ~CounterSink() = default;
  // skill is empty for shop-level series (online_ms, agents_*, sessions_open, messages_*).
  virtual void add(std::string_view shop, std::string_view skill, Counter counter, std::uint64_t delta) = 0;
  virtual void set(std::string_view shop, std::string_view skill, Gauge gauge, double value) = 0;
  virtual void observe(std::string_view shop, std::string_view skill, Histogram histogram, double value) = 0;
};

}  // namespace sb::core
