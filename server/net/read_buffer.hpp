// A connection's read buffer that stays small while the connection is idle. Beast's websocket
// read asks its buffer for min(1536, max_size() - size()) bytes before it waits for data, and
// keeps them while it waits: with a plain flat_buffer every idle connection holds 1.5 KB for
// nothing. This one reports room for only `step_bytes` more at a time, so a waiting read holds
// a small buffer and a large message grows it step by step (the message limit itself is the
// stream's read_message_max). Released after each message.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>

#include <cstddef>

namespace sb::net {

class ReadBuffer {
 public:
  using const_buffers_type = boost::beast::flat_buffer::const_buffers_type;
  using mutable_buffers_type = boost::beast::flat_buffer::mutable_buffers_type;
  static constexpr std::size_t step_bytes = 256;

  std::size_t size() const noexcept { return b_.size(); }
  std::size_t max_size() const noexcept { return b_.size() + step_bytes; }
  std::size_t capacity() const noexcept { return b_.capacity(); }
  const_buffers_type data() const noexcept { return b_.data(); }
  const_buffers_type cdata() const noexcept { return b_.cdata(); }
  mutable_buffers_type data() noexcept { return b_.data(); }
  mutable_buffers_type prepare(std::size_t n) { return b_.prepare(n); }
  void commit(std::size_t n) noexcept { b_.commit(n); }
  void consume(std::size_t n) noexcept { b_.consume(n); }
  // After a message: gives the memory back, since most connections then sit idle.
  void release() {
    b_.consume(b_.size());
    b_.shrink_to_fit();
  }

 private:
  boost::beast::flat_buffer b_;
};

}  // namespace sb::net
