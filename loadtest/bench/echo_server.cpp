// The relay benchmark's baseline: a bare Boost.Beast WebSocket echo server (no routing, no
// protocol), built in this tree with the same compiler flags, threads and socket options as
// Switchboard. Prints "echo listening on 127.0.0.1:PORT" and serves until killed.
#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket s) : ws_(std::move(s)) {}
  void run() {
    ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->read();
    });
  }

 private:
  void read() {
    ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->ws_.text(self->ws_.got_text());
      self->ws_.async_write(self->buf_.data(), [self](beast::error_code ec, std::size_t) {
        if (ec) return;
        self->buf_.consume(self->buf_.size());
        self->read();
      });
    });
  }
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buf_;
};

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  std::vector<std::unique_ptr<asio::io_context>> loops;
  for (int i = 0; i < threads; ++i) loops.push_back(std::make_unique<asio::io_context>(1));
  tcp::acceptor acceptor(*loops[0], tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::printf("echo listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  std::size_t next = 0;
  std::function<void()> accept = [&] {
    acceptor.async_accept(*loops[next++ % loops.size()], [&](beast::error_code ec, tcp::socket s) {
      if (!ec) {
        s.set_option(tcp::no_delay(true));
        std::make_shared<Session>(std::move(s))->run();
      }
      accept();
    });
  };
  accept();
  std::vector<std::thread> workers;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& l : loops) guards.push_back(asio::make_work_guard(*l));
  for (std::size_t i = 1; i < loops.size(); ++i) workers.emplace_back([&, i] { loops[i]->run(); });
  loops[0]->run();
}
