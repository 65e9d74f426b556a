//! Exact accounting: [`Books`] adds each enterprise-week (its sums and
//! bill, [`super::tally`]) into the week row, the run totals and the
//! enterprise's totals in one place, then derives the run's ratios and
//! distributions at the end.
//!
//! Tokens are integers; dollars are added in a fixed order (enterprises in
//! index order within a week, weeks in order), so totals are identical
//! whatever the thread count.

use super::enterprise::Enterprise;
use super::metrics::{EnterpriseMetrics, RunMetrics, WeekMetrics};
use super::tally::{Bill, COUNTABLE_TOKENS, Tally, counted};
use crate::model::{Config, MAX_TIERS};

/// Everything one run reports.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub metrics: RunMetrics,
    pub weekly: Vec<WeekMetrics>,
    pub enterprises: Vec<EnterpriseRow>,
    /// Tokens [input, output] per lab and model tier, for accounting checks.
    pub tokens_by_tier: Vec<[[u64; 2]; MAX_TIERS]>,
    /// Task decisions simulated (mode choices, performative launches, builds).
    pub decisions: u64,
}

#[derive(Debug, Clone)]
pub struct EnterpriseRow {
    pub name: String,
    pub lab: String,
    pub policy_initial: String,
    pub policy_final: String,
    pub metrics: EnterpriseMetrics,
}

/// Adds an enterprise-week's hours, by use, to a record with the hours
/// columns (the week row and the run totals share the names).
macro_rules! add_hours {
    ($record:expr, $tally:expr, $available:expr) => {{
        let (r, t) = (&mut *$record, $tally);
        r.hours_available += $available;
        r.hours_manual += t.hours_manual;
        r.hours_ai += t.hours_ai;
        r.hours_rework += t.hours_rework;
        r.hours_performative += t.hours_performative;
        r.hours_builds += t.hours_builds;
        r.hours_learning += t.hours_learning;
        r.hours_other += $available - t.hours_used();
    }};
}

/// Adds an enterprise-week's value and usage cost by channel to a record
/// with the channel columns (the week row and the run totals share them).
macro_rules! add_channels {
    ($record:expr, $tally:expr, $keep:expr) => {{
        let (r, t) = (&mut *$record, $tally);
        r.value_tasks_usd += t.value_tasks;
        r.value_adoption_usd += t.value_adoption;
        r.value_learning_usd += t.value_learning;
        r.value_spillover_usd += t.value_spillover;
        r.value_automation_usd += t.value_automation;
        r.value_discovery_usd += t.value_discovery;
        r.value_busywork_usd += t.value_busywork;
        r.value_rework_usd += t.value_rework;
        r.spend_tasks_usd += t.list_tasks * $keep;
        r.spend_busywork_usd += t.list_busywork * $keep;
        r.spend_automation_usd += t.list_automation * $keep;
    }};
}

/// The run's running totals.
pub struct Books {
    m: RunMetrics,
    weekly: Vec<WeekMetrics>,
    tokens_by_tier: Vec<[[u64; 2]; MAX_TIERS]>,
    decisions: u64,
    noise_outputs: u64,
    apparent_outputs: u64,
}

impl Books {
    pub fn new(cfg: &Config) -> Self {
        Books {
            m: RunMetrics::default(),
            weekly: Vec::with_capacity(cfg.weeks as usize),
            tokens_by_tier: vec![[[0u64; 2]; MAX_TIERS]; cfg.labs.len()],
            decisions: 0,
            noise_outputs: 0,
            apparent_outputs: 0,
        }
    }

    /// Adds one enterprise-week to the week row, the run and the enterprise.
    /// `employee_weight` is the enterprise's share of all employees.
    pub fn book(
        &mut self,
        cfg: &Config,
        row: &mut WeekMetrics,
        ent: &mut Enterprise,
        tally: &Tally,
        bill: &Bill,
        employee_weight: f64,
    ) {
        let m = &mut self.m;
        let tokens = tally.tokens();
        for (k, t) in tally.tokens.iter().enumerate() {
            let slot = &mut self.tokens_by_tier[ent.spec.lab][k];
            slot[0] = slot[0].saturating_add(t[0]);
            slot[1] = slot[1].saturating_add(t[1]);
            m.tokens_in += counted(t[0]);
            m.tokens_out += counted(t[1]);
        }
        row.tokens += counted(tokens);
        row.list_cost_usd += tally.list_cost;
        row.discount_usd += tally.list_cost - bill.usage_cost;
        row.usage_cost_usd += bill.usage_cost;
        row.breakage_usd += bill.breakage;
        row.spend_usd += bill.spend;
        row.value_usd += tally.value;
        row.waste_usd += bill.waste;
        row.noise_tokens += counted(tally.noise_tokens);
        row.performative_tokens += counted(tally.perf_tokens);
        row.tasks += tally.tasks as f64;
        row.ai_tasks += tally.ai_tasks as f64;
        row.automated_tasks += tally.automated as f64;
        row.serving_cost_usd += bill.serving;
        row.mandate += employee_weight * ent.mandate;
        row.commitment_usd += ent.commitment;
        row.usage_readers_share += f64::from(ent.lambda > 0.5) / cfg.enterprises.len() as f64;
        row.decisions += tally.decisions as f64;
        let available = cfg.employees.hours_per_week * ent.employees.len() as f64;
        row.tasks_done += tally.tasks_done as f64;
        row.tasks_dropped += tally.tasks_dropped as f64;
        row.tasks_backlog += tally.tasks_backlog as f64;
        add_hours!(row, tally, available);
        let keep = 1.0 - ent.discount;
        add_channels!(row, tally, keep);
        row.ai_users += ent.employees.iter().filter(|e| e.user).count() as f64;

        m.tokens += counted(tokens);
        m.list_cost_usd += tally.list_cost;
        m.usage_cost_usd += bill.usage_cost;
        m.breakage_usd += bill.breakage;
        m.spend_usd += bill.spend;
        m.value_usd += tally.value;
        m.waste_usd += bill.waste;
        m.noise_tokens += counted(tally.noise_tokens);
        m.performative_tokens += counted(tally.perf_tokens);
        m.hours_saved += tally.hours_saved;
        add_hours!(m, tally, available);
        add_channels!(m, tally, keep);
        m.discoveries += tally.discoveries as f64;
        m.adoptions += tally.adoptions as f64;
        m.tasks_done += tally.tasks_done as f64;
        m.tasks_dropped += tally.tasks_dropped as f64;
        m.agent_tasks += tally.agent_tasks as f64;
        m.frontier_tasks += tally.frontier_tasks as f64;
        m.tasks += tally.tasks as f64;
        m.ai_tasks += tally.ai_tasks as f64;
        m.automated_tasks += tally.automated as f64;
        m.automation_builds += tally.builds as f64;
        m.performative_runs += tally.perf_runs as f64;
        m.serving_cost_usd += bill.serving;
        self.decisions += tally.decisions;
        self.noise_outputs += tally.noise_outputs;
        self.apparent_outputs += tally.apparent_outputs;

        let t = &mut ent.totals;
        t.tokens += counted(tokens);
        t.spend_usd += bill.spend;
        t.usage_cost_usd += bill.usage_cost;
        t.list_cost_usd += tally.list_cost;
        t.breakage_usd += bill.breakage;
        t.value_usd += tally.value;
        t.waste_usd += bill.waste;
    }

    /// Closes a week.
    pub fn end_week(&mut self, row: WeekMetrics) {
        self.weekly.push(row);
    }

    /// The run's result: totals, ratios, distributions over employees, and
    /// one row per enterprise.
    pub fn finish(self, cfg: &Config, ents: Vec<Enterprise>) -> RunResult {
        let Books {
            mut m,
            weekly,
            tokens_by_tier,
            decisions,
            noise_outputs,
            apparent_outputs,
        } = self;
        // Totals summed past 2^53 are no longer exact: refused as infinite.
        for total in [
            &mut m.tokens,
            &mut m.tokens_in,
            &mut m.tokens_out,
            &mut m.noise_tokens,
            &mut m.performative_tokens,
        ] {
            if *total >= COUNTABLE_TOKENS as f64 {
                *total = f64::INFINITY;
            }
        }
        let weeks = cfg.weeks as f64;
        let n_employees: f64 = ents.iter().map(|e| e.employees.len() as f64).sum();
        let months = weeks * 12.0 / 52.0;
        m.discount_usd = m.list_cost_usd - m.usage_cost_usd;
        m.lab_revenue_usd = m.spend_usd;
        m.lab_margin_usd = m.lab_revenue_usd - m.serving_cost_usd;
        m.roi = ratio(m.value_usd, m.spend_usd);
        m.value_per_mtok = ratio(m.value_usd, m.tokens * 1e-6);
        m.waste_share = ratio(m.waste_usd, m.spend_usd);
        m.noise_share = ratio(noise_outputs as f64, apparent_outputs as f64);
        m.performative_share = ratio(m.performative_tokens, m.tokens);
        m.automated_share = ratio(m.automated_tasks, m.tasks);
        m.commitment_final_usd = ents.iter().map(|e| e.commitment).sum();
        let committed: f64 = weekly.iter().map(|w| w.commitment_usd / cfg.term_weeks as f64).sum();
        m.utilisation = ratio(m.usage_cost_usd, committed);
        m.mandate_mean = ratio(weekly.iter().map(|w| w.mandate).sum(), weeks);
        let judged: u64 = ents.iter().map(|e| e.renewals_judged).sum();
        let escalated: u64 = ents.iter().map(|e| e.escalations).sum();
        m.escalation_share = ratio(escalated as f64, judged as f64);
        let sum = |f: fn(&Enterprise) -> u64| ents.iter().map(f).sum::<u64>() as f64;
        m.escalation_share_spend_readers = ratio(sum(|e| e.escalations_by_reading[1]), sum(|e| e.judged_by_reading[1]));
        m.escalation_share_roi_readers = ratio(sum(|e| e.escalations_by_reading[0]), sum(|e| e.judged_by_reading[0]));
        m.policy_reviews = sum(|e| e.policy_reviews);
        m.no_measured_return_share = ratio(sum(|e| e.terms_below_one), sum(|e| e.terms_judged));
        let (belief_sum, beliefs) = ents
            .iter()
            .flat_map(|e| e.employees.iter())
            .flat_map(|x| x.belief[..cfg.task_types.len()].iter().flatten())
            .fold((0.0, 0usize), |(s, n), b| (s + b, n + 1));
        m.belief_mean = ratio(belief_sum, beliefs as f64);
        m.tasks_backlog = weekly.last().map_or(0.0, |w| w.tasks_backlog);
        m.hours_saved_share = ratio(m.hours_saved, m.hours_available);
        m.tokens_per_employee_month = m.tokens / n_employees / months;
        m.spend_per_employee_month = m.spend_usd / n_employees / months;
        m.rework_cost_per_employee_month = m.hours_rework * cfg.employees.hourly_cost_usd / n_employees / months;
        let mut usage: Vec<u64> = ents
            .iter()
            .flat_map(|e| e.employees.iter().map(|x| x.tokens_total))
            .collect();
        usage.sort_unstable();
        m.usage_gini = gini(&usage);
        let median = usage[usage.len() / 2] as f64;
        let top = *usage.last().expect("at least one employee") as f64;
        m.top_to_median_usage = ratio(top, median);
        for (engineer, slot) in [
            (true, &mut m.engineer_list_cost_per_month),
            (false, &mut m.non_engineer_list_cost_per_month),
        ] {
            let (cost, n) = ents
                .iter()
                .flat_map(|e| e.employees.iter().filter(|x| x.engineer == engineer))
                .fold((0.0, 0usize), |(c, n), x| (c + x.list_cost_total, n + 1));
            *slot = ratio(cost, n as f64 * months);
        }
        m.usage_readers_final = weekly.last().map_or(0.0, |w| w.usage_readers_share);
        m.decisions = decisions as f64;
        let everyone = || ents.iter().flat_map(|e| e.employees.iter());
        m.ai_users_share_final = ratio(everyone().filter(|x| x.user).count() as f64, n_employees);
        m.proficiency_mean = ratio(everyone().map(|x| x.proficiency).sum(), n_employees);

        let enterprises = ents
            .into_iter()
            .map(|e| {
                let mut t = e.totals;
                t.employees = e.employees.len() as f64;
                t.discount_usd = t.list_cost_usd - t.usage_cost_usd;
                t.roi = ratio(t.value_usd, t.spend_usd);
                t.commitment_final_usd = e.commitment;
                t.spend_signal_weight_final = e.lambda;
                t.mandate_mean = e.mandate_sum / weeks;
                t.escalations = e.escalations as f64;
                t.renewals_judged = e.renewals_judged as f64;
                t.policy_reviews = e.policy_reviews as f64;
                EnterpriseRow {
                    name: e.spec.name.clone(),
                    lab: e.lab.name.clone(),
                    policy_initial: cfg.policies[e.policy_initial].name.clone(),
                    policy_final: cfg.policies[e.policy].name.clone(),
                    metrics: t,
                }
            })
            .collect();
        RunResult {
            metrics: m,
            weekly,
            enterprises,
            tokens_by_tier,
            decisions,
        }
    }
}

/// a / b, or NaN ("not defined", an empty CSV cell) when b is 0: the ROI
/// of a policy that spent nothing is not 0, and a share of nothing is not
/// 0 % (see [`super::metrics::RATIOS`]).
fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { f64::NAN } else { a / b }
}

/// Gini coefficient of sorted non-negative values.
pub fn gini(sorted: &[u64]) -> f64 {
    let n = sorted.len() as f64;
    let total: f64 = sorted.iter().map(|&x| x as f64).sum();
    if total == 0.0 || sorted.len() < 2 {
        return 0.0;
    }
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| (i as f64 + 1.0) * x as f64)
        .sum();
    (2.0 * weighted) / (n * total) - (n + 1.0) / n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_of_equal_use_is_zero_and_of_one_user_is_near_one() {
        assert_eq!(gini(&[5, 5, 5, 5]), 0.0);
        assert!((gini(&[0, 0, 0, 100]) - 0.75).abs() < 1e-12);
        assert_eq!(gini(&[0, 0]), 0.0);
    }
}
