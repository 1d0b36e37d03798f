#include "agents.hpp"

#include <cassert>

namespace sb::core {

Agents::Agents(const std::vector<AgentConfig>& configs) {
  std::size_t order = 0;
  for (const auto& ac : configs) {
    AgentState a;
    a.config = &ac;
    a.window = ac.window;
    a.order = order++;
    auto [it, inserted] = by_id_.emplace(ac.id, a);
    assert(inserted && "agent ids are unique (the config checks)");
    in_order_.push_back(&it->second);
  }
}

AgentState* Agents::find(const std::string& id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

const AgentState* Agents::find(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

AgentState& Agents::at(const std::string& id) {
  AgentState* a = find(id);
  assert(a != nullptr);
  return *a;
}

}  // namespace sb::core
