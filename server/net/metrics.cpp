#include "metrics.hpp"

#include "build_info.hpp"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace sb::net {

namespace {

struct Named {
  const char* name;
  const char* help;
};

constexpr std::array<Named, static_cast<std::size_t>(core::Counter::count_)> counter_names{{
    {"switchboard_requests_total", "Requests inside service hours (connection rate denominator)"},
    {"switchboard_requests_no_agent_total", "Requests not connected: no agent online or queue full"},
    {"switchboard_requests_abandoned_total", "Requests not connected: the customer gave up in the queue"},
    {"switchboard_sessions_total", "Connected requests (connection rate numerator)"},
    {"switchboard_sessions_judged_total", "Closed sessions judged on their last leg (45-s rate denominator)"},
    {"switchboard_sessions_responded_45s_total", "Judged sessions whose last leg got a human reply within 45 s"},
    {"switchboard_first_response_breaches_total", "Legs or waits that crossed the first-response threshold unanswered"},
    {"switchboard_sessions_valid_total", "Sessions where customer and agent each wrote (rating rate denominator)"},
    {"switchboard_sessions_rated_total", "Valid sessions with a final rating (rating rate numerator)"},
    {"switchboard_sessions_satisfied_total", "Final ratings of 4 or 5 (satisfaction numerator)"},
    {"switchboard_messages_left_total", "Messages left by customers (reply rate denominator)"},
    {"switchboard_messages_replied_total", "Left messages answered (reply rate numerator)"},
    {"switchboard_members_inquiring_total", "Distinct members with a valid session, per shop day"},
    {"switchboard_members_converted_total", "Distinct inquiring members who ordered within the window, per shop day"},
    {"switchboard_orders_total", "Distinct order ids received"},
    {"switchboard_orders_duplicate_total", "Repeated deliveries of a known order id (counted once)"},
    {"switchboard_requests_outside_service_total", "First messages outside service hours (not requests)"},
    {"switchboard_shop_online_seconds_total", "Time with at least one agent online (accrued at interval ends and hour boundaries)"},
}};

constexpr std::array<Named, static_cast<std::size_t>(core::Gauge::count_)> gauge_names{{
    {"switchboard_queue_length", "Customers waiting per shop and skill"},
    {"switchboard_queue_oldest_enqueued_timestamp_seconds", "When the longest waiter joined the queue (0: empty); wait = time() - this"},
    {"switchboard_agents_online", "Agents with status online"},
    {"switchboard_agents_paused", "Agents with status paused"},
    {"switchboard_sessions_open", "Open sessions"},
}};

constexpr std::array<Named, static_cast<std::size_t>(core::Histogram::count_)> histogram_names{{
    {"switchboard_queue_wait_seconds", "From a request's first message to its first assignment"},
    {"switchboard_first_response_seconds", "From a leg's clock start to its agent's first message"},
}};

bool shop_level(core::Counter c) {
  switch (c) {
    case core::Counter::messages_left:
    case core::Counter::messages_replied:
    case core::Counter::members_inquiring:
    case core::Counter::members_converted:
    case core::Counter::orders:
    case core::Counter::orders_duplicate:
    case core::Counter::requests_outside_hours:
    case core::Counter::online_ms: return true;
    default: return false;
  }
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      connections_open(prometheus::BuildGauge()
                           .Name("switchboard_connections_open")
                           .Help("Open WebSocket connections")
                           .Register(*registry_)
                           .Add({})),
      connections_max(prometheus::BuildGauge()
                          .Name("switchboard_connections_max")
                          .Help("Connections this node accepts at most (server.connections_max)")
                          .Register(*registry_)
                          .Add({})),
      shop_targets(prometheus::BuildGauge()
                       .Name("switchboard_shop_target_ratio")
                       .Help("A shop's target for one of its figures (at least this rate), by shop and figure")
                       .Register(*registry_)),
      connections_total(prometheus::BuildCounter()
                            .Name("switchboard_connections_total")
                            .Help("WebSocket connections accepted")
                            .Register(*registry_)
                            .Add({})),
      errors(prometheus::BuildCounter()
                 .Name("switchboard_errors_total")
                 .Help("Error replies sent to clients, by code")
                 .Register(*registry_)),
      auth_failures(prometheus::BuildCounter()
                        .Name("switchboard_security_refusals_total")
                        .Help("Refused tokens and role or shop crossings, by reason")
                        .Register(*registry_)),
      frames_in(prometheus::BuildCounter().Name("switchboard_frames_in_total").Help("Frames received").Register(*registry_).Add({})),
      frames_out(prometheus::BuildCounter().Name("switchboard_frames_out_total").Help("Frames sent").Register(*registry_).Add({})),
      send_queue_overflows(prometheus::BuildCounter()
                               .Name("switchboard_send_queue_overflows_total")
                               .Help("Connections closed because their send queue was full")
                               .Register(*registry_)
                               .Add({})),
      accept_errors(prometheus::BuildCounter()
                        .Name("switchboard_accept_errors_total")
                        .Help("Failed or refused accepts (reason: files for EMFILE/ENFILE, memory for ENOBUFS/ENOMEM, "
                              "connections_max, other); on files and memory accepting pauses with a backoff")
                        .Register(*registry_)),
      resumes(prometheus::BuildCounter()
                  .Name("switchboard_resumes_total")
                  .Help("Reconnects within the grace that picked up a held chat or sessions")
                  .Register(*registry_)
                  .Add({})),
      engine_call_seconds(prometheus::BuildHistogram()
                              .Name("switchboard_engine_call_seconds")
                              .Help("Wall time of one call into the routing core (routing decisions happen inside), by call and shard")
                              .Register(*registry_)) {
  for (std::size_t i = 0; i < counters_.size(); ++i)
    counters_[i] = &prometheus::BuildCounter().Name(counter_names[i].name).Help(counter_names[i].help).Register(*registry_);
  for (std::size_t i = 0; i < gauges_.size(); ++i)
    gauges_[i] = &prometheus::BuildGauge().Name(gauge_names[i].name).Help(gauge_names[i].help).Register(*registry_);
  for (std::size_t i = 0; i < histograms_.size(); ++i)
    histograms_[i] =
        &prometheus::BuildHistogram().Name(histogram_names[i].name).Help(histogram_names[i].help).Register(*registry_);
  // Always 1: the labels say which build answers, so a dashboard sees a mixed fleet during an upgrade.
  prometheus::BuildGauge()
      .Name("switchboard_build_info")
      .Help("The running build: its version and source revision (always 1)")
      .Register(*registry_)
      .Add({{"version", build_version}, {"revision", build_revision}})
      .Set(1);
}

const prometheus::Histogram::BucketBoundaries& Metrics::engine_call_buckets() {
  // Fine below a millisecond, where the goal is; coarse above, where only alerts care.
  static const prometheus::Histogram::BucketBoundaries b{5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 0.1};
  return b;
}

const prometheus::Histogram::BucketBoundaries& Metrics::buckets(core::Histogram h) {
  static const prometheus::Histogram::BucketBoundaries queue{1, 5, 10, 20, 30, 45, 60, 120, 300, 600, 1800};
  static const prometheus::Histogram::BucketBoundaries first{1, 5, 10, 15, 20, 30, 45, 60, 120, 300};
  return h == core::Histogram::queue_wait_seconds ? queue : first;
}

std::string Metrics::serialize() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

prometheus::Labels ShardSink::labels(std::string_view shop, std::string_view skill) const {
  prometheus::Labels l{{"shop", std::string(shop)}};
  if (!skill.empty()) l.emplace("skill", std::string(skill));
  return l;
}

void ShardSink::declare_shop(const core::ShopConfig& shop) {
  for (const auto& t : shop.figure_targets) metrics_.shop_targets.Add({{"shop", shop.id}, {"figure", t.name}}).Set(t.at_least);
  for (int c = 0; c < static_cast<int>(core::Counter::count_); ++c) {
    const auto counter = static_cast<core::Counter>(c);
    if (shop_level(counter)) {
      add(shop.id, "", counter, 0);
      continue;
    }
    for (const auto& skill : shop.skills) add(shop.id, skill.name, counter, 0);
  }
  for (int h = 0; h < static_cast<int>(core::Histogram::count_); ++h) {
    for (const auto& skill : shop.skills) {
      const auto histogram = static_cast<core::Histogram>(h);
      auto key = std::make_tuple(shop.id, skill.name, h);
      histograms_.emplace(key, &metrics_.histogram_family(histogram).Add(labels(shop.id, skill.name), Metrics::buckets(histogram)));
    }
  }
}

void ShardSink::add(std::string_view shop, std::string_view skill, core::Counter c, std::uint64_t delta) {
  const std::string sk = shop_level(c) ? std::string() : std::string(skill);
  auto key = std::make_tuple(std::string(shop), sk, static_cast<int>(c));
  auto it = counters_.find(key);
  if (it == counters_.end())
    it = counters_.emplace(key, &metrics_.counter_family(c).Add(labels(shop, sk))).first;
  // online time is reported in milliseconds and exposed in seconds.
  it->second->Increment(c == core::Counter::online_ms ? static_cast<double>(delta) / 1000.0 : static_cast<double>(delta));
}

void ShardSink::set(std::string_view shop, std::string_view skill, core::Gauge g, double value) {
  auto key = std::make_tuple(std::string(shop), std::string(skill), static_cast<int>(g));
  auto it = gauges_.find(key);
  if (it == gauges_.end()) it = gauges_.emplace(key, &metrics_.gauge_family(g).Add(labels(shop, skill))).first;
  it->second->Set(g == core::Gauge::queue_oldest_enqueued_ms ? value / 1000.0 : value);
}

void ShardSink::observe(std::string_view shop, std::string_view skill, core::Histogram h, double value) {
  auto key = std::make_tuple(std::string(shop), std::string(skill), static_cast<int>(h));
  auto it = histograms_.find(key);
  if (it == histograms_.end())
    it = histograms_
             .emplace(key, &metrics_.histogram_family(h).Add(labels(shop, skill), Metrics::buckets(h)))
             .first;
  it->second->Observe(value);
}

void ShardSink::save(google::protobuf::RepeatedPtrField<switchboard::v1::SnapshotSeries>& out, const std::string* only) const {
  for (const auto& [key, counter] : counters_) {
    if (only != nullptr && std::get<0>(key) != *only) continue;
    auto* s = out.Add();
    s->set_shop(std::get<0>(key));
    s->set_skill(std::get<1>(key));
    s->set_kind(static_cast<std::uint32_t>(std::get<2>(key)));
    s->set_value(counter->Value());
  }
  for (const auto& [key, histogram] : histograms_) {
    if (only != nullptr && std::get<0>(key) != *only) continue;
    auto* s = out.Add();
    s->set_shop(std::get<0>(key));
    s->set_skill(std::get<1>(key));
    s->set_kind(static_cast<std::uint32_t>(std::get<2>(key)));
    s->set_histogram(true);
    const auto m = histogram->Collect().histogram;
    s->set_value(m.sample_sum);
    std::uint64_t below = 0;
    for (const auto& b : m.bucket) {
      s->add_buckets(b.cumulative_count - below);
      below = b.cumulative_count;
    }
  }
}

void ShardSink::take_shop(const core::ShopConfig& shop, google::protobuf::RepeatedPtrField<switchboard::v1::SnapshotSeries>& out) {
  save(out, &shop.id);
  auto forget = [&](auto& series, auto&& family_of) {
    for (auto it = series.begin(); it != series.end();) {
      if (std::get<0>(it->first) != shop.id) {
        ++it;
        continue;
      }
      family_of(std::get<2>(it->first)).Remove(it->second);
      it = series.erase(it);
    }
  };
  forget(counters_, [&](int k) -> auto& { return metrics_.counter_family(static_cast<core::Counter>(k)); });
  forget(gauges_, [&](int k) -> auto& { return metrics_.gauge_family(static_cast<core::Gauge>(k)); });
  forget(histograms_, [&](int k) -> auto& { return metrics_.histogram_family(static_cast<core::Histogram>(k)); });
  for (const auto& t : shop.figure_targets) metrics_.shop_targets.Remove(&metrics_.shop_targets.Add({{"shop", shop.id}, {"figure", t.name}}));
}

void ShardSink::load(const google::protobuf::RepeatedPtrField<switchboard::v1::SnapshotSeries>& in) {
  for (const auto& s : in) {
    if (!s.histogram()) {
      if (s.kind() >= static_cast<std::uint32_t>(core::Counter::count_)) continue;  // a counter this build lacks
      const auto c = static_cast<core::Counter>(s.kind());
      add(s.shop(), s.skill(), c, 0);  // the series, at zero when new
      counters_.at(std::make_tuple(s.shop(), shop_level(c) ? std::string() : s.skill(), static_cast<int>(s.kind())))
          ->Increment(s.value());
      continue;
    }
    if (s.kind() >= static_cast<std::uint32_t>(core::Histogram::count_)) continue;
    const auto h = static_cast<core::Histogram>(s.kind());
    auto key = std::make_tuple(s.shop(), s.skill(), static_cast<int>(s.kind()));
    auto it = histograms_.find(key);
    if (it == histograms_.end())
      it = histograms_.emplace(key, &metrics_.histogram_family(h).Add(labels(s.shop(), s.skill()), Metrics::buckets(h))).first;
    if (static_cast<std::size_t>(s.buckets_size()) != Metrics::buckets(h).size() + 1) continue;  // other buckets: start anew
    std::vector<double> increments(s.buckets().begin(), s.buckets().end());
    it->second->ObserveMultiple(increments, s.value());
  }
}

}  // namespace sb::net
