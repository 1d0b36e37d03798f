// The shop's figures (DOMAIN.md), kept per local day, hour, skill, agent and category as events
// happen, and mirrored to a CounterSink so /metrics counts exactly what the figures API shows.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <climits>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "counter_sink.hpp"
#include "shop_config.hpp"
#include "switchboard/v1/switchboard.pb.h"
#include "time.hpp"

namespace sb::core {

// Where a request's figures belong: the local day and hour it began, and its skill.
struct Origin {
  DayNumber day = 0;
  int hour = 0;
  std::string skill;
};

// A set of members by their index in the book, kept as a sorted vector: indexes are handed out
// in order of first appearance, so most inserts append, and a peak day's thousands of these
// sets (per hour, skill, agent, category) cost 4 bytes a member instead of a hash node each.
class MemberSet {
 public:
  bool insert(std::uint32_t m) {
    if (members_.empty() || members_.back() < m) {
      members_.push_back(m);
      return true;
    }
    const auto at = std::lower_bound(members_.begin(), members_.end(), m);
    if (at != members_.end() && *at == m) return false;
    members_.insert(at, m);
    return true;
  }
  template <class It>
  void insert(It first, It last) {
    for (; first != last; ++first) insert(*first);
  }
  std::size_t count(std::uint32_t m) const { return std::binary_search(members_.begin(), members_.end(), m) ? 1 : 0; }
  std::size_t size() const { return members_.size(); }
  std::vector<std::uint32_t>::const_iterator begin() const { return members_.begin(); }  // ascending
  std::vector<std::uint32_t>::const_iterator end() const { return members_.end(); }

 private:
  std::vector<std::uint32_t> members_;
};

struct Tally {
  std::uint64_t requests = 0, requests_no_agent = 0, requests_abandoned = 0;
  std::uint64_t sessions = 0, judged = 0, responded = 0, breaches = 0;
  std::uint64_t valid = 0, rated = 0, satisfied = 0;
  std::uint64_t messages_left = 0, messages_replied = 0;
  std::uint64_t legs = 0;
  DurationMs online_ms = 0;  // shop, hour: at least one agent online; agent: that agent online
  MemberSet inquiring, converted;  // members, by their index in the book
};

struct DayTally {
  Tally shop;
  std::array<Tally, hour_rows_max> hours;  // the day's zone.hour_rows(day) are used
  std::map<std::string, Tally> skills, agents, categories;
};

// A piece of online time within one local hour.
struct OnlinePiece {
  Origin origin;  // day and hour (no skill)
  DurationMs ms = 0;
};

// Calls f(day, hour row, ms) for each local hour row [from, to) touches.
template <class F>
void split_by_hour(TimeMs from, TimeMs to, const TimeZone& zone, F&& f) {
  while (from < to) {
    const LocalTime lt = zone.local(from);
    const TimeMs hour_end = zone.hour_row_end(from);
    const TimeMs piece_end = std::min(to, hour_end);
    f(lt.day, lt.hour(), piece_end - from);
    from = piece_end;
  }
}

struct SnapshotCodec;  // snapshot.cpp: writes and loads the state

class FiguresBook {
  friend struct SnapshotCodec;

 public:
  FiguresBook(const ShopConfig& config, CounterSink* sink) : config_(config), sink_(sink) {}

  void request_begun(const Origin& o);
  void request_outside_hours();
  void request_no_agent(const Origin& o);
  void request_abandoned(const Origin& o);
  void session_connected(const Origin& o);
  void leg_started(const Origin& o, const std::string& agent);
  void session_judged(const Origin& o, const std::string& agent, bool responded);
  void breach(const Origin& o, const std::string& agent);
  void session_valid(const Origin& o, const std::string& agent, const std::string& member);
  // A valid session closed with `agent` on its last leg: the per-agent rating rate's denominator.
  void agent_session_valid(const Origin& o, const std::string& agent);
  void rating_final(const Origin& o, const std::string& agent, int score);
  void message_left(TimeMs at);
  void message_replied(TimeMs left_at);
  // Counts each (day, member) once; category counted only where the member inquired in it.
  void member_converted(const Origin& o, const std::string& agent, const std::string& member,
                        const std::string& category);
  void order(bool duplicate);
  // An interval with at least one agent online; returns its pieces per local hour.
  std::vector<OnlinePiece> online(TimeMs from, TimeMs to);
  // An interval in which one agent was online; returns its pieces per local hour.
  std::vector<OnlinePiece> agent_online(const std::string& agent, TimeMs from, TimeMs to);

  // Bounds memory: days before `day` are dropped (their figures stay in /metrics and PostgreSQL),
  // and so are the members only they knew. A reply to a message left on a dropped day still
  // counts in /metrics and PostgreSQL, not here.
  void forget_days_before(DayNumber day);
  DayNumber forgotten_before() const { return forgotten_before_; }
  std::size_t days_kept() const { return days_.size(); }

  // Intervals still running, counted up to now: the shop's (since >= 0) and each agent's.
  struct Running {
    TimeMs shop_since = -1;
    std::vector<std::pair<std::string, TimeMs>> agents_since;
  };
  switchboard::v1::ShopFigures snapshot(DayNumber day, TimeMs now, const Running& running) const;
  const DayTally* day(DayNumber d) const;
  const std::map<DayNumber, DayTally>& days() const { return days_; }

 private:
  DayTally& day_of(DayNumber d) {
    assert(d >= forgotten_before_ && "figures of a forgotten day cannot change");
    return days_[d];
  }
  template <typename F>
  void each(const Origin& o, const std::string& agent, F&& f);
  void add(const std::string& skill, Counter c, std::uint64_t delta = 1);

  std::uint32_t member_index(const std::string& member);

  const ShopConfig& config_;
  CounterSink* sink_;
  std::map<DayNumber, DayTally> days_;
  // Each member's string once; the day's distinct-member sets hold these small numbers.
  std::unordered_map<std::string, std::uint32_t> members_;
  DayNumber forgotten_before_ = INT32_MIN;
};

}  // namespace sb::core
