#include "http_session.hpp"

#include "static_files.hpp"

#include <algorithm>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include "api.hpp"
#include "server.hpp"
#include "websocket_session.hpp"

namespace sb::net {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {
constexpr std::chrono::seconds http_request_timeout{30};

// The client's address: the peer's, unless the peer is a trusted proxy that says in
// X-Forwarded-For whom it forwards (the last entry is the one it appended; earlier ones came
// from the client and prove nothing).
std::string client_address(const std::string& peer, std::string_view forwarded, const std::vector<std::string>& trusted) {
  if (forwarded.empty() || std::find(trusted.begin(), trusted.end(), peer) == trusted.end()) return peer;
  const auto comma = forwarded.rfind(',');
  std::string_view last = comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1);
  while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
  while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(std::string(last), ec);
  return ec ? peer : a.to_string();  // a proxy that forwards nonsense is counted as itself
}
}  // namespace

HttpSession::HttpSession(boost::asio::ip::tcp::socket&& socket, Server& server, Surface surface)
    : stream_(std::move(socket)), server_(server), surface_(surface) {}

void HttpSession::run() {
  boost::asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::do_read, shared_from_this()));
}

void HttpSession::do_read() {
  parser_.emplace();
  parser_->body_limit(server_.options().http_body_bytes_max);
  parser_->header_limit(16 * 1024);
  stream_.expires_after(std::min<std::chrono::steady_clock::duration>(http_request_timeout, server_.options().handshake_timeout));
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) {
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  if (ec) {
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      write(error_response(http::status::payload_too_large, 11, false, "request larger than the limit"));
    }
    return;  // timeouts and resets simply end the connection
  }
  auto& req = parser_->get();
  if (beast::websocket::is_upgrade(req)) {
    if (surface_ == Surface::admin_only) {
      write(error_response(http::status::not_found, req.version(), false, "chats connect to the public listener, not the admin one"));
      return;
    }
    // Any query string is the client's business (cache busters, widget versions); the shop in
    // the path is what a proxy routes on.
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    constexpr std::string_view shop_prefix = "/ws/shops/";
    std::string url_shop;
    if (path.rfind(shop_prefix, 0) == 0 && path.size() > shop_prefix.size() &&
        path.find('/', shop_prefix.size()) == std::string_view::npos) {
      url_shop = std::string(path.substr(shop_prefix.size()));
    } else if (path != "/ws") {
      write(error_response(http::status::not_found, req.version(), false, "WebSocket endpoints are /ws and /ws/shops/{shop}"));
      return;
    }
    const std::string origin(req[http::field::origin]);
    if (!origin_allowed(origin, std::string(req[http::field::host]), url_shop)) {
      server_.metrics().auth_failures.Add({{"reason", "origin"}}).Increment();
      write(error_response(http::status::forbidden, req.version(), false, "origin " + origin + " is not allowed"));
      return;
    }
    boost::system::error_code ec_addr;
    const std::string address = client_address(stream_.socket().remote_endpoint(ec_addr).address().to_string(),
                                               req["X-Forwarded-For"], server_.options().trusted_proxies);
    if (!server_.admit(address)) {
      server_.metrics().auth_failures.Add({{"reason", "address_limit"}}).Increment();
      write(error_response(http::status::too_many_requests, req.version(), false,
                           "too many connections from " + address));
      return;
    }
    stream_.expires_never();  // the WebSocket session sets its own timeouts
    std::make_shared<WebsocketSession>(stream_.release_socket(), server_, address, std::move(url_shop))->run(parser_->release());
    return;
  }
  if (surface_ != Surface::admin_only)
    if (auto file = serve_static(server_.options().web_dir, req)) {
      write(std::move(*file));
      return;
    }
  auto self = shared_from_this();
  handle_api(
      server_, parser_->release(),
      [self](http::response<http::string_body> res) {
        boost::asio::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
      },
      surface_);
}

// A browser's Origin must be one the server allows, or for /ws/shops/{shop} one of that shop's
// sites; with neither list set any origin may connect (non-browser clients send none). The
// server's own pages (/app/: workbench, console) are same-origin and always may.
bool HttpSession::origin_allowed(const std::string& origin, const std::string& host, const std::string& url_shop) const {
  if (origin.empty()) return true;
  if (!host.empty() && (origin == "http://" + host || origin == "https://" + host)) return true;
  const auto& server_list = server_.options().allowed_origins;
  const ShopRoute* route = url_shop.empty() ? nullptr : server_.route(url_shop);
  const std::vector<std::string> none;
  const auto& shop_list = route ? route->allowed_origins : none;
  if (server_list.empty() && shop_list.empty()) return true;
  auto has = [&](const std::vector<std::string>& l) { return std::find(l.begin(), l.end(), origin) != l.end(); };
  return has(server_list) || has(shop_list);
}

void HttpSession::write(http::response<http::string_body> res) {
  res.set(http::field::server, "switchboard");
  res.prepare_payload();
  const bool keep_alive = res.keep_alive();
  response_ = std::make_shared<http::response<http::string_body>>(std::move(res));
  http::async_write(stream_, *response_, beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), keep_alive));
}

void HttpSession::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  if (ec) return;
  if (!keep_alive) {
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  do_read();
}

}  // namespace sb::net
