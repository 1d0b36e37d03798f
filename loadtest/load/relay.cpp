// The relay benchmark: pairs of customer and agent, each customer keeping `window` texts in
// flight; counts deliveries per second after a one-second warm-up. The echo mode is the
// baseline: the same frames against a bare WebSocket echo server.
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

namespace {

class RelayRun {
 public:
  RelayRun(const RelayOptions& o, net::KeyRing keys)
      : o_(o), keys_(std::move(keys)), server_(boost::asio::ip::make_address(o.host), o.port), clock_(ioc_), later_(ioc_),
        senders_(static_cast<std::size_t>(o.pairs)), receivers_(static_cast<std::size_t>(o.pairs)) {
    text_.mutable_send_text()->set_text(std::string(100, 'x'));  // a typical chat line
  }

  int run() {
    for (std::size_t i = 0; i < senders_.size(); ++i) o_.echo ? make_echo(i) : make_pair(i);
    if (o_.echo) {
      // Echo: a text frame of the same size; every echo received is one delivery.
      for (std::size_t i = 0; i < senders_.size(); ++i) senders_[i]->open(server_, source(i));
      later_.expires_after(std::chrono::milliseconds(300));
      later_.async_wait([this](boost::system::error_code) { start_measuring(); });
    } else {
      open_agents();
      wait_agents();
    }
    ioc_.run();
    return failed_ ? 1 : 0;
  }

 private:
  std::string source(std::size_t i) const {
    return o_.sources > 1 ? "127.0.0." + std::to_string(1 + i % static_cast<std::size_t>(o_.sources)) : std::string();
  }

  void on_end(const std::string& why) {
    if (why.empty() || failed_) return;
    failed_ = true;
    std::fprintf(stderr, "switchboard-load: %s\n", why.c_str());
    ioc_.stop();
  }

  // One connection sends and reads its own echoes.
  void make_echo(std::size_t i) {
    senders_[i] = std::make_shared<AsyncWs>(
        ioc_,
        [this, i](const v1::ServerMessage&) {
          ++delivered_;
          senders_[i]->send(text_);  // keep the window full
        },
        [this](const std::string& why) { on_end(why); });
    receivers_[i] = senders_[i];
  }

  void make_pair(std::size_t i) {
    receivers_[i] = std::make_shared<AsyncWs>(
        ioc_,
        [this, i](const v1::ServerMessage& m) {
          if (m.has_chat_message()) {
            ++delivered_;
            senders_[i]->send(text_);  // keep the window full
          } else if (m.request_id() == "on" && ++ready_ == 2 * o_.pairs) {
            start_measuring();
          }
        },
        [this](const std::string& why) { on_end(why); });
    senders_[i] = std::make_shared<AsyncWs>(
        ioc_,
        [this](const v1::ServerMessage& m) {
          if (m.has_assigned() && ++ready_ == 2 * o_.pairs) start_measuring();
        },
        [this](const std::string& why) { on_end(why); });
  }

  void open_agents() {
    for (std::size_t i = 0; i < receivers_.size(); ++i) {
      receivers_[i]->open(server_, source(i));
      say_hello_as_agent(*receivers_[i], keys_, "relay", "r" + std::to_string(i + 1));
    }
  }

  // Customers arrive once every agent is online (the first message starts the chat).
  void wait_agents() {
    if (ready_ < o_.pairs) {
      later_.expires_after(std::chrono::milliseconds(50));
      later_.async_wait([this](boost::system::error_code) { wait_agents(); });
      return;
    }
    for (std::size_t i = 0; i < senders_.size(); ++i) {
      senders_[i]->open(server_, source(i));
      start_chat_as_customer(*senders_[i], keys_, "relay", "c" + std::to_string(i + 1), "start");
    }
  }

  // Fills every window, warms up one second, then counts for `seconds`.
  void start_measuring() {
    for (auto& s : senders_)
      for (int k = 0; k < o_.window; ++k) s->send(text_);
    clock_.expires_after(std::chrono::seconds(1));
    clock_.async_wait([this](boost::system::error_code) {
      counted_from_ = delivered_;
      t_start_ = Steady::now();
      clock_.expires_after(std::chrono::seconds(o_.seconds));
      clock_.async_wait([this](boost::system::error_code) { report(); });
    });
  }

  void report() {
    const double s = std::chrono::duration<double>(Steady::now() - t_start_).count();
    std::printf("RATE %.0f messages/s delivered (%s, %d pairs, window %d, %.1f s)\n",
                static_cast<double>(delivered_ - counted_from_) / s, o_.echo ? "echo" : "switchboard", o_.pairs, o_.window, s);
    std::fflush(stdout);
    ioc_.stop();
  }

  const RelayOptions& o_;
  net::KeyRing keys_;
  boost::asio::io_context ioc_{1};
  boost::asio::ip::tcp::endpoint server_;
  boost::asio::steady_timer clock_, later_;
  std::vector<std::shared_ptr<AsyncWs>> senders_, receivers_;
  v1::ClientMessage text_;
  std::uint64_t delivered_ = 0, counted_from_ = 0;
  bool failed_ = false;
  int ready_ = 0;
  Steady::time_point t_start_;
};

}  // namespace

int relay(const RelayOptions& o) {
  net::KeyRing keys;
  if (!o.echo) {
    try {
      keys = app::load_config(o.config).server.keys;
    } catch (const app::ConfigError& e) {
      std::fprintf(stderr, "switchboard-load: %s\n", e.what());
      return 2;
    }
  }
  return RelayRun(o, std::move(keys)).run();
}

}  // namespace sb::load
