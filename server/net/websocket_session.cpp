#include "websocket_session.hpp"

#include <spdlog/spdlog.h>

#include "codec.hpp"
#include "core/proto_time.hpp"
#include "server.hpp"
#include "shard.hpp"
#include "hello_auth.hpp"
#include "message_rules.hpp"
#include "token.hpp"

namespace sb::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace v1 = switchboard::v1;

namespace {

// Frames a client may pipeline behind its hello before the core has answered it.
constexpr std::size_t waiting_frames_max = 32;

}  // namespace

WebsocketSession::WebsocketSession(boost::asio::ip::tcp::socket&& socket, Server& server, std::string address,
                                   std::string url_shop)
    : ws_(std::move(socket)),
      close_deadline_(ws_.get_executor()),
      server_(server),
      url_shop_(std::move(url_shop)),
      address_(std::move(address)),
      tokens_(2 * server.options().messages_per_second_max) {
  server_.metrics().connections_open.Increment();
  server_.metrics().connections_total.Increment();
}

WebsocketSession::~WebsocketSession() {
  server_.release(address_);
  server_.metrics().connections_open.Decrement();
}

void WebsocketSession::run(beast::http::request<beast::http::string_body> req) {
  const auto& opt = server_.options();
  ws_.set_option(websocket::stream_base::timeout{opt.handshake_timeout, opt.idle_timeout, true});
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "switchboard"); }));
  ws_.read_message_max(opt.frame_bytes_max);
  ws_.auto_fragment(false);
  server_.track(shared_from_this());
  ws_.async_accept(req, beast::bind_front_handler(&WebsocketSession::on_accept, shared_from_this()));
}

void WebsocketSession::on_accept(beast::error_code ec) {
  if (ec) {
    spdlog::debug("websocket accept failed: {}", ec.message());
    ended();
    return;
  }
  accepted_ = true;
  // A shutdown may have been queued while the handshake response was still being written.
  if (!queue_.empty()) do_write();
  else if (close_after_flush_) close_with(websocket::close_code::going_away, "server shutting down");
  do_read();
}

void WebsocketSession::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&WebsocketSession::on_read, shared_from_this()));
}

void WebsocketSession::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    if (ec != websocket::error::closed) spdlog::debug("websocket read ended: {}", ec.message());
    else if (ws_.reason().code == websocket::close_code::normal && !stopping_) departure_ = core::Departure::goodbye;
    ended();
    return;
  }
  server_.metrics().frames_in.Increment();
  const auto data = buffer_.cdata();
  on_frame(std::string_view(static_cast<const char*>(data.data()), data.size()), ws_.got_text());
  buffer_.release();
  if (!closing_) do_read();
}

void WebsocketSession::on_frame(std::string_view payload, bool text) {
  text_ = text;
  const double rate = server_.options().messages_per_second_max;
  const auto now = std::chrono::steady_clock::now();
  tokens_ = std::min(2 * rate, tokens_ + rate * std::chrono::duration<double>(now - refilled_).count());
  refilled_ = now;
  if (tokens_ < 1) {
    if (++strikes_ >= server_.options().throttle_strikes_max) {
      server_.metrics().auth_failures.Add({{"reason", "rate_limit"}}).Increment();
      close_with(websocket::close_code::policy_error, "message rate limit");
      return;
    }
    send_error(v1::ERROR_CODE_UNAVAILABLE,
               "throttled: more than " + std::to_string(static_cast<int>(rate)) + " messages per second; this one was dropped",
               {});
    return;
  }
  tokens_ -= 1;
  strikes_ = 0;
  Decoded d = decode_frame(payload, text);
  if (!d.ok) {
    send_error(d.code, d.error, d.request_id);
    return;
  }
  // Nothing reaches a shard, let alone the journal, unless every field keeps the rules.
  if (auto c = check_client_message(d.message); !c) {
    send_error(c.error().code, c.error().message, d.request_id);
    return;
  }
  if (d.message.has_ping()) {  // liveness: answered here, before and after hello
    auto pong = std::make_shared<v1::ServerMessage>();
    pong->set_request_id(d.request_id);
    core::set_time(pong->mutable_pong()->mutable_server_time(), server_.clock().now());
    send(std::move(pong));
    return;
  }
  if (d.message.has_hello()) {
    on_hello(std::move(d.message));
    return;
  }
  forward(std::move(d.message));
}

void WebsocketSession::forward(v1::ClientMessage msg) {
  if (bound_) {
    shard_->handle(shared_from_this(), std::move(msg));
    return;
  }
  if (!hello_pending_) {
    send_error(v1::ERROR_CODE_NOT_AUTHENTICATED, "send hello first", msg.request_id());
    return;
  }
  if (waiting_.size() >= waiting_frames_max) {
    send_error(v1::ERROR_CODE_UNAVAILABLE,
               "more than " + std::to_string(waiting_frames_max) + " messages sent before the hello was answered; this one was dropped",
               msg.request_id());
    return;
  }
  waiting_.push_back(std::move(msg));
}

void WebsocketSession::refuse(v1::ErrorCode code, std::string text, const std::string& request_id, const char* reason) {
  if (reason != nullptr) server_.metrics().auth_failures.Add({{"reason", reason}}).Increment();
  spdlog::info("hello refused: {}", text);  // the text never contains the token
  send_error(code, std::move(text), request_id);
}

void WebsocketSession::on_hello(v1::ClientMessage msg) {
  const std::string& rid = msg.request_id();
  if (bound_ || hello_pending_) {
    send_error(v1::ERROR_CODE_INVALID_STATE,
               bound_ ? "hello was already accepted on this connection" : "a hello is already being answered", rid);
    return;
  }
  const auto shop = hello_shop(msg.hello(), url_shop_);
  if (!shop) return send_error(shop.error().code, shop.error().message, rid);
  const ShopRoute* route = server_.route(*shop);
  const char* reason = nullptr;
  const std::optional<std::string> elsewhere = route == nullptr ? server_.shop_elsewhere(*shop) : std::nullopt;
  auto actor = authenticate(server_.options().keys, msg.hello(), *shop, route, elsewhere ? &*elsewhere : nullptr, unix_now_s(), reason);
  if (!actor) return refuse(actor.error().code, actor.error().message, rid, reason);
  shard_ = &server_.shard(route->shard);
  hello_pending_ = true;
  shard_->join(shared_from_this(), std::move(*actor), std::move(msg));
}

void WebsocketSession::send_error(v1::ErrorCode code, std::string text, const std::string& request_id) {
  auto m = std::make_shared<v1::ServerMessage>();
  m->set_request_id(request_id);
  m->mutable_error()->set_code(code);
  m->mutable_error()->set_message(std::move(text));
  server_.metrics().errors.Add({{"code", v1::ErrorCode_Name(code)}}).Increment();
  send(std::move(m));
}

void WebsocketSession::hello_answered(bool welcomed) {
  boost::asio::post(ws_.get_executor(), [self = shared_from_this(), welcomed] {
    self->hello_pending_ = false;
    if (self->ended_) return;
    if (welcomed) self->bound_ = true;
    auto waiting = std::move(self->waiting_);
    self->waiting_.clear();
    for (auto& m : waiting) {
      if (welcomed) self->shard_->handle(self, std::move(m));
      else self->send_error(v1::ERROR_CODE_NOT_AUTHENTICATED, "the hello before this message was refused", m.request_id());
    }
  });
}

void WebsocketSession::send(std::shared_ptr<const v1::ServerMessage> msg) {
  send(std::make_shared<const OutgoingFrame>(std::move(msg)));
}

void WebsocketSession::send(std::shared_ptr<const OutgoingFrame> frame) {
  boost::asio::post(ws_.get_executor(), [self = shared_from_this(), frame = std::move(frame)]() mutable {
    self->enqueue(std::move(frame));
  });
}

void WebsocketSession::shut_down(std::string reason, std::uint32_t reconnect_after_ms) {
  boost::asio::post(ws_.get_executor(), [self = shared_from_this(), reason = std::move(reason), reconnect_after_ms] {
    auto m = std::make_shared<v1::ServerMessage>();
    m->mutable_shutdown()->set_reason(reason);
    m->mutable_shutdown()->set_reconnect_after_ms(reconnect_after_ms);
    self->enqueue(std::make_shared<const OutgoingFrame>(std::move(m)));
    self->close_after_flush_ = true;
    self->stopping_ = true;
    if (self->accepted_ && !self->writing_) self->close_with(websocket::close_code::going_away, "server shutting down");
  });
}

void WebsocketSession::enqueue(std::shared_ptr<const OutgoingFrame> frame) {
  if (closing_ || ended_) return;
  if (queue_.size() >= server_.options().send_queue_messages_max) {
    // A peer that does not read must not make us hold more: close it, its chats are handled as a disconnect.
    server_.metrics().send_queue_overflows.Increment();
    spdlog::warn("closing a connection whose send queue is full ({} frames)", queue_.size());
    departure_ = core::Departure::goodbye;  // evicted: its chats are not held for a reconnect
    ended();  // its chats are handled as a disconnect now, not when the close completes
    close_with(websocket::close_code::policy_error, "send queue full");
    return;
  }
  frame->bytes(text_);  // encoded now (once for every receiver of this format), not on the write path
  queue_.push_back(Queued{std::move(frame), text_});
  if (accepted_ && !writing_) do_write();
}

void WebsocketSession::do_write() {
  writing_ = true;
  const Queued& next = queue_.front();
  ws_.text(next.text);
  ws_.async_write(boost::asio::buffer(next.frame->bytes(next.text)),
                  beast::bind_front_handler(&WebsocketSession::on_write, shared_from_this()));
}

void WebsocketSession::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) {
    ended();
    return;
  }
  server_.metrics().frames_out.Increment();
  queue_.pop_front();
  if (closing_) return;
  if (!queue_.empty()) {
    do_write();
  } else if (close_after_flush_) {
    close_with(websocket::close_code::going_away, "server shutting down");
  }
}

void WebsocketSession::close_with(websocket::close_code code, std::string reason) {
  if (closing_) return;
  closing_ = true;
  // We decided to end it: nothing to hold, unless the node is stopping and the client was told
  // to come back (to this node after its restart, or to the shop's new owner).
  departure_ = stopping_ ? core::Departure::dropped : core::Departure::goodbye;
  if (!accepted_) {  // no close frame during the handshake: drop the socket, the accept then ends the session
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    return;
  }
  // The frame being written must outlive its write; everything behind it is dropped.
  queue_.erase(writing_ && !queue_.empty() ? std::next(queue_.begin()) : queue_.begin(), queue_.end());
  // Beast allows one close alongside an outstanding write.
  auto self = shared_from_this();
  ws_.async_close(websocket::close_reason(code, reason), [self](beast::error_code) {
    self->close_deadline_.cancel();
    self->ended();
  });
  close_deadline_.expires_after(std::chrono::seconds(2));
  close_deadline_.async_wait([self](beast::error_code ec) {
    if (ec) return;  // the close finished in time
    beast::error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
    self->ended();
  });
}

void WebsocketSession::ended() {
  if (ended_) return;
  ended_ = true;
  closing_ = true;
  if (shard_ != nullptr) shard_->leave(shared_from_this(), departure_);
  server_.untrack(this);
}

}  // namespace sb::net
