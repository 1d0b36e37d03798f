// JWT verification: which key may sign what, rotation by kid, and every claim checked with the
// stated clock skew; what a client may send (the edge's message rules).
#include <catch2/catch.hpp>

#include <jwt/jwt.hpp>

#include <cstdlib>
#include <fstream>

#include "net/message_rules.hpp"
#include "net/token.hpp"

namespace v1 = switchboard::v1;
using sb::net::KeyAlgorithm;
using sb::net::KeyRing;
using sb::net::TokenClaims;
using sb::net::TokenKey;

namespace {

constexpr std::int64_t now = 1'800'000'000;

KeyRing ring() {
  KeyRing r;
  r.keys.push_back(TokenKey{"ops-new", KeyAlgorithm::hs256, std::string(40, 'n'), "", "switchboard"});
  r.keys.push_back(TokenKey{"ops-old", KeyAlgorithm::hs256, std::string(40, 'o'), "", "switchboard"});
  r.keys.push_back(TokenKey{"shop-a-1", KeyAlgorithm::hs256, std::string(40, 'a'), "a", "https://a.example"});
  return r;
}

std::string sign(const KeyRing& r, const std::string& kid, TokenClaims c) {
  auto t = sb::net::issue_token(r, *r.find(kid), c, now);
  REQUIRE(t.ok());
  return *t;
}

// A token built by hand, as a careless or hostile site would: any header, any claims, HS256 with `secret`.
std::string forge(const nlohmann::json& header, const nlohmann::json& claims, const std::string& key, const char* alg = "HS256") {
  using namespace jwt::params;
  jwt::jwt_object obj{algorithm(alg), secret(key)};
  for (auto it = header.begin(); it != header.end(); ++it) obj.header().add_header(it.key(), it.value().get<std::string>(), true);
  for (auto it = claims.begin(); it != claims.end(); ++it) obj.payload().add_claim(it.key(), it.value());
  return obj.signature();
}

nlohmann::json good_claims() {
  return {{"iss", "switchboard"}, {"aud", "switchboard"}, {"sub", "m1"}, {"shop", "a"}, {"role", "customer"}, {"exp", now + 600}};
}

std::string refusal(const KeyRing& r, const std::string& token, const std::string& shop = "a") {
  auto c = sb::net::verify_token(r, token, shop, now);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == v1::ERROR_CODE_BAD_TOKEN);
  return c.error().message;
}

}  // namespace

TEST_CASE("an operator key signs any role; the first one signs what the server issues", "[token]") {
  const KeyRing r = ring();
  REQUIRE(r.signing_key()->kid == "ops-new");
  const auto c = sb::net::verify_token(r, sign(r, "ops-new", {"*", "ops", "admin", {}, false, now + 60}), "", now);
  REQUIRE(c.ok());
  CHECK(c->role == "admin");
  CHECK(c->shop == "*");
  // Rotation: a token of the old key still verifies while it is listed.
  CHECK(sb::net::verify_token(r, sign(r, "ops-old", {"a", "alice", "agent", {}, false, now + 60}), "a", now).ok());
  KeyRing rotated = r;
  rotated.keys.erase(rotated.keys.begin() + 1);
  CHECK(refusal(rotated, sign(r, "ops-old", {"a", "alice", "agent", {}, false, now + 60})) ==
        "token key \"ops-old\" is not known for shop \"a\"");
}

TEST_CASE("a shop's key signs only its own shop's customer, orders, agent and supervisor tokens", "[token]") {
  const KeyRing r = ring();
  const auto c = sb::net::verify_token(r, sign(r, "shop-a-1", {"a", "m-9", "customer", v1::TIER_A, false, now + 60}), "a", now);
  REQUIRE(c.ok());
  CHECK(c->tier == v1::TIER_A);
  CHECK(c->person == "m-9");
  // Presented for another shop, its key is unknown there, exactly as a made-up kid is.
  CHECK(refusal(r, sign(r, "shop-a-1", {"a", "m-9", "customer", {}, false, now + 60}), "b") ==
        "token key \"shop-a-1\" is not known for shop \"b\"");
  CHECK(refusal(r, forge({{"kid", "nope"}}, good_claims(), "x"), "b") == "token key \"nope\" is not known for shop \"b\"");
  CHECK(refusal(r, sign(r, "shop-a-1", {"*", "x", "admin", {}, false, now + 60}), "a") ==
        "a key of shop \"a\" signs only customer, orders, agent and supervisor tokens of that shop");
  auto other_shop = good_claims();
  other_shop["iss"] = "https://a.example";
  other_shop["shop"] = "b";
  CHECK(refusal(r, forge({{"kid", "shop-a-1"}}, other_shop, std::string(40, 'a')), "a") ==
        "a key of shop \"a\" signs only customer, orders, agent and supervisor tokens of that shop");
}

TEST_CASE("the algorithm is the key's; signature, issuer, audience, expiry and not-before are checked", "[token]") {
  const KeyRing r = ring();
  const std::string ops(40, 'n');
  CHECK(sb::net::verify_token(r, forge({{"kid", "ops-new"}}, good_claims(), ops), "a", now).ok());
  CHECK(refusal(r, forge({{"kid", "ops-new"}}, good_claims(), ops, "HS512")) ==
        "token algorithm \"HS512\" does not match key \"ops-new\" (HS256)");
  CHECK(refusal(r, forge({{"kid", "ops-new"}}, good_claims(), "wrong-secret-wrong-secret-wrong-secret")) ==
        "token signature does not verify with key \"ops-new\" (wrong key or altered token)");
  CHECK(refusal(r, forge({}, good_claims(), ops)) == "token header has no kid (key id) of 1 to 64 characters");
  auto c = good_claims();
  c["iss"] = "evil";
  CHECK(refusal(r, forge({{"kid", "ops-new"}}, c, ops)) == "token claim iss is \"evil\"; key \"ops-new\" signs for \"switchboard\"");
  c = good_claims();
  c["aud"] = nlohmann::json::array({"other", "switchboard"});
  CHECK(sb::net::verify_token(r, forge({{"kid", "ops-new"}}, c, ops), "a", now).ok());  // an audience list naming us
  c.erase("aud");
  CHECK(refusal(r, forge({{"kid", "ops-new"}}, c, ops)) == "token claim aud does not name \"switchboard\"");
  c = good_claims();
  c.erase("exp");
  CHECK(refusal(r, forge({{"kid", "ops-new"}}, c, ops)) == "token claim exp is missing or not a whole number of seconds since 1970");
  c["exp"] = now - 30;  // inside the 60 s skew
  CHECK(sb::net::verify_token(r, forge({{"kid", "ops-new"}}, c, ops), "a", now).ok());
  c["exp"] = now - 61;
  CHECK(refusal(r, forge({{"kid", "ops-new"}}, c, ops)).find("token expired at 2027-01-15T07:58:59.000Z (allowed clock skew 60 s)") == 0);
  c["exp"] = "soon";
  CHECK(refusal(r, forge({{"kid", "ops-new"}}, c, ops)).find("token claim exp is missing") == 0);
  c = good_claims();
  c["nbf"] = now + 120;
  CHECK(refusal(r, forge({{"kid", "ops-new"}}, c, ops)).find("token is not valid before") == 0);
  c["nbf"] = now + 30;  // inside the skew
  CHECK(sb::net::verify_token(r, forge({{"kid", "ops-new"}}, c, ops), "a", now).ok());
  c = good_claims();
  c["tier"] = "S";
  CHECK(refusal(r, forge({{"kid", "ops-new"}}, c, ops)) == "token claim tier must be \"A\", \"B\" or \"C\"");
  c = good_claims();
  c["role"] = "root";
  CHECK(refusal(r, forge({{"kid", "ops-new"}}, c, ops)).find("token claim role is missing or unknown") == 0);
  c = good_claims();
  c["sub"] = std::string("m\n1");
  CHECK(refusal(r, forge({{"kid", "ops-new"}}, c, ops)).find("token claim sub (the person)") == 0);
}

TEST_CASE("malformed tokens are refused with a reason", "[token]") {
  const KeyRing r = ring();
  CHECK(refusal(r, "") == "no token given");
  CHECK(refusal(r, "a.b") == "token is not a JWT (expected header.payload.signature, each base64url)");
  CHECK(refusal(r, "a.b.c.d") == "token is not a JWT (expected header.payload.signature, each base64url)");
  CHECK(refusal(r, "a b.c.d") == "token is not a JWT (expected header.payload.signature, each base64url)");
  CHECK(refusal(r, std::string(5000, 'a')) == "token is longer than 4096 bytes");
  CHECK(refusal(r, "bm90IGpzb24.eyJhIjoxfQ.c2ln") == "token header or payload is not a JSON object");
  // {"alg":5} is JSON, but not a header cpp-jwt can read: refused, not thrown.
  CHECK(refusal(r, "eyJhbGciOjV9.eyJhIjoxfQ.c2ln") == "token header or payload is not a JSON object");
}

TEST_CASE("message rules: strings, enums and numbers a client sends", "[token][rules]") {
  v1::ClientMessage m;
  m.mutable_send_text()->set_text(std::string("ok\ttab\nline"));
  CHECK(sb::net::check_client_message(m).ok());
  m.mutable_send_text()->set_text(std::string("\xff\xfe", 2));  // only a message built in code can hold this
  CHECK(sb::net::check_client_message(m).error().message == "sendText.text: is not valid UTF-8 (byte 0)");
  m.mutable_send_text()->set_text(std::string(70'000, 'x'));
  CHECK(sb::net::check_client_message(m).error().message == "sendText.text: is 70000 bytes; the limit is 65536");
  m.Clear();
  m.mutable_set_agent_status()->set_status(static_cast<v1::AgentStatus>(99));
  CHECK(sb::net::check_client_message(m).error().message == "setAgentStatus.status: 99 is not a AgentStatus value");
  m.Clear();
  m.mutable_enter()->set_tier(v1::TIER_A);
  CHECK(sb::net::check_client_message(m).error().message ==
        "enter.tier: is not accepted from clients: a customer's tier comes from its token");
  m.Clear();
  auto& seen = *m.mutable_hello()->mutable_seen();
  for (int i = 0; i < 300; ++i) seen["s" + std::to_string(i)] = 1;
  CHECK(sb::net::check_client_message(m).error().message == "hello.seen: has 300 entries; the limit is 256");
  m.Clear();
  m.set_request_id("r\x01");
  CHECK(sb::net::check_client_message(m).error().message.find("requestId: contains control character U+0001") == 0);
  v1::Order o;
  o.set_order_id("o1");
  o.set_amount(-1);
  CHECK(sb::net::check_order(o).error().message == "amount: must be 0 to 1000000000000");
  o.set_amount(std::numeric_limits<double>::quiet_NaN());
  CHECK(sb::net::check_order(o).error().message == "amount: must be a finite number");
}

TEST_CASE("a key configured with a public key verifies RS256 tokens and signs nothing", "[token]") {
  char dir[] = "/tmp/sb-rsa-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string d = dir;
  REQUIRE(std::system(("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + d + "/k.pem 2>/dev/null && "
                       "openssl pkey -in " + d + "/k.pem -pubout -out " + d + "/k.pub").c_str()) == 0);
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  KeyRing r = ring();
  r.keys.push_back(TokenKey{"site-rsa", KeyAlgorithm::rs256, slurp(d + "/k.pub"), "a", "https://a.example"});
  auto claims = good_claims();
  claims["iss"] = "https://a.example";
  const std::string token = forge({{"kid", "site-rsa"}}, claims, slurp(d + "/k.pem"), "RS256");
  const auto c = sb::net::verify_token(r, token, "a", now);
  INFO((c.ok() ? std::string() : c.error().message));
  CHECK(c.ok());
  // The same claims HS256-signed with the public key's text (the classic confusion) are refused.
  CHECK(refusal(r, forge({{"kid", "site-rsa"}}, claims, slurp(d + "/k.pub"), "HS256")) ==
        "token algorithm \"HS256\" does not match key \"site-rsa\" (RS256)");
  CHECK_FALSE(sb::net::issue_token(r, *r.find("site-rsa"), {"a", "m1", "customer", {}, false, now + 60}, now).ok());
  std::system(("rm -rf " + d).c_str());
}
