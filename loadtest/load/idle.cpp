#include "idle.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <vector>

#include "async_ws.hpp"

namespace sb::load {

namespace v1 = switchboard::v1;

int idle(const IdleOptions& o) {
  boost::asio::io_context ioc{1};
  const boost::asio::ip::tcp::endpoint server(boost::asio::ip::make_address(o.host), o.port);
  std::vector<std::shared_ptr<AsyncWs>> conns;
  int welcomed = 0, failed = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double open_s = 0;
  boost::asio::steady_timer hold(ioc);
  auto all_open = [&] {
    open_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("open: %d connections welcomed in %.1f s (%d failed); holding %d s\n", welcomed, open_s, failed, o.hold_s);
    std::fflush(stdout);
    if (!o.ready_file.empty()) std::ofstream(o.ready_file) << welcomed << "\n";
    hold.expires_after(std::chrono::seconds(o.hold_s));
    hold.async_wait([&](boost::system::error_code) {
      for (auto& c : conns) c->close();
    });
  };
  // Opened in batches so the server's accept queue is never the limit being measured.
  std::size_t next = 0;
  boost::asio::steady_timer pace(ioc);
  std::function<void()> open_batch = [&] {
    for (int k = 0; k < 200 && next < static_cast<std::size_t>(o.connections); ++k, ++next) {
      auto c = std::make_shared<AsyncWs>(
          ioc,
          [&](const v1::ServerMessage& m) {
            // A refused hello counts as failed (and says why), so a run never waits for it.
            if (m.has_error() && ++failed <= 5) std::fprintf(stderr, "switchboard-load: hello refused: %s\n", m.error().message().c_str());
            if ((m.has_welcome() && ++welcomed + failed == o.connections) || (m.has_error() && welcomed + failed == o.connections))
              all_open();
          },
          [&](const std::string& why) {
            if (why.empty()) return;
            if (++failed <= 5) std::fprintf(stderr, "switchboard-load: %s\n", why.c_str());
            if (welcomed + failed == o.connections) all_open();
          });
      const int src = o.sources > 1 ? 1 + static_cast<int>(next % static_cast<std::size_t>(o.sources)) : 0;
      c->open(server, src > 0 ? "127.0.0." + std::to_string(src) : std::string());
      v1::ClientMessage hello;
      hello.mutable_hello()->set_role(v1::ROLE_CUSTOMER);
      hello.mutable_hello()->set_shop_id(o.shop);
      c->send(hello);
      conns.push_back(std::move(c));
    }
    if (next < static_cast<std::size_t>(o.connections)) {
      pace.expires_after(std::chrono::milliseconds(20));
      pace.async_wait([&](boost::system::error_code) { open_batch(); });
    }
  };
  open_batch();
  ioc.run();
  return failed == 0 ? 0 : 1;
}

}  // namespace sb::load
