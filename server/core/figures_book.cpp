#include "figures_book.hpp"

#include <algorithm>
#include <cassert>

namespace sb::core {

namespace v1 = switchboard::v1;

namespace {

std::uint32_t narrow(std::uint64_t v) {
  assert(v <= UINT32_MAX);
  return static_cast<std::uint32_t>(v);
}

void set_ratio(v1::Ratio* r, std::uint64_t num, std::uint64_t den) {
  assert(num <= den || den == 0);
  r->set_numerator(narrow(num));
  r->set_denominator(narrow(den));
  r->set_value(den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den));
}

void fill(v1::FigureSet* f, const Tally& t) {
  set_ratio(f->mutable_connection_rate(), t.sessions, t.requests);
  set_ratio(f->mutable_response_45s_rate(), t.responded, t.judged);
  set_ratio(f->mutable_message_reply_rate(), t.messages_replied, t.messages_left);
  set_ratio(f->mutable_rating_rate(), t.rated, t.valid);
  set_ratio(f->mutable_satisfaction(), t.satisfied, t.rated);
  set_ratio(f->mutable_inquiry_conversion_rate(), t.converted.size(), t.inquiring.size());
  f->set_requests_abandoned(narrow(t.requests_abandoned));
  f->set_requests_no_agent(narrow(t.requests_no_agent));
  f->set_first_response_breaches(narrow(t.breaches));
}

}  // namespace

void FiguresBook::add(const std::string& skill, Counter c, std::uint64_t delta) {
  if (sink_ != nullptr && delta > 0) sink_->add(config_.id, skill, c, delta);
}

template <typename F>
void FiguresBook::each(const Origin& o, const std::string& agent, F&& f) {
  assert(o.hour >= 0 && o.hour < hour_rows_max);
  DayTally& d = day_of(o.day);
  f(d.shop);
  f(d.hours[static_cast<std::size_t>(o.hour)]);
  f(d.skills[o.skill]);
  if (!agent.empty()) f(d.agents[agent]);
}

void FiguresBook::request_begun(const Origin& o) {
  each(o, "", [](Tally& t) { ++t.requests; });
  add(o.skill, Counter::requests);
}

void FiguresBook::request_outside_hours() { add("", Counter::requests_outside_hours); }

void FiguresBook::request_no_agent(const Origin& o) {
  each(o, "", [](Tally& t) { ++t.requests_no_agent; });
  add(o.skill, Counter::requests_no_agent);
}

void FiguresBook::request_abandoned(const Origin& o) {
  each(o, "", [](Tally& t) { ++t.requests_abandoned; });
  add(o.skill, Counter::requests_abandoned);
}

// Per-agent tables count legs (leg_started), not sessions.
void FiguresBook::session_connected(const Origin& o) {
  each(o, "", [](Tally& t) { ++t.sessions; });
  add(o.skill, Counter::sessions);
}

void FiguresBook::leg_started(const Origin& o, const std::string& agent) {
  assert(!agent.empty());
  ++day_of(o.day).agents[agent].legs;
}

void FiguresBook::session_judged(const Origin& o, const std::string& agent, bool responded) {
  each(o, agent, [responded](Tally& t) {
    ++t.judged;
    if (responded) ++t.responded;
  });
  add(o.skill, Counter::sessions_judged);
  if (responded) add(o.skill, Counter::sessions_responded_45s);
}

void FiguresBook::breach(const Origin& o, const std::string& agent) {
  each(o, agent, [](Tally& t) { ++t.breaches; });
  add(o.skill, Counter::first_response_breaches);
}

void FiguresBook::session_valid(const Origin& o, const std::string& agent, const std::string& member) {
  // Per agent, a valid session counts at its close, for the agent its rating goes to.
  each(o, "", [](Tally& t) { ++t.valid; });
  add(o.skill, Counter::sessions_valid);
  DayTally& d = day_of(o.day);
  const std::uint32_t m = member_index(member);
  if (d.shop.inquiring.insert(m)) add("", Counter::members_inquiring);
  d.hours[static_cast<std::size_t>(o.hour)].inquiring.insert(m);
  d.skills[o.skill].inquiring.insert(m);
  if (!agent.empty()) d.agents[agent].inquiring.insert(m);
  if (config_.find_skill(o.skill) != nullptr) d.categories[o.skill].inquiring.insert(m);
}

void FiguresBook::agent_session_valid(const Origin& o, const std::string& agent) {
  if (!agent.empty()) ++day_of(o.day).agents[agent].valid;
}

void FiguresBook::rating_final(const Origin& o, const std::string& agent, int score) {
  assert(score >= 1 && score <= 5);
  const bool satisfied = score >= 4;
  each(o, agent, [satisfied](Tally& t) {
    ++t.rated;
    if (satisfied) ++t.satisfied;
  });
  add(o.skill, Counter::sessions_rated);
  if (satisfied) add(o.skill, Counter::sessions_satisfied);
}

void FiguresBook::message_left(TimeMs at) {
  const LocalTime lt = config_.hours.zone().local(at);
  DayTally& d = day_of(lt.day);
  ++d.shop.messages_left;
  ++d.hours[static_cast<std::size_t>(lt.hour())].messages_left;
  add("", Counter::messages_left);
}

void FiguresBook::message_replied(TimeMs left_at) {
  const LocalTime lt = config_.hours.zone().local(left_at);
  add("", Counter::messages_replied);
  if (lt.day < forgotten_before_) return;
  DayTally& d = day_of(lt.day);
  ++d.shop.messages_replied;
  ++d.hours[static_cast<std::size_t>(lt.hour())].messages_replied;
}

void FiguresBook::forget_days_before(DayNumber day) {
  if (day <= forgotten_before_) return;
  forgotten_before_ = day;
  const auto kept_from = days_.lower_bound(day);
  if (kept_from == days_.begin()) return;  // no day to forget: no member to renumber
  days_.erase(days_.begin(), kept_from);
  // Renumber the members the kept days still name; the others are forgotten with their days.
  std::unordered_map<std::uint32_t, std::uint32_t> renumber;
  auto remap = [&](MemberSet& set) {
    MemberSet next;
    for (std::uint32_t m : set) next.insert(renumber.try_emplace(m, static_cast<std::uint32_t>(renumber.size())).first->second);
    set = std::move(next);
  };
  auto remap_tally = [&](Tally& t) {
    remap(t.inquiring);
    remap(t.converted);
  };
  for (auto& [d, tally] : days_) {
    remap_tally(tally.shop);
    for (auto& h : tally.hours) remap_tally(h);
    for (auto* group : {&tally.skills, &tally.agents, &tally.categories})
      for (auto& [name, t] : *group) remap_tally(t);
  }
  std::unordered_map<std::string, std::uint32_t> kept;
  for (auto& [member, old] : members_)
    if (auto it = renumber.find(old); it != renumber.end()) kept.emplace(member, it->second);
  members_ = std::move(kept);
}

std::uint32_t FiguresBook::member_index(const std::string& member) {
  return members_.try_emplace(member, static_cast<std::uint32_t>(members_.size())).first->second;
}

void FiguresBook::member_converted(const Origin& o, const std::string& agent, const std::string& member,
                                   const std::string& category) {
  DayTally& d = day_of(o.day);
  const std::uint32_t m = member_index(member);
  assert(d.shop.inquiring.count(m) == 1);
  if (d.shop.converted.insert(m)) add("", Counter::members_converted);
  d.hours[static_cast<std::size_t>(o.hour)].converted.insert(m);
  d.skills[o.skill].converted.insert(m);
  if (!agent.empty()) d.agents[agent].converted.insert(m);
  if (!category.empty()) {
    auto it = d.categories.find(category);
    if (it != d.categories.end() && it->second.inquiring.count(m) == 1) it->second.converted.insert(m);
  }
}

void FiguresBook::order(bool duplicate) { add("", duplicate ? Counter::orders_duplicate : Counter::orders); }

std::vector<OnlinePiece> FiguresBook::online(TimeMs from, TimeMs to) {
  assert(from <= to);
  std::vector<OnlinePiece> pieces;
  add("", Counter::online_ms, static_cast<std::uint64_t>(to - from));
  split_by_hour(from, to, config_.hours.zone(), [&](DayNumber d, int h, DurationMs ms) {
    DayTally& day = day_of(d);
    day.shop.online_ms += ms;
    day.hours[static_cast<std::size_t>(h)].online_ms += ms;
    pieces.push_back(OnlinePiece{Origin{d, h, {}}, ms});
  });
  return pieces;
}

std::vector<OnlinePiece> FiguresBook::agent_online(const std::string& agent, TimeMs from, TimeMs to) {
  assert(from <= to && !agent.empty());
  std::vector<OnlinePiece> pieces;
  split_by_hour(from, to, config_.hours.zone(), [&](DayNumber d, int h, DurationMs ms) {
    day_of(d).agents[agent].online_ms += ms;
    pieces.push_back(OnlinePiece{Origin{d, h, {}}, ms});
  });
  return pieces;
}

const DayTally* FiguresBook::day(DayNumber d) const {
  auto it = days_.find(d);
  return it == days_.end() ? nullptr : &it->second;
}

namespace {

void set_online(v1::FigureSet* f, DurationMs ms) { f->set_online_duration_s(narrow(static_cast<std::uint64_t>(ms / 1000))); }

}  // namespace

v1::ShopFigures FiguresBook::snapshot(DayNumber day, TimeMs now, const Running& running) const {
  v1::ShopFigures out;
  out.set_shop_id(config_.id);
  out.set_date(format_date(day));
  static const DayTally empty;
  const DayTally* d = this->day(day);
  const DayTally& t = d != nullptr ? *d : empty;
  const TimeZone& zone = config_.hours.zone();
  const TimeMs day_start = zone.day_start(day), day_end = zone.day_start(day + 1);
  // What the running intervals add to this day, per hour row and per agent.
  std::array<DurationMs, hour_rows_max> running_hour{};
  auto running_part = [&](TimeMs since, auto&& per_hour) {
    if (since < 0 || since >= now) return;
    split_by_hour(std::max(since, day_start), std::min(now, day_end), zone,
                  [&](DayNumber, int h, DurationMs ms) { per_hour(h, ms); });
  };
  running_part(running.shop_since, [&](int h, DurationMs ms) { running_hour[static_cast<std::size_t>(h)] += ms; });
  DurationMs shop_running = 0;
  for (DurationMs ms : running_hour) shop_running += ms;
  fill(out.mutable_figures(), t.shop);
  set_online(out.mutable_figures(), t.shop.online_ms + shop_running);
  const auto rows = static_cast<std::size_t>(zone.hour_rows(day));
  for (std::size_t h = 0; h < rows; ++h) {
    auto* hf = out.add_hours();
    hf->set_hour(static_cast<std::uint32_t>(h));
    const TimeMs row_start = day_start + static_cast<TimeMs>(h) * ms_per_hour;
    hf->set_starts_at(format_rfc3339_local(row_start, zone.offset_at(row_start)));
    fill(hf->mutable_figures(), t.hours[h]);
    set_online(hf->mutable_figures(), t.hours[h].online_ms + running_hour[h]);
  }
  for (const auto& [skill, tally] : t.skills) {
    auto* sf = out.add_skills();
    sf->set_skill(skill);
    fill(sf->mutable_figures(), tally);
  }
  std::map<std::string, DurationMs> agent_running;
  for (const auto& [agent, since] : running.agents_since)
    running_part(since, [&, a = agent](int, DurationMs ms) { agent_running[a] += ms; });
  std::map<std::string, const Tally*> agents;
  for (const auto& [agent, tally] : t.agents) agents[agent] = &tally;
  for (const auto& [agent, ms] : agent_running) agents.try_emplace(agent, nullptr);
  static const Tally no_tally;
  for (const auto& [agent, tally] : agents) {
    auto* af = out.add_agents();
    af->set_agent_id(agent);
    const Tally& at = tally != nullptr ? *tally : no_tally;
    af->set_legs(narrow(at.legs));
    fill(af->mutable_figures(), at);
    set_online(af->mutable_figures(), at.online_ms + agent_running[agent]);
  }
  for (const auto& target : config_.targets) {
    auto* cf = out.add_categories();
    cf->set_category(target.category);
    auto it = t.categories.find(target.category);
    const std::uint64_t num = it == t.categories.end() ? 0 : it->second.converted.size();
    const std::uint64_t den = it == t.categories.end() ? 0 : it->second.inquiring.size();
    set_ratio(cf->mutable_conversion(), num, den);
    cf->set_last_peak_rate(target.last_peak_rate);
    cf->set_floor(target.last_peak_rate * 1.1);
    cf->set_stretch(target.last_peak_rate * 1.2);
    const double value = cf->conversion().value();
    cf->set_floor_met(den > 0 && value >= cf->floor());
    cf->set_stretch_met(den > 0 && value >= cf->stretch());
  }
  return out;
}

}  // namespace sb::core
