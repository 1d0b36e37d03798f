// One load-generator connection: an asynchronous Beast WebSocket client speaking JSON text
// frames, with a write queue, on the generator's single event loop. Many thousands live in one
// process; each reports messages and its end through callbacks.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "switchboard/v1/switchboard.pb.h"

namespace sb::net {
class KeyRing;
}

namespace sb::load {

class AsyncWs : public std::enable_shared_from_this<AsyncWs> {
 public:
  using OnMessage = std::function<void(const switchboard::v1::ServerMessage&)>;
  using OnEnd = std::function<void(const std::string& why)>;  // empty: closed as asked

  AsyncWs(boost::asio::io_context& ioc, OnMessage on_message, OnEnd on_end);
  // Connects from `source` (a 127.0.0.x address; empty: any) and opens `target` (/ws, or
  // /ws/shops/{shop} for a proxy to route on); queued sends go out once open.
  void open(const boost::asio::ip::tcp::endpoint& server, const std::string& source = {}, std::string target = "/ws");
  void send(const switchboard::v1::ClientMessage& msg);
  void close();  // a goodbye: close frame 1000 after what is queued

 private:
  void on_connect(boost::beast::error_code ec);
  void on_handshake(boost::beast::error_code ec);
  void do_read();
  void do_write();
  void fail(const std::string& why);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::string target_ = "/ws";
  std::deque<std::string> out_;
  OnMessage on_message_;
  OnEnd on_end_;
  bool open_ = false, writing_ = false, closing_ = false, ended_ = false;
};

// The openings every benchmark repeats: an agent's hello (the request "on" sets it online when
// `online`) and a customer's hello, enter and first text (which starts the chat).
void say_hello_as_agent(AsyncWs& ws, const net::KeyRing& keys, const std::string& shop, const std::string& agent, bool online = true);
void start_chat_as_customer(AsyncWs& ws, const net::KeyRing& keys, const std::string& shop, const std::string& customer,
                            const std::string& first_text);

}  // namespace sb::load
