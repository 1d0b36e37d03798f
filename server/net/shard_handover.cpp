// Moving a shop between nodes, the shard's part (docs/operations.md, "Moving a shop"). Release:
// the shop's people are cut as a crash would cut them (dropped, their reconnect grace running),
// told to reconnect, and the shop's whole live state leaves in a shop_handed_over event that the
// writer puts into PostgreSQL behind the shop's earlier events. Adopt: the claimed state becomes
// the shop here, journaled so a restart rebuilds it; its /metrics counters continue.
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "shard.hpp"
#include "websocket_session.hpp"

namespace sb::net {

namespace v1 = switchboard::v1;

constexpr std::uint32_t shop_handoff_format = 1;  // ShopHandoff.format this build writes and reads
constexpr std::uint32_t moved_reconnect_after_ms = 500;

// The shop's connections, cut as dropped (journaled calls like any leave), then told to reconnect.
std::size_t Shard::cut_people(const std::string& shop, core::TimeMs t) {
  std::vector<std::pair<std::shared_ptr<WebsocketSession>, core::Actor>> cut;
  for (auto& [key, conns] : directory_)
    for (auto& c : conns)
      if (auto m = members_.find(c.get()); m != members_.end() && m->second.shop == shop) cut.emplace_back(c, m->second);
  for (auto& [conn, actor] : cut) {
    members_.erase(conn.get());
    auto call = entry(t);
    *call.mutable_left()->mutable_actor() = journal_actor(actor);
    call.mutable_left()->set_dropped(true);
    core::Output out;
    engine_.person_left(t, actor, out, core::Departure::dropped);
    finish(std::move(call), out, nullptr, {});
    conn->shut_down("shop " + shop + " is moving to another node: reconnect", moved_reconnect_after_ms);
  }
  std::erase_if(directory_, [&](const auto& kv) { return kv.first.rfind(shop + '\x1f', 0) == 0; });
  supervisors_.erase(shop);
  return cut.size();
}

void Shard::release_shop(std::string shop, std::string from_node, std::string to_node, Done done) {
  boost::asio::post(ioc_, [this, shop = std::move(shop), from = std::move(from_node), to = std::move(to_node),
                           done = std::move(done)]() mutable {
    if (history_ == nullptr) return done(Error{v1::ERROR_CODE_INVALID_STATE, "moving a shop needs history ([store]): "
                                                                             "its state travels through PostgreSQL"});
    if (engine_.shop(shop) == nullptr) return done(Error{v1::ERROR_CODE_NOT_FOUND, "shop \"" + shop + "\" is not served here"});
    const core::TimeMs t = now();
    const std::size_t cut = cut_people(shop, t);
    v1::ShopHandoff handoff;
    handoff.set_format(shop_handoff_format);
    handoff.set_shop_id(shop);
    handoff.set_from_node(from);
    handoff.set_to_node(to);
    handoff.set_at_ms(t);
    core::Output out;
    std::string why;
    const bool ok = engine_.hand_over(shop, t, *handoff.mutable_engine(), out, why);
    assert(ok && "the shop was checked to be here");
    sink_.take_shop(configs_.at(shop), *handoff.mutable_series());
    released_.insert(shop);
    v1::HistoryEvent moved;
    moved.set_event_id(handoff.engine().shops(0).id_prefix() + "h" + std::to_string(t));
    moved.set_shop_id(shop);
    moved.set_at_ms(t);
    auto* body = moved.mutable_shop_handed_over();
    body->set_from_node(from);
    body->set_to_node(to);
    body->set_state(handoff.SerializeAsString());
    out.events.push_back(std::move(moved));
    auto call = entry(t);
    call.mutable_shop_released()->set_shop_id(shop);
    spdlog::info("shop {} handed over ({} connections cut, {} bytes of state)", shop, cut, body->state().size());
    finish(std::move(call), out, nullptr, {}, [done = std::move(done), cut] { done(std::to_string(cut)); });
    arm();
  });
}

void Shard::adopt_shop(std::string state, Done done, std::vector<v1::HistoryEvent> cut) {
  boost::asio::post(ioc_, [this, state = std::move(state), done = std::move(done), cut = std::move(cut)]() mutable {
    v1::ShopHandoff handoff;
    if (!handoff.ParseFromString(state) || handoff.format() != shop_handoff_format)
      return done(Error{v1::ERROR_CODE_INVALID_STATE, "the hand-over has layout " + std::to_string(handoff.format()) +
                                                          "; this build reads layout 1: adopt it with the build that wrote it"});
    auto config = configs_.find(handoff.shop_id());
    const std::size_t cut_events = cut.size();
    if (config == configs_.end())
      return done(Error{v1::ERROR_CODE_NOT_FOUND, "shop \"" + handoff.shop_id() + "\" is not in this node's config"});
    const core::TimeMs t = now();
    core::Output out;
    out.events = std::move(cut);  // first, as a replay puts them (replay_move)
    std::string why;
    if (!engine_.take_over(config->second, handoff.engine(), t, out, why)) return done(Error{v1::ERROR_CODE_INVALID_STATE, why});
    sink_.declare_shop(config->second);
    sink_.load(handoff.series());
    released_.erase(handoff.shop_id());
    auto call = entry(t);
    call.mutable_shop_adopted()->set_shop_id(handoff.shop_id());
    call.mutable_shop_adopted()->set_state(state);
    call.mutable_shop_adopted()->set_cut_events(static_cast<std::uint32_t>(cut_events));
    spdlog::info("shop {} adopted from node {} (handed over at {})", handoff.shop_id(), handoff.from_node(),
                 core::format_rfc3339_utc(handoff.at_ms()));
    finish(std::move(call), out, nullptr, {}, [done = std::move(done), id = handoff.shop_id()] { done(id); });
    arm();
  });
}

// Recovery: a move replayed as it happened. The release's journaled hand-over event is the
// bytes it wrote then; the replay adds that same event so the comparison of events holds.
bool Shard::replay_move(const v1::JournalEntry& entry, core::Output& out) {
  const core::TimeMs t = entry.now_ms();
  std::string why;
  if (entry.has_shop_released()) {
    const std::string& shop = entry.shop_released().shop_id();
    v1::EngineSnapshot gone;
    if (!engine_.hand_over(shop, t, gone, out, why)) return false;
    google::protobuf::RepeatedPtrField<v1::SnapshotSeries> series;
    sink_.take_shop(configs_.at(shop), series);
    released_.insert(shop);
    std::erase_if(recovered_, [&](const core::Actor& a) { return a.shop == shop; });
    for (const auto& e : entry.events())
      if (e.has_shop_handed_over()) out.events.push_back(e);
    return true;
  }
  v1::ShopHandoff handoff;
  auto config = configs_.find(entry.shop_adopted().shop_id());
  if (!handoff.ParseFromString(entry.shop_adopted().state()) || config == configs_.end()) return false;
  // A rebuilt shop's cut was made on the scratch shard before the hand-over: its events as journaled.
  const int cut = std::min<int>(entry.events_size(), static_cast<int>(entry.shop_adopted().cut_events()));
  for (int i = 0; i < cut; ++i) out.events.push_back(entry.events(i));
  if (!engine_.take_over(config->second, handoff.engine(), t, out, why)) return false;
  sink_.declare_shop(config->second);
  sink_.load(handoff.series());
  released_.erase(handoff.shop_id());
  std::erase_if(pending_shops_, [&](const core::ShopConfig& c) { return c.id == handoff.shop_id(); });
  return true;
}

}  // namespace sb::net

namespace sb::net {

// A scratch shard after its replay (shop_rebuild.cpp): the people it shows connected died with
// the lost node, each cut as dropped at its last call (their reconnect grace runs from there),
// then the shop leaves as a hand-over.
Result<RebuiltShop> Shard::rebuilt(const std::string& shop, const std::string& lost_node, const std::string& me) {
  if (engine_.shop(shop) == nullptr)
    return Error{v1::ERROR_CODE_NOT_FOUND, "node " + lost_node + "'s copy in PostgreSQL does not hold shop \"" + shop +
                                               "\" (it was not served there, or moved away)"};
  const core::TimeMs t = std::max(floor_, engine_.last_now());
  core::Output out;
  RebuiltShop r;
  r.at_ms = t;
  for (auto it = recovered_.begin(); it != recovered_.end();) {
    if (it->shop != shop) {
      ++it;
      continue;
    }
    engine_.person_left(t, *it, out, core::Departure::dropped);
    ++r.people_cut;
    it = recovered_.erase(it);
  }
  v1::ShopHandoff handoff;
  handoff.set_format(shop_handoff_format);
  handoff.set_shop_id(shop);
  handoff.set_from_node(lost_node);
  handoff.set_to_node(me);
  handoff.set_at_ms(t);
  std::string why;
  if (!engine_.hand_over(shop, t, *handoff.mutable_engine(), out, why)) return Error{v1::ERROR_CODE_INVALID_STATE, why};
  sink_.take_shop(configs_.at(shop), *handoff.mutable_series());
  r.state = handoff.SerializeAsString();
  r.cut_events = std::move(out.events);
  return r;
}

}  // namespace sb::net
