#include "token.hpp"

#include <jwt/jwt.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "core/time.hpp"

namespace sb::net {

namespace {

namespace v1 = switchboard::v1;
using json = nlohmann::json;

constexpr std::size_t kid_bytes_max = 64;
constexpr std::size_t person_bytes_max = 128;
constexpr std::size_t shop_bytes_max = 64;
constexpr std::int64_t seconds_max = std::int64_t{1} << 40;  // year ~36812: far beyond any real expiry

Error bad(std::string message) { return {v1::ERROR_CODE_BAD_TOKEN, std::move(message)}; }

const char* algorithm_name(KeyAlgorithm a) {
  switch (a) {
    case KeyAlgorithm::hs256: return "HS256";
    case KeyAlgorithm::rs256: return "RS256";
    case KeyAlgorithm::es256: return "ES256";
  }
  return "?";
}

bool base64url_part(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// Printable, no control characters: safe to quote in an error and to use as an id.
bool plain_text(const std::string& s, std::size_t bytes_max) {
  return !s.empty() && s.size() <= bytes_max &&
         std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::string quoted_or_hidden(const json& v) {
  if (v.is_string() && plain_text(v.get<std::string>(), 64)) return "\"" + v.get<std::string>() + "\"";
  return "(not a short string)";
}

std::string rfc3339(std::int64_t unix_s) { return core::format_rfc3339_utc(unix_s * 1000); }

std::optional<std::string> string_claim(const json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// exp / nbf: whole seconds within the range time can be represented in.
std::optional<std::int64_t> seconds_claim(const json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_number_integer()) return std::nullopt;
  const auto v = it->get<std::int64_t>();
  if (v < 0 || v > seconds_max) return std::nullopt;
  return v;
}

bool audience_matches(const json& payload, const std::string& audience) {
  auto it = payload.find("aud");
  if (it == payload.end()) return false;
  if (it->is_string()) return it->get<std::string>() == audience;
  if (!it->is_array()) return false;
  return std::any_of(it->begin(), it->end(), [&](const json& a) { return a.is_string() && a.get<std::string>() == audience; });
}

Result<v1::Tier> tier_claim(const json& payload) {
  auto it = payload.find("tier");
  if (it == payload.end()) return v1::TIER_UNSPECIFIED;
  const std::string t = it->is_string() ? it->get<std::string>() : "";
  if (t == "A") return v1::TIER_A;
  if (t == "B") return v1::TIER_B;
  if (t == "C") return v1::TIER_C;
  return bad("token claim tier must be \"A\", \"B\" or \"C\"");
}

Result<TokenClaims> read_claims(const KeyRing& keys, const TokenKey& key, const json& payload, std::int64_t now) {
  const auto exp = seconds_claim(payload, "exp");
  if (!exp) return bad("token claim exp is missing or not a whole number of seconds since 1970");
  if (now > *exp + keys.clock_skew_s)
    return bad("token expired at " + rfc3339(*exp) + " (allowed clock skew " + std::to_string(keys.clock_skew_s) + " s)");
  if (payload.contains("nbf")) {
    const auto nbf = seconds_claim(payload, "nbf");
    if (!nbf) return bad("token claim nbf is not a whole number of seconds since 1970");
    if (now + keys.clock_skew_s < *nbf) return bad("token is not valid before " + rfc3339(*nbf));
  }
  const auto iss = string_claim(payload, "iss");
  if (!iss || *iss != key.issuer)
    return bad("token claim iss is " + (payload.contains("iss") ? quoted_or_hidden(payload["iss"]) : std::string("missing")) +
               "; key \"" + key.kid + "\" signs for \"" + key.issuer + "\"");
  if (!audience_matches(payload, keys.audience)) return bad("token claim aud does not name \"" + keys.audience + "\"");
  TokenClaims c;
  c.role = string_claim(payload, "role").value_or("");
  if (!valid_role_name(c.role))
    return bad("token claim role is missing or unknown (customer, agent, supervisor, orders, admin, metrics or resume)");
  c.person = string_claim(payload, "sub").value_or("");
  if (!plain_text(c.person, person_bytes_max))
    return bad("token claim sub (the person) must be 1 to 128 characters without control characters");
  c.shop = string_claim(payload, "shop").value_or("");
  if (!plain_text(c.shop, shop_bytes_max)) return bad("token claim shop must be 1 to 64 characters without control characters");
  auto tier = tier_claim(payload);
  if (!tier) return tier.error();
  c.tier = *tier;
  if (auto g = payload.find("guest"); g != payload.end()) {
    if (!g->is_boolean()) return bad("token claim guest must be true or false");
    c.guest = g->get<bool>();
  }
  c.expires_unix_s = *exp;
  if (!key.shop.empty()) {
    const bool role_ok = c.role == "customer" || c.role == "orders" || c.role == "agent" || c.role == "supervisor";
    if (!role_ok || c.shop != key.shop)
      return bad("a key of shop \"" + key.shop + "\" signs only customer, orders, agent and supervisor tokens of that shop");
  }
  return c;
}

}  // namespace

const TokenKey* KeyRing::find(std::string_view kid) const {
  for (const auto& k : keys)
    if (k.kid == kid) return &k;
  return nullptr;
}

const TokenKey* KeyRing::signing_key() const {
  for (const auto& k : keys)
    if (k.shop.empty() && k.algorithm == KeyAlgorithm::hs256) return &k;
  return nullptr;
}

std::int64_t unix_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool valid_role_name(std::string_view role) {
  return role == "customer" || role == "agent" || role == "supervisor" || role == "orders" || role == "admin" ||
         role == "metrics" || role == "resume";
}

const char* tier_letter(v1::Tier tier) {
  switch (tier) {
    case v1::TIER_A: return "A";
    case v1::TIER_B: return "B";
    case v1::TIER_C: return "C";
    default: return "";
  }
}

Result<TokenClaims> verify_token(const KeyRing& keys, std::string_view token, std::string_view shop, std::int64_t now) {
  if (token.empty()) return bad("no token given");
  if (token.size() > token_bytes_max) return bad("token is longer than " + std::to_string(token_bytes_max) + " bytes");
  const auto d1 = token.find('.');
  const auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos ||
      !base64url_part(token.substr(0, d1)) || !base64url_part(token.substr(d1 + 1, d2 - d1 - 1)) ||
      !base64url_part(token.substr(d2 + 1)))
    return bad("token is not a JWT (expected header.payload.signature, each base64url)");
  using namespace jwt::params;
  std::error_code ec;
  json header, payload;
  jwt::jwt_object obj;
  try {
    // Parse only: the algorithm and key are chosen below from the kid, never from the token alone.
    obj = jwt::decode(jwt::string_view(token.data(), token.size()), algorithms({"HS256"}), ec, verify(false));
    if (!ec) {
      header = obj.header().create_json_obj();
      payload = obj.payload().create_json_obj();
    }
  } catch (const std::exception&) {
    ec = std::make_error_code(std::errc::invalid_argument);
  }
  if (ec || !header.is_object() || !payload.is_object()) return bad("token header or payload is not a JSON object");
  const auto kid = string_claim(header, "kid");
  if (!kid || !plain_text(*kid, kid_bytes_max)) return bad("token header has no kid (key id) of 1 to 64 characters");
  const TokenKey* key = keys.find(*kid);
  if (key == nullptr || (!key->shop.empty() && key->shop != shop))
    return bad("token key \"" + *kid + "\" is not known" + (shop.empty() ? std::string(" to this server") : " for shop \"" + std::string(shop) + "\""));
  const auto alg = string_claim(header, "alg").value_or("");
  if (alg != algorithm_name(key->algorithm))
    return bad("token algorithm " + quoted_or_hidden(header.value("alg", json())) + " does not match key \"" + key->kid + "\" (" +
               algorithm_name(key->algorithm) + ")");
  try {
    jwt::jwt_signature signature{key->material};
    const auto signed_part = jwt::string_view(token.data(), d2);
    const auto given = jwt::string_view(token.data() + d2 + 1, token.size() - d2 - 1);
    const auto verified = signature.verify(obj.header(), signed_part, given);
    if (verified.second || !verified.first)
      return bad("token signature does not verify with key \"" + key->kid + "\" (wrong key or altered token)");
  } catch (const std::exception&) {
    return bad("token signature does not verify with key \"" + key->kid + "\" (wrong key or altered token)");
  }
  return read_claims(keys, *key, payload, now);
}

Result<std::string> issue_token(const KeyRing& keys, const TokenKey& key, const TokenClaims& c, std::int64_t now) {
  if (key.algorithm != KeyAlgorithm::hs256) return invalid_argument("key \"" + key.kid + "\" is a public key: it cannot sign");
  using namespace jwt::params;
  json claims = {{"iss", key.issuer}, {"aud", keys.audience}, {"sub", c.person}, {"shop", c.shop}, {"role", c.role},
                 {"iat", now},        {"exp", c.expires_unix_s}};
  if (c.tier != v1::TIER_UNSPECIFIED) claims["tier"] = tier_letter(c.tier);
  if (c.guest) claims["guest"] = true;
  std::error_code ec;
  jwt::jwt_object obj{algorithm("HS256"), secret(key.material)};
  obj.header().add_header("kid", key.kid);
  for (auto it = claims.begin(); it != claims.end(); ++it) obj.payload().add_claim(it.key(), it.value());
  std::string token = obj.signature(ec);
  if (ec) return invalid_argument("cannot sign a token: " + ec.message());
  return token;
}

std::string mint_token(const KeyRing& keys, std::string shop, std::string person, std::string role, std::int64_t ttl_s,
                       v1::Tier tier) {
  const TokenKey* key = keys.signing_key();
  if (key == nullptr) throw std::logic_error("mint_token: the key ring has no operator HS256 key");
  const std::int64_t now = unix_now_s();
  auto token = issue_token(keys, *key, TokenClaims{std::move(shop), std::move(person), std::move(role), tier, false, now + ttl_s}, now);
  if (!token) throw std::logic_error("mint_token: " + token.error().message);
  return std::move(*token);
}

}  // namespace sb::net
