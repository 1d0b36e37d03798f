// Bearer tokens for every role: JWTs (RFC 7519) verified with cpp-jwt. A shop's site signs its
// customers' (and its order system's) tokens with the shop's own keys; the operator's keys sign
// agents', supervisors', admin and metrics tokens (and may sign any role, for tools and tests);
// the server signs resume tokens with the operator's first HS256 key. Each key has a `kid`, so
// a key can be rotated while the old one still verifies. The algorithm comes from the key,
// never from the token, so a token cannot talk the verifier into a weaker check.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "switchboard/v1/switchboard.pb.h"

namespace sb::net {

enum class KeyAlgorithm { hs256, rs256, es256 };

struct TokenKey {
  std::string kid;
  KeyAlgorithm algorithm = KeyAlgorithm::hs256;
  std::string material;  // HS256: the shared secret; RS256/ES256: a PEM public key (verify only)
  std::string shop;      // empty: an operator key; else the one shop whose site holds it
  std::string issuer;    // the `iss` its tokens must carry
};

struct KeyRing {
  std::string audience = "switchboard";  // every token's `aud` must name it
  std::int64_t clock_skew_s = 60;        // allowed on exp and nbf
  std::vector<TokenKey> keys;
  const TokenKey* find(std::string_view kid) const;
  // The key the server signs with (resume tokens, `switchboard token`): the first operator HS256 key.
  const TokenKey* signing_key() const;
};

// What a verified token says. Roles: customer | agent | supervisor | orders | admin | metrics |
// resume (person "<role>:<id>"). Admin tokens name shop "*".
struct TokenClaims {
  std::string shop;
  std::string person;
  std::string role;
  switchboard::v1::Tier tier = switchboard::v1::TIER_UNSPECIFIED;  // customers (and their resume tokens)
  bool guest = false;                                               // resume tokens of guests
  std::int64_t expires_unix_s = 0;
};

constexpr std::size_t token_bytes_max = 4096;

// Token expiry is a security matter and always follows the wall clock, even when the server
// runs on the manual clock for a scripted day.
std::int64_t unix_now_s();

// `shop`: the shop the caller asks about; a shop's key verifies only tokens for that shop.
Result<TokenClaims> verify_token(const KeyRing& keys, std::string_view token, std::string_view shop,
                                 std::int64_t now_unix_s);
// Signs with `key` (HS256 only): iss = key's issuer, aud = the ring's audience, iat = now.
Result<std::string> issue_token(const KeyRing& keys, const TokenKey& key, const TokenClaims& claims,
                                std::int64_t now_unix_s);

// Signs with the ring's signing key (the operator's), valid for `ttl_s` from now: for the CLI,
// tools, load generators and tests. The ring must have a signing key (the config requires one).
std::string mint_token(const KeyRing& keys, std::string shop, std::string person, std::string role, std::int64_t ttl_s,
                       switchboard::v1::Tier tier = switchboard::v1::TIER_UNSPECIFIED);

bool valid_role_name(std::string_view role);
const char* tier_letter(switchboard::v1::Tier tier);  // "A", "B", "C"; "" when unspecified

}  // namespace sb::net
