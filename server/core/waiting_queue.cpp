#include "waiting_queue.hpp"

#include <cassert>

namespace sb::core {

namespace v1 = switchboard::v1;

int WaitingQueue::tier_rank(v1::Tier tier) {
  switch (tier) {
    case v1::TIER_A: return 0;
    case v1::TIER_B: return 1;
    default: return 2;  // C, and unspecified treated as C
  }
}

Request& WaitingQueue::add(Request r) {
  const Key key = key_of(r);
  ++per_skill_[r.skill];
  auto [it, inserted] = requests_.emplace(r.id, std::move(r));
  assert(inserted);
  const bool ordered = order_.insert(key).second;
  assert(ordered);
  (void)ordered;
  return it->second;
}

void WaitingQueue::remove(std::uint64_t id) {
  auto it = requests_.find(id);
  assert(it != requests_.end());
  const auto erased = order_.erase(key_of(it->second));
  assert(erased == 1);
  (void)erased;
  auto& n = per_skill_[it->second.skill];
  assert(n > 0);
  --n;
  requests_.erase(it);
}

Request* WaitingQueue::find(std::uint64_t id) {
  auto it = requests_.find(id);
  return it == requests_.end() ? nullptr : &it->second;
}

const Request* WaitingQueue::find(std::uint64_t id) const {
  auto it = requests_.find(id);
  return it == requests_.end() ? nullptr : &it->second;
}

Request& WaitingQueue::at(std::uint64_t id) {
  Request* r = find(id);
  assert(r != nullptr);
  return *r;
}

std::uint32_t WaitingQueue::waiting_in(const std::string& skill) const {
  auto it = per_skill_.find(skill);
  return it == per_skill_.end() ? 0 : it->second;
}

WaitingQueue::Place WaitingQueue::place_of(const Request& r) const {
  Place p;
  p.length = waiting_in(r.skill);
  for (const auto& [rank, seq, id] : order_) {
    const Request& other = requests_.at(id);
    if (other.skill != r.skill) continue;
    ++p.position;
    if (id == r.id) return p;
  }
  assert(false && "the request waits in this queue");
  return p;
}

std::vector<std::pair<Request*, WaitingQueue::Place>> WaitingQueue::moved() {
  std::vector<std::pair<Request*, Place>> out;
  std::map<std::string, std::uint32_t> position;
  for (const auto& [rank, seq, id] : order_) {
    Request& r = requests_.at(id);
    const std::uint32_t pos = ++position[r.skill];
    if (pos == r.last_position_sent) continue;
    r.last_position_sent = pos;
    out.emplace_back(&r, Place{pos, waiting_in(r.skill)});
  }
  return out;
}

bool WaitingQueue::consistent(std::string& why) const {
  if (order_.size() != requests_.size()) {
    why = "waiting order and requests differ in size";
    return false;
  }
  std::map<std::string, std::uint32_t> counted;
  for (const auto& [rank, seq, id] : order_) {
    auto it = requests_.find(id);
    if (it == requests_.end() || key_of(it->second) != Key{rank, seq, id}) {
      why = "waiting entry without its request";
      return false;
    }
    ++counted[it->second.skill];
  }
  for (const auto& [skill, n] : per_skill_) {
    if (n != counted[skill]) {
      why = "queue length of " + skill + " is " + std::to_string(n) + ", counted " + std::to_string(counted[skill]);
      return false;
    }
  }
  return true;
}

}  // namespace sb::core
