#include "listener.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include "http_session.hpp"
#include "server.hpp"

namespace sb::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(asio::io_context& ioc, Server& server, Surface surface)
    : acceptor_(asio::make_strand(ioc)), server_(server), surface_(surface) {}

unsigned short Listener::open(const std::string& host, unsigned short port) {
  const tcp::endpoint ep{asio::ip::make_address(host), port};
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  return acceptor_.local_endpoint().port();
}

void Listener::run() { do_accept(); }

void Listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(asio::make_strand(server_.next_context()),
                         [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
                           if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
                           if (ec) {
                             // Out of file descriptors and the like: log, keep accepting.
                             spdlog::warn("accept failed: {}", ec.message());
                           } else if (self->server_.connections() >= self->server_.options().connections_max) {
                             spdlog::warn("refusing a connection: {} open, the limit", self->server_.connections());
                           } else {
                             // Chat frames are small: never let Nagle hold one back for a delayed ACK.
                             boost::system::error_code opt_ec;
                             socket.set_option(tcp::no_delay(true), opt_ec);
                             std::make_shared<HttpSession>(std::move(socket), self->server_, self->surface_)->run();
                           }
                           self->do_accept();
                         });
}

}  // namespace sb::net
