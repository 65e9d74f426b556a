//! Incentive policies as employees feel them: the reward an option earns,
//! the weekly budget and the per-run card limit.
//!
//! A policy is data (reward weights and limits, [`super::Policy`]); no policy
//! is named in code. Pure functions.

use super::{AgentParams, Policy};

/// The reward a policy pays, in the employee's eyes, for an option with
/// expected tokens, list cost, perceived chance of looking done, and expected
/// measured value. A quota's reward counts only while the employee is below it.
#[inline]
pub fn reward(
    policy: &Policy,
    below_quota: bool,
    tokens: f64,
    cost: f64,
    p_looks_done: f64,
    measured_value: f64,
) -> f64 {
    let mut r = policy.token_reward_usd_per_mtok * tokens * 1e-6
        + policy.output_reward_usd * p_looks_done
        + policy.value_reward_share * measured_value
        - policy.cost_penalty_share * cost;
    if below_quota {
        r += policy.quota_reward_usd_per_mtok * tokens * 1e-6;
    }
    r
}

/// Whether an employee who used `tokens_last_week` is below the quota.
#[inline]
pub fn below_quota(policy: &Policy, tokens_last_week: f64) -> bool {
    tokens_last_week < policy.quota_tokens_per_week
}

/// The card limit that binds one run: the tighter of the scenario's and the
/// policy's, USD.
pub fn card_limit(agent: &AgentParams, policy: &Policy) -> f64 {
    agent.card_limit_usd.min(policy.card_limit_usd)
}

/// Whether an employee's weekly budget is spent: AI work then stops and the
/// rest of the week's tasks are done by hand.
#[inline]
pub fn budget_spent(policy: &Policy, week_list_cost: f64) -> bool {
    week_list_cost >= policy.weekly_budget_usd
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            name: "p".into(),
            token_reward_usd_per_mtok: 2.0,
            output_reward_usd: 1.0,
            value_reward_share: 0.5,
            cost_penalty_share: 0.25,
            quota_tokens_per_week: 1e6,
            quota_reward_usd_per_mtok: 3.0,
            value_measurement: 0.0,
            weekly_budget_usd: 10.0,
            card_limit_usd: 5.0,
        }
    }

    #[test]
    fn reward_adds_each_weight_and_the_quota_only_below_it() {
        let p = policy();
        // 2 Mtok: 2 x 2 + 1 x 0.5 + 0.5 x 10 - 0.25 x 4 = 8.5; below quota + 3 x 2.
        assert_eq!(reward(&p, false, 2e6, 4.0, 0.5, 10.0), 8.5);
        assert_eq!(reward(&p, true, 2e6, 4.0, 0.5, 10.0), 14.5);
        assert!(below_quota(&p, 999_999.0) && !below_quota(&p, 1e6));
    }

    #[test]
    fn the_tighter_card_limit_binds_and_budgets_stop_at_their_level() {
        let p = policy();
        let agent = AgentParams {
            max_attempts: 4,
            card_limit_usd: f64::INFINITY,
            noise_prob_agent: 0.5,
            noise_prob_assist: 0.1,
        };
        assert_eq!(card_limit(&agent, &p), 5.0);
        assert!(!budget_spent(&p, 9.99) && budget_spent(&p, 10.0));
    }
}
