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
    : socket_(socket.get_executor()),
      timer_(socket.get_executor()),
      reader_(server.options().frame_bytes_max),
      server_(server),
      url_shop_(std::move(url_shop)),
      address_(std::move(address)),
      tokens_(2 * server.options().messages_per_second_max) {
  handshake_ = std::make_unique<websocket::stream<beast::tcp_stream>>(std::move(socket));
  server_.metrics().connections_open.Increment();
  server_.metrics().connections_total.Increment();
}

WebsocketSession::~WebsocketSession() {
  server_.release(address_);
  server_.metrics().connections_open.Decrement();
}

void WebsocketSession::run(beast::http::request<beast::http::string_body> req) {
  const auto& opt = server_.options();
  handshake_->set_option(websocket::stream_base::timeout{opt.handshake_timeout, websocket::stream_base::none(), false});
  handshake_->set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "switchboard"); }));
  server_.track(shared_from_this());
  handshake_->async_accept(req, beast::bind_front_handler(&WebsocketSession::on_accept, shared_from_this()));
}

void WebsocketSession::on_accept(beast::error_code ec) {
  if (ec) {
    spdlog::debug("websocket accept failed: {}", ec.message());
    handshake_.reset();
    ended();
    return;
  }
  // From here the frames are ours (ws_frames.hpp): Beast's stream state is given back.
  socket_ = beast::get_lowest_layer(*handshake_).release_socket();
  handshake_.reset();
  socket_.non_blocking(true, ec);
  accepted_ = true;
  arm_idle();
  if (closing_) {  // decided while the handshake was being answered
    close_socket();
    return;
  }
  // A shutdown may have been queued while the handshake response was still being written.
  if (!queue_.empty()) do_write();
  else if (close_after_flush_) close_with(websocket::close_code::going_away, "server shutting down");
  // Read first: the hello may be here already, and the reactor reports a readable socket once
  // (edge-triggered), maybe before anyone waited for it.
  on_readable({});
}

// Waits for the socket to be readable, holding nothing meanwhile; then reads what is there into
// the thread's buffer and hands it to the frame reader. Called only after a read found the
// socket empty (would_block): the reactor reports edges, so a wait is only ever armed once
// everything there was read.
void WebsocketSession::do_read() {
  socket_.async_wait(boost::asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](beast::error_code ec) { self->on_readable(ec); });
}

void WebsocketSession::on_readable(beast::error_code ec) {
  thread_local std::array<char, 64 * 1024> chunk;
  std::size_t n = 0;
  if (!ec) n = socket_.read_some(boost::asio::buffer(chunk), ec);
  if (ec == boost::asio::error::would_block) return do_read();  // the reactor reports edges: read until empty
  if (ec) {
    if (ec != boost::asio::error::operation_aborted && ec != boost::asio::error::eof)
      spdlog::debug("websocket read ended: {}", ec.message());
    close_socket();
    ended();
    return;
  }
  heard_ = true;
  consume(chunk.data(), n);
}

// One data message per turn of the loop, as Beast read them: the replies to it (written as the
// loop turns) go out before the next is handled, so a burst cannot fill the send queue at once.
// What is left of the bytes waits in `backlog_` (empty while the connection is idle).
void WebsocketSession::consume(const char* data, std::size_t n) {
  const std::size_t used = reader_.feed(data, n, *this);
  if (reader_.done()) return;  // a close or a failure: no more reading
  if (used < n) backlog_.assign(data + used, n - used);
  boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->backlog_.empty()) return self->on_readable({});
    std::string rest = std::move(self->backlog_);
    self->backlog_.clear();
    self->consume(rest.data(), rest.size());
  });
}

void WebsocketSession::on_message(std::string_view payload, bool text) {
  if (closing_) return;  // after our close: nothing more is processed
  server_.metrics().frames_in.Increment();
  on_frame(payload, text);
}

void WebsocketSession::on_ping(std::string_view payload) {
  if (!closing_) send_control(0xA, std::string(payload));  // the pong carries the ping's payload
}

// The peer's close: answered with its code (or 1000 if it gave none) unless ours went first;
// the connection ends once that is written.
void WebsocketSession::on_close(std::uint16_t code, std::string_view) {
  peer_closed_ = true;
  if (code == static_cast<std::uint16_t>(websocket::close_code::normal) && !stopping_ && !closing_)
    departure_ = core::Departure::goodbye;
  if (close_sent_) {
    close_socket();
    ended();
    return;
  }
  closing_ = true;
  send_close(code == 0 ? static_cast<std::uint16_t>(websocket::close_code::normal) : code, {});
}

void WebsocketSession::on_fail(std::uint16_t code, const char* why) {
  spdlog::debug("websocket failed ({}): {}", code, why);
  peer_closed_ = true;  // no close handshake with a peer that broke the protocol
  if (close_sent_) {
    close_socket();
    ended();
    return;
  }
  closing_ = true;
  send_close(code, {});
}

void WebsocketSession::arm_idle() {
  const auto idle = server_.options().idle_timeout;
  if (idle.count() <= 0 || closing_) return;
  timer_.expires_after(idle / 2);
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->on_idle_tick();
  });
}

// Every idle_timeout/2: quiet since the last tick, a ping; quiet again, the connection is gone.
void WebsocketSession::on_idle_tick() {
  if (closing_ || ended_) return;
  if (heard_) {
    heard_ = false;
    pinged_ = false;
  } else if (!pinged_) {
    pinged_ = true;
    send_control(0x9, {});
  } else {
    spdlog::debug("websocket idle for {} ms: closed", server_.options().idle_timeout.count());
    close_socket();
    ended();
    return;
  }
  arm_idle();
}

void WebsocketSession::send_control(std::uint8_t opcode, std::string payload) {
  if (ended_ && !closing_) return;
  queue_.push_back(Queued{nullptr, false, opcode, std::move(payload)});
  if (accepted_ && !writing_) do_write();
}

void WebsocketSession::send_close(std::uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xff));
  payload.append(reason.substr(0, 123));
  // The frames being written must outlive their write; everything behind them is dropped.
  queue_.erase(std::next(queue_.begin(), static_cast<std::ptrdiff_t>(writing_ ? writing_n_ : 0)), queue_.end());
  close_sent_ = true;
  send_control(0x8, std::move(payload));
}

void WebsocketSession::close_socket() {
  beast::error_code ignored;
  timer_.cancel();
  if (handshake_) beast::get_lowest_layer(*handshake_).socket().close(ignored);
  if (!socket_.is_open()) return;
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
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
  boost::asio::post(socket_.get_executor(), [self = shared_from_this(), welcomed] {
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
  boost::asio::post(socket_.get_executor(), [self = shared_from_this(), frame = std::move(frame)]() mutable {
    self->enqueue(std::move(frame));
  });
}

void WebsocketSession::shut_down(std::string reason, std::uint32_t reconnect_after_ms) {
  boost::asio::post(socket_.get_executor(), [self = shared_from_this(), reason = std::move(reason), reconnect_after_ms] {
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
    close_with(websocket::close_code::policy_error, "send queue full");  // forcibly after 2 s if it does not read that either
    departure_ = core::Departure::goodbye;  // evicted: its chats are not held for a reconnect
    ended();  // its chats are handled as a disconnect now, not when the close completes
    return;
  }
  frame->bytes(text_);  // encoded now (once for every receiver of this format), not on the write path
  queue_.push_back(Queued{std::move(frame), text_, 0, {}});
  if (accepted_ && !writing_) do_write();
}

void WebsocketSession::do_write() {
  writing_ = true;
  std::array<boost::asio::const_buffer, 2 * write_frames_max> buffers{};
  writing_n_ = 0;
  for (auto it = queue_.begin(); it != queue_.end() && writing_n_ < write_frames_max; ++it) {
    Queued& next = *it;
    const std::string_view payload = next.frame ? next.frame->bytes(next.text) : std::string_view(next.payload);
    const std::uint8_t opcode = next.frame ? (next.text ? 0x1 : 0x2) : next.control;
    const std::size_t n = frame_header(opcode, payload.size(), next.header);
    buffers[2 * writing_n_] = boost::asio::buffer(next.header.data(), n);
    buffers[2 * writing_n_ + 1] = boost::asio::buffer(payload.data(), payload.size());
    ++writing_n_;
    if (opcode == 0x8) break;  // nothing is written after a close
  }
  boost::asio::async_write(socket_, buffers, beast::bind_front_handler(&WebsocketSession::on_write, shared_from_this()));
}

void WebsocketSession::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) {
    close_socket();
    ended();
    return;
  }
  bool was_close = false;
  for (; writing_n_ > 0; --writing_n_) {
    was_close = queue_.front().control == 0x8;
    if (queue_.front().frame) server_.metrics().frames_out.Increment();
    queue_.pop_front();
  }
  if (was_close) {
    if (peer_closed_) {  // the handshake is complete (or there is none with this peer)
      close_socket();
      ended();
    }
    return;  // else the peer's close ends it, or the deadline does
  }
  if (!queue_.empty()) {
    do_write();
  } else if (close_after_flush_ && !closing_) {
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
    close_socket();
    return;
  }
  send_close(static_cast<std::uint16_t>(code), reason);
  timer_.expires_after(std::chrono::seconds(2));
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec) return;  // the close finished in time
    self->close_socket();
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
