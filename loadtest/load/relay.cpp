#include "relay.hpp"

#include <boost/asio/steady_timer.hpp>

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

int relay(const RelayOptions& o) {
  boost::asio::io_context ioc{1};
  const boost::asio::ip::tcp::endpoint server(boost::asio::ip::make_address(o.host), o.port);
  net::KeyRing keys;
  if (!o.echo) {
    try {
      keys = app::load_config(o.config).server.keys;
    } catch (const app::ConfigError& e) {
      std::fprintf(stderr, "switchboard-load: %s\n", e.what());
      return 2;
    }
  }
  std::vector<std::shared_ptr<AsyncWs>> senders(static_cast<std::size_t>(o.pairs)), receivers(static_cast<std::size_t>(o.pairs));
  std::uint64_t delivered = 0, counted_from = 0;
  bool measuring = false, failed = false;
  int ready = 0;
  Steady::time_point t_start;
  v1::ClientMessage text;
  text.mutable_send_text()->set_text(std::string(100, 'x'));  // a typical chat line
  auto source = [&](int i) { return o.sources > 1 ? "127.0.0." + std::to_string(1 + i % o.sources) : std::string(); };
  boost::asio::steady_timer clock(ioc);
  auto start_measuring = [&] {
    // Warm up one second, then count for `seconds`.
    for (int i = 0; i < o.pairs; ++i)
      for (int k = 0; k < o.window; ++k) senders[static_cast<std::size_t>(i)]->send(text);
    clock.expires_after(std::chrono::seconds(1));
    clock.async_wait([&](boost::system::error_code) {
      measuring = true;
      counted_from = delivered;
      t_start = Steady::now();
      clock.expires_after(std::chrono::seconds(o.seconds));
      clock.async_wait([&](boost::system::error_code) {
        const double s = std::chrono::duration<double>(Steady::now() - t_start).count();
        std::printf("RATE %.0f messages/s delivered (%s, %d pairs, window %d, %.1f s)\n",
                    static_cast<double>(delivered - counted_from) / s, o.echo ? "echo" : "switchboard", o.pairs, o.window, s);
        std::fflush(stdout);
        ioc.stop();
      });
    });
  };
  auto on_end = [&](const std::string& why) {
    if (!why.empty() && !failed) {
      failed = true;
      std::fprintf(stderr, "switchboard-load: %s\n", why.c_str());
      ioc.stop();
    }
  };
  for (int i = 0; i < o.pairs; ++i) {
    const auto idx = static_cast<std::size_t>(i);
    if (o.echo) {
      // One connection sends and reads its own echoes.
      senders[idx] = std::make_shared<AsyncWs>(
          ioc,
          [&, idx](const v1::ServerMessage&) {
            ++delivered;
            senders[idx]->send(text);  // keep the window full
          },
          on_end);
      receivers[idx] = senders[idx];
      continue;
    }
    receivers[idx] = std::make_shared<AsyncWs>(
        ioc,
        [&, idx](const v1::ServerMessage& m) {
          if (m.has_chat_message()) {
            ++delivered;
            senders[idx]->send(text);  // keep the window full
          } else if (m.request_id() == "on" && ++ready == 2 * o.pairs) {
            start_measuring();
          }
        },
        on_end);
    senders[idx] = std::make_shared<AsyncWs>(
        ioc,
        [&](const v1::ServerMessage& m) {
          if (m.has_assigned() && ++ready == 2 * o.pairs) start_measuring();
        },
        on_end);
  }
  for (int i = 0; i < o.pairs; ++i) {
    const auto idx = static_cast<std::size_t>(i);
    if (o.echo) {
      senders[idx]->open(server, source(i));
      continue;
    }
    receivers[idx]->open(server, source(i));
    v1::ClientMessage hello;
    hello.mutable_hello()->set_role(v1::ROLE_AGENT);
    hello.mutable_hello()->set_shop_id("relay");
    hello.mutable_hello()->set_token(
        net::mint_token(keys, "relay", "r" + std::to_string(i + 1), "agent", 3600));
    receivers[idx]->send(hello);
    v1::ClientMessage on;
    on.set_request_id("on");
    on.mutable_set_agent_status()->set_status(v1::AGENT_STATUS_ONLINE);
    receivers[idx]->send(on);
  }
  if (o.echo) {
    // Echo: a text frame of the same size; every echo received is one delivery.
    boost::asio::steady_timer go(ioc);
    go.expires_after(std::chrono::milliseconds(300));
    go.async_wait([&](boost::system::error_code) { start_measuring(); });
    ioc.run();
    return failed ? 1 : 0;
  }
  // Customers arrive once every agent is online (the first message starts the chat).
  boost::asio::steady_timer later(ioc);
  std::function<void()> wait_agents = [&] {
    if (ready < o.pairs) {
      later.expires_after(std::chrono::milliseconds(50));
      later.async_wait([&](boost::system::error_code) { wait_agents(); });
      return;
    }
    for (int i = 0; i < o.pairs; ++i) {
      const auto idx = static_cast<std::size_t>(i);
      senders[idx]->open(server, source(i));
      v1::ClientMessage hello;
      hello.mutable_hello()->set_role(v1::ROLE_CUSTOMER);
      hello.mutable_hello()->set_shop_id("relay");
      hello.mutable_hello()->set_token(net::mint_token(keys, "relay", "c" + std::to_string(i + 1), "customer", 3600));
      senders[idx]->send(hello);
      v1::ClientMessage enter;
      enter.mutable_enter();
      senders[idx]->send(enter);
      v1::ClientMessage first;
      first.mutable_send_text()->set_text("start");
      senders[idx]->send(first);
    }
  };
  wait_agents();
  ioc.run();
  return failed ? 1 : 0;
}

}  // namespace sb::load
