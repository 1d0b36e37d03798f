#include "ws_frames.hpp"

#include <boost/beast/websocket/detail/frame.hpp>

#include <algorithm>

namespace sb::net {

namespace {

constexpr std::uint8_t op_continuation = 0x0, op_text = 0x1, op_binary = 0x2, op_close = 0x8, op_ping = 0x9, op_pong = 0xA;

bool is_control(std::uint8_t op) { return (op & 0x8) != 0; }

}  // namespace

bool FrameReader::fail(FrameHandler& h, std::uint16_t code, const char* why) {
  done_ = true;
  h.on_fail(code, why);
  return false;
}

std::size_t FrameReader::feed(const char* data, std::size_t n, FrameHandler& h) {
  const char* p = data;
  delivered_ = false;
  while (!done_ && !delivered_ && (n > 0 || (in_payload_ && remain_ == 0))) {
    if (!in_payload_) {
      if (!take_header(p, n, h)) break;
    } else if (!take_payload(p, n, h)) {
      break;
    }
  }
  return static_cast<std::size_t>(p - data);
}

// The first two bytes say what the frame is and how long its header is.
bool FrameReader::check_start(FrameHandler& h) {
  const std::uint8_t b0 = header_[0], b1 = header_[1];
  opcode_ = b0 & 0x0f;
  fin_ = (b0 & 0x80) != 0;
  if ((b0 & 0x70) != 0) return fail(h, close_protocol_error, "reserved bits set without an extension");
  if (opcode_ != op_continuation && opcode_ != op_text && opcode_ != op_binary && opcode_ != op_close && opcode_ != op_ping &&
      opcode_ != op_pong)
    return fail(h, close_protocol_error, "reserved opcode");
  if ((b1 & 0x80) == 0) return fail(h, close_protocol_error, "client frame not masked");
  const std::uint8_t len7 = b1 & 0x7f;
  if (is_control(opcode_) && (!fin_ || len7 > 125)) return fail(h, close_protocol_error, "fragmented or oversized control frame");
  if (opcode_ == op_continuation && message_opcode_ == 0) return fail(h, close_protocol_error, "continuation without a message");
  if ((opcode_ == op_text || opcode_ == op_binary) && message_opcode_ != 0)
    return fail(h, close_protocol_error, "new message while one is unfinished");
  header_need_ = static_cast<std::uint8_t>(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4);
  return true;
}

bool FrameReader::check_length(FrameHandler& h) {
  const std::uint8_t len7 = header_[1] & 0x7f;
  std::uint64_t len = len7;
  std::size_t at = 2;
  if (len7 == 126) {
    len = (std::uint64_t{header_[2]} << 8) | header_[3];
    if (len < 126) return fail(h, close_protocol_error, "length not in its shortest form");
    at = 4;
  } else if (len7 == 127) {
    len = 0;
    for (std::size_t i = 2; i < 10; ++i) len = (len << 8) | header_[i];
    if ((len >> 63) != 0 || len < 65536) return fail(h, close_protocol_error, "length not in its shortest form");
    at = 10;
  }
  std::copy_n(header_.begin() + static_cast<std::ptrdiff_t>(at), 4, key_.begin());
  if (!is_control(opcode_) && len > message_bytes_max_ - std::min(message_bytes_max_, message_.size()))
    return fail(h, close_too_big, "message too big");
  if (opcode_ == op_text || opcode_ == op_binary) {
    message_opcode_ = opcode_;
    utf8_.reset();
  }
  remain_ = len;
  key_at_ = 0;
  return true;
}

bool FrameReader::take_header(const char*& p, std::size_t& n, FrameHandler& h) {
  while (n > 0 && header_have_ < header_need_) {
    header_[header_have_++] = static_cast<std::uint8_t>(*p++);
    --n;
    if (header_have_ == 2 && !check_start(h)) return false;
  }
  if (header_have_ < header_need_) return false;  // more bytes to come
  if (!check_length(h)) return false;
  header_have_ = 0;
  header_need_ = 2;
  in_payload_ = true;
  if (!is_control(opcode_) && remain_ > 0) message_.reserve(message_.size() + static_cast<std::size_t>(remain_));
  return true;
}

bool FrameReader::take_payload(const char*& p, std::size_t& n, FrameHandler& h) {
  const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(remain_, n));
  std::string& to = is_control(opcode_) ? control_ : message_;
  const std::size_t from = to.size();
  to.resize(from + k);
  for (std::size_t i = 0; i < k; ++i) to[from + i] = static_cast<char>(static_cast<std::uint8_t>(p[i]) ^ key_[(key_at_ + i) & 3]);
  key_at_ = static_cast<std::uint8_t>((key_at_ + k) & 3);
  p += k;
  n -= k;
  remain_ -= k;
  if (message_opcode_ == op_text && !is_control(opcode_) &&
      !utf8_.write(reinterpret_cast<const std::uint8_t*>(to.data() + from), k))
    return fail(h, close_bad_payload, "text is not UTF-8");
  if (remain_ > 0) return true;
  in_payload_ = false;
  return end_frame(h);
}

bool FrameReader::end_close(FrameHandler& h) {
  if (control_.size() == 1) return fail(h, close_protocol_error, "close frame with a one-byte payload");
  std::uint16_t code = 0;
  std::string_view reason;
  if (control_.size() >= 2) {
    code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(control_[0]) << 8) | static_cast<std::uint8_t>(control_[1]));
    if (!boost::beast::websocket::detail::is_valid_close_code(code)) return fail(h, close_protocol_error, "invalid close code");
    reason = std::string_view(control_).substr(2);
    boost::beast::websocket::detail::utf8_checker check;
    if (!check.write(reinterpret_cast<const std::uint8_t*>(reason.data()), reason.size()) || !check.finish())
      return fail(h, close_bad_payload, "close reason is not UTF-8");
  }
  done_ = true;
  h.on_close(code, reason);
  return false;
}

bool FrameReader::end_frame(FrameHandler& h) {
  if (opcode_ == op_close) return end_close(h);
  if (is_control(opcode_)) {
    if (opcode_ == op_ping) h.on_ping(control_);
    else h.on_pong();
    control_.clear();
    return !done_;
  }
  if (!fin_) return true;
  const bool text = message_opcode_ == op_text;
  if (text && !utf8_.finish()) return fail(h, close_bad_payload, "text is not UTF-8");
  message_opcode_ = 0;
  delivered_ = true;
  h.on_message(message_, text);
  std::string().swap(message_);  // most connections sit idle after a message: keep nothing
  return !done_;
}

std::size_t frame_header(std::uint8_t opcode, std::size_t bytes, std::array<std::uint8_t, 10>& out) {
  out[0] = static_cast<std::uint8_t>(0x80 | opcode);
  if (bytes < 126) {
    out[1] = static_cast<std::uint8_t>(bytes);
    return 2;
  }
  if (bytes <= 0xffff) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(bytes >> 8);
    out[3] = static_cast<std::uint8_t>(bytes);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(bytes) >> (8 * (7 - i)));
  return 10;
}

}  // namespace sb::net
