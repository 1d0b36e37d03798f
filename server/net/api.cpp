#include "api.hpp"

#include <boost/asio/post.hpp>

#include <atomic>
#include <memory>

#include "codec.hpp"
#include "core/proto_time.hpp"
#include "server.hpp"
#include "shard.hpp"
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
    case http::status::not_found: return v1::ERROR_CODE_NOT_FOUND;
    case http::status::conflict: return v1::ERROR_CODE_INVALID_STATE;
    case http::status::service_unavailable: return v1::ERROR_CODE_UNAVAILABLE;
    default: return v1::ERROR_CODE_INVALID_ARGUMENT;
  }
}

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
    const TokenCheck check = verify_token(server.options().token_secret, token, unix_now_s());
    if (!check.ok) {
      server.metrics().auth_failures.Add({{"reason", "bad_token"}}).Increment();
      fail(http::status::unauthorized, check.error);
      return false;
    }
    if (check.claims.role == "admin" && check.claims.shop == "*") return true;
    bool role_ok = false;
    for (auto r : roles) role_ok = role_ok || (r == check.claims.role);
    if (!role_ok || check.claims.shop != shop) {
      server.metrics().auth_failures.Add({{"reason", "wrong_role_or_shop"}}).Increment();
      fail(http::status::forbidden, "a " + check.claims.role + " token for shop \"" + check.claims.shop +
                                        "\" may not do this" + (shop.empty() ? "" : " for shop \"" + shop + "\""));
      return false;
    }
    return true;
  }
};

void figures(std::shared_ptr<Call> call, const std::string& shop, std::string_view query) {
  const ShopRoute* route = call->server.route(shop);
  if (route == nullptr) return call->fail(http::status::not_found, "no shop \"" + shop + "\" on this server");
  if (!call->authorize(shop, {"supervisor"})) return;
  const std::string date = query_param(query, "date");
  std::optional<core::DayNumber> day;
  if (!date.empty()) {
    day = core::parse_date(date);
    if (!day) return call->fail(http::status::bad_request, "date must be YYYY-MM-DD, got \"" + date + "\"");
  }
  Shard& shard = call->server.shard(route->shard);
  boost::asio::post(shard.context(), [call, &shard, shop, day] {
    const core::ShopEngine* engine = shard.engine().shop(shop);
    const core::TimeMs now = shard.now();
    const core::DayNumber d = day ? *day : core::to_local(now, engine->config().hours.utc_offset_minutes()).day;
    call->reply(http::status::ok, to_json(engine->figures(d, now)));
  });
}

void orders(std::shared_ptr<Call> call) {
  v1::Order order;
  std::string error;
  if (!from_json(call->req.body(), order, error))
    return call->fail(http::status::bad_request, "body is not a switchboard.v1.Order in JSON: " + error);
  if (order.shop_id().empty()) return call->fail(http::status::bad_request, "the order is missing its shop_id");
  const ShopRoute* route = call->server.route(order.shop_id());
  if (route == nullptr) return call->fail(http::status::not_found, "no shop \"" + order.shop_id() + "\" on this server");
  if (!call->authorize(order.shop_id(), {"orders"})) return;
  Shard& shard = call->server.shard(route->shard);
  boost::asio::post(shard.context(), [call, &shard, order = std::move(order)] {
    core::Output out;
    const core::OrderResult r = shard.timed(Shard::Call::order, [&] { return shard.engine().order(shard.now(), order, out); });
    if (!r.ok) {
      shard.finish(out, nullptr, {});
      return call->fail(http::status::bad_request, r.error);
    }
    v1::OrderAccepted accepted;
    accepted.set_order_id(order.order_id());
    accepted.set_duplicate(r.duplicate);
    accepted.set_attributed(r.attributed);
    // Acknowledged only once the order is in the journal.
    shard.finish(out, nullptr, {}, [call, body = to_json(accepted)] { call->reply(http::status::ok, body); });
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
  struct Gather {
    std::atomic<std::size_t> remaining;
    std::atomic<std::size_t> fired{0};
  };
  auto gather = std::make_shared<Gather>();
  gather->remaining = server.shard_count();
  for (std::size_t i = 0; i < server.shard_count(); ++i) {
    Shard& shard = server.shard(i);
    boost::asio::post(shard.context(), [call, gather, &shard, target] {
      gather->fired += shard.advance_to(target);
      if (--gather->remaining > 0) return;
      call->server.clock().set(target);
      v1::ClockNow reply;
      core::set_time(reply.mutable_now(), target);
      reply.set_timers_fired(static_cast<std::uint32_t>(gather->fired.load()));
      call->reply(http::status::ok, to_json(reply));
    });
  }
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

  const bool admin_path = path == "/metrics" || path.rfind("/api/v1/admin/", 0) == 0 || path.rfind("/api/v1/shops/", 0) == 0;
  if (surface == Surface::public_only && admin_path) {
    call->fail(http::status::not_found, path + " is served on the admin listener");
    return;
  }
  if (path == "/healthz") {
    if (only(http::verb::get)) call->reply(http::status::ok, "{\"status\":\"ok\"}");
  } else if (path == "/readyz") {
    if (!only(http::verb::get)) return;
    std::string reason = server.draining() ? "draining" : server.not_ready_reason ? server.not_ready_reason() : "";
    if (!reason.empty()) call->reply(http::status::service_unavailable, "{\"status\":\"" + reason + "\"}");
    else call->reply(http::status::ok, "{\"status\":\"ready\"}");
  } else if (path == "/metrics") {
    if (!only(http::verb::get)) return;
    if (server.options().metrics_token_required && !call->authorize("", {})) return;
    if (server.before_scrape) server.before_scrape();
    call->reply(http::status::ok, server.metrics().serialize(), "text/plain; version=0.0.4");
  } else if (path == "/api/v1/orders") {
    if (only(http::verb::post)) orders(call);
  } else if (path == "/api/v1/admin/clock") {
    if (only(http::verb::post)) advance_clock(call);
  } else if (path.rfind("/api/v1/shops/", 0) == 0 && path.size() > 22 && path.substr(path.size() - 8) == "/figures") {
    const std::string shop = path.substr(14, path.size() - 14 - 8);
    if (only(http::verb::get)) figures(call, shop, query);
  } else {
    call->fail(http::status::not_found, "no such endpoint: " + path);
  }
}

}  // namespace sb::net
