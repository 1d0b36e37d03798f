// Prometheus metrics: the figures' counters and live gauges (labels shop and skill only, never
// agent or member ids) plus the server's own health series, served as text on /metrics.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <map>
#include <memory>
#include <string>

#include "core/counter_sink.hpp"
#include "switchboard/v1/snapshot.pb.h"
#include "core/shop_config.hpp"

namespace sb::net {

class Metrics {
  // Declared first: the references below are registered in it during construction.
  std::shared_ptr<prometheus::Registry> registry_;

 public:
  Metrics();
  std::string serialize() const;
  prometheus::Registry& registry() { return *registry_; }

  prometheus::Family<prometheus::Counter>& counter_family(core::Counter c) { return *counters_[static_cast<std::size_t>(c)]; }
  prometheus::Family<prometheus::Gauge>& gauge_family(core::Gauge g) { return *gauges_[static_cast<std::size_t>(g)]; }
  prometheus::Family<prometheus::Histogram>& histogram_family(core::Histogram h) {
    return *histograms_[static_cast<std::size_t>(h)];
  }
  static const prometheus::Histogram::BucketBoundaries& buckets(core::Histogram h);

  // Server health.
  prometheus::Gauge& connections_open;
  prometheus::Gauge& connections_max;  // server.connections_max: alerts compare the open ones with it
  prometheus::Family<prometheus::Gauge>& shop_targets;  // labels shop, figure: the shop's at-least targets
  prometheus::Counter& connections_total;
  prometheus::Family<prometheus::Counter>& errors;         // label code
  prometheus::Family<prometheus::Counter>& auth_failures;  // label reason
  prometheus::Counter& frames_in;
  prometheus::Counter& frames_out;
  prometheus::Counter& send_queue_overflows;
  prometheus::Family<prometheus::Counter>& accept_errors;  // label reason
  prometheus::Counter& resumes;  // hellos that picked up a chat held for the reconnect grace
  // Wall time of each call into the routing core (every routing decision happens inside one),
  // labels call (hello, leave, message, timer, order) and shard.
  prometheus::Family<prometheus::Histogram>& engine_call_seconds;
  static const prometheus::Histogram::BucketBoundaries& engine_call_buckets();

 private:
  std::array<prometheus::Family<prometheus::Counter>*, static_cast<std::size_t>(core::Counter::count_)> counters_{};
  std::array<prometheus::Family<prometheus::Gauge>*, static_cast<std::size_t>(core::Gauge::count_)> gauges_{};
  std::array<prometheus::Family<prometheus::Histogram>*, static_cast<std::size_t>(core::Histogram::count_)> histograms_{};
};

// One per shard, used only on the shard's thread: caches the series of its shops so the hot
// path is an atomic add (Family::Add takes a lock only the first time a label set is seen).
class ShardSink : public core::CounterSink {
 public:
  explicit ShardSink(Metrics& metrics) : metrics_(metrics) {}
  // Creates every series of a shop at zero, so dashboards and rate() see it before its first event.
  void declare_shop(const core::ShopConfig& shop);
  void add(std::string_view shop, std::string_view skill, core::Counter c, std::uint64_t delta) override;
  void set(std::string_view shop, std::string_view skill, core::Gauge g, double value) override;
  void observe(std::string_view shop, std::string_view skill, core::Histogram h, double value) override;
  // Snapshots: every counter and histogram series of this shard's shops, and back (onto series
  // just declared at zero), so /metrics continues from the snapshot's totals.
  void save(google::protobuf::RepeatedPtrField<switchboard::v1::SnapshotSeries>& out, const std::string* only = nullptr) const;
  // A shop leaving this node (a move): its series saved into `out`, then gone from /metrics here,
  // so the counters summed across nodes count each event once.
  void take_shop(const core::ShopConfig& shop, google::protobuf::RepeatedPtrField<switchboard::v1::SnapshotSeries>& out);
  void load(const google::protobuf::RepeatedPtrField<switchboard::v1::SnapshotSeries>& in);

 private:
  prometheus::Labels labels(std::string_view shop, std::string_view skill) const;
  Metrics& metrics_;
  std::map<std::tuple<std::string, std::string, int>, prometheus::Counter*> counters_;
  std::map<std::tuple<std::string, std::string, int>, prometheus::Gauge*> gauges_;
  std::map<std::tuple<std::string, std::string, int>, prometheus::Histogram*> histograms_;
};

}  // namespace sb::net
