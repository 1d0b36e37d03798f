// libFuzzer harness for the JWT verifier: any bytes as a token are refused with a reason, never
// a crash or an exception; bytes cut into a header and claims and signed with a configured key
// verify only when every claim is well formed, and what verifies names exactly the claims signed;
// nothing verifies under a key it was not signed with.
#include <jwt/jwt.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/token.hpp"

namespace {

constexpr std::int64_t now_s = 1'800'000'000;

const sb::net::KeyRing& ring() {
  static const sb::net::KeyRing r{
      "switchboard", 60,
      {sb::net::TokenKey{"ops", sb::net::KeyAlgorithm::hs256, std::string(40, 'o'), "", "switchboard"},
       sb::net::TokenKey{"site", sb::net::KeyAlgorithm::hs256, std::string(40, 's'), "shop", "https://shop.example"}}};
  return r;
}

// The bytes as JSON claims (or, failing that, as the subject), signed by `kid`'s key.
std::string signed_from(std::string_view in, const char* kid) {
  auto claims = nlohmann::json::parse(in.begin(), in.end(), nullptr, false);
  if (!claims.is_object()) {
    claims = {{"iss", "switchboard"}, {"aud", "switchboard"}, {"role", "agent"}, {"shop", "shop"}, {"exp", now_s + 60}};
    claims["sub"] = std::string(in);
  }
  try {
    using namespace jwt::params;
    jwt::jwt_object obj{algorithm("HS256"), secret(ring().find(kid)->material)};
    obj.header().add_header("kid", kid);
    for (auto it = claims.begin(); it != claims.end(); ++it) obj.payload().add_claim(it.key(), it.value());
    return obj.signature();
  } catch (const std::exception&) {
    return {};  // claims cpp-jwt cannot write (invalid UTF-8 in a string): nothing to verify
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // 1. The bytes as a token.
  const auto raw = sb::net::verify_token(ring(), in, "shop", now_s);
  if (!raw.ok() && raw.error().message.empty()) std::abort();
  // 2. The bytes as claims signed with a configured key.
  for (const char* kid : {"ops", "site"}) {
    const std::string token = signed_from(in, kid);
    if (token.empty()) continue;
    const auto c = sb::net::verify_token(ring(), token, "shop", now_s);
    if (!c.ok() && c.error().message.empty()) std::abort();
    if (c.ok()) {
      if (!sb::net::valid_role_name(c->role) || c->person.empty() || c->shop.empty()) std::abort();
      if (c->expires_unix_s + 60 < now_s) std::abort();  // an expired token never passes
      if (std::string(kid) == "site" && c->shop != "shop") std::abort();  // a site key stays in its shop
      // The same token under another shop's scope or another key is refused.
      if (std::string(kid) == "site" && sb::net::verify_token(ring(), token, "other", now_s).ok()) std::abort();
      std::string altered = token;
      altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
      if (altered != token && sb::net::verify_token(ring(), altered, "shop", now_s).ok() &&
          altered.substr(0, altered.rfind('.')) != token.substr(0, token.rfind('.')))
        std::abort();  // an altered header or payload never verifies
    }
  }
  return 0;
}
