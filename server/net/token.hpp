// Signed bearer tokens for agents, supervisors, order systems and admins (and optionally
// customers): HMAC-SHA256 over shop, person, role and expiry. The algorithm is fixed here,
// never read from the token, so a token cannot talk the verifier into a weaker check.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sb::net {

// Roles a token may carry. "admin" tokens name shop "*".
struct TokenClaims {
  std::string shop;
  std::string person;
  std::string role;  // customer | agent | supervisor | orders | admin | resume (person "<role>:<id>")
  std::int64_t expires_unix_s = 0;
};

struct TokenCheck {
  bool ok = false;
  std::string error;  // for the peer and the logs; never contains the token itself
  TokenClaims claims;
};

constexpr std::size_t token_bytes_max = 1024;

// Token expiry is a security matter and always follows the wall clock, even when the server
// runs on the manual clock for a scripted day.
std::int64_t unix_now_s();

std::string issue_token(std::string_view secret, const TokenClaims& claims);
TokenCheck verify_token(std::string_view secret, std::string_view token, std::int64_t now_unix_s);

bool valid_role_name(std::string_view role);

}  // namespace sb::net
