#include "rebuild_lost.hpp"

#include <optional>

#include "store/lost_node.hpp"

namespace sb::app {

namespace v1 = switchboard::v1;

namespace {

bool names_shop(const v1::JournalEntry& e, const std::string& shop) {
  return (e.has_shop_added() && e.shop_added().shop_id() == shop) || (e.has_shop_adopted() && e.shop_adopted().shop_id() == shop);
}

// The lost node's shard that held the shop: the snapshot that has it, else the first call that
// brought it there (it came after that shard's snapshot).
std::optional<std::uint32_t> shard_of_shop(const store::LostNodeCopy& copy, const std::string& shop) {
  for (const auto& s : copy.snapshots)
    for (const auto& sh : s.state.engine().shops())
      if (sh.shop_id() == shop) return s.shard;
  for (const auto& c : copy.calls)
    if (names_shop(c.entry, shop)) return c.entry.shard();
  return std::nullopt;
}

}  // namespace

Result<net::Server::Rebuild> rebuild_lost_shop(const std::string& database_url,
                                               const std::map<std::string, core::ShopConfig>& configs,
                                               core::EngineOptions options, const std::string& shop,
                                               const std::string& lost_node, const std::string& me) {
  if (configs.count(shop) == 0) return Error{v1::ERROR_CODE_NOT_FOUND, "shop \"" + shop + "\" is not in this node's config"};
  auto copy = store::read_lost_node(database_url, lost_node);
  if (!copy) return copy.error();
  const auto shard = shard_of_shop(*copy, shop);
  if (!shard)
    return Error{v1::ERROR_CODE_NOT_FOUND, "PostgreSQL's copy of node " + lost_node + " does not hold shop \"" + shop +
                                               "\": it was not served there (or its calls never reached PostgreSQL)"};
  const store::LostNodeCopy::Snapshot* snapshot = nullptr;
  for (const auto& s : copy->snapshots)
    if (s.shard == *shard) snapshot = &s;
  std::vector<const v1::JournalEntry*> calls;
  for (const auto& c : copy->calls)
    if (c.entry.shard() == *shard && (snapshot == nullptr || c.at >= snapshot->after)) calls.push_back(&c.entry);
  auto rebuilt = net::rebuild_shop(configs, snapshot != nullptr ? &snapshot->state : nullptr, calls, shop, lost_node, me,
                                   std::move(options));
  if (!rebuilt) return rebuilt.error();
  auto id = store::record_rebuild(database_url, shop, lost_node, me, rebuilt->at_ms, rebuilt->state);
  if (!id) return id.error();
  return net::Server::Rebuild{*id, std::move(*rebuilt)};
}

}  // namespace sb::app
