// One HTTP connection: answers the API and /metrics, or hands the socket to a WebsocketSession
// when the request is an upgrade on /ws.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>

#include "api.hpp"

namespace sb::net {

class Server;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket&& socket, Server& server, Surface surface);
  void run();

 private:
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void write(boost::beast::http::response<boost::beast::http::string_body> res);
  bool origin_allowed(const std::string& origin, const std::string& host, const std::string& url_shop) const;
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<boost::beast::http::response<boost::beast::http::string_body>> response_;
  Server& server_;
  Surface surface_;
};

}  // namespace sb::net
