// The connection read buffer: a waiting read can only ask it for a small step, a long message
// still fits by growing it step by step, and after a message the memory is given back.
#include <catch2/catch.hpp>

#include <boost/asio/buffer.hpp>

#include <cstring>
#include <string>

#include "net/read_buffer.hpp"

TEST_CASE("the read buffer stays small while idle and grows for long messages", "[net]") {
  sb::net::ReadBuffer b;
  CHECK(b.max_size() - b.size() == sb::net::ReadBuffer::step_bytes);  // what an idle read may prepare
  const std::string message(64 * 1024, 'x');
  std::size_t written = 0;
  while (written < message.size()) {
    const std::size_t room = b.max_size() - b.size();
    REQUIRE(room == sb::net::ReadBuffer::step_bytes);
    const std::size_t n = std::min(room, message.size() - written);
    auto mb = b.prepare(n);
    REQUIRE(boost::asio::buffer_size(mb) == n);
    std::memcpy(mb.data(), message.data() + written, n);
    b.commit(n);
    written += n;
  }
  CHECK(b.size() == message.size());
  const auto data = b.cdata();
  CHECK(std::string(static_cast<const char*>(data.data()), data.size()) == message);
  CHECK(b.capacity() >= message.size());
  b.release();
  CHECK(b.size() == 0);
  CHECK(b.capacity() == 0);
}
