//! One run of the model: the weekly loop over enterprises and employees, the
//! random streams, and exact accounting.
//!
//! A run is a pure function of (config, arm, seed): no I/O, no global state,
//! no dependence on threads. Every enterprise and employee draws from its own
//! stream, derived from the seed and its index, so a run's result never
//! depends on the order in which work is done elsewhere.

pub mod metrics;

use crate::model::choice::{self, Action, EmployeeView, OptionTable, WeekContext, WeekPlan, attempt_success};
use crate::model::{Config, EnterpriseSpec, Lab, MAX_TASK_TYPES, MAX_TIERS, Mode, Policy};
use metrics::{EnterpriseMetrics, RunMetrics, WeekMetrics};
use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Distribution, Normal, Poisson, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

type Rng = Xoshiro256PlusPlus;

/// Mixes a seed and two indices into one 64-bit stream seed (SplitMix64's
/// finaliser over a sum with odd multipliers): distinct (seed, a, b) give
/// unrelated streams.
pub fn stream_seed(seed: u64, a: u64, b: u64) -> u64 {
    let mut z = seed
        .wrapping_add(a.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(b.wrapping_mul(0xD1B5_4A32_D192_ED03))
        .wrapping_add(0x2545_F491_4F6C_DD1D);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream index of an enterprise's own (non-employee) draws.
const ENTERPRISE_STREAM: u64 = u64::MAX;

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

/// Sums of one enterprise-week.
#[derive(Debug, Clone, Default)]
struct Tally {
    tokens: [[u64; 2]; MAX_TIERS],
    list_cost: f64,
    value: f64,
    /// List cost of runs that delivered no value.
    waste_list: f64,
    noise_tokens: u64,
    perf_tokens: u64,
    tasks: u64,
    ai_tasks: u64,
    automated: u64,
    noise_outputs: u64,
    apparent_outputs: u64,
    perf_runs: u64,
    builds: u64,
    hours_saved: f64,
    decisions: u64,
}

impl Tally {
    fn tokens(&self) -> u64 {
        self.tokens.iter().map(|t| t[0] + t[1]).sum()
    }
}

struct Employee {
    rng: Rng,
    engineer: bool,
    skill: f64,
    reward_sensitivity: f64,
    notice: f64,
    belief: [[f64; 2]; MAX_TASK_TYPES],
    automated: [f64; MAX_TASK_TYPES],
    tokens_total: u64,
    tokens_last_week: u64,
    list_cost_total: f64,
    experience: [f64; MAX_TASK_TYPES],
}

struct Enterprise<'c> {
    spec: &'c EnterpriseSpec,
    lab: &'c Lab,
    table: OptionTable,
    rng: Rng,
    employees: Vec<Employee>,
    policy: usize,
    policy_initial: usize,
    lambda: f64,
    /// Annual commitment of the current term, USD.
    commitment: f64,
    discount: f64,
    mandate: f64,
    mandate_sum: f64,
    term_usage: f64,
    term_spend: f64,
    term_value: f64,
    prev_term_usage: Option<f64>,
    prev_measured_roi: Option<f64>,
    /// Usage growth signal of the last renewal (what peers see).
    visible_growth: f64,
    escalations: u64,
    renewals_judged: u64,
    totals: EnterpriseMetrics,
}

/// Runs one arm of a scenario with one seed.
pub fn run(cfg: &Config, arm: usize, seed: u64) -> RunResult {
    let arm_policy = cfg.arms[arm];
    let mut ents: Vec<Enterprise> = cfg
        .enterprises
        .iter()
        .enumerate()
        .map(|(i, spec)| new_enterprise(cfg, spec, i as u64, seed, spec.policy.unwrap_or(arm_policy)))
        .collect();

    let mut weekly = Vec::with_capacity(cfg.weeks as usize);
    let mut m = RunMetrics::default();
    let mut tokens_by_tier = vec![[[0u64; 2]; MAX_TIERS]; cfg.labs.len()];
    let mut decisions = 0u64;
    let mut noise_outputs = 0u64;
    let mut apparent_outputs = 0u64;
    let mut plan = WeekPlan::default();
    let tasks_dist = Poisson::new(cfg.employees.tasks_per_week.max(1e-12)).expect("validated rate");
    let term = cfg.term_weeks;

    for week in 0..cfg.weeks {
        if week % term == 0 {
            renew_all(cfg, &mut ents, week / term);
        }
        let mut row = WeekMetrics::default();
        let total_employees: f64 = ents.iter().map(|e| e.employees.len() as f64).sum();
        for ent in ents.iter_mut() {
            let mut tally = Tally::default();
            enterprise_week(cfg, ent, &tasks_dist, &mut plan, &mut tally);

            let term_index = week / term;
            let term_start = term_index * term;
            let term_len = (cfg.weeks - term_start).min(term);
            let usage_cost = tally.list_cost * (1.0 - ent.discount);
            ent.term_usage += usage_cost;
            // Breakage: unused commitment, prorated for a partial last term,
            // billed in the term's last week.
            let mut breakage = 0.0;
            if week + 1 == term_start + term_len {
                let prorated = ent.commitment * term_len as f64 / term as f64;
                breakage = ent.lab.breakage * (prorated - ent.term_usage).max(0.0);
            }
            let spend = usage_cost + breakage;
            ent.term_spend += spend;
            ent.term_value += tally.value;
            let waste = tally.waste_list * (1.0 - ent.discount) + breakage;
            let serving = tally.list_cost * ent.lab.serving_cost_share;
            let tokens = tally.tokens();

            for (k, t) in tally.tokens.iter().enumerate() {
                let slot = &mut tokens_by_tier[ent.spec.lab][k];
                slot[0] += t[0];
                slot[1] += t[1];
                m.tokens_in += t[0] as f64;
                m.tokens_out += t[1] as f64;
            }
            let emp_w = ent.employees.len() as f64 / total_employees;
            row.tokens += tokens as f64;
            row.list_cost_usd += tally.list_cost;
            row.discount_usd += tally.list_cost - usage_cost;
            row.usage_cost_usd += usage_cost;
            row.breakage_usd += breakage;
            row.spend_usd += spend;
            row.value_usd += tally.value;
            row.waste_usd += waste;
            row.noise_tokens += tally.noise_tokens as f64;
            row.performative_tokens += tally.perf_tokens as f64;
            row.tasks += tally.tasks as f64;
            row.ai_tasks += tally.ai_tasks as f64;
            row.automated_tasks += tally.automated as f64;
            row.serving_cost_usd += serving;
            row.mandate += emp_w * ent.mandate;
            row.commitment_usd += ent.commitment;
            row.usage_readers_share += f64::from(ent.lambda > 0.5) / cfg.enterprises.len() as f64;
            row.decisions += tally.decisions as f64;

            m.tokens += tokens as f64;
            m.list_cost_usd += tally.list_cost;
            m.usage_cost_usd += usage_cost;
            m.breakage_usd += breakage;
            m.spend_usd += spend;
            m.value_usd += tally.value;
            m.waste_usd += waste;
            m.noise_tokens += tally.noise_tokens as f64;
            m.performative_tokens += tally.perf_tokens as f64;
            m.hours_saved += tally.hours_saved;
            m.tasks += tally.tasks as f64;
            m.ai_tasks += tally.ai_tasks as f64;
            m.automated_tasks += tally.automated as f64;
            m.automation_builds += tally.builds as f64;
            m.performative_runs += tally.perf_runs as f64;
            m.serving_cost_usd += serving;
            decisions += tally.decisions;
            noise_outputs += tally.noise_outputs;
            apparent_outputs += tally.apparent_outputs;

            let t = &mut ent.totals;
            t.tokens += tokens as f64;
            t.spend_usd += spend;
            t.usage_cost_usd += usage_cost;
            t.list_cost_usd += tally.list_cost;
            t.breakage_usd += breakage;
            t.value_usd += tally.value;
            t.waste_usd += waste;

            // Sunk-cost pressure: the shortfall of usage against the
            // commitment prorated to date raises the mandate.
            let elapsed = (week + 1 - term_start) as f64;
            let expected = ent.commitment * elapsed / term as f64;
            let shortfall = if expected > 0.0 {
                ((expected - ent.term_usage) / expected).max(0.0)
            } else {
                0.0
            };
            ent.mandate_sum += ent.mandate;
            let s = ent.spec;
            ent.mandate =
                (ent.mandate * (1.0 - s.mandate_decay) + s.mandate_kappa * shortfall).clamp(0.0, s.mandate_max);
        }
        weekly.push(row);
    }

    finish(
        cfg,
        ents,
        m,
        weekly,
        tokens_by_tier,
        decisions,
        noise_outputs,
        apparent_outputs,
    )
}

#[allow(clippy::too_many_arguments)]
fn finish(
    cfg: &Config,
    ents: Vec<Enterprise>,
    mut m: RunMetrics,
    weekly: Vec<WeekMetrics>,
    tokens_by_tier: Vec<[[u64; 2]; MAX_TIERS]>,
    decisions: u64,
    noise_outputs: u64,
    apparent_outputs: u64,
) -> RunResult {
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
    m.tokens_per_employee_month = m.tokens / n_employees / months;
    m.spend_per_employee_month = m.spend_usd / n_employees / months;
    let mut usage: Vec<u64> = ents
        .iter()
        .flat_map(|e| e.employees.iter().map(|x| x.tokens_total))
        .collect();
    usage.sort_unstable();
    m.usage_gini = gini(&usage);
    let median = usage[usage.len() / 2] as f64;
    let top = *usage.last().expect("at least one employee") as f64;
    m.top_to_median_usage = ratio(top, median);
    let engineers: Vec<f64> = ents
        .iter()
        .flat_map(|e| e.employees.iter().filter(|x| x.engineer).map(|x| x.list_cost_total))
        .collect();
    m.engineer_list_cost_per_month = ratio(engineers.iter().sum::<f64>(), engineers.len() as f64 * months);
    m.usage_readers_final = weekly.last().map_or(0.0, |w| w.usage_readers_share);
    m.decisions = decisions as f64;

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

/// a / b, or 0 when b is 0 (a metric of nothing is reported as 0, not NaN).
fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
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

fn new_enterprise<'c>(
    cfg: &'c Config,
    spec: &'c EnterpriseSpec,
    index: u64,
    seed: u64,
    policy: usize,
) -> Enterprise<'c> {
    let lab = &cfg.labs[spec.lab];
    let mut rng = Rng::seed_from_u64(stream_seed(seed, index, ENTERPRISE_STREAM));
    let lambda = if spec.spend_signal_sd > 0.0 {
        let z: f64 = rng.sample(StandardNormal);
        (spec.spend_signal_weight + spec.spend_signal_sd * z).clamp(0.0, 1.0)
    } else {
        spec.spend_signal_weight
    };
    let p = &cfg.employees;
    let skill = Beta::new(p.skill_beta[0], p.skill_beta[1]).expect("validated");
    let sens = Beta::new(p.reward_sensitivity_beta[0], p.reward_sensitivity_beta[1]).expect("validated");
    let optimism = Normal::new(p.optimism_mean, p.optimism_sd).expect("validated");
    let employees = (0..spec.employees as u64)
        .map(|i| {
            let mut r = Rng::seed_from_u64(stream_seed(seed, index, i));
            let engineer = r.random::<f64>() < p.engineer_share;
            let skill = skill.sample(&mut r);
            let reward_sensitivity = sens.sample(&mut r);
            let bias = (1.0 + optimism.sample(&mut r)).max(0.05);
            let notice = (p.notice_prob * (0.5 + skill)).min(1.0);
            Employee {
                rng: r,
                engineer,
                skill,
                reward_sensitivity,
                notice,
                belief: [[bias; 2]; MAX_TASK_TYPES],
                automated: [0.0; MAX_TASK_TYPES],
                tokens_total: 0,
                tokens_last_week: 0,
                list_cost_total: 0.0,
                experience: [0.0; MAX_TASK_TYPES],
            }
        })
        .collect();
    Enterprise {
        spec,
        lab,
        table: OptionTable::new(cfg, lab),
        rng,
        employees,
        policy,
        policy_initial: policy,
        lambda,
        commitment: 0.0,
        discount: 0.0,
        mandate: 0.0,
        mandate_sum: 0.0,
        term_usage: 0.0,
        term_spend: 0.0,
        term_value: 0.0,
        prev_term_usage: None,
        prev_measured_roi: None,
        visible_growth: 0.0,
        escalations: 0,
        renewals_judged: 0,
        totals: EnterpriseMetrics::default(),
    }
}

/// Contract renewal for every enterprise at the start of term `k`.
///
/// Peers are imitated from a snapshot taken before anyone renews, so the
/// order of enterprises does not matter.
fn renew_all(cfg: &Config, ents: &mut [Enterprise], k: u32) {
    if k == 0 {
        for e in ents.iter_mut() {
            // No usage history yet: leadership plans from a per-employee
            // budget (the published per-developer averages).
            let planned = e.spec.first_term_commit_per_employee_usd * e.employees.len() as f64;
            e.commitment = stretch(e.lab, e.spec, planned);
            e.discount = e.lab.discount_for(e.commitment);
        }
        return;
    }
    let term_weeks = cfg.term_weeks as f64;
    // Perceived success, from last term.
    let mut judged = Vec::with_capacity(ents.len());
    for e in ents.iter_mut() {
        let term_len = (cfg.weeks - (k - 1) * cfg.term_weeks).min(cfg.term_weeks) as f64;
        let annual_usage = e.term_usage * term_weeks / term_len;
        let reference = e.prev_term_usage.unwrap_or(e.commitment);
        let usage_signal = log_ratio(annual_usage, reference);
        let sigma = e.spec.roi_noise_sigma;
        let z: f64 = e.rng.sample(StandardNormal);
        let noise = (sigma * z - 0.5 * sigma * sigma).exp();
        let measured_roi = if e.term_spend > 0.0 {
            e.spec.roi_visibility * e.term_value * noise / e.term_spend
        } else {
            1.0
        };
        let roi_signal = measured_roi.max(0.05).ln().clamp(-3.0, 3.0);
        let pi = e.lambda * usage_signal + (1.0 - e.lambda) * roi_signal;
        e.visible_growth = usage_signal;
        judged.push((pi, annual_usage, measured_roi));
    }
    let snapshot: Vec<(f64, usize, f64)> = ents.iter().map(|e| (e.lambda, e.policy, e.visible_growth)).collect();
    for (i, e) in ents.iter_mut().enumerate() {
        let (pi, annual_usage, measured_roi) = judged[i];
        let previous = e.commitment;
        let mut next = if pi < e.spec.cancel_below {
            0.0
        } else {
            annual_usage * (e.spec.commit_gain * pi).exp()
        };
        if next > 0.0 {
            next = stretch(e.lab, e.spec, next);
        }
        if let Some(prev_roi) = e.prev_measured_roi {
            e.renewals_judged += 1;
            if next > previous && measured_roi < prev_roi {
                e.escalations += 1;
            }
        }
        e.commitment = next;
        e.discount = e.lab.discount_for(next);
        e.prev_term_usage = Some(annual_usage);
        e.prev_measured_roi = Some(measured_roi);
        e.term_usage = 0.0;
        e.term_spend = 0.0;
        e.term_value = 0.0;

        // Imitation: copy a peer's reading of usage and its policy, peers
        // with high visible spend growth being likelier models.
        if snapshot.len() > 1 && cfg.market.imitation_rate > 0.0 && e.rng.random::<f64>() < cfg.market.imitation_rate {
            let weights: Vec<f64> = snapshot
                .iter()
                .enumerate()
                .map(|(j, s)| {
                    if j == i {
                        0.0
                    } else {
                        (cfg.market.imitation_beta * s.2.clamp(-5.0, 5.0)).exp()
                    }
                })
                .collect();
            let total: f64 = weights.iter().sum();
            let mut u = e.rng.random::<f64>() * total;
            let mut pick = weights.len() - 1;
            for (j, w) in weights.iter().enumerate() {
                if u < *w {
                    pick = j;
                    break;
                }
                u -= w;
            }
            e.lambda = snapshot[pick].0;
            if e.spec.policy.is_none() {
                e.policy = snapshot[pick].1;
            }
        }
        // The lab's adoption programmes push leadership toward usage.
        e.lambda += e.lab.evangelism * (1.0 - e.lambda);
    }
}

/// ln(a / b), bounded, with empty usage read as a collapse.
fn log_ratio(a: f64, b: f64) -> f64 {
    if b <= 0.0 {
        return if a > 0.0 { 1.0 } else { 0.0 };
    }
    (a.max(1e-9) / b).ln().clamp(-3.0, 3.0)
}

/// Commit to the next discount tier when within `tier_stretch` of it.
fn stretch(lab: &Lab, spec: &EnterpriseSpec, commit: f64) -> f64 {
    match lab.next_tier_above(commit) {
        Some(next) if commit >= (1.0 - spec.tier_stretch) * next => next,
        _ => commit,
    }
}

/// Simulates every employee of an enterprise for one week.
fn enterprise_week(
    cfg: &Config,
    ent: &mut Enterprise,
    tasks_dist: &Poisson<f64>,
    plan: &mut WeekPlan,
    tally: &mut Tally,
) {
    let policy = &cfg.policies[ent.policy];
    let ctx = WeekContext {
        cfg,
        table: &ent.table,
        policy,
        mandate: ent.mandate,
    };
    let card = choice::card_limit(&cfg.agent, policy);
    for emp in ent.employees.iter_mut() {
        let view = EmployeeView {
            engineer: emp.engineer,
            skill: emp.skill,
            reward_sensitivity: emp.reward_sensitivity,
            belief: &emp.belief,
            automated: &emp.automated,
            tokens_last_week: emp.tokens_last_week as f64,
            experience: &emp.experience,
        };
        choice::plan_week(&ctx, &view, plan);
        let before = tally.tokens();
        let mut sim = Sim {
            cfg,
            lab: ent.lab,
            table: &ent.table,
            policy,
            card,
            emp,
            tally,
            week_cost: 0.0,
        };
        sim.week(plan, tasks_dist);
        let sim_cost = sim.week_cost;
        let used = tally.tokens() - before;
        emp.list_cost_total += sim_cost;
        emp.tokens_total += used;
        emp.tokens_last_week = used;
        let decay = 1.0 - cfg.automation.decay_per_week;
        for a in emp.automated.iter_mut() {
            *a *= decay;
        }
    }
}

/// One employee's week in progress.
struct Sim<'a> {
    cfg: &'a Config,
    lab: &'a Lab,
    table: &'a OptionTable,
    policy: &'a Policy,
    card: f64,
    emp: &'a mut Employee,
    tally: &'a mut Tally,
    /// List cost the employee has run up this week (for budgets).
    week_cost: f64,
}

/// How an AI run ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Success,
    Noise,
    Failed,
}

impl Sim<'_> {
    fn week(&mut self, plan: &WeekPlan, tasks_dist: &Poisson<f64>) {
        let h = self.cfg.employees.hourly_cost_usd;
        let n = tasks_dist.sample(&mut self.emp.rng) as u64;
        for _ in 0..n {
            self.tally.decisions += 1;
            self.tally.tasks += 1;
            let u: f64 = self.emp.rng.random();
            let entry = *plan.pick(u);
            let j = entry.task as usize;
            match entry.action {
                Action::Manual => {}
                Action::Automated => {
                    let task = &self.cfg.task_types[j];
                    let k = self.table.cheapest_tier;
                    let tokens = self.table.auto_tokens;
                    let t_in = (tokens * self.cfg.performative.input_share).round() as u64;
                    let t_out = (tokens.round() as u64).saturating_sub(t_in);
                    self.charge(k, t_in, t_out);
                    self.tally.automated += 1;
                    self.tally.value += task.manual_hours * h;
                    self.tally.hours_saved += task.manual_hours;
                }
                Action::Ai { mode, tier } => {
                    if self.week_cost >= self.policy.weekly_budget_usd {
                        continue; // budget spent: the task is done by hand
                    }
                    self.ai_task(j, mode, tier as usize);
                }
            }
        }
        self.performative(plan);
        self.builds(plan);
    }

    /// Whether an AI run can solve this task: always when it needs no real
    /// reasoning, with probability `capability` when it does.
    #[inline]
    fn reachable(&mut self, task: &crate::model::TaskType, capability: f64) -> bool {
        let u: f64 = self.emp.rng.random();
        u >= task.p_reasoning || self.emp.rng.random::<f64>() < capability
    }

    #[inline]
    fn charge(&mut self, tier: usize, t_in: u64, t_out: u64) -> f64 {
        let cost = self.lab.models[tier].list_cost(t_in, t_out);
        self.tally.tokens[tier][0] += t_in;
        self.tally.tokens[tier][1] += t_out;
        self.tally.list_cost += cost;
        self.week_cost += cost;
        cost
    }

    /// Runs up to `max_attempts` attempts with lognormal token counts.
    /// Returns the outcome, tokens and list cost.
    fn attempts(
        &mut self,
        tier: usize,
        tokens: [f64; 2],
        sigma: f64,
        s: f64,
        q: f64,
        max_attempts: u32,
    ) -> (Outcome, u64, f64) {
        let mut outcome = Outcome::Failed;
        let mut used = 0;
        let mut cost = 0.0;
        for _ in 0..max_attempts {
            let z: f64 = self.emp.rng.sample(StandardNormal);
            let f = (sigma * z).exp();
            let t_in = (tokens[0] * f).round() as u64;
            let t_out = (tokens[1] * f).round() as u64;
            cost += self.charge(tier, t_in, t_out);
            used += t_in + t_out;
            // One draw decides success and, on failure, polished noise.
            let u: f64 = self.emp.rng.random();
            if u < s {
                outcome = Outcome::Success;
                break;
            }
            if u - s < q * (1.0 - s) {
                outcome = Outcome::Noise;
                break;
            }
            if cost >= self.card {
                break; // the card limit stops the run
            }
        }
        (outcome, used, cost)
    }

    fn ai_task(&mut self, j: usize, mode: Mode, tier: usize) {
        let cfg = self.cfg;
        let task = &cfg.task_types[j];
        let model = &self.lab.models[tier];
        let h = cfg.employees.hourly_cost_usd;
        let s = attempt_success(task, model.reliability, self.reachable(task, model.capability));
        let (mi, tokens, q, max_attempts) = match mode {
            Mode::Assist => (0, task.assist_tokens, cfg.agent.noise_prob_assist, 1),
            _ => (1, task.agent_tokens, cfg.agent.noise_prob_agent, cfg.agent.max_attempts),
        };
        let (outcome, used, cost) = self.attempts(tier, tokens, task.token_sigma, s, q, max_attempts);
        self.tally.ai_tasks += 1;
        self.emp.experience[j] += 1.0;
        let (saved, lost) = choice::hours(task, &cfg.employees, mode, self.emp.skill);
        let vm = self.policy.value_measurement;
        let observed = match outcome {
            Outcome::Success => {
                self.tally.value += saved * h + task.quality_gain_usd;
                self.tally.hours_saved += saved;
                self.tally.apparent_outputs += 1;
                1.0
            }
            Outcome::Noise => {
                // Looks done. The hours spent with the AI are lost, and
                // whoever receives the output pays the rework (the workslop
                // study's 1 h 56 min). The employee only learns it was noise
                // when they notice it or the policy measures it.
                self.tally.noise_outputs += 1;
                self.tally.apparent_outputs += 1;
                self.tally.noise_tokens += used;
                self.tally.waste_list += cost;
                let spent = match mode {
                    Mode::Assist => task.manual_hours * choice::assist_share(task, &cfg.employees, self.emp.skill),
                    _ => task.agent_review_hours,
                };
                let lost_hours = spent + cfg.employees.noise_rework_hours;
                self.tally.value -= lost_hours * h;
                self.tally.hours_saved -= lost_hours;
                let revealed = self.emp.rng.random::<f64>() < vm || self.emp.rng.random::<f64>() < self.emp.notice;
                if revealed { 0.0 } else { 1.0 }
            }
            Outcome::Failed => {
                self.tally.waste_list += cost;
                self.tally.value -= lost * h;
                self.tally.hours_saved -= lost;
                0.0
            }
        };
        // Beliefs learn from what the employee sees, relative to what the
        // option really delivers.
        let p_real = self.table.stats[j][mi][tier].p_real.max(1e-3);
        let eta = cfg.employees.learning_rate;
        let b = &mut self.emp.belief[j][mi];
        *b = ((1.0 - eta) * *b + eta * observed / p_real).clamp(0.05, 1.0 / p_real);
    }

    fn performative(&mut self, plan: &WeekPlan) {
        let perf = &self.cfg.performative;
        let rate = perf.opportunities_per_week * plan.perf_prob;
        if rate < 1e-9 {
            return;
        }
        let n = Poisson::new(rate).map_or(0, |d| d.sample(&mut self.emp.rng) as u64);
        let k = plan.perf_tier;
        let model = &self.lab.models[k];
        for _ in 0..n {
            if self.week_cost >= self.policy.weekly_budget_usd {
                break;
            }
            self.tally.decisions += 1;
            let z: f64 = self.emp.rng.sample(StandardNormal);
            let mut tokens = perf.tokens_median * (perf.tokens_sigma * z).exp();
            let blended = (perf.input_share * model.price_in + (1.0 - perf.input_share) * model.price_out) * 1e-6;
            if tokens * blended > self.card {
                tokens = self.card / blended;
            }
            let t_in = (tokens * perf.input_share).round() as u64;
            let t_out = ((1.0 - perf.input_share) * tokens).round() as u64;
            let cost = self.charge(k, t_in, t_out);
            self.tally.waste_list += cost;
            self.tally.perf_tokens += t_in + t_out;
            self.tally.perf_runs += 1;
        }
    }

    fn builds(&mut self, plan: &WeekPlan) {
        let cfg = self.cfg;
        let h = cfg.employees.hourly_cost_usd;
        for (j, task) in cfg.task_types.iter().enumerate() {
            let p = plan.build_prob[j];
            if p < 1e-6 || self.emp.rng.random::<f64>() >= p {
                continue;
            }
            if self.week_cost >= self.policy.weekly_budget_usd {
                break;
            }
            self.tally.decisions += 1;
            self.tally.builds += 1;
            let model = &self.lab.models[0];
            let s = attempt_success(task, model.reliability, self.reachable(task, model.capability))
                * cfg.automation.build_success_mult;
            let mult = cfg.automation.build_token_mult;
            let tokens = [task.agent_tokens[0] * mult, task.agent_tokens[1] * mult];
            let (outcome, _, cost) = self.attempts(0, tokens, task.token_sigma, s, 0.0, cfg.agent.max_attempts);
            self.tally.value -= cfg.automation.build_hours * h;
            self.tally.hours_saved -= cfg.automation.build_hours;
            if outcome == Outcome::Success {
                let a = &mut self.emp.automated[j];
                *a = (*a + cfg.automation.step).min(task.recurring);
            } else {
                self.tally.waste_list += cost;
            }
        }
    }
}
