#include "websocket_session.hpp"

#include <spdlog/spdlog.h>

#include "codec.hpp"
#include "core/proto_time.hpp"
#include "server.hpp"
#include "shard.hpp"
#include "token.hpp"

namespace sb::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace v1 = switchboard::v1;

namespace {

constexpr std::size_t member_id_bytes_max = 128;

const char* role_name(v1::Role r) {
  switch (r) {
    case v1::ROLE_CUSTOMER: return "customer";
    case v1::ROLE_AGENT: return "agent";
    case v1::ROLE_SUPERVISOR: return "supervisor";
    default: return "unspecified";
  }
}

}  // namespace

WebsocketSession::WebsocketSession(boost::asio::ip::tcp::socket&& socket, Server& server, std::string address)
    : ws_(std::move(socket)),
      close_deadline_(ws_.get_executor()),
      server_(server),
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
    else if (ws_.reason().code == websocket::close_code::normal) departure_ = core::Departure::goodbye;
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
  if (d.message.has_hello()) {
    on_hello(d.message);
    return;
  }
  if (shard_ == nullptr) {
    if (d.message.has_ping()) {  // liveness works before hello
      auto pong = std::make_shared<v1::ServerMessage>();
      pong->set_request_id(d.request_id);
      core::set_time(pong->mutable_pong()->mutable_server_time(), server_.clock().now());
      send(std::move(pong));
      return;
    }
    send_error(v1::ERROR_CODE_NOT_AUTHENTICATED, "send hello first", d.request_id);
    return;
  }
  shard_->handle(shared_from_this(), actor_, std::move(d.message));
}

void WebsocketSession::refuse(v1::ErrorCode code, std::string text, const std::string& request_id, const char* reason) {
  server_.metrics().auth_failures.Add({{"reason", reason}}).Increment();
  spdlog::info("hello refused: {}", text);  // the text never contains the token
  send_error(code, std::move(text), request_id);
}

void WebsocketSession::on_hello(const v1::ClientMessage& msg) {
  const auto& h = msg.hello();
  const std::string& rid = msg.request_id();
  if (shard_ != nullptr) {
    send_error(v1::ERROR_CODE_INVALID_STATE, "hello was already accepted on this connection", rid);
    return;
  }
  if (h.role() != v1::ROLE_CUSTOMER && h.role() != v1::ROLE_AGENT && h.role() != v1::ROLE_SUPERVISOR) {
    send_error(v1::ERROR_CODE_INVALID_ARGUMENT, "hello.role must be ROLE_CUSTOMER, ROLE_AGENT or ROLE_SUPERVISOR", rid);
    return;
  }
  const ShopRoute* route = server_.route(h.shop_id());
  if (route == nullptr) {
    send_error(v1::ERROR_CODE_NOT_FOUND, "no shop \"" + h.shop_id() + "\" on this server", rid);
    return;
  }
  core::Actor actor{h.role(), h.shop_id(), {}};
  const bool customer = h.role() == v1::ROLE_CUSTOMER;
  if (customer) {
    if (h.member_id().empty() || h.member_id().size() > member_id_bytes_max) {
      send_error(v1::ERROR_CODE_INVALID_ARGUMENT, "hello.member_id must be 1 to 128 bytes for customers", rid);
      return;
    }
    actor.person = h.member_id();
  }
  const std::string& secret = server_.options().token_secret;
  if (!h.resume_token().empty()) {
    // Issued by this server in an earlier Welcome: stands in for the role's own token.
    const TokenCheck check = verify_token(secret, h.resume_token(), unix_now_s());
    if (!check.ok) return refuse(v1::ERROR_CODE_BAD_TOKEN, "resume token: " + check.error, rid, "bad_token");
    const std::string prefix = std::string(role_name(h.role())) + ":";
    if (check.claims.role != "resume" || check.claims.shop != h.shop_id() || check.claims.person.rfind(prefix, 0) != 0 ||
        (customer && check.claims.person.substr(prefix.size()) != h.member_id()))
      return refuse(v1::ERROR_CODE_BAD_TOKEN, "resume token is not for this shop, role and person", rid, "wrong_resume");
    actor.person = check.claims.person.substr(prefix.size());
  } else if (!customer || route->customer_token_required || !h.token().empty()) {
    const TokenCheck check = verify_token(server_.options().token_secret, h.token(), unix_now_s());
    if (!check.ok) return refuse(v1::ERROR_CODE_BAD_TOKEN, check.error, rid, "bad_token");
    if (check.claims.shop != h.shop_id())
      return refuse(v1::ERROR_CODE_BAD_TOKEN, "token is for shop \"" + check.claims.shop + "\", not \"" + h.shop_id() + "\"",
                    rid, "wrong_shop");
    if (check.claims.role != role_name(h.role()))
      return refuse(v1::ERROR_CODE_BAD_TOKEN,
                    "token is for role " + check.claims.role + ", not " + role_name(h.role()), rid, "wrong_role");
    if (customer && check.claims.person != h.member_id())
      return refuse(v1::ERROR_CODE_BAD_TOKEN, "token is for member \"" + check.claims.person + "\"", rid, "wrong_person");
    actor.person = check.claims.person;
  }
  actor_ = actor;
  shard_ = &server_.shard(route->shard);
  std::string resume = issue_token(
      secret, {actor.shop, std::string(role_name(actor.role)) + ":" + actor.person, "resume",
               unix_now_s() + server_.options().resume_token_ttl_s});
  shard_->join(shared_from_this(), actor_, rid, h, std::move(resume));
}

void WebsocketSession::send_error(v1::ErrorCode code, std::string text, const std::string& request_id) {
  auto m = std::make_shared<v1::ServerMessage>();
  m->set_request_id(request_id);
  m->mutable_error()->set_code(code);
  m->mutable_error()->set_message(std::move(text));
  server_.metrics().errors.Add({{"code", v1::ErrorCode_Name(code)}}).Increment();
  send(std::move(m));
}

void WebsocketSession::hello_refused() {
  boost::asio::post(ws_.get_executor(), [self = shared_from_this()] {
    self->shard_ = nullptr;
    self->actor_ = {};
  });
}

void WebsocketSession::send(std::shared_ptr<const v1::ServerMessage> msg) {
  boost::asio::post(ws_.get_executor(), [self = shared_from_this(), msg = std::move(msg)]() mutable {
    self->enqueue(std::move(msg));
  });
}

void WebsocketSession::shut_down(std::string reason, std::uint32_t reconnect_after_ms) {
  boost::asio::post(ws_.get_executor(), [self = shared_from_this(), reason = std::move(reason), reconnect_after_ms] {
    auto m = std::make_shared<v1::ServerMessage>();
    m->mutable_shutdown()->set_reason(reason);
    m->mutable_shutdown()->set_reconnect_after_ms(reconnect_after_ms);
    self->enqueue(std::move(m));
    self->close_after_flush_ = true;
    if (self->accepted_ && !self->writing_) self->close_with(websocket::close_code::going_away, "server shutting down");
  });
}

void WebsocketSession::enqueue(std::shared_ptr<const v1::ServerMessage> msg) {
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
  queue_.push_back(encode_frame(*msg, text_));
  if (accepted_ && !writing_) do_write();
}

void WebsocketSession::do_write() {
  writing_ = true;
  ws_.text(text_);
  ws_.async_write(boost::asio::buffer(queue_.front()),
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
  departure_ = core::Departure::goodbye;  // we decided to end it: nothing to hold
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
  if (shard_ != nullptr) shard_->leave(shared_from_this(), actor_, departure_);
  server_.untrack(this);
}

}  // namespace sb::net
