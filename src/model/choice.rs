//! Employees' decisions: the expected outcome of each work option, the
//! perceived utility of each option, and the nested-logit choice
//! probabilities an employee uses for one week.
//!
//! Everything here is a pure function of the configuration and an employee's
//! state. The engine draws from the probabilities; this module draws nothing.

// Tables indexed by (task, mode, tier) read best with explicit indices.
#![allow(clippy::needless_range_loop)]

use super::{AgentParams, Behaviour, Config, EmployeeParams, Lab, MAX_TASK_TYPES, MAX_TIERS, Mode, Policy, TaskType};

/// Expected outcome of one (task type, mode, tier) option, from the model's
/// true parameters (what an omniscient observer would expect).
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionStats {
    /// Probability that the task is really done by AI.
    pub p_real: f64,
    /// Probability that the output is polished noise (looks done, is not).
    pub p_noise: f64,
    /// Expected attempts (calls for assist, agent attempts for agent).
    pub attempts: f64,
    /// Expected tokens, input plus output.
    pub tokens: f64,
    /// Expected list cost in USD.
    pub list_cost: f64,
}

/// Outcome of a run of up to `max_attempts` attempts, each succeeding with
/// `s`, each failure coming back as polished noise with `q`.
///
/// With r = (1 - s)(1 - q) the chance to go on after an attempt,
/// E[attempts] = sum_{i<A} r^i, P(real) = s E[attempts], P(noise) = (1-s) q E[attempts].
pub fn attempt_outcome(s: f64, q: f64, max_attempts: u32) -> (f64, f64, f64) {
    let r = (1.0 - s) * (1.0 - q);
    let mut reach = 1.0;
    let mut attempts = 0.0;
    for _ in 0..max_attempts {
        attempts += reach;
        reach *= r;
    }
    (s * attempts, (1.0 - s) * q * attempts, attempts)
}

/// Per-attempt success of an AI run on one task. A task that needs real
/// reasoning is within the model's reach with probability `capability`
/// (decided once per task: retries do not make an unsolvable task solvable);
/// within reach, or when no reasoning is needed, each attempt succeeds with
/// the task's `ai_success` scaled by the tier's `reliability`.
#[inline]
pub fn attempt_success(task: &TaskType, reliability: f64, reachable: bool) -> f64 {
    if reachable {
        (task.ai_success * reliability).min(1.0)
    } else {
        0.0
    }
}

/// The three kinds of task an AI run can meet, with their probabilities:
/// (reachable, probability).
fn task_cases(task: &TaskType, capability: f64) -> [(bool, f64); 3] {
    let r = task.p_reasoning;
    [(true, 1.0 - r), (true, r * capability), (false, r * (1.0 - capability))]
}

/// Mean of a lognormal with the given median and log-sd.
#[inline]
pub fn lognormal_mean(median: f64, sigma: f64) -> f64 {
    median * (0.5 * sigma * sigma).exp()
}

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
                for mode in 0..2 {
                    let (tok, q, max_att) = if mode == 0 {
                        (task.assist_tokens, agent.noise_prob_assist, 1)
                    } else {
                        (task.agent_tokens, agent.noise_prob_agent, agent.max_attempts)
                    };
                    let mut st = OptionStats::default();
                    for (reachable, weight) in task_cases(task, m.capability) {
                        let s = attempt_success(task, m.reliability, reachable);
                        let (real, noise, att) = attempt_outcome(s, q, max_att);
                        st.p_real += weight * real;
                        st.p_noise += weight * noise;
                        st.attempts += weight * att;
                    }
                    let mean_in = lognormal_mean(tok[0], task.token_sigma);
                    let mean_out = lognormal_mean(tok[1], task.token_sigma);
                    st.tokens = st.attempts * (mean_in + mean_out);
                    st.list_cost = st.attempts * (mean_in * m.price_in + mean_out * m.price_out) * 1e-6;
                    stats[j][mode][k] = st;
                }
            }
            build[j] = build_stats(task, &lab.models[0], cfg);
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
        let auto_cost = auto_tokens * (perf.input_share * cm.price_in + (1.0 - perf.input_share) * cm.price_out) * 1e-6;
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

fn build_stats(task: &TaskType, m: &super::ModelTier, cfg: &Config) -> OptionStats {
    let a = &cfg.automation;
    let mut st = OptionStats::default();
    for (reachable, weight) in task_cases(task, m.capability) {
        let s = attempt_success(task, m.reliability, reachable) * a.build_success_mult;
        // A build either works or visibly does not: broken software is noticed.
        let (real, _, att) = attempt_outcome(s, 0.0, cfg.agent.max_attempts);
        st.p_real += weight * real;
        st.attempts += weight * att;
    }
    let mean_in = lognormal_mean(task.agent_tokens[0], task.token_sigma) * a.build_token_mult;
    let mean_out = lognormal_mean(task.agent_tokens[1], task.token_sigma) * a.build_token_mult;
    st.tokens = st.attempts * (mean_in + mean_out);
    st.list_cost = st.attempts * (mean_in * m.price_in + mean_out * m.price_out) * 1e-6;
    st
}

/// What a task arrival turns into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Manual,
    Automated,
    Ai { mode: Mode, tier: u8 },
}

#[derive(Debug, Clone, Copy)]
pub struct PlanEntry {
    /// Cumulative probability up to and including this entry.
    pub cum: f64,
    pub task: u8,
    pub action: Action,
}

const MAX_ENTRIES: usize = MAX_TASK_TYPES * (2 + 2 * MAX_TIERS);

/// An employee's choice probabilities for one week: a cumulative table over
/// (task type, action), plus the week's performative and automation plans.
#[derive(Debug, Clone)]
pub struct WeekPlan {
    pub entries: [PlanEntry; MAX_ENTRIES],
    pub len: usize,
    /// Probability that one performative opportunity is taken.
    pub perf_prob: f64,
    /// Tier a performative run uses.
    pub perf_tier: usize,
    /// Probability of launching one automation build, per task type.
    pub build_prob: [f64; MAX_TASK_TYPES],
}

impl Default for WeekPlan {
    fn default() -> Self {
        WeekPlan {
            entries: [PlanEntry {
                cum: 0.0,
                task: 0,
                action: Action::Manual,
            }; MAX_ENTRIES],
            len: 0,
            perf_prob: 0.0,
            perf_tier: 0,
            build_prob: [0.0; MAX_TASK_TYPES],
        }
    }
}

impl WeekPlan {
    /// The entry a uniform draw `u` in [0, 1) selects.
    #[inline]
    pub fn pick(&self, u: f64) -> &PlanEntry {
        let entries = &self.entries[..self.len];
        let i = entries.partition_point(|e| e.cum <= u);
        &entries[i.min(self.len - 1)]
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
}

/// Context shared by all employees of an enterprise in one week.
#[derive(Debug, Clone, Copy)]
pub struct WeekContext<'a> {
    pub cfg: &'a Config,
    pub table: &'a OptionTable,
    pub policy: &'a Policy,
    pub mandate: f64,
}

/// Human hours an AI option saves on success and loses on a visible failure.
#[inline]
pub fn hours(task: &TaskType, emp: &EmployeeParams, mode: Mode, skill: f64) -> (f64, f64) {
    match mode {
        Mode::Assist => {
            let share = assist_share(task, emp, skill);
            (
                task.manual_hours * (1.0 - share),
                task.manual_hours * share * emp.assist_fail_hours_share,
            )
        }
        Mode::Agent => (task.manual_hours - task.agent_review_hours, task.agent_review_hours),
        Mode::Manual => (0.0, 0.0),
    }
}

/// Share of manual hours an assisted task still takes: skilled people gain
/// less (Brynjolfsson, Li & Raymond).
#[inline]
pub fn assist_share(task: &TaskType, emp: &EmployeeParams, skill: f64) -> f64 {
    (task.assist_hours_share + emp.assist_skill_slope * (skill - 0.5) * (1.0 - task.assist_hours_share))
        .clamp(0.05, 1.0)
}

/// The reward a policy pays, in the employee's eyes, for an option with
/// expected tokens, list cost, perceived chance of looking done, and expected
/// measured value.
#[inline]
fn reward(policy: &Policy, below_quota: bool, tokens: f64, cost: f64, p_looks_done: f64, measured_value: f64) -> f64 {
    let mut r = policy.token_reward_usd_per_mtok * tokens * 1e-6
        + policy.output_reward_usd * p_looks_done
        + policy.value_reward_share * measured_value
        - policy.cost_penalty_share * cost;
    if below_quota {
        r += policy.quota_reward_usd_per_mtok * tokens * 1e-6;
    }
    r
}

/// Numerically stable log-sum-exp of `xs / scale`, times `scale`.
fn logsumexp(xs: &[f64], scale: f64) -> f64 {
    let m = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    let s: f64 = xs.iter().map(|x| ((x - m) / scale).exp()).sum();
    m + scale * s.ln()
}

#[inline]
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
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
    let below_quota = e.tokens_last_week < policy.quota_tokens_per_week;
    let vm = policy.value_measurement;
    let mandate_pull = ctx.mandate * beh.mandate_usd;
    // The friction of an unfamiliar tool, worn down by use on each kind of task.
    let friction_of = |j: usize| (1.0 - w) * beh.ai_friction_usd * (-e.experience[j] / beh.friction_uses).exp();
    let mut friction_total = 0.0;
    let tau = beh.temperature_usd;
    let tau_t = beh.tier_temperature_usd;
    let n_tiers = table.n_tiers;
    let role = usize::from(e.engineer);

    let mut len = 0;
    let mut cum = 0.0;
    for (j, task) in cfg.task_types.iter().enumerate() {
        let share = task.share[role];
        if share <= 0.0 {
            continue;
        }
        let friction = friction_of(j);
        friction_total += share * friction;
        // Utilities of every AI option of this task type.
        let mut u = [[f64::NEG_INFINITY; MAX_TIERS]; 2];
        for (mi, mode) in [Mode::Assist, Mode::Agent].into_iter().enumerate() {
            let (saved, lost) = hours(task, emp, mode, e.skill);
            let win = saved * h + task.quality_gain_usd;
            for k in 0..n_tiers {
                let st = &table.stats[j][mi][k];
                // Beliefs scale the chance of success the employee perceives;
                // they are learnt from outputs that look done.
                let p_seen = (e.belief[j][mi] * st.p_real).min(0.99);
                let own = p_seen * win - (1.0 - p_seen) * lost * h;
                let p_measured = vm * st.p_real + (1.0 - vm) * p_seen;
                let measured = p_measured * win - (1.0 - p_measured) * lost * h;
                let r = reward(policy, below_quota, st.tokens, st.list_cost, p_seen, measured);
                u[mi][k] = (1.0 - w) * own + w * r + mandate_pull - friction;
            }
        }
        let iv = [logsumexp(&u[0][..n_tiers], tau_t), logsumexp(&u[1][..n_tiers], tau_t)];
        let top = [0.0, iv[0], iv[1]];
        let inclusive = logsumexp(&top, tau);
        let p_manual = ((0.0 - inclusive) / tau).exp();
        let auto = e.automated[j];
        let scale = share * (1.0 - auto);
        if auto > 0.0 {
            cum += share * auto;
            plan.entries[len] = PlanEntry {
                cum,
                task: j as u8,
                action: Action::Automated,
            };
            len += 1;
        }
        cum += scale * p_manual;
        plan.entries[len] = PlanEntry {
            cum,
            task: j as u8,
            action: Action::Manual,
        };
        len += 1;
        for (mi, mode) in [Mode::Assist, Mode::Agent].into_iter().enumerate() {
            let p_mode = ((iv[mi] - inclusive) / tau).exp();
            for k in 0..n_tiers {
                let p_tier = ((u[mi][k] - iv[mi]) / tau_t).exp();
                cum += scale * p_mode * p_tier;
                plan.entries[len] = PlanEntry {
                    cum,
                    task: j as u8,
                    action: Action::Ai { mode, tier: k as u8 },
                };
                len += 1;
            }
        }

        // Automation build: pays the build now for a stream of automated
        // tasks over the planning horizon, each replacing today's best use
        // of the task (its inclusive value).
        plan.build_prob[j] = 0.0;
        let headroom = task.recurring - auto;
        if headroom > 1e-9 {
            let b = &table.build[j];
            let p_seen = (e.belief[j][1] * b.p_real).min(0.99);
            let build_now = (1.0 - w) * (-cfg.automation.build_hours * h)
                + w * reward(policy, below_quota, b.tokens, b.list_cost, 0.0, 0.0)
                + mandate_pull
                - friction;
            let auto_u = (1.0 - w) * task.manual_hours * h
                + w * reward(
                    policy,
                    below_quota,
                    table.auto_tokens,
                    table.auto_cost,
                    1.0,
                    task.manual_hours * h,
                );
            let per_week = emp.tasks_per_week * share * cfg.automation.step.min(headroom);
            let future = beh.planning_horizon_weeks as f64 * per_week * p_seen * (auto_u - inclusive);
            plan.build_prob[j] = sigmoid((build_now + future) / tau);
        }
    }
    plan.len = len;
    // Normalise away rounding so the last entry closes at 1.
    if len > 0 {
        let total = plan.entries[len - 1].cum;
        for entry in &mut plan.entries[..len] {
            entry.cum /= total;
        }
    }

    // Performative runs: outputs nobody reads. They pay only through the
    // policy's token and output rewards, and the mandate.
    let mut best_u = f64::NEG_INFINITY;
    let mut best_k = 0;
    for k in 0..n_tiers {
        let r = reward(policy, below_quota, table.perf_tokens, table.perf_cost[k], 1.0, 0.0);
        if r > best_u + 1e-12 {
            best_u = r;
            best_k = k;
        }
    }
    let launch = cfg.performative.launch_hours * h;
    plan.perf_tier = best_k;
    let perf = &cfg.performative;
    plan.perf_prob = sigmoid(
        (w * best_u + perf.mandate_weight * mandate_pull - (1.0 - w) * launch - friction_total) / perf.temperature_usd,
    );
}

/// The agent parameters that bind one run: the tighter of the scenario's and
/// the policy's card limits.
pub fn card_limit(agent: &AgentParams, policy: &Policy) -> f64 {
    agent.card_limit_usd.min(policy.card_limit_usd)
}
