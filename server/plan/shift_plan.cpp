#include "shift_plan.hpp"

#include <glpk.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <memory>

namespace sb::plan {

namespace {

std::vector<Shift> candidate_shifts(int open_h, int close_h, const ShiftRules& rules) {
  std::vector<Shift> out;
  const int span = close_h - open_h;
  for (int len : rules.lengths_h)
    for (int s = open_h; s + len <= close_h; s += std::max(1, rules.start_every_h)) out.push_back(Shift{s, len, 0});
  // Line hours shorter than every allowed shift are still covered: one shift of the whole span.
  if (out.empty() && span > 0) out.push_back(Shift{open_h, span, 0});
  return out;
}

struct Problem {
  glp_prob* p = glp_create_prob();
  ~Problem() { glp_delete_prob(p); }
};

// Columns: one integer per shift, then one slack per hour, then the cap's slack. Rows: cover
// per hour, the daily cap's head count, the head-count bound.
void load_program(glp_prob* p, const std::vector<Shift>& cands, const std::vector<std::uint32_t>& required, std::uint32_t agents_for_cap,
                  const ShiftRules& rules) {
  const int hours = static_cast<int>(required.size());
  double longest = 1;
  for (const auto& c : cands) longest = std::max<double>(longest, c.length_h);
  const double slack_cost = 1000.0 * longest * std::max(1.0, rules.cost_per_agent_hour);
  glp_set_obj_dir(p, GLP_MIN);
  const int n_shift = static_cast<int>(cands.size());
  glp_add_cols(p, n_shift + hours + 1);
  for (int j = 0; j < n_shift; ++j) {
    glp_set_col_kind(p, j + 1, GLP_IV);
    glp_set_col_bnds(p, j + 1, GLP_LO, 0, 0);
    glp_set_obj_coef(p, j + 1, cands[static_cast<std::size_t>(j)].length_h * rules.cost_per_agent_hour);
  }
  for (int h = 0; h < hours + 1; ++h) {
    glp_set_col_bnds(p, n_shift + h + 1, GLP_LO, 0, 0);
    glp_set_obj_coef(p, n_shift + h + 1, slack_cost);
  }
  glp_add_rows(p, hours + 2);
  std::vector<int> ia{0}, ja{0};
  std::vector<double> ar{0};
  auto put = [&](int row, int col, double v) {
    ia.push_back(row);
    ja.push_back(col);
    ar.push_back(v);
  };
  for (int h = 0; h < hours; ++h) {
    glp_set_row_bnds(p, h + 1, GLP_LO, required[static_cast<std::size_t>(h)], 0);
    for (int j = 0; j < n_shift; ++j) {
      const auto& c = cands[static_cast<std::size_t>(j)];
      if (h >= c.start_h && h < c.start_h + c.length_h) put(h + 1, j + 1, 1);
    }
    put(h + 1, n_shift + h + 1, 1);
  }
  glp_set_row_bnds(p, hours + 1, GLP_LO, agents_for_cap, 0);
  for (int j = 0; j < n_shift; ++j) put(hours + 1, j + 1, 1);
  put(hours + 1, n_shift + hours + 1, 1);
  if (rules.agents_max > 0) glp_set_row_bnds(p, hours + 2, GLP_UP, 0, rules.agents_max);
  else glp_set_row_bnds(p, hours + 2, GLP_FR, 0, 0);
  for (int j = 0; j < n_shift; ++j) put(hours + 2, j + 1, 1);
  glp_load_matrix(p, static_cast<int>(ia.size()) - 1, ia.data(), ja.data(), ar.data());
}

}  // namespace

ShiftPlan plan_shifts(const std::vector<std::uint32_t>& required, int open_h, int close_h, double day_sessions, const ShiftRules& rules) {
  ShiftPlan plan;
  const int hours = static_cast<int>(required.size());
  plan.scheduled.assign(required.size(), 0);
  plan.uncovered.assign(required.size(), 0);
  std::vector<Shift> cands = candidate_shifts(std::max(0, open_h), std::min(hours, close_h), rules);
  plan.agents_for_cap = rules.daily_cap > 0 ? static_cast<std::uint32_t>(std::ceil(day_sessions / rules.daily_cap)) : 0;
  Problem pr;
  glp_prob* p = pr.p;
  load_program(p, cands, required, plan.agents_for_cap, rules);
  glp_iocp parm;
  glp_init_iocp(&parm);
  parm.presolve = GLP_ON;
  parm.msg_lev = GLP_MSG_OFF;
  const int rc = glp_intopt(p, &parm);
  if (rc != 0 || (glp_mip_status(p) != GLP_OPT && glp_mip_status(p) != GLP_FEAS)) {
    plan.problem = "the shift program did not solve (GLPK glp_intopt returned " + std::to_string(rc) + ", status " +
                   std::to_string(glp_mip_status(p)) + ")";
    return plan;
  }
  for (int j = 0; j < static_cast<int>(cands.size()); ++j) {
    const auto n = static_cast<std::uint32_t>(std::llround(glp_mip_col_val(p, j + 1)));
    if (n == 0) continue;
    Shift s = cands[static_cast<std::size_t>(j)];
    s.agents = n;
    plan.shifts.push_back(s);
    plan.cost += n * s.length_h * rules.cost_per_agent_hour;
    for (int h = s.start_h; h < s.start_h + s.length_h; ++h) plan.scheduled[static_cast<std::size_t>(h)] += n;
  }
  for (int h = 0; h < hours; ++h)
    if (plan.scheduled[static_cast<std::size_t>(h)] < required[static_cast<std::size_t>(h)])
      plan.uncovered[static_cast<std::size_t>(h)] = required[static_cast<std::size_t>(h)] - plan.scheduled[static_cast<std::size_t>(h)];
  return plan;
}

}  // namespace sb::plan
