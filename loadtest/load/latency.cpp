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

}  // namespace

int latency(const LatencyOptions& o) {
  net::KeyRing keys;
  try {
    keys = app::load_config(o.config).server.keys;
  } catch (const app::ConfigError& e) {
    std::fprintf(stderr, "switchboard-load: %s\n", e.what());
    return 2;
  }
  boost::asio::io_context ioc{1};
  const boost::asio::ip::tcp::endpoint server(boost::asio::ip::make_address(o.host), o.port);
  const auto n = static_cast<std::size_t>(o.pairs);
  std::vector<std::shared_ptr<AsyncWs>> customers(n), agents(n);
  std::vector<std::unique_ptr<boost::asio::steady_timer>> pacers(n);
  std::vector<double> samples_ms;
  samples_ms.reserve(static_cast<std::size_t>(o.rate * o.seconds * o.pairs * 1.1));
  bool measuring = false;
  int agents_ready = 0, customers_ready = 0, failed = 0;
  std::uint64_t sent = 0;
  auto shop_of = [&](std::size_t i) { return "lat" + std::to_string(1 + i % static_cast<std::size_t>(o.shops)); };
  auto agent_of = [&](std::size_t i) { return "a" + std::to_string(1 + i / static_cast<std::size_t>(o.shops)); };
  auto source = [&](std::size_t i) { return "127.0.0." + std::to_string(1 + i % static_cast<std::size_t>(o.sources)); };
  auto on_end = [&](const std::string& why) {
    if (!why.empty() && ++failed <= 5) std::fprintf(stderr, "switchboard-load: %s\n", why.c_str());
  };
  boost::asio::steady_timer phase(ioc);
  const auto period = std::chrono::microseconds(static_cast<std::int64_t>(1e6 / o.rate));
  std::function<void(std::size_t)> pace = [&](std::size_t i) {
    pacers[i]->expires_at(pacers[i]->expiry() + period);
    pacers[i]->async_wait([&, i](boost::system::error_code ec) {
      if (ec) return;
      v1::ClientMessage m;
      m.mutable_send_text()->set_text(std::to_string(now_us()));
      customers[i]->send(m);
      ++sent;
      pace(i);
    });
  };
  auto start = [&] {
    std::printf("ready: %d agents, %d customers in sessions; %zu connections\n", agents_ready, customers_ready, 2 * n);
    std::fflush(stdout);
    for (std::size_t i = 0; i < n; ++i) {
      pacers[i] = std::make_unique<boost::asio::steady_timer>(ioc);
      // Spread the customers' sends evenly over one period.
      pacers[i]->expires_at(Steady::now() + period * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(n));
      pace(i);
    }
    phase.expires_after(std::chrono::seconds(2));  // warm-up
    phase.async_wait([&](boost::system::error_code) {
      measuring = true;
      const std::uint64_t sent_from = sent;
      phase.expires_after(std::chrono::seconds(o.seconds));
      phase.async_wait([&, sent_from](boost::system::error_code) {
        measuring = false;
        std::vector<double> s = samples_ms;
        std::sort(s.begin(), s.end());
        auto pct = [&](double p) { return s.empty() ? 0.0 : s[std::min(s.size() - 1, static_cast<std::size_t>(p * static_cast<double>(s.size())))]; };
        std::printf("LATENCY %zu samples at %.0f msg/s offered over %zu connections: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
                    s.size(), static_cast<double>(sent - sent_from) / o.seconds, 2 * n, pct(0.5), pct(0.99), pct(0.999),
                    s.empty() ? 0.0 : s.back());
        std::fflush(stdout);
        ioc.stop();
      });
    });
  };
  for (std::size_t i = 0; i < n; ++i) {
    agents[i] = std::make_shared<AsyncWs>(
        ioc,
        [&](const v1::ServerMessage& m) {
          if (m.has_chat_message()) {
            if (measuring && m.chat_message().sender() == v1::SENDER_CUSTOMER) {
              const auto t = std::atoll(m.chat_message().text().c_str());
              if (t > 0) samples_ms.push_back(static_cast<double>(now_us() - t) / 1000.0);
            }
          } else if (m.request_id() == "on") {
            ++agents_ready;
          }
        },
        on_end);
    agents[i]->open(server, source(i));
    v1::ClientMessage hello;
    hello.mutable_hello()->set_role(v1::ROLE_AGENT);
    hello.mutable_hello()->set_shop_id(shop_of(i));
    hello.mutable_hello()->set_token(net::mint_token(keys, shop_of(i), agent_of(i), "agent", 3600));
    agents[i]->send(hello);
    v1::ClientMessage on;
    on.set_request_id("on");
    on.mutable_set_agent_status()->set_status(v1::AGENT_STATUS_ONLINE);
    agents[i]->send(on);
  }
  boost::asio::steady_timer wait(ioc);
  const auto t0 = Steady::now();
  std::function<void()> when_agents = [&] {
    if (agents_ready + failed < o.pairs && Steady::now() - t0 < std::chrono::seconds(120)) {
      wait.expires_after(std::chrono::milliseconds(100));
      wait.async_wait([&](boost::system::error_code) { when_agents(); });
      return;
    }
    for (std::size_t i = 0; i < n; ++i) {
      customers[i] = std::make_shared<AsyncWs>(
          ioc,
          [&](const v1::ServerMessage& m) {
            if (m.has_assigned() && ++customers_ready == o.pairs) start();
          },
          on_end);
      customers[i]->open(server, source(i));
      v1::ClientMessage hello;
      hello.mutable_hello()->set_role(v1::ROLE_CUSTOMER);
      hello.mutable_hello()->set_shop_id(shop_of(i));
      hello.mutable_hello()->set_token(net::mint_token(keys, shop_of(i), "c" + std::to_string(i + 1), "customer", 3600));
      customers[i]->send(hello);
      v1::ClientMessage enter;
      enter.mutable_enter();
      customers[i]->send(enter);
      v1::ClientMessage first;
      first.mutable_send_text()->set_text("0");
      customers[i]->send(first);
    }
  };
  when_agents();
  ioc.run();
  return failed == 0 ? 0 : 1;
}

}  // namespace sb::load
