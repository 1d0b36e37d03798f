#include "raw_ws.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <stdexcept>
#include <thread>

namespace sb::test {

int RawFrame::close_code() const {
  if (payload.size() < 2) return 1005;
  return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

RawWs::RawWs(unsigned short port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect failed");
  raw_bytes("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (in_.find("\r\n\r\n") == std::string::npos)
    if (!fill(in_.size() + 1, deadline)) throw std::runtime_error("no handshake response");
  const auto end = in_.find("\r\n\r\n") + 4;
  if (in_.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("handshake refused: " + in_.substr(0, end));
  in_.erase(0, end);
}

RawWs::~RawWs() {
  if (fd_ >= 0) ::close(fd_);
}

void RawWs::raw_bytes(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may already have closed: the test reads what it said
    sent += static_cast<std::size_t>(n);
  }
}

void RawWs::frame(std::uint8_t opcode, const std::string& payload, bool fin, std::uint8_t rsv, bool masked,
                  std::size_t chunk_bytes) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)));
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  const std::size_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(mask_bit | n));
  } else if (n < 65536) {
    f.push_back(static_cast<char>(mask_bit | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xff));
  } else {
    f.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xff));
  }
  std::string body = payload;
  if (masked) {
    static std::mt19937 rng(42);
    char key[4];
    for (char& k : key) k = static_cast<char>(rng() & 0xff);
    f.append(key, 4);
    for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(body[i] ^ key[i % 4]);
  }
  f += body;
  if (chunk_bytes == 0) {
    raw_bytes(f);
    return;
  }
  for (std::size_t at = 0; at < f.size(); at += chunk_bytes) {
    raw_bytes(f.substr(at, chunk_bytes));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void RawWs::close_frame(int code, const std::string& reason) {
  std::string p;
  p.push_back(static_cast<char>((code >> 8) & 0xff));
  p.push_back(static_cast<char>(code & 0xff));
  frame(0x8, p + reason);
}

bool RawWs::fill(std::size_t n, std::chrono::steady_clock::time_point deadline) {
  while (in_.size() < n) {
    if (ended_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    const ssize_t got = ::recv(fd_, buf, sizeof buf, 0);
    if (got <= 0) {
      ended_ = true;
      return false;
    }
    in_.append(buf, static_cast<std::size_t>(got));
  }
  return true;
}

std::optional<RawFrame> RawWs::read(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  if (!fill(2, deadline)) return std::nullopt;
  const auto b0 = static_cast<unsigned char>(in_[0]), b1 = static_cast<unsigned char>(in_[1]);
  std::size_t header = 2;
  std::uint64_t len = b1 & 0x7f;
  if (len == 126) {
    if (!fill(4, deadline)) return std::nullopt;
    len = (static_cast<unsigned char>(in_[2]) << 8) | static_cast<unsigned char>(in_[3]);
    header = 4;
  } else if (len == 127) {
    if (!fill(10, deadline)) return std::nullopt;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(in_[2 + i]);
    header = 10;
  }
  if ((b1 & 0x80) != 0) throw std::runtime_error("server frames must not be masked (RFC 6455 5.1)");
  if (!fill(header + len, deadline)) return std::nullopt;
  RawFrame f;
  f.fin = (b0 & 0x80) != 0;
  f.opcode = b0 & 0x0f;
  f.payload = in_.substr(header, len);
  in_.erase(0, header + len);
  return f;
}

int RawWs::await_close(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    auto f = read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (!f) return -1;
    if (f->opcode == 0x8) return f->close_code();
  }
  return -1;
}

bool RawWs::eof(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!ended_) {
    if (!fill(in_.size() + 1, deadline) && !ended_) return false;
    in_.clear();
  }
  return true;
}

}  // namespace sb::test
