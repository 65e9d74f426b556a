//! Incentive policies as employees feel them: the reward an option earns,
//! the weekly budget, the per-run card limit and the monthly cap per tool.
//!
//! A policy is data (reward weights and limits, [`super::Policy`]); no policy
//! is named in code. Pure functions.

use super::{AgentParams, Policy};

/// What a policy presses on one employee this week, beyond its fixed
/// weights: whether a quota still pays, the marginal prize of a token in a
/// rank contest, and what one AI use is worth in avoiding a non-use penalty
/// or closing the enterprise's gap to a weekly-active target.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Pressure {
    pub below_quota: bool,
    /// USD per token a rank prize pays at the margin.
    pub rank_usd_per_token: f64,
    /// USD one AI use (a task, an exploratory run or a build) is worth.
    pub use_pull: f64,
}

impl Pressure {
    /// The same pressure on tokens an employee does not spend by a use of
    /// their own (an automated task).
    pub fn without_use(self) -> Self {
        Pressure { use_pull: 0.0, ..self }
    }
}

/// The week's pressure on an employee who used `tokens_last_week`, when the
/// enterprise's rank cutoff was `rank_cutoff_tokens` (the tokens of the
/// last employee inside the top share last week) and its weekly-active share
/// was below the policy's target or not. `min_cutoff_tokens` is the least a
/// place on top can take (one exploratory run's tokens), so a contest nobody
/// has entered yet does not pay an unbounded price per token.
///
/// A rank prize works at the margin like a quota whose level is the cutoff
/// (the contest's marginal prize, Lazear & Rosen 1981, at the cutoff): each
/// token is worth the prize spread over the tokens a place on top takes, so
/// the price of a token falls as everyone burns more. A weekly penalty or
/// pressure is spread over the week's tasks: a few uses avoid it.
pub fn pressure(
    policy: &Policy,
    tokens_last_week: f64,
    rank_cutoff_tokens: f64,
    min_cutoff_tokens: f64,
    below_active_target: bool,
    tasks_per_week: f64,
) -> Pressure {
    let mut p = Pressure {
        below_quota: below_quota(policy, tokens_last_week),
        ..Pressure::default()
    };
    if policy.rank_prize_usd > 0.0 {
        p.rank_usd_per_token = policy.rank_prize_usd / rank_cutoff_tokens.max(min_cutoff_tokens);
    }
    let mut weekly = policy.non_use_penalty_usd;
    if below_active_target {
        weekly += policy.active_target_pull_usd;
    }
    if weekly > 0.0 {
        p.use_pull = weekly / tasks_per_week.max(1.0);
    }
    p
}

/// The reward a policy pays, in the employee's eyes, for an option with
/// expected tokens, list cost, perceived chance of looking done, and expected
/// measured value. A quota's reward counts only while the employee is below it.
#[inline]
pub fn reward(
    policy: &Policy,
    pressure: &Pressure,
    tokens: f64,
    cost: f64,
    p_looks_done: f64,
    measured_value: f64,
) -> f64 {
    let mut r = policy.token_reward_usd_per_mtok * tokens * 1e-6
        + policy.output_reward_usd * p_looks_done
        + policy.value_reward_share * measured_value
        - policy.cost_penalty_share * cost;
    if pressure.below_quota {
        r += policy.quota_reward_usd_per_mtok * tokens * 1e-6;
    }
    // Added only when present, so a policy without them is unchanged to
    // the bit.
    if pressure.rank_usd_per_token != 0.0 {
        r += pressure.rank_usd_per_token * tokens;
    }
    if pressure.use_pull != 0.0 {
        r += pressure.use_pull;
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

/// Whether an employee's weekly budget (`budget`, USD at list price) is
/// spent: AI work then stops and the rest of the week's tasks are done by
/// hand.
#[inline]
pub fn budget_spent(budget: f64, week_list_cost: f64) -> bool {
    week_list_cost >= budget
}

/// A policy's spend guard as an enterprise runs it: a state-contingent rule
/// written as data, "if list-price spend per employee-month exceeds X for
/// M months in a row, cap agent runs at Y and weekly budgets at B". Once it
/// fires it holds until the policy is replaced (a review starts the new
/// policy's guard afresh).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Guard {
    /// The month being counted and its list-price spend so far, USD.
    pub month: u32,
    pub month_cost: f64,
    /// Consecutive closed months above the trigger.
    pub months_over: u32,
    pub fired: bool,
}

impl Guard {
    /// Whether `policy` has a guard at all (a finite trigger).
    #[inline]
    pub fn armed(policy: &Policy) -> bool {
        policy.guard_spend_usd_per_month.is_finite()
    }

    /// At the start of a week of `month`: when a month has ended, judges it
    /// (spend per employee of `employees` against the trigger) and fires
    /// after `guard_months` months above it in a row.
    pub fn start_week(&mut self, policy: &Policy, month: u32, employees: usize) {
        if month == self.month {
            return;
        }
        let per_employee = self.month_cost / employees.max(1) as f64;
        if per_employee > policy.guard_spend_usd_per_month {
            self.months_over += 1;
        } else {
            self.months_over = 0;
        }
        if self.months_over >= policy.guard_months {
            self.fired = true;
        }
        self.month = month;
        self.month_cost = 0.0;
    }

    /// The card limit binding one run this week: the tighter of the
    /// scenario's and the policy's, and the guard's once it has fired.
    #[inline]
    pub fn card_limit(&self, agent: &AgentParams, policy: &Policy) -> f64 {
        let card = card_limit(agent, policy);
        if self.fired {
            card.min(policy.guard_card_limit_usd)
        } else {
            card
        }
    }

    /// The weekly budget per employee this week, USD at list price.
    #[inline]
    pub fn weekly_budget(&self, policy: &Policy) -> f64 {
        if self.fired {
            policy.weekly_budget_usd.min(policy.guard_weekly_budget_usd)
        } else {
            policy.weekly_budget_usd
        }
    }
}

/// Whether the monthly cap on a tool is spent, given what the employee has
/// spent on it this month: that tier is then closed to them until the
/// month ends.
#[inline]
pub fn tool_capped(policy: &Policy, month_tool_cost: f64) -> bool {
    month_tool_cost >= policy.tool_monthly_cap_usd
}

/// The month (of twelve a 52-week year) that `week` falls in.
#[inline]
pub fn month_of(week: u32) -> u32 {
    week * 12 / 52
}

/// The number of employees a rank prize goes to among `n`: the top share,
/// rounded up, at least one.
pub fn rank_winners(policy: &Policy, n: usize) -> usize {
    ((policy.rank_top_share * n as f64).ceil() as usize).clamp(1, n.max(1))
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
            rank_prize_usd: 0.0,
            rank_top_share: 0.05,
            non_use_penalty_usd: 0.0,
            active_target_share: 0.0,
            active_target_pull_usd: 0.0,
            tool_monthly_cap_usd: 100.0,
            guard_spend_usd_per_month: f64::INFINITY,
            guard_months: 2,
            guard_card_limit_usd: f64::INFINITY,
            guard_weekly_budget_usd: f64::INFINITY,
        }
    }

    #[test]
    fn reward_adds_each_weight_and_the_quota_only_below_it() {
        let p = policy();
        // 2 Mtok: 2 x 2 + 1 x 0.5 + 0.5 x 10 - 0.25 x 4 = 8.5; below quota + 3 x 2.
        let below = Pressure {
            below_quota: true,
            ..Pressure::default()
        };
        assert_eq!(reward(&p, &Pressure::default(), 2e6, 4.0, 0.5, 10.0), 8.5);
        assert_eq!(reward(&p, &below, 2e6, 4.0, 0.5, 10.0), 14.5);
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
        assert!(!budget_spent(p.weekly_budget_usd, 9.99) && budget_spent(p.weekly_budget_usd, 10.0));
    }

    #[test]
    fn a_rank_prize_is_spread_over_the_cutoff_and_a_penalty_over_the_week() {
        let mut p = policy();
        p.quota_tokens_per_week = 0.0;
        // No forms: no pressure beyond the quota.
        assert_eq!(pressure(&p, 0.0, 5e6, 1e5, true, 12.0), Pressure::default());
        // $100 a week for a place above a cutoff of 5 Mtok: $20 per Mtok.
        p.rank_prize_usd = 100.0;
        let q = pressure(&p, 0.0, 5e6, 1e5, false, 12.0);
        assert!((q.rank_usd_per_token * 1e6 - 20.0).abs() < 1e-12);
        // Nobody on the board yet: the cutoff is at least one run's tokens.
        assert!((pressure(&p, 0.0, 0.0, 1e5, false, 12.0).rank_usd_per_token - 1e-3).abs() < 1e-15);
        // A $60 weekly penalty and $36 of pressure below the active target,
        // over 12 tasks: $8 a use, and only while the target is missed.
        p.non_use_penalty_usd = 60.0;
        p.active_target_pull_usd = 36.0;
        assert_eq!(pressure(&p, 0.0, 5e6, 1e5, true, 12.0).use_pull, 8.0);
        assert_eq!(pressure(&p, 0.0, 5e6, 1e5, false, 12.0).use_pull, 5.0);
        // The pull counts once per use; an automated task feels only tokens.
        let q = pressure(&p, 0.0, 5e6, 1e5, false, 12.0);
        p.rank_prize_usd = 0.0;
        let base = reward(&p, &Pressure::default(), 1e6, 1.0, 1.0, 0.0);
        assert!((reward(&p, &q, 1e6, 1.0, 1.0, 0.0) - base - 25.0).abs() < 1e-9);
        assert!((reward(&p, &q.without_use(), 1e6, 1.0, 1.0, 0.0) - base - 20.0).abs() < 1e-9);
    }

    #[test]
    fn tools_cap_by_the_month_and_a_rank_prize_has_a_winner() {
        let p = policy();
        assert!(!tool_capped(&p, 99.9) && tool_capped(&p, 100.0));
        assert_eq!(
            (month_of(0), month_of(4), month_of(5), month_of(51), month_of(52)),
            (0, 0, 1, 11, 12)
        );
        // 5 % of 1,000 is 50; of 10 it rounds up to 1; of 0, still 1 (a guard).
        assert_eq!(
            (rank_winners(&p, 1000), rank_winners(&p, 10), rank_winners(&p, 0)),
            (50, 1, 1)
        );
    }

    #[test]
    fn a_spend_guard_fires_after_its_months_in_a_row_and_then_binds() {
        let mut p = policy();
        let agent = AgentParams {
            max_attempts: 4,
            card_limit_usd: f64::INFINITY,
            noise_prob_agent: 0.5,
            noise_prob_assist: 0.1,
        };
        let mut g = Guard::default();
        // No trigger: never armed, limits as the policy's.
        assert!(!Guard::armed(&p));
        p.guard_spend_usd_per_month = 100.0;
        p.guard_card_limit_usd = 2.0;
        p.guard_weekly_budget_usd = 7.0;
        assert!(Guard::armed(&p));
        // 10 employees: $1,500 in month 0 is $150 a head (over); a dip in
        // month 1 ($900: $90) resets the count; months 2 and 3 over fire it
        // at the start of month 4, not before.
        for (month, cost) in [(0, 1500.0), (1, 900.0), (2, 1001.0), (3, 2000.0)] {
            g.start_week(&p, month, 10);
            assert!(!g.fired, "fired early in month {month}");
            g.month_cost += cost;
        }
        assert_eq!(g.card_limit(&agent, &p), 5.0);
        assert_eq!(g.weekly_budget(&p), 10.0);
        g.start_week(&p, 4, 10);
        assert!(g.fired && g.months_over == 2);
        // Fired: the tighter of the policy's and the guard's limits.
        assert_eq!(g.card_limit(&agent, &p), 2.0);
        assert_eq!(g.weekly_budget(&p), 7.0);
        p.guard_weekly_budget_usd = 50.0;
        assert_eq!(g.weekly_budget(&p), 10.0);
        // Exactly at the trigger is not over it; a week inside the same
        // month judges nothing.
        let mut h = Guard {
            month_cost: 1000.0,
            ..Guard::default()
        };
        h.start_week(&p, 0, 10);
        assert_eq!(h.month_cost, 1000.0);
        h.start_week(&p, 1, 10);
        assert_eq!(h.months_over, 0);
    }
}
