// The latency benchmark: `pairs` customers each send `rate` texts a second, stamped with the
// send time; their agents record how long each took. Percentiles after a two-second warm-up.
#include "latency.hpp"

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

#include "app/config.hpp"
#include "async_ws.hpp"
#include "net/token.hpp"

namespace sb::load {

namespace v1 = switchboard::v1;
using Steady = std::chrono::steady_clock;

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Steady::now().time_since_epoch()).count();
}

class LatencyRun {
 public:
  LatencyRun(const LatencyOptions& o, net::KeyRing keys)
      : o_(o), keys_(std::move(keys)), server_(boost::asio::ip::make_address(o.host), o.port), n_(static_cast<std::size_t>(o.pairs)),
        customers_(n_), agents_(n_), pacers_(n_), phase_(ioc_), wait_(ioc_),
        period_(static_cast<std::int64_t>(1e6 / o.rate)) {
    samples_ms_.reserve(static_cast<std::size_t>(o.rate * o.seconds * o.pairs * 1.1));
  }

  int run() {
    for (std::size_t i = 0; i < n_; ++i) open_agent(i);
    t0_ = Steady::now();
    when_agents();
    ioc_.run();
    return failed_ == 0 ? 0 : 1;
  }

 private:
  std::string shop_of(std::size_t i) const { return "lat" + std::to_string(1 + i % static_cast<std::size_t>(o_.shops)); }
  std::string agent_of(std::size_t i) const { return "a" + std::to_string(1 + i / static_cast<std::size_t>(o_.shops)); }
  std::string source(std::size_t i) const { return "127.0.0." + std::to_string(1 + i % static_cast<std::size_t>(o_.sources)); }
  void on_end(const std::string& why) {
    if (!why.empty() && ++failed_ <= 5) std::fprintf(stderr, "switchboard-load: %s\n", why.c_str());
  }

  void open_agent(std::size_t i) {
    agents_[i] = std::make_shared<AsyncWs>(
        ioc_,
        [this](const v1::ServerMessage& m) {
          if (m.has_chat_message()) {
            if (measuring_ && m.chat_message().sender() == v1::SENDER_CUSTOMER) {
              const auto t = std::atoll(m.chat_message().text().c_str());
              if (t > 0) samples_ms_.push_back(static_cast<double>(now_us() - t) / 1000.0);
            }
          } else if (m.request_id() == "on") {
            ++agents_ready_;
          }
        },
        [this](const std::string& why) { on_end(why); });
    agents_[i]->open(server_, source(i));
    say_hello_as_agent(*agents_[i], keys_, shop_of(i), agent_of(i));
  }

  // Customers come once every agent is online (or two minutes passed).
  void when_agents() {
    if (agents_ready_ + failed_ < o_.pairs && Steady::now() - t0_ < std::chrono::seconds(120)) {
      wait_.expires_after(std::chrono::milliseconds(100));
      wait_.async_wait([this](boost::system::error_code) { when_agents(); });
      return;
    }
    for (std::size_t i = 0; i < n_; ++i) {
      customers_[i] = std::make_shared<AsyncWs>(
          ioc_,
          [this](const v1::ServerMessage& m) {
            if (m.has_assigned() && ++customers_ready_ == o_.pairs) start();
          },
          [this](const std::string& why) { on_end(why); });
      customers_[i]->open(server_, source(i));
      start_chat_as_customer(*customers_[i], keys_, shop_of(i), "c" + std::to_string(i + 1), "0");
    }
  }

  void pace(std::size_t i) {
    pacers_[i]->expires_at(pacers_[i]->expiry() + period_);
    pacers_[i]->async_wait([this, i](boost::system::error_code ec) {
      if (ec) return;
      v1::ClientMessage m;
      m.mutable_send_text()->set_text(std::to_string(now_us()));
      customers_[i]->send(m);
      ++sent_;
      pace(i);
    });
  }

  void start() {
    std::printf("ready: %d agents, %d customers in sessions; %zu connections\n", agents_ready_, customers_ready_, 2 * n_);
    std::fflush(stdout);
    for (std::size_t i = 0; i < n_; ++i) {
      pacers_[i] = std::make_unique<boost::asio::steady_timer>(ioc_);
      // Spread the customers' sends evenly over one period.
      pacers_[i]->expires_at(Steady::now() + period_ * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(n_));
      pace(i);
    }
    phase_.expires_after(std::chrono::seconds(2));  // warm-up
    phase_.async_wait([this](boost::system::error_code) {
      measuring_ = true;
      sent_from_ = sent_;
      phase_.expires_after(std::chrono::seconds(o_.seconds));
      phase_.async_wait([this](boost::system::error_code) { report(); });
    });
  }

  void report() {
    measuring_ = false;
    std::vector<double> s = samples_ms_;
    std::sort(s.begin(), s.end());
    auto pct = [&](double p) {
      return s.empty() ? 0.0 : s[std::min(s.size() - 1, static_cast<std::size_t>(p * static_cast<double>(s.size())))];
    };
    std::printf("LATENCY %zu samples at %.0f msg/s offered over %zu connections: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
                s.size(), static_cast<double>(sent_ - sent_from_) / o_.seconds, 2 * n_, pct(0.5), pct(0.99), pct(0.999),
                s.empty() ? 0.0 : s.back());
    std::fflush(stdout);
    ioc_.stop();
  }

  const LatencyOptions& o_;
  net::KeyRing keys_;
  boost::asio::io_context ioc_{1};
  boost::asio::ip::tcp::endpoint server_;
  std::size_t n_;
  std::vector<std::shared_ptr<AsyncWs>> customers_, agents_;
  std::vector<std::unique_ptr<boost::asio::steady_timer>> pacers_;
  boost::asio::steady_timer phase_, wait_;
  std::chrono::microseconds period_;
  std::vector<double> samples_ms_;
  bool measuring_ = false;
  int agents_ready_ = 0, customers_ready_ = 0, failed_ = 0;
  std::uint64_t sent_ = 0, sent_from_ = 0;
  Steady::time_point t0_;
};

}  // namespace

int latency(const LatencyOptions& o) {
  net::KeyRing keys;
  try {
    keys = app::load_config(o.config).server.keys;
  } catch (const app::ConfigError& e) {
    std::fprintf(stderr, "switchboard-load: %s\n", e.what());
    return 2;
  }
  return LatencyRun(o, std::move(keys)).run();
}

}  // namespace sb::load
