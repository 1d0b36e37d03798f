#include "plan_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace sb::plan {

namespace {

std::string num(double v, int digits = 3) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

bool shown(const ShopDay& day, const HourRow& row) {
  return (row.hour >= day.open_h && row.hour < day.close_h) || row.forecast > 0 || row.scheduled > 0;
}

std::string clock(int hour) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:00", hour % 24);
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : c == '"' ? "&quot;" : std::string(1, c);
  return out;
}

}  // namespace

std::string staffing_state(const HourRow& row, bool line_hour) {
  if (!line_hour && row.forecast <= 0) return "";
  const std::uint32_t need = std::max<std::uint32_t>(row.agents_a, line_hour ? 1 : 0);
  if (row.uncovered > 0 || row.scheduled < need) return "under";
  if (row.scheduled >= need + 2 && row.scheduled > 1.25 * need) return "over";
  return "ok";
}

std::string plan_csv(const CapacityPlan& plan, const StaffingTarget&) {
  std::ostringstream o;
  o << "shop,date,hour,forecast";
  for (const auto& p : plan.history_peaks) o << ",earlier_" << p;
  o << ",required_erlang_c,required_erlang_a,agents_erlang_c,agents_erlang_a,scheduled,uncovered,added_by_simulation,staffing,"
       "predicted_45s_erlang_c,predicted_45s_erlang_a,simulated_45s,simulated_45s_low,simulated_45s_high,simulated_judged,"
       "predicted_connection_erlang_a,simulated_connection,queue_wait_s_erlang_c,queue_wait_s_erlang_a,occupancy_erlang_a\n";
  for (const auto& s : plan.shops)
    for (const auto& day : s.days)
      for (const auto& r : day.hours) {
        if (!shown(day, r)) continue;
        const bool line = r.hour >= day.open_h && r.hour < day.close_h;
        o << s.shop_id << ',' << day.date << ',' << clock(r.hour) << ',' << num(r.forecast, 2);
        for (double e : r.earlier) o << ',' << num(e, 0);
        o << ',' << num(r.required_c, 2) << ',' << num(r.required_a, 2) << ',' << r.agents_c << ',' << r.agents_a << ',' << r.scheduled
          << ',' << r.uncovered << ',' << r.added << ',' << staffing_state(r, line) << ',' << num(r.erlang_c.response_45s_rate, 4) << ','
          << num(r.erlang_a.response_45s_rate, 4) << ',';
        if (r.judged()) o << num(r.sim_rate, 4) << ',' << num(r.sim_rate_low, 4) << ',' << num(r.sim_rate_high, 4);
        else o << ",,";
        o << ',' << r.sim_judged << ',' << num(1 - r.erlang_a.abandon, 4) << ',' << (r.judged() ? num(r.sim_connection, 4) : "") << ','
          << num(r.erlang_c.wait_s, 1) << ',' << num(r.erlang_a.wait_s, 1) << ',' << num(r.erlang_a.occupancy, 3) << '\n';
      }
  return o.str();
}

namespace {

struct Series {
  std::string name, color;
  std::vector<double> values;  // NaN: no point
  bool bars = false;
  std::vector<double> low, high;  // a band, when set
};

// An inline SVG chart over the shown hours of a day.
std::string chart(const std::string& title, const std::vector<int>& hours, const std::vector<Series>& series, double y_max, bool rate,
                  double y_min = 0) {
  const double w = 560, h = 170, left = 44, bottom = 22, top = 18;
  const double pw = w - left - 8, ph = h - bottom - top;
  if (y_max <= 0) y_max = 1;
  const double step = hours.empty() ? pw : pw / static_cast<double>(hours.size());
  auto x = [&](std::size_t i) { return left + step * (static_cast<double>(i) + 0.5); };
  auto y = [&](double v) { return top + ph - ph * std::clamp((v - y_min) / (y_max - y_min), 0.0, 1.05); };
  std::ostringstream o;
  o << "<figure><svg viewBox='0 0 " << w << ' ' << h << "' width='" << w << "' height='" << h << "' role='img' aria-label='" << escape(title)
    << "'><text x='" << left << "' y='12' class='t'>" << escape(title) << "</text>";
  for (int g = 0; g <= 4; ++g) {
    const double v = y_min + (y_max - y_min) * g / 4;
    o << "<line x1='" << left << "' x2='" << w - 8 << "' y1='" << y(v) << "' y2='" << y(v) << "' class='g'/><text x='" << left - 4 << "' y='"
      << y(v) + 4 << "' class='a' text-anchor='end'>" << (rate ? num(v, 2) : num(v, 0)) << "</text>";
  }
  for (std::size_t i = 0; i < hours.size(); i += 2)
    o << "<text x='" << x(i) << "' y='" << h - 6 << "' class='a' text-anchor='middle'>" << hours[i] % 24 << "</text>";
  for (const auto& s : series) {
    if (!s.low.empty()) {
      std::ostringstream pts;
      for (std::size_t i = 0; i < hours.size(); ++i)
        if (!std::isnan(s.high[i])) pts << x(i) << ',' << y(s.high[i]) << ' ';
      for (std::size_t i = hours.size(); i-- > 0;)
        if (!std::isnan(s.low[i])) pts << x(i) << ',' << y(s.low[i]) << ' ';
      o << "<polygon points='" << pts.str() << "' fill='" << s.color << "' opacity='0.18'/>";
    }
    if (s.bars) {
      for (std::size_t i = 0; i < hours.size(); ++i)
        if (!std::isnan(s.values[i]))
          o << "<rect x='" << x(i) - step * 0.35 << "' y='" << y(s.values[i]) << "' width='" << step * 0.7 << "' height='"
            << top + ph - y(s.values[i]) << "' fill='" << s.color << "' opacity='0.55'/>";
      continue;
    }
    std::ostringstream pts;
    for (std::size_t i = 0; i < hours.size(); ++i)
      if (!std::isnan(s.values[i])) pts << x(i) << ',' << y(s.values[i]) << ' ';
    o << "<polyline points='" << pts.str() << "' fill='none' stroke='" << s.color << "' stroke-width='2'/>";
  }
  o << "</svg><figcaption>";
  for (const auto& s : series) o << "<span style='color:" << s.color << "'>&#9632;</span> " << escape(s.name) << " &nbsp; ";
  o << "</figcaption></figure>";
  return o.str();
}

std::string day_charts(const ShopDay& day, const std::vector<std::string>& peaks, double target) {
  std::vector<int> hours;
  std::vector<const HourRow*> rows;
  for (const auto& r : day.hours)
    if (shown(day, r)) hours.push_back(r.hour), rows.push_back(&r);
  const double nan = std::nan("");
  auto col = [&](auto f) {
    std::vector<double> v;
    for (const auto* r : rows) v.push_back(f(*r));
    return v;
  };
  static const char* colors[] = {"#8c6d31", "#7b4173", "#637939", "#3182bd"};
  std::vector<Series> demand{{"forecast", "#3182bd", col([](const HourRow& r) { return r.forecast; }), true, {}, {}}};
  double top = 0;
  for (const auto* r : rows) top = std::max(top, r->forecast);
  for (std::size_t p = 0; p < peaks.size(); ++p) {
    demand.push_back({"earlier " + peaks[p], colors[p % 4], col([&](const HourRow& r) { return p < r.earlier.size() ? r.earlier[p] : nan; }), false, {}, {}});
    for (const auto* r : rows) top = std::max(top, p < r->earlier.size() ? r->earlier[p] : 0);
  }
  double agents = 1;
  for (const auto* r : rows) agents = std::max({agents, static_cast<double>(r->scheduled), r->required_c});
  std::vector<Series> staff{{"scheduled", "#3182bd", col([](const HourRow& r) { return static_cast<double>(r.scheduled); }), true, {}, {}},
                            {"required (Erlang C)", "#e6550d", col([](const HourRow& r) { return r.required_c; }), false, {}, {}},
                            {"required (Erlang A)", "#31a354", col([](const HourRow& r) { return r.required_a; }), false, {}, {}}};
  std::vector<Series> rate{
      {"target", "#999999", col([&](const HourRow&) { return target; }), false, {}, {}},
      {"Erlang C", "#e6550d", col([&](const HourRow& r) { return r.forecast > 0 ? r.erlang_c.response_45s_rate : nan; }), false, {}, {}},
      {"Erlang A", "#31a354", col([&](const HourRow& r) { return r.forecast > 0 ? r.erlang_a.response_45s_rate : nan; }), false, {}, {}},
      {"simulated (band: seeds)", "#3182bd", col([&](const HourRow& r) { return r.judged() ? r.sim_rate : nan; }), false,
       col([&](const HourRow& r) { return r.judged() ? r.sim_rate_low : nan; }), col([&](const HourRow& r) { return r.judged() ? r.sim_rate_high : nan; })}};
  return chart("requests per hour", hours, demand, top * 1.1, false) + chart("agents per hour", hours, staff, agents * 1.15, false) +
         chart("45-second rate per hour (from 0.6)", hours, rate, 1.0, true, 0.6);
}

// The day's hours as a table, under the charts: every figure of the CSV a reader compares.
std::string day_table(const ShopDay& day) {
  std::ostringstream o;
  o << "<details><summary>hour by hour</summary><table><thead><tr><th>hour</th><th>forecast</th><th>required C</th><th>required A</th>"
       "<th>scheduled</th><th>staffing</th><th>45-s Erlang C</th><th>45-s Erlang A</th><th>45-s simulated (band)</th>"
       "<th>connection A / sim</th><th>queue wait A</th><th>occupancy A</th></tr></thead><tbody>";
  for (const auto& r : day.hours) {
    if (!shown(day, r)) continue;
    const std::string state = staffing_state(r, r.hour >= day.open_h && r.hour < day.close_h);
    o << "<tr><td>" << clock(r.hour) << "</td><td>" << num(r.forecast, 1) << "</td><td>" << num(r.required_c, 2) << "</td><td>"
      << num(r.required_a, 2) << "</td><td>" << r.scheduled << (r.uncovered ? " (" + std::to_string(r.uncovered) + " short)" : "")
      << "</td><td class='" << state << "'>" << state << "</td><td>" << num(r.erlang_c.response_45s_rate) << "</td><td>"
      << num(r.erlang_a.response_45s_rate) << "</td><td>"
      << (r.judged() ? num(r.sim_rate) + " (" + num(r.sim_rate_low) + "&ndash;" + num(r.sim_rate_high) + ")" : "&ndash;") << "</td><td>"
      << num(1 - r.erlang_a.abandon) << " / " << (r.judged() ? num(r.sim_connection) : "&ndash;") << "</td><td>" << num(r.erlang_a.wait_s, 1)
      << " s</td><td>" << num(r.erlang_a.occupancy, 2) << "</td></tr>";
  }
  o << "</tbody></table></details>";
  return o.str();
}

void summary(std::ostringstream& o, const CapacityPlan& plan, const StaffingTarget& t) {
  o << "<h1>Capacity plan for the " << escape(plan.peak) << " peak</h1><p>From earlier peaks ";
  for (std::size_t i = 0; i < plan.history_peaks.size(); ++i) o << (i ? ", " : "") << escape(plan.history_peaks[i]);
  o << ". Target: 45-second rate &ge; " << num(t.response_45s_rate, 2) << " each hour, abandonment &le; " << num(t.abandon_max, 2)
    << ", window " << t.window << ".</p><p class='verdict " << (plan.holds ? "ok" : "under") << "'>"
    << (plan.holds ? "The plan holds on the simulator" : "The plan does not hold yet") << " after " << plan.rounds << " simulation round"
    << (plan.rounds == 1 ? "" : "s") << " (" << plan.simulated_arrivals << " simulated chats).</p>";
  if (!plan.short_hours.empty()) {
    o << "<p>Hours still short:</p><ul>";
    for (const auto& s : plan.short_hours) o << "<li>" << escape(s) << "</li>";
    o << "</ul>";
  }
  if (!plan.reply_bound_hours.empty()) {
    o << "<p>Hours under the target whose waits are already near zero (an added agent changed nothing):</p><ul>";
    for (const auto& s : plan.reply_bound_hours) o << "<li>" << escape(s) << "</li>";
    o << "</ul>";
  }
  if (plan.backtest)
    o << "<p>Forecast backtest: " << escape(plan.backtest->held_out) << " forecast from earlier peaks, WAPE per hour "
      << num(100 * plan.backtest->per_hour.value(), 1) << "%, per day " << num(100 * plan.backtest->per_day.value(), 1) << "%.</p>";
  o << "<table><thead><tr><th>shop</th><th>forecast requests</th><th>agents</th><th>agent hours</th><th>hours under</th>"
       "<th>hours over</th><th>uncovered</th><th>conversion targets (floor / stretch)</th></tr></thead><tbody>";
  for (const auto& s : plan.shops) {
    double hours_worked = 0;
    int under = 0, over = 0;
    std::uint32_t heads = 0;
    for (const auto& d : s.days) {
      std::uint32_t day_heads = 0;
      for (const auto& k : d.skills) {
        hours_worked += k.shifts.cost;
        for (const auto& sh : k.shifts.shifts) day_heads += sh.agents;
      }
      heads = std::max(heads, day_heads);
      for (const auto& r : d.hours) {
        const auto st = staffing_state(r, r.hour >= d.open_h && r.hour < d.close_h);
        under += st == "under";
        over += st == "over";
      }
    }
    o << "<tr><td><a href='#" << escape(s.shop_id) << "'>" << escape(s.shop_id) << "</a></td><td>" << num(s.forecast.requests, 0) << "</td><td>"
      << heads << "</td><td>" << num(hours_worked, 0) << "</td><td>" << under << "</td><td>" << over << "</td><td>" << s.uncovered.size()
      << "</td><td>";
    for (const auto& c : s.targets)
      o << escape(c.category) << ' ' << num(c.last_peak_rate * 1.1, 3) << " / " << num(c.last_peak_rate * 1.2, 3) << "<br>";
    o << "</td></tr>";
  }
  o << "</tbody></table>";
}

}  // namespace

std::string plan_html(const CapacityPlan& plan, const StaffingTarget& target) {
  std::ostringstream o;
  o << "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Capacity plan " << escape(plan.peak)
    << "</title><style>body{font:14px system-ui,sans-serif;margin:2em;color:#222;max-width:1220px}"
       "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
       "th{background:#f3f3f3}td:first-child{text-align:left}figure{display:inline-block;margin:4px}"
       "figcaption{font-size:12px}.t{font-size:12px;font-weight:600}.a{font-size:10px;fill:#555}.g{stroke:#e5e5e5}"
       ".under{color:#b30000}.ok{color:#1a7f37}.over{color:#8a6d00}.verdict{font-weight:600}</style></head><body>";
  summary(o, plan, target);
  for (const auto& s : plan.shops) {
    o << "<h2 id='" << escape(s.shop_id) << "'>" << escape(s.shop_id) << "</h2><p>" << num(s.forecast.requests, 0)
      << " requests forecast (" << num(100 * s.forecast.requests_per_visit, 2) << " per 100 visits).";
    for (const auto& [skill, b] : s.behaviour)
      o << " " << escape(skill) << ": handle " << num(b.handle_s, 0) << " s, patience " << (b.patience_s > 0 ? num(b.patience_s, 0) + " s" : "none seen")
        << ", transfers " << num(100 * b.transfer_share, 1) << "%;";
    for (const auto& [skill, b] : s.behaviour) {
      if (b.legs_by_chats.empty()) continue;
      o << "<br>" << escape(skill) << " handle time by chats the agent held at assignment:";
      for (std::size_t k = 0; k < b.legs_by_chats.size(); ++k)
        if (b.legs_by_chats[k] > 0) o << ' ' << k + 1 << ": " << num(b.handle_s_by_chats[k], 0) << " s (" << b.legs_by_chats[k] << " legs)";
    }
    o << ".";
    o << "</p>";
    for (const auto& u : s.uncovered) o << "<p class='under'>uncovered: " << escape(u) << "</p>";
    for (const auto& d : s.days) o << "<h3>" << escape(s.shop_id) << " " << escape(d.date) << "</h3>" << day_charts(d, plan.history_peaks, target.response_45s_rate) << day_table(d);
  }
  o << "</body></html>\n";
  return o.str();
}

}  // namespace sb::plan
