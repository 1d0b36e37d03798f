// `switchboard plan` (the capacity planner, docs/planning.md) and `switchboard
// generate-history` (earlier peaks to plan from, for demos, tests and benchmarks).
#include "plan_command.hpp"

#include <toml++/toml.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <unistd.h>

#include "app/commands.hpp"
#include "plan/plan_report.hpp"
#include "trace_io.hpp"

namespace sb::app {

namespace fs = std::filesystem;

namespace {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const toml::table& table_at(const toml::table& t, const char* key, const std::string& file) {
  const auto* v = t.get_as<toml::table>(key);
  if (v == nullptr) throw InputError(file + ": [" + key + "] is missing");
  return *v;
}

std::vector<std::string> strings_at(const toml::table& t, const char* key, const std::string& where) {
  std::vector<std::string> out;
  const auto* arr = t.get_as<toml::array>(key);
  if (arr == nullptr) throw InputError(where + "." + key + " is missing: a list of strings");
  for (const auto& v : *arr) {
    if (!v.is_string()) throw InputError(where + "." + key + " must hold strings only");
    out.push_back(v.as_string()->get());
  }
  return out;
}

std::string compact(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

double number_at(const toml::table& t, const char* key, double fallback, double lo, double hi, const std::string& where) {
  const auto* v = t.get(key);
  if (v == nullptr) return fallback;
  std::optional<double> d = v->value<double>();
  if (!d) throw InputError(where + "." + key + " must be a number");
  if (*d < lo || *d > hi) throw InputError(where + "." + key + " = " + compact(*d) + " is outside " + compact(lo) + ".." + compact(hi));
  return *d;
}

void read_staffing(const toml::table& root, const std::string& file, plan::PlanInput& in) {
  const toml::table empty;
  const auto* st = root.get_as<toml::table>("staffing");
  const toml::table& s = st ? *st : empty;
  const std::string w = file + ": staffing";
  for (const auto& [k, v] : s)
    if (std::string ks(k.str()); ks != "response_45s_rate" && ks != "abandon_max" && ks != "window" && ks != "daily_cap" &&
                                  ks != "shift_hours" && ks != "shift_start_every_h" && ks != "cost_per_agent_hour" && ks != "agents_max")
      throw InputError(w + "." + ks + " is not a staffing setting (response_45s_rate, abandon_max, window, daily_cap, shift_hours, "
                                      "shift_start_every_h, cost_per_agent_hour, agents_max)");
  in.target.response_45s_rate = number_at(s, "response_45s_rate", 0.90, 0.01, 0.999, w);
  in.target.abandon_max = number_at(s, "abandon_max", 0.05, 0, 1, w);
  in.target.window = static_cast<std::uint32_t>(number_at(s, "window", 3, 1, 50, w));
  in.rules.daily_cap = static_cast<std::uint32_t>(number_at(s, "daily_cap", 400, 0, 100'000, w));
  in.rules.start_every_h = static_cast<int>(number_at(s, "shift_start_every_h", 1, 1, 12, w));
  in.rules.cost_per_agent_hour = number_at(s, "cost_per_agent_hour", 1, 0.001, 1e6, w);
  in.rules.agents_max = static_cast<std::uint32_t>(number_at(s, "agents_max", 0, 0, 100'000, w));
  if (const auto* arr = s.get_as<toml::array>("shift_hours")) {
    in.rules.lengths_h.clear();
    for (const auto& v : *arr) {
      auto h = v.value<std::int64_t>();
      if (!h || *h < 1 || *h > 24) throw InputError(w + ".shift_hours must hold whole hours 1..24");
      in.rules.lengths_h.push_back(static_cast<int>(*h));
    }
    if (in.rules.lengths_h.empty()) throw InputError(w + ".shift_hours is empty: give at least one shift length");
  }
}

void read_shops_traffic(const toml::table& root, const std::string& file, plan::PlanInput& in) {
  const auto* shops = root.get_as<toml::array>("shops");
  if (shops == nullptr) throw InputError(file + ": no [[shops]] with id and traffic");
  for (std::size_t i = 0; i < shops->size(); ++i) {
    const auto* t = shops->get(i)->as_table();
    const std::string w = file + ": shops[" + std::to_string(i) + "]";
    if (t == nullptr || !t->get("id") || !t->get("id")->is_string()) throw InputError(w + ".id is missing");
    const std::string id = t->get("id")->as_string()->get();
    const auto* traffic = t->get_as<toml::table>("traffic");
    if (traffic == nullptr) throw InputError(w + ".traffic is missing: { \"<peak>\" = visitors, ... }");
    for (const auto& [peak, v] : *traffic) {
      auto d = v.value<double>();
      if (!d || *d <= 0) throw InputError(w + ".traffic." + std::string(peak.str()) + " must be a number of visitors above 0");
      in.traffic[id][std::string(peak.str())] = *d;
    }
  }
}

}  // namespace

namespace {

// The planner input (docs/planning.md): the base config, the coming peak, earlier peaks'
// traces, per shop its traffic, staffing rules, the proof's seeds. Traces are read into `traces`.
plan::PlanInput read_plan_input(const std::string& path, std::vector<std::unique_ptr<sim::Trace>>& traces) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw InputError(path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  const fs::path dir = fs::path(path).parent_path();
  auto rel = [&](const std::string& p) { return fs::path(p).is_absolute() ? p : (dir / p).string(); };
  plan::PlanInput in;
  const auto* config = root.get("config");
  if (config == nullptr || !config->is_string()) throw InputError(path + ": config = \"<base config file>\" is missing");
  try {
    in.shops = load_config(rel(config->as_string()->get())).shops;
  } catch (const ConfigError& e) {
    throw InputError(std::string("the base config: ") + e.what());
  }
  const auto& target = table_at(root, "target", path);
  const auto* peak = target.get("peak");
  if (peak == nullptr || !peak->is_string()) throw InputError(path + ": target.peak is missing: the coming peak's name, e.g. \"8-18\"");
  in.peak = peak->as_string()->get();
  in.days = strings_at(target, "days", path + ": target");
  const auto* history = root.get_as<toml::array>("history");
  if (history == nullptr || history->empty()) throw InputError(path + ": no [[history]]: give the earlier peaks' traces, oldest first");
  for (std::size_t i = 0; i < history->size(); ++i) {
    const auto* h = history->get(i)->as_table();
    const std::string w = path + ": history[" + std::to_string(i) + "]";
    if (h == nullptr || !h->get("peak") || !h->get("peak")->is_string()) throw InputError(w + ".peak is missing");
    plan::HistoryPeak hp;
    hp.name = h->get("peak")->as_string()->get();
    for (const auto& file : strings_at(*h, "traces", w)) {
      auto t = std::make_unique<sim::Trace>();
      if (auto e = read_trace(rel(file), *t); !e.empty()) throw InputError(e);
      hp.days.push_back(t.get());
      traces.push_back(std::move(t));
    }
    in.history.push_back(std::move(hp));
  }
  read_shops_traffic(root, path, in);
  read_staffing(root, path, in);
  if (const auto* proof = root.get_as<toml::table>("proof")) {
    in.seeds = static_cast<std::uint32_t>(number_at(*proof, "seeds", 10, 0, 10'000, path + ": proof"));
    in.rounds_max = static_cast<std::uint32_t>(number_at(*proof, "rounds_max", 8, 1, 100, path + ": proof"));
    in.seed = static_cast<std::uint64_t>(number_at(*proof, "seed", 1, 0, 1e15, path + ": proof"));
  }
  return in;
}

}  // namespace

namespace {

// The plan as a config file: the base config with each planned shop's agents (and their shifts)
// and category targets replaced.
std::string plan_config_text(const std::string& base_path, const plan::CapacityPlan& plan, const plan::PlanInput& in) {
  toml::table root = toml::parse_file(base_path);
  auto* shops = root.get_as<toml::array>("shops");
  for (auto& node : *shops) {
    auto* t = node.as_table();
    const std::string id = t->get("id")->as_string()->get();
    auto it = std::find_if(plan.shops.begin(), plan.shops.end(), [&](const auto& s) { return s.shop_id == id; });
    if (it == plan.shops.end()) continue;
    toml::array agents;
    for (const auto& a : plan::plan_agents(*it, in.target.window, in.rules.daily_cap)) {
      toml::array skills, shifts;
      for (const auto& s : a.skills) skills.push_back(s);
      for (const auto& s : a.shifts) shifts.push_back(core::agent_shift_text(s));
      agents.push_back(toml::table{{"id", a.id}, {"skills", skills}, {"window", static_cast<std::int64_t>(a.window)},
                                   {"daily_cap", static_cast<std::int64_t>(a.daily_cap)}, {"shifts", shifts}});
    }
    t->insert_or_assign("agents", std::move(agents));
    toml::array targets;
    for (const auto& c : it->targets) targets.push_back(toml::table{{"category", c.category}, {"last_peak_rate", c.last_peak_rate}});
    t->insert_or_assign("targets", std::move(targets));
  }
  std::ostringstream o;
  o << "# Written by switchboard plan for the " << plan.peak << " peak: the base config with the planned agents, their shifts\n"
    << "# (one per day of the peak they work) and the category conversion targets of the last peak. See docs/planning.md.\n"
    << root << "\n";
  return o.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream o(p, std::ios::trunc);
  o << text;
  if (!o) throw InputError(p.string() + ": cannot write");
}

void print_summary(const plan::CapacityPlan& plan, const fs::path& out, double seconds) {
  if (plan.backtest)
    std::printf("forecast backtest: %s from %zu earlier peak(s): WAPE per hour %.1f%%, per day %.1f%%\n", plan.backtest->held_out.c_str(),
                plan.backtest->from.size(), 100 * plan.backtest->per_hour.value(), 100 * plan.backtest->per_day.value());
  std::size_t agents = 0, uncovered = 0;
  double hours = 0;
  for (const auto& s : plan.shops) {
    uncovered += s.uncovered.size();
    for (const auto& d : s.days)
      for (const auto& k : d.skills) hours += k.shifts.cost;
    agents += plan::plan_agents(s, 1, 0).size();
  }
  std::printf("plan for %s: %zu shops, %zu agents, %.0f agent-hours (cost); %zu uncovered skill-hours\n", plan.peak.c_str(), plan.shops.size(),
              agents, hours, uncovered);
  std::printf("simulation proof: %s after %u round(s), %lu simulated chats; %zu hour(s) short\n",
              plan.holds ? "holds" : "DOES NOT HOLD", plan.rounds, static_cast<unsigned long>(plan.simulated_arrivals), plan.short_hours.size());
  for (std::size_t i = 0; i < plan.short_hours.size() && i < 10; ++i) std::printf("  short: %s\n", plan.short_hours[i].c_str());
  for (const auto& h : plan.reply_bound_hours) std::printf("  short by first replies: %s\n", h.c_str());
  for (const auto& s : plan.shops)
    for (const auto& u : s.uncovered) std::printf("  uncovered: %s %s\n", s.shop_id.c_str(), u.c_str());
  std::printf("wrote %s, %s, %s in %.1f s\n", (out / "plan.toml").c_str(), (out / "report.html").c_str(), (out / "hours.csv").c_str(), seconds);
}

}  // namespace

int plan_command(const PlanArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<sim::Trace>> traces;
  plan::PlanInput in;
  std::string base;
  try {
    in = read_plan_input(a.input, traces);
    base = (fs::path(a.input).parent_path() / toml::parse_file(a.input)["config"].value_or(std::string())).string();
  } catch (const InputError& e) {
    std::cerr << "switchboard plan: " << e.what() << "\n";
    return 2;
  }
  if (a.seeds) in.seeds = *a.seeds;
  if (a.rounds) in.rounds_max = *a.rounds;
  in.threads = a.threads;
  std::string trace_problem;
  if (a.keep_traces) {
    fs::create_directories(a.out_dir);
    in.on_forecast_trace = [&](const sim::Trace& t) {
      const auto e = write_trace((fs::path(a.out_dir) / ("forecast-" + t.header.day() + ".jsonl")).string(), t);
      if (!e.empty() && trace_problem.empty()) trace_problem = e;
    };
  }
  const bool tty = ::isatty(2) != 0;
  plan::Progress bar = [tty](double f, const std::string& what) {
    if (!tty) return;
    const int n = static_cast<int>(30 * f);
    std::fprintf(stderr, "\r[%-30s] %3.0f%% %-40s", std::string(static_cast<std::size_t>(n), '#').c_str(), 100 * f, what.c_str());
    if (f >= 1) std::fprintf(stderr, "\n");
  };
  auto plan = plan::make_plan(in, bar);
  if (!plan) {
    std::cerr << "switchboard plan: " << plan.error().message << "\n";
    return 2;
  }
  if (!trace_problem.empty()) {
    std::cerr << "switchboard plan: " << trace_problem << "\n";
    return 1;
  }
  try {
    fs::create_directories(a.out_dir);
    write_file(fs::path(a.out_dir) / "plan.toml", plan_config_text(base, *plan, in));
    write_file(fs::path(a.out_dir) / "report.html", plan::plan_html(*plan, in.target));
    write_file(fs::path(a.out_dir) / "hours.csv", plan::plan_csv(*plan, in.target));
    load_config((fs::path(a.out_dir) / "plan.toml").string());  // the plan must load as the server will load it
  } catch (const std::exception& e) {
    std::cerr << "switchboard plan: " << e.what() << "\n";
    return 1;
  }
  print_summary(*plan, a.out_dir, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return plan->holds ? 0 : 3;
}

}  // namespace sb::app
