//! Employees' decisions: the expected outcome of each work option, the
//! perceived utility of each option, and the nested-logit choice
//! probabilities an employee uses for one week.
//!
//! Everything here is a pure function of the configuration and an employee's
//! state. The engine draws from the probabilities; this module draws nothing.

// Tables indexed by (task, mode, tier) read best with explicit indices.
#![allow(clippy::needless_range_loop)]

use super::agent_run::{self, OptionStats, lognormal_mean};
use super::learning::MAX_PERCEIVED_SUCCESS;
use super::policy::{self, reward};
use super::{Behaviour, Config, Lab, MAX_TASK_TYPES, MAX_TIERS, Mode, Policy};
use super::{automation, learning, sigmoid};

/// Precomputed option statistics for one lab's tiers: `[task][mode][tier]`,
/// where mode 0 is assist and 1 is agent.
#[derive(Debug, Clone)]
pub struct OptionTable {
    pub stats: [[[OptionStats; MAX_TIERS]; 2]; MAX_TASK_TYPES],
    pub n_tiers: usize,
    pub n_types: usize,
    /// Expected tokens and list cost of one performative run, per tier.
    pub perf_tokens: f64,
    pub perf_cost: [f64; MAX_TIERS],
    /// Expected tokens, list cost and success of one automation build per
    /// task type, on the most capable tier.
    pub build: [OptionStats; MAX_TASK_TYPES],
    /// Tokens and list cost of one automated task (on the cheapest tier).
    pub auto_tokens: f64,
    pub auto_cost: f64,
    pub cheapest_tier: usize,
}

impl OptionTable {
    pub fn new(cfg: &Config, lab: &Lab) -> Self {
        let agent = &cfg.agent;
        let mut stats = [[[OptionStats::default(); MAX_TIERS]; 2]; MAX_TASK_TYPES];
        let mut build = [OptionStats::default(); MAX_TASK_TYPES];
        for (j, task) in cfg.task_types.iter().enumerate() {
            for (k, m) in lab.models.iter().enumerate() {
                for (mi, mode) in [Mode::Assist, Mode::Agent].into_iter().enumerate() {
                    stats[j][mi][k] = agent_run::expected(task, m, &agent_run::shape(task, agent, mode), 1.0);
                }
            }
            build[j] = automation::expected_build(task, &lab.models[0], cfg);
        }
        let perf = &cfg.performative;
        let perf_tokens = lognormal_mean(perf.tokens_median, perf.tokens_sigma);
        let mut perf_cost = [0.0; MAX_TIERS];
        for (k, m) in lab.models.iter().enumerate() {
            perf_cost[k] =
                perf_tokens * (perf.input_share * m.price_in + (1.0 - perf.input_share) * m.price_out) * 1e-6;
        }
        let cheapest_tier = cheapest(lab);
        let cm = &lab.models[cheapest_tier];
        let auto_tokens = cfg.automation.tokens_per_task;
        let auto_share = cfg.automation.input_share;
        let auto_cost = auto_tokens * (auto_share * cm.price_in + (1.0 - auto_share) * cm.price_out) * 1e-6;
        OptionTable {
            stats,
            n_tiers: lab.models.len(),
            n_types: cfg.task_types.len(),
            perf_tokens,
            perf_cost,
            build,
            auto_tokens,
            auto_cost,
            cheapest_tier,
        }
    }
}

/// The tier with the lowest blended price.
pub fn cheapest(lab: &Lab) -> usize {
    let mut best = 0;
    for (k, m) in lab.models.iter().enumerate() {
        let b = &lab.models[best];
        if m.price_in + m.price_out < b.price_in + b.price_out {
            best = k;
        }
    }
    best
}

/// What a task arrival turns into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Manual,
    Automated,
    Ai { mode: Mode, tier: u8 },
}

/// One (task type, action) of a week plan; its cumulative probability is
/// kept apart, in [`WeekPlan::cum`].
#[derive(Debug, Clone, Copy)]
pub struct PlanEntry {
    pub task: u8,
    pub action: Action,
}

const MAX_ENTRIES: usize = MAX_TASK_TYPES * (2 + 2 * MAX_TIERS);

/// An employee's choice probabilities for one week: a cumulative table over
/// (task type, action), plus the week's performative and automation plans.
#[derive(Debug, Clone)]
pub struct WeekPlan {
    pub entries: [PlanEntry; MAX_ENTRIES],
    /// Cumulative probability up to and including each entry (one array of
    /// its own: searched on every task, normalised once a week).
    pub cum: [f64; MAX_ENTRIES],
    pub len: usize,
    /// Probability that one performative opportunity is taken.
    pub perf_prob: f64,
    /// Cumulative probabilities of the tier a performative run uses.
    pub perf_tier_cum: [f64; MAX_TIERS],
    /// The entries of each task type: `entries[start..end]`, and the
    /// cumulative probability before `start` (a task taken up from the
    /// backlog is decided among its own type's entries).
    pub type_entries: [(usize, usize, f64); MAX_TASK_TYPES],
    /// Probability of launching one automation build, per task type.
    pub build_prob: [f64; MAX_TASK_TYPES],
    /// For a non-user: what using AI would pay them this week (the policy's
    /// reward and the mandate's pull on their tasks and exploratory runs),
    /// USD, which speeds adoption. Zero for users.
    pub adopt_pull: f64,
    /// The last performative tier choice worked out, by its inputs: the
    /// next employee whose tiers pay the same (every employee, under a
    /// policy that pays nothing for a performative run) reuses it instead of
    /// taking the same exponentials again.
    perf_memo: Option<PerfMemo>,
}

/// A performative tier choice: the tiers' rewards and temperature it was
/// worked out for (compared to the bit), its expected reward and cumulative
/// tier probabilities.
#[derive(Debug, Clone, Copy)]
struct PerfMemo {
    n_tiers: usize,
    temperature: u64,
    rewards: [u64; MAX_TIERS],
    expected: f64,
    cum: [f64; MAX_TIERS],
}

impl PerfMemo {
    fn key(r: &[f64], temperature: f64) -> (usize, u64, [u64; MAX_TIERS]) {
        let mut rewards = [0; MAX_TIERS];
        for (b, x) in rewards.iter_mut().zip(r) {
            *b = x.to_bits();
        }
        (r.len(), temperature.to_bits(), rewards)
    }
}

impl Default for WeekPlan {
    fn default() -> Self {
        WeekPlan {
            entries: [PlanEntry {
                task: 0,
                action: Action::Manual,
            }; MAX_ENTRIES],
            cum: [0.0; MAX_ENTRIES],
            len: 0,
            perf_prob: 0.0,
            perf_tier_cum: [1.0; MAX_TIERS],
            type_entries: [(0, 0, 0.0); MAX_TASK_TYPES],
            build_prob: [0.0; MAX_TASK_TYPES],
            adopt_pull: 0.0,
            perf_memo: None,
        }
    }
}

impl WeekPlan {
    /// The entry a uniform draw `u` in [0, 1) selects.
    #[inline]
    pub fn pick(&self, u: f64) -> &PlanEntry {
        let i = self.cum[..self.len].partition_point(|&c| c <= u);
        &self.entries[i.min(self.len - 1)]
    }

    /// The entry a uniform draw `u` in [0, 1) selects among task type `j`'s
    /// entries, in proportion to their probabilities. The type must be one
    /// the employee gets (its entries are not empty).
    #[inline]
    pub fn pick_of_type(&self, j: usize, u: f64) -> &PlanEntry {
        let (start, end, before) = self.type_entries[j];
        let cum = &self.cum[start..end];
        let top = cum[cum.len() - 1];
        let target = before + u * (top - before);
        let i = cum.partition_point(|&c| c <= target);
        &self.entries[start + i.min(cum.len() - 1)]
    }

    /// The tier of a performative run for a uniform draw `u` in [0, 1).
    #[inline]
    pub fn perf_tier(&self, u: f64, n_tiers: usize) -> usize {
        self.perf_tier_cum[..n_tiers]
            .partition_point(|&c| c <= u)
            .min(n_tiers - 1)
    }
}

/// What an employee brings to a decision.
#[derive(Debug, Clone, Copy)]
pub struct EmployeeView<'a> {
    pub engineer: bool,
    pub skill: f64,
    /// Weight on the incentive, w in [0, 1].
    pub reward_sensitivity: f64,
    /// Belief multipliers on the success of [assist, agent] per task type.
    pub belief: &'a [[f64; 2]; MAX_TASK_TYPES],
    /// Share of each task type already automated.
    pub automated: &'a [f64; MAX_TASK_TYPES],
    /// Tokens the employee used last week (for quotas).
    pub tokens_last_week: f64,
    /// AI tasks of each type the employee has done so far (learning by doing).
    pub experience: &'a [f64; MAX_TASK_TYPES],
    /// Whether the employee uses AI at all (non-users do every task by hand).
    pub user: bool,
    /// Human time AI work takes at the employee's proficiency, as a share of
    /// a novice's (1 = a novice).
    pub speed: f64,
}

/// Context shared by all employees of an enterprise in one week.
#[derive(Debug, Clone, Copy)]
pub struct WeekContext<'a> {
    pub cfg: &'a Config,
    pub table: &'a OptionTable,
    pub policy: &'a Policy,
    pub mandate: f64,
    /// Tokens of the last employee inside a rank prize's top share last
    /// week (0 without a rank prize).
    pub rank_cutoff_tokens: f64,
    /// Whether last week's share of employees using AI fell short of the
    /// policy's weekly-active target.
    pub below_active_target: bool,
}

/// Numerically stable log-sum-exp of `xs / scale`, times `scale`.
pub(crate) fn logsumexp(xs: &[f64], scale: f64) -> f64 {
    // The largest by plain comparison (`f64::max` also orders NaN, which a
    // utility never is; a NaN would be skipped by both).
    let m = xs.iter().fold(f64::NEG_INFINITY, |m, &x| if x > m { x } else { m });
    if m == f64::NEG_INFINITY {
        return m;
    }
    // The largest term is exp(0) = 1 exactly (when it is finite): no call.
    let finite = m.is_finite();
    let s: f64 = xs
        .iter()
        .map(|&x| if x == m && finite { 1.0 } else { ((x - m) / scale).exp() })
        .sum();
    m + scale * s.ln()
}

/// Builds an employee's plan for one week: the nested-logit choice
/// probabilities for every task type, and the performative and automation
/// launch probabilities.
pub fn plan_week(ctx: &WeekContext, e: &EmployeeView, plan: &mut WeekPlan) {
    let cfg = ctx.cfg;
    let emp = &cfg.employees;
    let beh: &Behaviour = &cfg.behaviour;
    let table = ctx.table;
    let policy = ctx.policy;
    let w = e.reward_sensitivity;
    let h = emp.hourly_cost_usd;
    let pressure = policy::pressure(
        policy,
        e.tokens_last_week,
        ctx.rank_cutoff_tokens,
        table.perf_tokens,
        ctx.below_active_target,
        emp.tasks_per_week,
    );
    let vm = policy.value_measurement;
    let mandate_pull = ctx.mandate * beh.mandate_usd;
    // The friction of an unfamiliar tool, worn down by use on each kind of task.
    let mut friction_total = 0.0;
    let tau = beh.temperature_usd;
    let tau_t = beh.tier_temperature_usd;
    let n_tiers = table.n_tiers;
    let role = usize::from(e.engineer);
    // A non-user's weekly pull toward adopting: the best reward and mandate
    // pull on each task type, weighted by arrivals.
    let mut pull_per_task = 0.0;

    let mut len = 0;
    let mut cum = 0.0;
    for (j, task) in cfg.task_types.iter().enumerate() {
        let share = task.share[role];
        plan.type_entries[j] = (len, len, cum);
        if share <= 0.0 {
            continue;
        }
        let friction = learning::friction(w, beh.ai_friction_usd, e.experience[j], beh.friction_uses);
        friction_total += share * friction;
        // Utilities of every AI option of this task type.
        let mut u = [[f64::NEG_INFINITY; MAX_TIERS]; 2];
        // The most the policy and the mandate pay for one AI use of this type.
        let mut best = f64::NEG_INFINITY;
        for (mi, mode) in [Mode::Assist, Mode::Agent].into_iter().enumerate() {
            let (saved, lost) = agent_run::hours_at(task, emp, mode, e.skill, e.speed);
            let win = saved * h + task.quality_gain_usd;
            for k in 0..n_tiers {
                let st = &table.stats[j][mi][k];
                // Beliefs scale the chance of success the employee perceives;
                // they are learnt from outputs that look done.
                let p_seen = (e.belief[j][mi] * st.p_real).min(MAX_PERCEIVED_SUCCESS);
                let own = p_seen * win - (1.0 - p_seen) * lost * h;
                let p_measured = vm * st.p_real + (1.0 - vm) * p_seen;
                let measured = p_measured * win - (1.0 - p_measured) * lost * h;
                let r = reward(policy, &pressure, st.tokens, st.list_cost, p_seen, measured);
                u[mi][k] = (1.0 - w) * own + w * r + mandate_pull - friction;
                if !e.user {
                    best = best.max(w * r + mandate_pull);
                }
            }
        }
        let auto = e.automated[j];
        let scale = share * (1.0 - auto);
        if auto > 0.0 {
            cum += share * auto;
            plan.cum[len] = cum;
            plan.entries[len] = PlanEntry {
                task: j as u8,
                action: Action::Automated,
            };
            len += 1;
        }
        if !e.user {
            // Every task by hand (or by an automation a teammate shared);
            // what AI use would pay feeds the adoption hazard.
            pull_per_task += share * best.max(0.0);
            cum += scale;
            plan.cum[len] = cum;
            plan.entries[len] = PlanEntry {
                task: j as u8,
                action: Action::Manual,
            };
            len += 1;
            plan.type_entries[j].1 = len;
            plan.build_prob[j] = 0.0;
            continue;
        }
        let iv = [logsumexp(&u[0][..n_tiers], tau_t), logsumexp(&u[1][..n_tiers], tau_t)];
        let top = [0.0, iv[0], iv[1]];
        let inclusive = logsumexp(&top, tau);
        let p_manual = ((0.0 - inclusive) / tau).exp();
        cum += scale * p_manual;
        plan.cum[len] = cum;
        plan.entries[len] = PlanEntry {
            task: j as u8,
            action: Action::Manual,
        };
        len += 1;
        for (mi, mode) in [Mode::Assist, Mode::Agent].into_iter().enumerate() {
            let p_mode = ((iv[mi] - inclusive) / tau).exp();
            for k in 0..n_tiers {
                let p_tier = ((u[mi][k] - iv[mi]) / tau_t).exp();
                cum += scale * p_mode * p_tier;
                plan.cum[len] = cum;
                plan.entries[len] = PlanEntry {
                    task: j as u8,
                    action: Action::Ai { mode, tier: k as u8 },
                };
                len += 1;
            }
        }

        plan.type_entries[j].1 = len;

        // Automation build: weighed when the week brings the idea
        // (`idea_per_week`), valued over the planning horizon against
        // today's best use of the task.
        plan.build_prob[j] = cfg.automation.idea_per_week
            * automation::build_probability(&automation::BuildChoice {
                cfg,
                task,
                policy,
                build: &table.build[j],
                auto_tokens: table.auto_tokens,
                auto_cost: table.auto_cost,
                w,
                belief: e.belief[j][1],
                pressure,
                mandate_pull,
                friction,
                share,
                automated: auto,
                inclusive,
                temperature: tau,
            });
    }
    plan.len = len;
    // Normalise away rounding so the last entry closes at 1.
    if len > 0 {
        let total = plan.cum[len - 1];
        for c in &mut plan.cum[..len] {
            *c /= total;
        }
        for t in &mut plan.type_entries[..table.n_types] {
            t.2 /= total;
        }
    }

    // Performative runs: outputs nobody reads. They pay only through the
    // policy's token and output rewards, and the mandate; they cost the
    // employee's time. The tier is a choice like any other (a logit over
    // the tiers' rewards at the tier temperature); the launch is valued at
    // the expected reward of that choice, so offering more tiers does not
    // by itself make launching more attractive.
    let mut r = [0.0; MAX_TIERS];
    for k in 0..n_tiers {
        r[k] = w * reward(policy, &pressure, table.perf_tokens, table.perf_cost[k], 1.0, 0.0);
    }
    let key = PerfMemo::key(&r[..n_tiers], tau_t);
    let memo = match plan.perf_memo {
        Some(m) if (m.n_tiers, m.temperature, m.rewards) == key => m,
        _ => {
            let iv = logsumexp(&r[..n_tiers], tau_t);
            let mut expected = 0.0;
            let mut c = 0.0;
            let mut cum = [0.0; MAX_TIERS];
            for k in 0..n_tiers {
                let p = ((r[k] - iv) / tau_t).exp();
                expected += p * r[k];
                c += p;
                cum[k] = c;
            }
            cum[n_tiers - 1] = 1.0;
            let m = PerfMemo {
                n_tiers: key.0,
                temperature: key.1,
                rewards: key.2,
                expected,
                cum,
            };
            plan.perf_memo = Some(m);
            m
        }
    };
    let expected = memo.expected;
    plan.perf_tier_cum[..n_tiers].copy_from_slice(&memo.cum[..n_tiers]);
    let perf = &cfg.performative;
    let launch = perf.launch_hours * h;
    plan.perf_prob = sigmoid(
        (expected + perf.mandate_weight * mandate_pull - (1.0 - w) * launch - friction_total) / perf.temperature_usd,
    );
    plan.adopt_pull = 0.0;
    if !e.user {
        plan.adopt_pull =
            emp.tasks_per_week * pull_per_task + perf.opportunities_per_week * plan.perf_prob * expected.max(0.0);
        plan.perf_prob = 0.0;
    }
}
