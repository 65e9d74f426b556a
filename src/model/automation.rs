//! Automation, "the business becoming software": an employee may spend one
//! costly agent run (a build) to automate a share of a recurring task type;
//! automated tasks then deliver their value at a tiny token cost and no
//! human time, decaying as the work changes.
//!
//! This module values a build over the employee's planning horizon (the
//! launch probability the engine draws from), gives a build's expected
//! outcome, the tokens of one automated task, and how the automated share
//! grows and decays. Pure functions; nothing here draws or books.

use super::agent_run::{self, OptionStats};
use super::learning::MAX_PERCEIVED_SUCCESS;
use super::policy::{Pressure, reward};
use super::sigmoid;
use super::{Config, ModelTier, Policy, TaskType};

/// Below this launch probability a build is not considered at all, and no
/// random number is drawn for it. Part of the random stream's layout:
/// changing it changes which draws later decisions get.
pub const MIN_BUILD_PROB: f64 = 1e-6;

/// A task type counts as fully automated when less than this share of its
/// recurring work is left to automate.
pub const MIN_HEADROOM: f64 = 1e-9;

/// The expected outcome of one build of `task` on `model` (the lab's most
/// capable tier): an agent run of `build_token_mult` times the task's tokens
/// whose attempts succeed `build_success_mult` times as often.
pub fn expected_build(task: &TaskType, model: &ModelTier, cfg: &Config) -> OptionStats {
    agent_run::expected(
        task,
        model,
        &agent_run::build_shape(task, cfg),
        cfg.automation.build_success_mult,
    )
}

/// What an employee weighs when deciding whether to launch a build of one
/// task type this week.
#[derive(Debug, Clone, Copy)]
pub struct BuildChoice<'a> {
    pub cfg: &'a Config,
    pub task: &'a TaskType,
    pub policy: &'a Policy,
    /// Expected outcome of a build.
    pub build: &'a OptionStats,
    /// Tokens and list cost of one automated task.
    pub auto_tokens: f64,
    pub auto_cost: f64,
    /// Weight on the incentive.
    pub w: f64,
    /// The employee's belief multiplier on agent success for this task type.
    pub belief: f64,
    /// What the policy presses on the employee this week.
    pub pressure: Pressure,
    /// The mandate's pull, USD.
    pub mandate_pull: f64,
    /// The friction of an unfamiliar tool, USD.
    pub friction: f64,
    /// Arrival share of this task type for the employee's role.
    pub share: f64,
    /// Share of this task type already automated.
    pub automated: f64,
    /// Today's best use of one task of this type (its inclusive value), USD.
    pub inclusive: f64,
    /// The logit scale, USD.
    pub temperature: f64,
}

/// The probability of launching one build this week: a logit of the build's
/// cost now (hours, reward, mandate, friction) plus the stream of automated
/// tasks it would bring over the planning horizon, each replacing today's
/// best use of the task. Zero when nothing is left to automate.
pub fn build_probability(c: &BuildChoice) -> f64 {
    let cfg = c.cfg;
    let h = cfg.employees.hourly_cost_usd;
    let headroom = c.task.recurring - c.automated;
    if headroom <= MIN_HEADROOM {
        return 0.0;
    }
    let p_seen = (c.belief * c.build.p_real).min(MAX_PERCEIVED_SUCCESS);
    let build_now = (1.0 - c.w) * (-cfg.automation.build_hours * h)
        + c.w * reward(c.policy, &c.pressure, c.build.tokens, c.build.list_cost, 0.0, 0.0)
        + c.mandate_pull
        - c.friction;
    let manual_value = c.task.manual_hours * h;
    let auto_u = (1.0 - c.w) * manual_value
        + c.w
            * reward(
                c.policy,
                &c.pressure.without_use(),
                c.auto_tokens,
                c.auto_cost,
                1.0,
                manual_value,
            );
    let per_week = cfg.employees.tasks_per_week * c.share * cfg.automation.step.min(headroom);
    let future = cfg.behaviour.planning_horizon_weeks as f64 * per_week * p_seen * (auto_u - c.inclusive);
    sigmoid((build_now + future) / c.temperature)
}

/// Input and output tokens of one automated task.
pub fn automated_task_tokens(cfg: &Config) -> (u64, u64) {
    let tokens = cfg.automation.tokens_per_task;
    let t_in = (tokens * cfg.automation.input_share).round() as u64;
    (t_in, (tokens.round() as u64).saturating_sub(t_in))
}

/// The automated share of a task type after a successful build: one `step`
/// more, up to the task's recurring share.
pub fn after_build(automated: f64, cfg: &Config, task: &TaskType) -> f64 {
    (automated + cfg.automation.step).min(task.recurring)
}

/// The automated share after a teammate's successful build is reused: a
/// `reuse_share` of one `step` more, up to the task's recurring share.
pub fn after_reuse(automated: f64, cfg: &Config, task: &TaskType) -> f64 {
    (automated + cfg.automation.reuse_share * cfg.automation.step).min(task.recurring.max(automated))
}

/// The automated shares one week later: automations decay as work changes.
pub fn decay(automated: &mut [f64], cfg: &Config) {
    let keep = 1.0 - cfg.automation.decay_per_week;
    for a in automated.iter_mut() {
        *a *= keep;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    #[test]
    fn automated_shares_grow_by_steps_up_to_the_recurring_share_and_decay() {
        let (_, cfg) = scenario::from_str("[enterprises.e]\nemployees = 10\n", "t", &[]).unwrap();
        let task = &cfg.task_types[0];
        let mut a = 0.0;
        for _ in 0..100 {
            a = after_build(a, &cfg, task);
        }
        assert_eq!(a, task.recurring);
        let mut shares = [0.5, 0.0];
        decay(&mut shares, &cfg);
        assert_eq!(shares, [0.5 * (1.0 - cfg.automation.decay_per_week), 0.0]);
    }

    #[test]
    fn nothing_left_to_automate_means_no_build() {
        let (_, cfg) = scenario::from_str("[enterprises.e]\nemployees = 10\n", "t", &[]).unwrap();
        let task = &cfg.task_types[0];
        let build = expected_build(task, &cfg.labs[0].models[0], &cfg);
        let c = BuildChoice {
            cfg: &cfg,
            task,
            policy: &cfg.policies[0],
            build: &build,
            auto_tokens: 1000.0,
            auto_cost: 0.01,
            w: 0.5,
            belief: 1.0,
            pressure: Pressure::default(),
            mandate_pull: 0.0,
            friction: 0.0,
            share: 0.5,
            automated: task.recurring,
            inclusive: 0.0,
            temperature: 20.0,
        };
        assert_eq!(build_probability(&c), 0.0);
        let open = BuildChoice { automated: 0.0, ..c };
        assert!(build_probability(&open) > 0.0);
    }
}
