// Accepts TCP connections and hands each to an HttpSession on the next shard's loop. When the
// process runs out of files or memory, accepting pauses with a growing backoff (logged once per
// interval with a count) while open connections are served; it resumes when an accept works.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

#include <memory>

#include "api.hpp"

namespace sb::net {

class Server;

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(boost::asio::io_context& ioc, Server& server, Surface surface = Surface::all);
  // Throws on a bind failure: the server cannot start without its port.
  unsigned short open(const std::string& host, unsigned short port);
  void run();
  void stop();

 private:
  void do_accept();
  void on_accept_error(const boost::system::error_code& ec);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer pause_;
  std::chrono::milliseconds backoff_{0};  // 0: not paused
  std::uint64_t failures_unlogged_ = 0;
  std::chrono::steady_clock::time_point logged_at_{};
  Server& server_;
  Surface surface_;
};

}  // namespace sb::net
