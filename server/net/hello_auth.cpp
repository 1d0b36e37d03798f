#include "hello_auth.hpp"

#include "shop_route.hpp"

namespace sb::net {

namespace v1 = switchboard::v1;

namespace {

Error bad_token(std::string message) { return {v1::ERROR_CODE_BAD_TOKEN, std::move(message)}; }

// The resume token this server signed in an earlier Welcome: person "<role>:<id>".
Result<core::Actor> from_resume_token(const KeyRing& keys, const v1::Hello& h, const std::string& shop, std::int64_t now,
                                      const char*& reason) {
  auto claims = verify_token(keys, h.resume_token(), shop, now);
  if (!claims) {
    reason = "bad_token";
    return bad_token("resume token: " + claims.error().message);
  }
  const std::string prefix = std::string(role_name(h.role())) + ":";
  const bool customer = h.role() == v1::ROLE_CUSTOMER;
  if (claims->role != "resume" || claims->shop != shop || claims->person.rfind(prefix, 0) != 0 ||
      (customer && !h.member_id().empty() && claims->person.substr(prefix.size()) != h.member_id())) {
    reason = "wrong_resume";
    return bad_token("resume token is not for this shop, role and person");
  }
  return core::Actor{h.role(), shop, claims->person.substr(prefix.size()), claims->tier, claims->guest};
}

Result<core::Actor> from_token(const KeyRing& keys, const v1::Hello& h, const std::string& shop, std::int64_t now,
                               const char*& reason) {
  auto claims = verify_token(keys, h.token(), shop, now);
  reason = "bad_token";
  if (!claims) return bad_token(claims.error().message);
  if (claims->shop != shop) {
    reason = "wrong_shop";
    return bad_token("token is for shop \"" + claims->shop + "\", not \"" + shop + "\"");
  }
  if (claims->role != role_name(h.role())) {
    reason = "wrong_role";
    return bad_token("token is for role " + claims->role + ", not " + role_name(h.role()));
  }
  if (h.role() == v1::ROLE_CUSTOMER && !h.member_id().empty() && claims->person != h.member_id()) {
    reason = "wrong_person";
    return bad_token("token is for member \"" + claims->person + "\", not \"" + h.member_id() + "\"");
  }
  reason = nullptr;
  return core::Actor{h.role(), shop, claims->person, claims->tier, false};
}

}  // namespace

const char* role_name(v1::Role r) {
  switch (r) {
    case v1::ROLE_CUSTOMER: return "customer";
    case v1::ROLE_AGENT: return "agent";
    case v1::ROLE_SUPERVISOR: return "supervisor";
    default: return "unspecified";
  }
}

Result<std::string> hello_shop(const v1::Hello& hello, std::string_view url_shop) {
  if (!url_shop.empty() && !hello.shop_id().empty() && hello.shop_id() != url_shop)
    return invalid_argument("hello.shopId \"" + hello.shop_id() + "\" differs from the shop in the URL (\"" +
                            std::string(url_shop) + "\")");
  if (hello.shop_id().empty() && url_shop.empty())
    return invalid_argument("hello.shopId is required (or connect to /ws/shops/{shop})");
  return hello.shop_id().empty() ? std::string(url_shop) : hello.shop_id();
}

Result<core::Actor> authenticate(const KeyRing& keys, const v1::Hello& h, const std::string& shop, const ShopRoute* route,
                                 const std::string* elsewhere, std::int64_t now, const char*& reason) {
  reason = nullptr;
  if (h.role() != v1::ROLE_CUSTOMER && h.role() != v1::ROLE_AGENT && h.role() != v1::ROLE_SUPERVISOR)
    return invalid_argument("hello.role must be ROLE_CUSTOMER, ROLE_AGENT or ROLE_SUPERVISOR");
  const bool customer = h.role() == v1::ROLE_CUSTOMER;
  Result<core::Actor> who = invalid_argument("");
  if (!h.resume_token().empty()) {
    who = from_resume_token(keys, h, shop, now, reason);
  } else if (!h.token().empty()) {
    who = from_token(keys, h, shop, now, reason);
  } else if (customer && route != nullptr && route->guests) {
    if (!h.member_id().empty())
      return invalid_argument("hello.memberId: guests of shop \"" + shop +
                              "\" get an id from the server; to name a member, send a token signed by the shop's site");
    who = core::Actor{v1::ROLE_CUSTOMER, shop, "", v1::TIER_C, true};
  } else {
    reason = "no_token";
    return bad_token(customer ? "shop \"" + shop + "\" requires a customer token signed by its site (hello.token)"
                              : std::string("hello.token is required for agents and supervisors"));
  }
  if (!who) return who;
  // Only now, with a credential that verified: whether the shop lives here.
  if (route == nullptr && elsewhere != nullptr)
    return Error{v1::ERROR_CODE_NOT_FOUND, "shop \"" + shop + "\" is served by " + *elsewhere +
                                               ", not by this node: connect through the proxy to /ws/shops/" + shop};
  if (route == nullptr) return Error{v1::ERROR_CODE_NOT_FOUND, "no shop \"" + shop + "\" on this server"};
  return who;
}

}  // namespace sb::net
