// libFuzzer harness for the token verifier: arbitrary tokens are refused with a reason; payloads
// signed with the right secret but malformed are refused too; well-formed claims survive a
// sign/verify round trip; nothing is ever accepted under another secret.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/token.hpp"

namespace {

constexpr std::string_view secret = "fuzz-secret";
constexpr std::int64_t now_s = 1'800'000'000;

std::string b64url(std::string_view in) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buf = (buf << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(a[(buf >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(a[(buf << (6 - bits)) & 63]);
  return out;
}

std::string sign(std::string_view payload_b64) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload_b64.data()), payload_b64.size(), mac, &len);
  return b64url(std::string_view(reinterpret_cast<const char*>(mac), len));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // 1. The bytes as a token.
  const auto raw = sb::net::verify_token(secret, in, now_s);
  if (!raw.ok && raw.error.empty()) std::abort();
  if (raw.ok && sb::net::verify_token("another-secret", in, now_s).ok) std::abort();
  // 2. The bytes as a correctly signed payload: only a well-formed one may pass.
  const std::string p = b64url(in);
  const std::string token = "sb1." + p + "." + sign(p);
  const auto signed_check = sb::net::verify_token(secret, token, now_s);
  if (!signed_check.ok && signed_check.error.empty()) std::abort();
  if (signed_check.ok && sb::net::issue_token(secret, signed_check.claims) != token) std::abort();
  // 3. Claims cut from the bytes survive issue -> verify.
  const auto nl = in.find('\n');
  if (nl != std::string_view::npos && nl > 0 && nl + 1 < in.size() && in.find('\n', nl + 1) == std::string_view::npos) {
    sb::net::TokenClaims c{std::string(in.substr(0, nl)), std::string(in.substr(nl + 1)), "agent", now_s + 60};
    const std::string t = sb::net::issue_token(secret, c);
    const auto back = sb::net::verify_token(secret, t, now_s);
    if (t.size() <= sb::net::token_bytes_max && (!back.ok || back.claims.shop != c.shop || back.claims.person != c.person))
      std::abort();
  }
  return 0;
}
