#include "token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <chrono>
#include <vector>

namespace sb::net {

namespace {

constexpr std::string_view prefix = "sb1.";
constexpr char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(b64url[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(b64url[(acc << (6 - bits)) & 0x3f]);
  return out;
}

bool base64url_decode(std::string_view in, std::string& out) {
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

std::string hmac_sha256(std::string_view secret, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

}  // namespace

std::int64_t unix_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool valid_role_name(std::string_view role) {
  return role == "customer" || role == "agent" || role == "supervisor" || role == "orders" || role == "admin" ||
         role == "resume";
}

std::string issue_token(std::string_view secret, const TokenClaims& c) {
  const std::string payload = c.shop + "\n" + c.person + "\n" + c.role + "\n" + std::to_string(c.expires_unix_s);
  const std::string body = base64url_encode(payload);
  return std::string(prefix) + body + "." + base64url_encode(hmac_sha256(secret, body));
}

TokenCheck verify_token(std::string_view secret, std::string_view token, std::int64_t now_unix_s) {
  TokenCheck r;
  if (token.empty()) {
    r.error = "no token given";
    return r;
  }
  if (token.size() > token_bytes_max || token.substr(0, prefix.size()) != prefix) {
    r.error = "token is not a switchboard token (expected \"sb1.<payload>.<signature>\")";
    return r;
  }
  const auto parts = split(token.substr(prefix.size()), '.');
  std::string payload, mac;
  if (parts.size() != 2 || !base64url_decode(parts[0], payload) || !base64url_decode(parts[1], mac)) {
    r.error = "token is malformed";
    return r;
  }
  const std::string expected = hmac_sha256(secret, parts[0]);
  if (mac.size() != expected.size() || CRYPTO_memcmp(mac.data(), expected.data(), mac.size()) != 0) {
    r.error = "token signature does not match (wrong secret or altered token)";
    return r;
  }
  const auto fields = split(payload, '\n');
  std::int64_t expires = 0;
  // The whole expiry must be a number written as we write it (no sign, no leading zeros): a
  // prefix match or a second spelling would accept tokens we never issued.
  const char* end = fields.size() == 4 ? fields[3].data() + fields[3].size() : nullptr;
  const auto parsed = fields.size() == 4 ? std::from_chars(fields[3].data(), end, expires) : std::from_chars_result{};
  const bool canonical = fields.size() == 4 && !fields[3].empty() && fields[3][0] != '-' &&
                         (fields[3][0] != '0' || fields[3].size() == 1);
  if (fields.size() != 4 || parsed.ec != std::errc{} || parsed.ptr != end || !canonical || fields[0].empty() ||
      fields[1].empty()) {
    r.error = "token payload is malformed";
    return r;
  }
  r.claims = TokenClaims{std::string(fields[0]), std::string(fields[1]), std::string(fields[2]), expires};
  if (!valid_role_name(r.claims.role)) {
    r.error = "token carries unknown role \"" + r.claims.role + "\"";
    return r;
  }
  if (expires <= now_unix_s) {
    r.error = "token expired";
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace sb::net
