// Strict UTF-8 decoding of one multi-byte sequence, shared by the JSON reader and writer: both
// must agree with protobuf on what is UTF-8 and hand anything else to protobuf's own code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sb::net {

// Decodes the sequence starting at s[i] (a byte >= 0x80). Returns its length in bytes and sets
// cp, or 0 when it is not UTF-8: a stray or truncated byte, an overlong form, a surrogate, or a
// code point past U+10FFFF.
inline std::size_t decode_utf8(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

}  // namespace sb::net
