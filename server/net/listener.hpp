// Accepts TCP connections and hands each to an HttpSession on the next shard's loop.
#pragma once

#include <boost/asio/ip/tcp.hpp>

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

  boost::asio::ip::tcp::acceptor acceptor_;
  Server& server_;
  Surface surface_;
};

}  // namespace sb::net
