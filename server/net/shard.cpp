#include "shard.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>

#include "hello_auth.hpp"
#include "websocket_session.hpp"

namespace sb::net {

namespace v1 = switchboard::v1;

Shard::Shard(std::size_t index, Clock& clock, Metrics& metrics, core::EngineOptions options, const KeyRing& keys,
             std::int64_t resume_ttl_s)
    : index_(index),
      clock_(clock),
      metrics_(metrics),
      work_(boost::asio::make_work_guard(ioc_)),
      timer_(ioc_),
      sink_(metrics),
      engine_(std::move(options), &sink_),
      keys_(keys),
      resume_ttl_s_(resume_ttl_s) {
  static constexpr std::array<const char*, static_cast<std::size_t>(Call::count_)> names{"hello", "leave", "message", "timer",
                                                                                          "order"};
  for (std::size_t i = 0; i < names.size(); ++i)
    call_seconds_[i] = &metrics_.engine_call_seconds.Add({{"call", names[i]}, {"shard", std::to_string(index_)}},
                                                         Metrics::engine_call_buckets());
}

void Shard::add_shop(core::ShopConfig config) {
  configs_.emplace(config.id, config);
  pending_shops_.push_back(std::move(config));
}

std::vector<std::string> Shard::start() {
  start_shops();
  drop_recovered();
  if (history_ != nullptr) take_snapshot();  // what came before can go once the cursor passed it
  arm();
  std::vector<std::string> served = engine_.shop_ids();
  thread_ = std::thread([this] {
    try {
      ioc_.run();
    } catch (const std::exception& e) {
      spdlog::critical("shard {} stopped on an exception: {}", index_, e.what());
      std::abort();
    }
  });
  return served;
}

// Shops new to the journal (all of them on a first start) begin now.
void Shard::start_shops() {
  for (auto& c : pending_shops_) {
    if (released_.count(c.id) != 0) {  // the journal says it moved away: the config has not caught up
      spdlog::warn("shop {} was handed over to another node (journal); not serving it here. Adopt it back, or assign it "
                   "to its new node in [cluster]", c.id);
      continue;
    }
    sink_.declare_shop(c);
    const core::TimeMs t = now();
    auto call = entry(t);
    call.mutable_shop_added()->set_shop_id(c.id);
    core::Output out;
    engine_.add_shop(std::move(c), t, out);
    finish(std::move(call), out, nullptr, {});
  }
  pending_shops_.clear();
}

void Shard::stop() {
  if (!thread_.joinable()) return;
  boost::asio::post(ioc_, [this] {
    directory_.clear();
    supervisors_.clear();
    members_.clear();
    timer_.cancel();
    work_.reset();
  });
  if (thread_.joinable()) thread_.join();
}

core::TimeMs Shard::now() {
  floor_ = std::max(floor_, clock_.now());
  return floor_;
}

std::string Shard::key(const std::string& shop, v1::Role role, const std::string& person) {
  return shop + '\x1f' + std::to_string(role) + '\x1f' + person;
}

void Shard::join(std::shared_ptr<WebsocketSession> conn, core::Actor actor, v1::ClientMessage hello) {
  boost::asio::post(ioc_, [this, conn = std::move(conn), actor = std::move(actor), hello = std::move(hello)]() mutable {
    if (engine_.shop(actor.shop) == nullptr) {  // handed over to another node while this hello was on its way
      conn->send_error(v1::ERROR_CODE_UNAVAILABLE, "shop " + actor.shop + " has moved to another node: reconnect",
                       hello.request_id());
      conn->hello_answered(false);
      return;
    }
    core::Output out;
    const core::TimeMs t = now();
    auto call = entry(t);
    *call.mutable_joined()->mutable_actor() = journal_actor(actor);
    *call.mutable_joined()->mutable_hello() = hello.hello();
    timed(Call::hello, [&] { engine_.person_joined(t, actor, out, &hello.hello()); });
    const bool welcomed = out.reply && out.reply->has_welcome();
    if (welcomed) {
      auto* w = out.reply->mutable_welcome();
      actor.person = w->person_id();  // a new guest's id, named by the core
      w->set_resume_token(resume_token(actor));
      if (w->resumed()) metrics_.resumes.Increment();
      directory_[key(actor.shop, actor.role, actor.person)].push_back(conn);
      if (actor.role == v1::ROLE_SUPERVISOR) supervisors_[actor.shop].push_back(conn);
      members_[conn.get()] = actor;
    }
    // After the reply, in order: the connection starts (or stops) sending its frames here.
    finish(std::move(call), out, conn, hello.request_id(), [conn, welcomed] { conn->hello_answered(welcomed); });
    arm();
  });
}

std::string Shard::resume_token(const core::Actor& actor) const {
  const TokenKey* key = keys_.signing_key();
  assert(key != nullptr && "the config requires an operator signing key");
  TokenClaims c{actor.shop, std::string(role_name(actor.role)) + ":" + actor.person, "resume", actor.tier, actor.guest,
                unix_now_s() + resume_ttl_s_};
  auto token = issue_token(keys_, *key, c, unix_now_s());
  assert(token.ok());
  return std::move(*token);
}

void Shard::leave(std::shared_ptr<WebsocketSession> conn, core::Departure how) {
  boost::asio::post(ioc_, [this, conn = std::move(conn), how] {
    auto member = members_.find(conn.get());
    if (member == members_.end()) return;  // never welcomed
    const core::Actor actor = std::move(member->second);
    members_.erase(member);
    auto drop = [&](auto& map, const std::string& k) {
      auto it = map.find(k);
      if (it == map.end()) return;
      std::erase(it->second, conn);
      if (it->second.empty()) map.erase(it);
    };
    drop(directory_, key(actor.shop, actor.role, actor.person));
    if (actor.role == v1::ROLE_SUPERVISOR) drop(supervisors_, actor.shop);
    core::Output out;
    const core::TimeMs t = now();
    auto call = entry(t);
    *call.mutable_left()->mutable_actor() = journal_actor(actor);
    call.mutable_left()->set_dropped(how == core::Departure::dropped);
    timed(Call::leave, [&] { engine_.person_left(t, actor, out, how); });
    finish(std::move(call), out, nullptr, {});
    arm();
  });
}

void Shard::handle(std::shared_ptr<WebsocketSession> conn, v1::ClientMessage msg) {
  boost::asio::post(ioc_, [this, conn = std::move(conn), msg = std::move(msg)]() mutable {
    auto member = members_.find(conn.get());
    if (member == members_.end()) {  // it left while this message was on its way
      conn->send_error(v1::ERROR_CODE_NOT_AUTHENTICATED, "this connection's hello was not accepted", msg.request_id());
      return;
    }
    core::Output out;
    const core::TimeMs t = now();
    timed(Call::message, [&] { engine_.handle(t, member->second, msg, out); });
    auto call = entry(t);
    auto* handled = call.mutable_handled();
    *handled->mutable_actor() = journal_actor(member->second);
    const std::string request_id = msg.request_id();
    handled->mutable_message()->Swap(&msg);  // the core is done with it
    finish(std::move(call), out, conn, request_id);
    arm();
  });
}

void Shard::advance_to(core::TimeMs target, std::function<void(std::size_t)> then) {
  floor_ = std::max(floor_, target);
  core::Output out;
  const std::size_t fired = timed(Call::timer, [&] { return engine_.advance(floor_, out); });
  auto call = entry(floor_);
  call.mutable_advanced()->set_until_ms(floor_);
  finish(std::move(call), out, nullptr, {}, [then = std::move(then), fired] { then(fired); });
}

v1::JournalEntry Shard::entry(core::TimeMs now) const {
  v1::JournalEntry e;
  e.set_now_ms(now);
  e.set_shard(static_cast<std::uint32_t>(index_));
  return e;
}

void Shard::finish(v1::JournalEntry&& call, core::Output& out, std::shared_ptr<WebsocketSession> replier,
                   const std::string& request_id, std::function<void()> then) {
  if (history_ != nullptr) {
    // Every call is journaled, events or not: the replay after a crash needs all of them.
    call.mutable_events()->Reserve(static_cast<int>(out.events.size()));
    for (auto& e : out.events) *call.add_events() = std::move(e);
    history_->submit(index_, ++submitted_seq_, std::move(call));
    out.events.clear();
    count_for_snapshot();
  }
  if (held_.empty() && durable_seq_ >= submitted_seq_) {
    route(out, replier.get(), request_id);
    if (then) then();
    return;
  }
  held_.push_back(Held{submitted_seq_, std::move(out), std::move(replier), request_id, std::move(then)});
  out.clear();
}

void Shard::durable(std::uint64_t seq) {
  boost::asio::post(ioc_, [this, seq] {
    durable_seq_ = std::max(durable_seq_, seq);
    release();
  });
}

void Shard::release() {
  while (!held_.empty() && held_.front().seq <= durable_seq_) {
    Held h = std::move(held_.front());
    held_.pop_front();
    route(h.out, h.replier.get(), h.request_id);
    if (h.then) h.then();
  }
}

void Shard::route(core::Output& out, WebsocketSession* replier, const std::string& request_id) {
  if (out.reply && replier != nullptr) {
    auto reply = std::make_shared<v1::ServerMessage>(std::move(*out.reply));
    reply->set_request_id(request_id);
    if (reply->has_error()) {
      metrics_.errors.Add({{"code", v1::ErrorCode_Name(reply->error().code())}}).Increment();
      // A role or shop crossing (acting on someone else's session, a customer acting as agent).
      if (reply->error().code() == v1::ERROR_CODE_FORBIDDEN) metrics_.auth_failures.Add({{"reason", "forbidden"}}).Increment();
    }
    replier->send(std::move(reply));
  }
  // Deliveries of one message are adjacent (the core makes them together): one frame for all.
  std::shared_ptr<const OutgoingFrame> frame;
  for (const auto& d : out.deliveries) {
    if (!frame || &frame->message() != d.message.get()) frame = std::make_shared<const OutgoingFrame>(d.message);
    if (d.to.role == v1::ROLE_SUPERVISOR && d.to.id == core::all_supervisors) {
      if (auto it = supervisors_.find(d.shop); it != supervisors_.end())
        for (const auto& c : it->second) c->send(frame);
      continue;
    }
    if (auto it = directory_.find(key(d.shop, d.to.role, d.to.id)); it != directory_.end())
      for (const auto& c : it->second) c->send(frame);
  }
  out.clear();
}

void Shard::arm() {
  if (clock_.is_manual()) return;
  const auto due = engine_.next_due();
  if (!due || (armed_ && *due >= armed_due_)) return;
  armed_ = true;
  armed_due_ = *due;
  timer_.expires_after(clock_.real_delay(std::max<core::TimeMs>(0, *due - clock_.now())));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) return;
    armed_ = false;
    core::Output out;
    const core::TimeMs t = now();
    timed(Call::timer, [&] { engine_.advance(t, out); });
    auto call = entry(t);
    call.mutable_advanced()->set_until_ms(t);
    finish(std::move(call), out, nullptr, {});
    arm();
  });
}

}  // namespace sb::net
