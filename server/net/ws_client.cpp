#include "ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <future>

namespace sb::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct WsClient::Impl {
  asio::io_context ioc;
  // Keeps the loop running after the server closed, so a write posted then still runs (and
  // fails) instead of waiting for ever on a loop that has exited.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{asio::make_work_guard(ioc)};
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  std::thread thread;
  mutable std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::pair<std::string, bool>> inbox;
  bool last_text = true;
  std::atomic<bool> paused{false};
  bool closed = false;
  int close_code = 0;

  void read_loop() {
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      std::lock_guard lock(mutex);
      if (ec) {
        closed = true;
        close_code = ws.reason().code;
        cv.notify_all();
        return;
      }
      inbox.emplace_back(beast::buffers_to_string(buffer.data()), ws.got_text());
      buffer.consume(buffer.size());
      cv.notify_all();
      if (!paused) read_loop();
    });
  }

  bool write(std::string data, bool text) {
    if (!thread.joinable() || ioc.stopped()) return false;
    {
      std::lock_guard lock(mutex);
      if (closed) return false;
    }
    std::promise<bool> done;
    asio::post(ioc, [this, &done, data = std::move(data), text] {
      ws.text(text);
      beast::error_code ec;
      ws.write(asio::buffer(data), ec);
      done.set_value(!ec);
    });
    return done.get_future().get();
  }
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}

WsClient::~WsClient() { close(); }

std::string WsClient::connect(const std::string& host, unsigned short port, const std::string& target,
                              const std::string& origin) {
  try {
    tcp::resolver resolver(impl_->ioc);
    auto results = resolver.resolve(host, std::to_string(port));
    beast::get_lowest_layer(impl_->ws).expires_after(std::chrono::seconds(5));
    beast::get_lowest_layer(impl_->ws).connect(results);
    beast::get_lowest_layer(impl_->ws).socket().set_option(tcp::no_delay(true));
    if (!origin.empty())
      impl_->ws.set_option(websocket::stream_base::decorator(
          [origin](websocket::request_type& req) { req.set(beast::http::field::origin, origin); }));
    impl_->ws.handshake(host + ":" + std::to_string(port), target);
    beast::get_lowest_layer(impl_->ws).expires_never();
    impl_->ws.read_message_max(16 << 20);
  } catch (const std::exception& e) {
    return e.what();
  }
  impl_->read_loop();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
  return {};
}

void WsClient::pause_reading() { impl_->paused = true; }

bool WsClient::send_text(const std::string& text) { return impl_->write(text, true); }
bool WsClient::send_binary(const std::string& bytes) { return impl_->write(bytes, false); }

std::optional<std::string> WsClient::recv(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  impl_->cv.wait_for(lock, timeout, [&] { return !impl_->inbox.empty() || impl_->closed; });
  if (impl_->inbox.empty()) return std::nullopt;
  auto [data, text] = std::move(impl_->inbox.front());
  impl_->inbox.pop_front();
  impl_->last_text = text;
  return data;
}

bool WsClient::last_was_text() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_text;
}

int WsClient::close_code() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->close_code;
}

bool WsClient::closed() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->closed;
}

void WsClient::drop() {
  if (!impl_->thread.joinable()) return;
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    beast::get_lowest_layer(impl_->ws).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(impl_->ws).socket().close(ec);
    impl_->ioc.stop();
  });
  impl_->thread.join();  // returns at once if the reader had already finished
  impl_->work.reset();
}

void WsClient::close() {
  if (!impl_->thread.joinable()) return;
  asio::post(impl_->ioc, [this] {
    if (impl_->ws.is_open()) {
      impl_->ws.async_close(websocket::close_code::normal, [this](beast::error_code) {
        beast::error_code ec;
        beast::get_lowest_layer(impl_->ws).socket().close(ec);
      });
    }
  });
  // Give the close handshake a moment, then stop regardless.
  for (int i = 0; i < 100 && !closed(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  impl_->work.reset();
  impl_->ioc.stop();
  impl_->thread.join();
}

HttpResult http_call(const std::string& host, unsigned short port, const std::string& method, const std::string& target,
                     const std::string& body, const std::string& bearer) {
  HttpResult r;
  try {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    tcp::resolver resolver(ioc);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(resolver.resolve(host, std::to_string(port)));
    beast::http::request<beast::http::string_body> req{beast::http::string_to_verb(method), target, 11};
    req.set(beast::http::field::host, host);
    if (!bearer.empty()) req.set(beast::http::field::authorization, "Bearer " + bearer);
    if (!body.empty()) req.set(beast::http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    beast::http::write(stream, req);
    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> res;
    beast::http::read(stream, buffer, res);
    r.status = static_cast<int>(res.result_int());
    r.body = res.body();
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

}  // namespace sb::net
