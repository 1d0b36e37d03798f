// Who a connection's hello says it is, proven: the shop (from the hello or the URL), the role,
// and the person from a verified token, a resume token, or (where the shop allows guests)
// nobody yet. Authentication only: what the person may do, and whether an agent exists, is
// the core's to decide. A caller without a token valid for the shop learns nothing about
// whether the shop exists: unknown and known shops answer alike until a token verifies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/actor.hpp"
#include "core/result.hpp"
#include "token.hpp"

namespace sb::net {

struct ShopRoute;

// The shop a hello is for: hello.shopId, or the URL's when the hello leaves it empty; both given
// must agree.
Result<std::string> hello_shop(const switchboard::v1::Hello& hello, std::string_view url_shop);

// Verifies the hello's credential for `shop`; `route` is the shop's route on this node or nullptr,
// `elsewhere` the node serving it instead (several nodes) or nullptr: only a caller whose
// credential verified learns that, anyone else is refused as for an unknown shop.
// On failure, `refusal.reason` says which security counter it is.
Result<core::Actor> authenticate(const KeyRing& keys, const switchboard::v1::Hello& hello, const std::string& shop,
                                 const ShopRoute* route, const std::string* elsewhere, std::int64_t now_unix_s,
                                 const char*& refusal_reason);

const char* role_name(switchboard::v1::Role role);  // "customer", "agent", "supervisor", "unspecified"

}  // namespace sb::net
