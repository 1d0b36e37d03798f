#include "async_ws.hpp"

#include <google/protobuf/util/json_util.h>

#include "net/codec.hpp"
#include "net/json_reader.hpp"
#include "net/token.hpp"

namespace sb::load {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;
namespace v1 = switchboard::v1;

AsyncWs::AsyncWs(boost::asio::io_context& ioc, OnMessage on_message, OnEnd on_end)
    : ws_(ioc), on_message_(std::move(on_message)), on_end_(std::move(on_end)) {}

void AsyncWs::open(const tcp::endpoint& server, const std::string& source, std::string target) {
  target_ = std::move(target);
  auto& sock = beast::get_lowest_layer(ws_).socket();
  beast::error_code ec;
  sock.open(tcp::v4(), ec);
  if (ec) return fail("socket: " + ec.message());
  if (!source.empty()) {
    sock.bind(tcp::endpoint(boost::asio::ip::make_address(source), 0), ec);
    if (ec) return fail("bind " + source + ": " + ec.message());
  }
  sock.set_option(tcp::no_delay(true), ec);
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(ws_).async_connect(server, beast::bind_front_handler(&AsyncWs::on_connect, shared_from_this()));
}

void AsyncWs::on_connect(beast::error_code ec) {
  if (ec) return fail("connect: " + ec.message());
  ws_.async_handshake("127.0.0.1", target_, beast::bind_front_handler(&AsyncWs::on_handshake, shared_from_this()));
}

void AsyncWs::on_handshake(beast::error_code ec) {
  if (ec) return fail("handshake: " + ec.message());
  beast::get_lowest_layer(ws_).expires_never();
  ws_.text(true);
  open_ = true;
  do_read();
  if (!out_.empty()) do_write();
}

void AsyncWs::do_read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) {
      if (self->closing_ && (ec == websocket::error::closed || ec == boost::asio::error::operation_aborted)) {
        if (!self->ended_) {
          self->ended_ = true;
          self->on_end_({});
        }
        return;
      }
      return self->fail("read: " + ec.message());
    }
    v1::ServerMessage m;
    const auto data = self->buffer_.cdata();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    bool parsed = net::read_json(text, m);
    if (!parsed) {
      m.Clear();
      google::protobuf::util::JsonParseOptions opts;
      opts.ignore_unknown_fields = true;  // a newer server may say more
      parsed = google::protobuf::util::JsonStringToMessage(std::string(text), &m, opts).ok();
    }
    if (parsed) self->on_message_(m);
    self->buffer_.consume(self->buffer_.size());
    self->do_read();
  });
}

void AsyncWs::send(const v1::ClientMessage& msg) {
  if (closing_ || ended_) return;
  out_.push_back(net::to_json(msg));
  if (open_ && !writing_) do_write();
}

void AsyncWs::do_write() {
  if (out_.empty()) {
    writing_ = false;
    if (closing_ && open_) {
      ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) {});
    }
    return;
  }
  writing_ = true;
  ws_.async_write(boost::asio::buffer(out_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->fail("write: " + ec.message());
    self->out_.pop_front();
    self->do_write();
  });
}

void AsyncWs::close() {
  if (closing_ || ended_) return;
  closing_ = true;
  if (open_ && !writing_) do_write();
}

void AsyncWs::fail(const std::string& why) {
  if (ended_) return;
  ended_ = true;
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
  on_end_(why);
}

void say_hello_as_agent(AsyncWs& ws, const net::KeyRing& keys, const std::string& shop, const std::string& agent, bool online) {
  switchboard::v1::ClientMessage hello;
  hello.mutable_hello()->set_role(switchboard::v1::ROLE_AGENT);
  hello.mutable_hello()->set_shop_id(shop);
  hello.mutable_hello()->set_token(net::mint_token(keys, shop, agent, "agent", 86'400));
  ws.send(hello);
  if (!online) return;
  switchboard::v1::ClientMessage on;
  on.set_request_id("on");
  on.mutable_set_agent_status()->set_status(switchboard::v1::AGENT_STATUS_ONLINE);
  ws.send(on);
}

void start_chat_as_customer(AsyncWs& ws, const net::KeyRing& keys, const std::string& shop, const std::string& customer,
                            const std::string& first_text) {
  switchboard::v1::ClientMessage hello;
  hello.mutable_hello()->set_role(switchboard::v1::ROLE_CUSTOMER);
  hello.mutable_hello()->set_shop_id(shop);
  hello.mutable_hello()->set_token(net::mint_token(keys, shop, customer, "customer", 86'400));
  ws.send(hello);
  switchboard::v1::ClientMessage enter;
  enter.mutable_enter();
  ws.send(enter);
  switchboard::v1::ClientMessage first;
  first.mutable_send_text()->set_text(first_text);
  ws.send(first);
}

}  // namespace sb::load
