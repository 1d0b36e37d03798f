#include "api.hpp"

#include <thread>

#include <boost/asio/post.hpp>

#include <atomic>
#include <memory>

#include "codec.hpp"
#include "core/proto_time.hpp"
#include "core/time.hpp"
#include "server.hpp"
#include "shard.hpp"
#include "message_rules.hpp"
#include "token.hpp"

namespace sb::net {

namespace http = boost::beast::http;
namespace v1 = switchboard::v1;

namespace {

HttpResponse make_response(http::status status, unsigned version, bool keep_alive, std::string body,
                           const char* content_type = "application/json") {
  HttpResponse res{status, version};
  res.keep_alive(keep_alive);
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

v1::ErrorCode code_for(http::status status) {
  switch (status) {
    case http::status::unauthorized: return v1::ERROR_CODE_BAD_TOKEN;
    case http::status::forbidden: return v1::ERROR_CODE_FORBIDDEN;
    case http::status::not_found:
    case http::status::misdirected_request: return v1::ERROR_CODE_NOT_FOUND;
    case http::status::conflict: return v1::ERROR_CODE_INVALID_STATE;
    case http::status::service_unavailable: return v1::ERROR_CODE_UNAVAILABLE;
    default: return v1::ERROR_CODE_INVALID_ARGUMENT;
  }
}

// {"status": ..., "note": ...}, escaped by the JSON writer (a reason may quote a path).
std::string status_json(const std::string& status, const std::string& note) {
  v1::ReadyStatus r;
  r.set_status(status);
  r.set_note(note);
  return to_json(r);
}

constexpr core::TimeMs clock_advance_ms_max = 400 * core::ms_per_day;

std::string query_param(std::string_view query, std::string_view name) {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    const auto amp = query.find('&', pos);
    const auto part = query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    const auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return {};
}

struct Call {
  Server& server;
  HttpRequest req;
  Respond respond;

  void reply(http::status status, std::string body, const char* type = "application/json") {
    respond(make_response(status, req.version(), req.keep_alive(), std::move(body), type));
  }
  void fail(http::status status, const std::string& message) {
    respond(error_response(status, req.version(), req.keep_alive(), message));
  }
  // Empty when allowed; else the reason, already answered.
  bool authorize(const std::string& shop, std::initializer_list<std::string_view> roles) {
    const auto header = req[http::field::authorization];
    constexpr std::string_view bearer = "Bearer ";
    if (header.size() <= bearer.size() || header.substr(0, bearer.size()) != bearer) {
      server.metrics().auth_failures.Add({{"reason", "no_token"}}).Increment();
      fail(http::status::unauthorized, "send \"Authorization: Bearer <token>\"");
      return false;
    }
    const std::string_view token(header.data() + bearer.size(), header.size() - bearer.size());
    auto claims = verify_token(server.options().keys, token, shop, unix_now_s());
    if (!claims) {
      server.metrics().auth_failures.Add({{"reason", "bad_token"}}).Increment();
      fail(http::status::unauthorized, claims.error().message);
      return false;
    }
    if (claims->role == "admin" && claims->shop == "*") return true;
    bool role_ok = false;
    for (auto r : roles) role_ok = role_ok || (r == claims->role);
    const std::string& want = shop.empty() ? std::string("*") : shop;
    if (!role_ok || claims->shop != want) {
      server.metrics().auth_failures.Add({{"reason", "wrong_role_or_shop"}}).Increment();
      fail(http::status::forbidden, "a " + claims->role + " token for shop \"" + claims->shop + "\" may not do this" +
                                        (shop.empty() ? "" : " for shop \"" + shop + "\""));
      return false;
    }
    return true;
  }
};

// An authorized caller asked for a shop this node does not serve: 421 naming the node that does
// (several nodes behind a proxy), else 404.
void not_here(Call& call, const std::string& shop) {
  if (const auto node = call.server.shop_elsewhere(shop))
    return call.fail(http::status::misdirected_request,
                     "shop \"" + shop + "\" is served by " + *node + ", not by this node: call it through the proxy");
  call.fail(http::status::not_found, "no shop \"" + shop + "\" on this server");
}

void figures(std::shared_ptr<Call> call, const std::string& shop, std::string_view query) {
  // The token first: to anyone without one for this shop, unknown and known shops look alike.
  if (!call->authorize(shop, {"supervisor"})) return;
  const ShopRoute* route = call->server.route(shop);
  if (route == nullptr) return not_here(*call, shop);
  const std::string date = query_param(query, "date");
  std::optional<core::DayNumber> day;
  if (!date.empty()) {
    day = core::parse_date(date);
    if (!day) return call->fail(http::status::bad_request, "date must be YYYY-MM-DD, got \"" + date + "\"");
  }
  Shard& shard = call->server.shard(route->shard);
  boost::asio::post(shard.context(), [call, &shard, shop, day] {
    const core::ShopEngine* engine = shard.engine().shop(shop);
    if (engine == nullptr) return call->fail(http::status::misdirected_request, "shop \"" + shop + "\" has moved to another node");
    const core::TimeMs now = shard.now();
    const core::DayNumber d = day ? *day : engine->config().hours.zone().local(now).day;
    call->reply(http::status::ok, to_json(engine->figures(d, now)));
  });
}

// `path_shop`: the shop of /api/v1/shops/{shop}/orders (empty on /api/v1/orders).
void orders(std::shared_ptr<Call> call, const std::string& path_shop) {
  v1::Order order;
  std::string error;
  if (!from_json(call->req.body(), order, error))
    return call->fail(http::status::bad_request, "body is not a switchboard.v1.Order in JSON: " + error);
  if (auto c = check_order(order); !c) return call->fail(http::status::bad_request, c.error().message);
  if (!path_shop.empty() && !order.shop_id().empty() && order.shop_id() != path_shop)
    return call->fail(http::status::bad_request,
                      "shopId \"" + order.shop_id() + "\" differs from the shop in the path (\"" + path_shop + "\")");
  if (order.shop_id().empty()) order.set_shop_id(path_shop);
  if (order.shop_id().empty()) return call->fail(http::status::bad_request, "the order is missing its shop_id");
  if (!call->authorize(order.shop_id(), {"orders"})) return;
  const ShopRoute* route = call->server.route(order.shop_id());
  if (route == nullptr) return not_here(*call, order.shop_id());
  Shard& shard = call->server.shard(route->shard);
  boost::asio::post(shard.context(), [call, &shard, order = std::move(order)] {
    core::Output out;
    const core::TimeMs t = shard.now();
    const core::OrderResult r = shard.timed(Shard::Call::order, [&] { return shard.engine().order(t, order, out); });
    auto entry = shard.entry(t);
    *entry.mutable_order() = order;
    if (!r.ok) {
      shard.finish(std::move(entry), out, nullptr, {});
      return call->fail(http::status::bad_request, r.error);
    }
    v1::OrderAccepted accepted;
    accepted.set_order_id(order.order_id());
    accepted.set_duplicate(r.duplicate);
    accepted.set_attributed(r.attributed);
    // Acknowledged only once the order is in the journal.
    shard.finish(std::move(entry), out, nullptr, {}, [call, body = to_json(accepted)] { call->reply(http::status::ok, body); });
  });
}

void advance_clock(std::shared_ptr<Call> call) {
  if (!call->authorize("", {})) return;
  Server& server = call->server;
  if (!server.clock().is_manual())
    return call->fail(http::status::conflict, "the server runs on the system clock; start it with --clock manual");
  v1::ClockAdvance body;
  std::string error;
  if (!from_json(call->req.body(), body, error))
    return call->fail(http::status::bad_request, "body is not a switchboard.v1.ClockAdvance in JSON: " + error);
  if (auto c = check_clock_advance(body); !c) return call->fail(http::status::bad_request, c.error().message);
  const core::TimeMs now = server.clock().now();
  core::TimeMs target = now;
  if (!body.advance_to().empty() && body.advance_ms() != 0)
    return call->fail(http::status::bad_request, "give advance_to or advance_ms, not both");
  if (!body.advance_to().empty()) {
    auto t = core::parse_rfc3339(body.advance_to());
    if (!t) return call->fail(http::status::bad_request, "advance_to is not an RFC 3339 time: \"" + body.advance_to() + "\"");
    target = *t;
  } else {
    target = now + body.advance_ms();
  }
  if (target < now)
    return call->fail(http::status::bad_request, "the clock cannot go back: it is " + core::format_rfc3339_utc(now) +
                                                     ", asked for " + core::format_rfc3339_utc(target));
  // Every hour boundary in between fires for every shop: a bound keeps one call from holding a
  // shard for long (and keeps time where the core can represent it).
  if (target - now > clock_advance_ms_max)
    return call->fail(http::status::bad_request, "advance at most 400 days per call; asked for " +
                                                     std::to_string((target - now) / core::ms_per_day) + " days");
  struct Gather {
    std::atomic<std::size_t> remaining;
    std::atomic<std::size_t> fired{0};
  };
  auto gather = std::make_shared<Gather>();
  gather->remaining = server.shard_count();
  for (std::size_t i = 0; i < server.shard_count(); ++i) {
    Shard& shard = server.shard(i);
    boost::asio::post(shard.context(), [call, gather, &shard, target] {
      shard.advance_to(target, [call, gather, target](std::size_t fired) {
        gather->fired += fired;
        if (--gather->remaining > 0) return;
        call->server.clock().set(target);
        v1::ClockNow reply;
        core::set_time(reply.mutable_now(), target);
        reply.set_timers_fired(static_cast<std::uint32_t>(gather->fired.load()));
        call->reply(http::status::ok, to_json(reply));
      });
    });
  }
}

http::status status_for(v1::ErrorCode code) {
  switch (code) {
    case v1::ERROR_CODE_NOT_FOUND: return http::status::not_found;
    case v1::ERROR_CODE_INVALID_STATE: return http::status::conflict;
    case v1::ERROR_CODE_UNAVAILABLE: return http::status::service_unavailable;
    case v1::ERROR_CODE_FORBIDDEN: return http::status::forbidden;
    default: return http::status::bad_request;
  }
}

// The shop of /api/v1/admin/shops/{shop}{action}, or empty.
std::string admin_shop(const std::string& path, std::string_view action) {
  constexpr std::string_view prefix = "/api/v1/admin/shops/";
  if (path.rfind(prefix, 0) != 0 || !path.ends_with(action)) return {};
  if (path.size() <= prefix.size() + action.size()) return {};
  const std::string shop = path.substr(prefix.size(), path.size() - prefix.size() - action.size());
  return shop.find('/') == std::string::npos ? shop : std::string();
}

// POST /api/v1/admin/shops/{shop}/release: the first half of a planned move.
void release_shop(std::shared_ptr<Call> call, const std::string& shop) {
  if (!call->authorize("", {})) return;
  v1::ShopRelease body;
  std::string error;
  if (!call->req.body().empty() && !from_json(call->req.body(), body, error))
    return call->fail(http::status::bad_request, "body is not a switchboard.v1.ShopRelease in JSON: " + error);
  call->server.release_shop(shop, body.to_node(), [call, shop](Result<std::string> r) {
    if (!r) return call->fail(status_for(r.error().code), r.error().message);
    v1::ShopMoved moved;
    moved.set_shop_id(shop);
    moved.set_node(call->server.node_id);
    moved.set_connections_cut(static_cast<std::uint32_t>(std::stoul(*r)));
    call->reply(http::status::ok, to_json(moved));
  });
}

// POST /api/v1/admin/shops/{shop}/adopt with {"lostNode": …}: an unplanned move, the shop
// rebuilt from what PostgreSQL holds of a node lost for good (docs/operations.md).
void rebuild_shop(std::shared_ptr<Call> call, const std::string& shop, const std::string& lost) {
  if (!call->server.rebuild_lost)
    return call->fail(http::status::conflict, "rebuilding a shop needs history ([store]): its state comes from PostgreSQL");
  if (lost == call->server.node_id) return call->fail(http::status::bad_request, "lostNode names this node: a node cannot rebuild from itself");
  std::thread([call, shop, lost] {
    auto rebuild = call->server.rebuild_lost(shop, lost);
    if (!rebuild) return call->fail(status_for(rebuild.error().code), "shop \"" + shop + "\" not rebuilt: " + rebuild.error().message);
    const std::string id = rebuild->record_id;
    const auto people = static_cast<std::uint32_t>(rebuild->shop.people_cut);
    const core::TimeMs at = rebuild->shop.at_ms;
    call->server.adopt_shop(shop, std::move(rebuild->shop.state), [call, shop, lost, id, people, at](Result<std::string> r) {
      if (!r) {
        call->server.drop_rebuild(id);
        return call->fail(status_for(r.error().code), "shop \"" + shop + "\" not adopted: " + r.error().message);
      }
      v1::ShopMoved moved;
      moved.set_shop_id(shop);
      moved.set_node(call->server.node_id);
      moved.set_from_node(lost);
      moved.set_handed_at(core::format_rfc3339_utc(at));
      moved.set_connections_cut(people);
      call->reply(http::status::ok, to_json(moved));
    }, std::move(rebuild->shop.cut_events));
  }).detach();
}

// POST /api/v1/admin/shops/{shop}/adopt: the second half, on the new owner. The claim talks to
// PostgreSQL, so it runs on a thread of its own, not on a shard's.
void adopt_shop(std::shared_ptr<Call> call, const std::string& shop) {
  if (!call->authorize("", {})) return;
  v1::ShopAdopt body;
  std::string error;
  if (!call->req.body().empty() && !from_json(call->req.body(), body, error))
    return call->fail(http::status::bad_request, "body is not a switchboard.v1.ShopAdopt in JSON: " + error);
  if (call->server.route(shop) != nullptr) return call->fail(http::status::conflict, "shop \"" + shop + "\" is already served here");
  if (!body.lost_node().empty()) return rebuild_shop(call, shop, body.lost_node());
  if (!call->server.claim_handoff)
    return call->fail(http::status::conflict, "adopting a shop needs history ([store]): its state comes from PostgreSQL");
  std::thread([call, shop] {
    auto claim = call->server.claim_handoff(shop);
    if (!claim) return call->fail(status_for(claim.error().code), claim.error().message);
    call->server.adopt_shop(shop, claim->state, [call, shop, c = *claim](Result<std::string> r) {
      if (!r) {
        call->server.unclaim_handoff(c.event_id);
        return call->fail(status_for(r.error().code), "shop \"" + shop + "\" not adopted: " + r.error().message);
      }
      v1::ShopMoved moved;
      moved.set_shop_id(shop);
      moved.set_node(call->server.node_id);
      moved.set_from_node(c.from_node);
      moved.set_handed_at(c.handed_at);
      call->reply(http::status::ok, to_json(moved));
    });
  }).detach();
}

// The demo's sign-in (server.demo_sign_in): a token for any agent or supervisor of a shop here.
void demo_sign_in(std::shared_ptr<Call> call, std::string_view query) {
  const std::string shop = query_param(query, "shop"), person = query_param(query, "person"), role = query_param(query, "role");
  if (role != "agent" && role != "supervisor") return call->fail(http::status::bad_request, "role must be agent or supervisor");
  const bool plain = !person.empty() && person.size() <= 64 &&
                     std::all_of(person.begin(), person.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
  if (!plain) return call->fail(http::status::bad_request, "person must be 1 to 64 letters, digits, '-' or '_'");
  if (call->server.route(shop) == nullptr) return call->fail(http::status::not_found, "no shop \"" + shop + "\" on this server");
  call->reply(http::status::ok, "{\"token\":\"" + mint_token(call->server.options().keys, shop, person, role, 12 * 3600) + "\"}");
}

}  // namespace

HttpResponse error_response(http::status status, unsigned version, bool keep_alive, const std::string& message) {
  v1::Error e;
  e.set_code(code_for(status));
  e.set_message(message);
  return make_response(status, version, keep_alive, to_json(e));
}

void handle_api(Server& server, HttpRequest req, Respond respond, Surface surface) {
  auto call = std::make_shared<Call>(Call{server, std::move(req), std::move(respond)});
  const std::string target(call->req.target());
  const auto qpos = target.find('?');
  const std::string path = target.substr(0, qpos);
  const std::string_view query = qpos == std::string::npos ? std::string_view() : std::string_view(target).substr(qpos + 1);
  const auto method = call->req.method();
  auto only = [&](http::verb v) {
    if (method == v) return true;
    call->fail(http::status::method_not_allowed, std::string(path) + " takes " + std::string(http::to_string(v)));
    return false;
  };

  constexpr std::string_view shops_prefix = "/api/v1/shops/";
  const bool shop_path = path.rfind(shops_prefix, 0) == 0;
  const auto slash = shop_path ? path.find('/', shops_prefix.size()) : std::string::npos;
  const std::string shop = slash == std::string::npos ? std::string() : path.substr(shops_prefix.size(), slash - shops_prefix.size());
  const std::string rest = slash == std::string::npos ? std::string() : path.substr(slash);
  const bool admin_path = path == "/metrics" || path.rfind("/api/v1/admin/", 0) == 0 || (shop_path && rest == "/figures");
  if (surface == Surface::public_only && admin_path) {
    call->fail(http::status::not_found, path + " is served on the admin listener");
    return;
  }
  if (path == "/healthz") {
    if (only(http::verb::get)) call->reply(http::status::ok, "{\"status\":\"ok\"}");
  } else if (path == "/readyz") {
    if (!only(http::verb::get)) return;
    std::string reason = server.draining() ? "draining" : server.not_ready_reason ? server.not_ready_reason() : "";
    if (!reason.empty()) return call->reply(http::status::service_unavailable, status_json(reason, ""));
    call->reply(http::status::ok, status_json("ready", server.ready_note ? server.ready_note() : ""));
  } else if (path == "/metrics") {
    if (!only(http::verb::get)) return;
    // Secure by default: every shop's series need a token, unless this is the admin listener
    // (a private interface), where metrics_token_required can still ask for one.
    const bool need_token = surface != Surface::admin_only || server.options().metrics_token_required;
    if (need_token && !call->authorize("", {"metrics"})) return;
    if (server.before_scrape) server.before_scrape();
    call->reply(http::status::ok, server.metrics().serialize(), "text/plain; version=0.0.4");
  } else if (path == "/api/v1/orders") {
    if (only(http::verb::post)) orders(call, "");
  } else if (path == "/api/v1/admin/clock") {
    if (only(http::verb::post)) advance_clock(call);
  } else if (path == "/api/v1/demo/sign-in" && server.options().demo_sign_in) {
    if (only(http::verb::post)) demo_sign_in(call, query);
  } else if (!shop.empty() && rest == "/figures") {
    if (only(http::verb::get)) figures(call, shop, query);
  } else if (const std::string moving = admin_shop(path, "/release"); !moving.empty()) {
    if (only(http::verb::post)) release_shop(call, moving);
  } else if (const std::string adopting = admin_shop(path, "/adopt"); !adopting.empty()) {
    if (only(http::verb::post)) adopt_shop(call, adopting);
  } else if (!shop.empty() && rest == "/orders") {
    if (only(http::verb::post)) orders(call, shop);
  } else {
    call->fail(http::status::not_found, "no such endpoint: " + path);
  }
}

}  // namespace sb::net
