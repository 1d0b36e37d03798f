// One WebSocket connection: reads frames, checks each against the message rules, proves who the
// hello says it is, hands the hello to the shard that owns the shop and, once the core has
// welcomed it, every later message; writes what the shard sends back through a bounded queue.
// Answers pings itself, before and after the hello: liveness touches no shop. Beast does the
// handshake; the frames after it are ws_frames.hpp's, on the bare socket, so that an idle
// connection holds no read buffer and no pending read (it waits for the socket to be readable).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <list>
#include <memory>
#include <string>

#include "core/actor.hpp"
#include "outgoing_frame.hpp"
#include "ws_frames.hpp"
#include "core/shop_engine.hpp"
#include "switchboard/v1/switchboard.pb.h"

namespace sb::net {

class Server;
class Shard;

class WebsocketSession : public std::enable_shared_from_this<WebsocketSession>, private FrameHandler {
 public:
  // `url_shop`: the shop named by /ws/shops/{shop}, empty on /ws.
  WebsocketSession(boost::asio::ip::tcp::socket&& socket, Server& server, std::string address, std::string url_shop = {});
  ~WebsocketSession();

  void run(boost::beast::http::request<boost::beast::http::string_body> req);
  // Thread-safe: queue a message for this connection (encoded as the peer last spoke).
  void send(std::shared_ptr<const switchboard::v1::ServerMessage> msg);
  // The same for a frame other connections share (encoded once per format for all of them).
  void send(std::shared_ptr<const OutgoingFrame> frame);
  void send_error(switchboard::v1::ErrorCode code, std::string text, const std::string& request_id);
  // Thread-safe: tell the peer to reconnect elsewhere, flush, and close (1001).
  void shut_down(std::string reason, std::uint32_t reconnect_after_ms);
  // Thread-safe, from the shard after the core answered the hello: welcomed (frames now flow to
  // the shard) or refused (another hello may follow).
  void hello_answered(bool welcomed);

 private:
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_readable(boost::beast::error_code ec);
  void consume(const char* data, std::size_t n);
  void on_message(std::string_view payload, bool text) override;
  void on_ping(std::string_view payload) override;
  void on_pong() override {}
  void on_close(std::uint16_t code, std::string_view reason) override;
  void on_fail(std::uint16_t code, const char* why) override;
  void arm_idle();
  void on_idle_tick();
  void send_control(std::uint8_t opcode, std::string payload);
  void send_close(std::uint16_t code, std::string_view reason);
  void close_socket();
  void on_frame(std::string_view payload, bool text);
  void on_hello(switchboard::v1::ClientMessage msg);
  void forward(switchboard::v1::ClientMessage msg);
  void enqueue(std::shared_ptr<const OutgoingFrame> frame);
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void close_with(boost::beast::websocket::close_code code, std::string reason);
  void refuse(switchboard::v1::ErrorCode code, std::string text, const std::string& request_id, const char* reason);
  void ended();

  // Only until the handshake is done; then the bare socket carries the frames.
  std::unique_ptr<boost::beast::websocket::stream<boost::beast::tcp_stream>> handshake_;
  boost::asio::ip::tcp::socket socket_;
  // Keep-alive: a ping after idle_timeout/2 without a frame, the end after idle_timeout; then,
  // while closing, the deadline for the peer's close (a peer that does not read cannot finish one).
  boost::asio::steady_timer timer_;
  FrameReader reader_;
  std::string backlog_;  // bytes read but not handled yet (one message per turn)
  Server& server_;
  // Frames to write, each in the format the peer spoke when it was queued; bounded by
  // send_queue_messages_max. A list: an idle connection's empty queue costs nothing (a deque
  // allocates half a kilobyte up front).
  struct Queued {
    std::shared_ptr<const OutgoingFrame> frame;  // null for a control frame
    bool text = true;
    std::uint8_t control = 0;  // its opcode (ping, pong, close)
    std::string payload;       // and payload
    std::array<std::uint8_t, 10> header{};  // the frame's header, made when it is written
  };
  std::list<Queued> queue_;
  // Frames in the write under way: up to write_frames_max from the queue's front go out in one
  // gathered write (one sendmsg), since a journal batch releases many replies at once.
  static constexpr std::size_t write_frames_max = 16;
  std::size_t writing_n_ = 0;
  bool text_ = true;               // reply in the format the peer last used
  bool accepted_ = false;          // no write or close may start while the handshake's own write is pending
  bool writing_ = false;
  bool closing_ = false;
  bool stopping_ = false;  // told `shutdown`: its chats are held for the reconnect grace
  bool close_after_flush_ = false;
  bool ended_ = false;
  bool heard_ = false;       // a frame came since the last keep-alive tick
  bool pinged_ = false;      // a keep-alive ping is out, unanswered
  bool close_sent_ = false;  // our close frame is written (or being written)
  bool peer_closed_ = false; // the peer's close came (or the peer broke the protocol)
  // The shard that owns this connection's shop, once a hello went to it; `bound_` once the
  // core welcomed it. Frames that arrive while the hello is being answered wait here (bounded).
  Shard* shard_ = nullptr;
  bool bound_ = false;
  bool hello_pending_ = false;
  std::vector<switchboard::v1::ClientMessage> waiting_;
  std::string url_shop_;
  // A drop holds the person's chat for the reconnect grace; a goodbye (close 1000 from the
  // peer) or a close we decided on (eviction, shutdown) ends it at once.
  core::Departure departure_ = core::Departure::dropped;
  std::string address_;  // admitted by the server; released when the session ends
  // Token bucket for messages per second.
  double tokens_ = 0;
  std::chrono::steady_clock::time_point refilled_ = std::chrono::steady_clock::now();
  std::size_t strikes_ = 0;
};

}  // namespace sb::net
