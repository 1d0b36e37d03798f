#include "listener.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>

#include "http_session.hpp"
#include "server.hpp"

namespace sb::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(asio::io_context& ioc, Server& server, Surface surface)
    : acceptor_(asio::make_strand(ioc)), pause_(acceptor_.get_executor()), server_(server), surface_(surface) {}

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
    self->pause_.cancel();
  });
}

namespace {
constexpr std::chrono::milliseconds accept_backoff_min{10}, accept_backoff_max{1000};
constexpr std::chrono::seconds accept_log_interval{5};
}  // namespace

void Listener::on_accept_error(const boost::system::error_code& ec) {
  const bool files = ec == asio::error::no_descriptors || ec.value() == ENFILE;
  const bool memory = ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
  server_.metrics().accept_errors.Add({{"reason", files ? "files" : memory ? "memory" : "other"}}).Increment();
  ++failures_unlogged_;
  const auto now = std::chrono::steady_clock::now();
  if (now - logged_at_ >= accept_log_interval) {
    spdlog::warn("accept failed {} times since the last report: {}{}", failures_unlogged_, ec.message(),
                 files || memory ? "; pausing accepts with a backoff, open connections are still served" : "");
    failures_unlogged_ = 0;
    logged_at_ = now;
  }
  if (!files && !memory) {  // a per-connection failure (e.g. aborted): the next accept may work
    do_accept();
    return;
  }
  // Retrying at once would spin on the same error: wait, longer each time, for files to free up.
  backoff_ = std::clamp(backoff_ * 2, accept_backoff_min, accept_backoff_max);
  pause_.expires_after(backoff_);
  pause_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
    if (!wait_ec && self->acceptor_.is_open()) self->do_accept();
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(asio::make_strand(server_.next_context()),
                         [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
                           if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
                           if (ec) {
                             self->on_accept_error(ec);
                             return;
                           }
                           self->backoff_ = std::chrono::milliseconds(0);
                           if (self->server_.connections() >= self->server_.options().connections_max) {
                             self->server_.metrics().accept_errors.Add({{"reason", "connections_max"}}).Increment();
                             if (std::chrono::steady_clock::now() - self->logged_at_ >= accept_log_interval) {
                               spdlog::warn("refusing connections: {} open, server.connections_max", self->server_.connections());
                               self->logged_at_ = std::chrono::steady_clock::now();
                             }
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
