//! One enterprise-week in numbers: the sums its employees' work fills in
//! ([`Tally`]) and what the week costs ([`Bill`]). The enterprise fills
//! them; [`super::accounting`] books them. Tokens are integers, so token
//! totals are exact.

use crate::model::MAX_TIERS;

/// Sums of one enterprise-week, filled by its employees' work.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub tokens: [[u64; 2]; MAX_TIERS],
    pub list_cost: f64,
    pub value: f64,
    /// List cost of runs that delivered no value.
    pub waste_list: f64,
    pub noise_tokens: u64,
    pub perf_tokens: u64,
    pub tasks: u64,
    pub ai_tasks: u64,
    pub automated: u64,
    pub noise_outputs: u64,
    pub apparent_outputs: u64,
    pub perf_runs: u64,
    pub builds: u64,
    pub hours_saved: f64,
    pub hours_manual: f64,
    pub hours_ai: f64,
    pub hours_rework: f64,
    pub hours_performative: f64,
    pub hours_builds: f64,
    pub hours_learning: f64,
    pub tasks_done: u64,
    pub tasks_dropped: u64,
    /// Tasks waiting at the end of the week (a level, not a flow).
    pub tasks_backlog: u64,
    pub agent_tasks: u64,
    pub frontier_tasks: u64,
    pub decisions: u64,
    /// Value by channel; they add up to `value`.
    pub value_tasks: f64,
    pub value_adoption: f64,
    pub value_learning: f64,
    pub value_spillover: f64,
    pub value_automation: f64,
    pub value_discovery: f64,
    pub value_busywork: f64,
    pub value_rework: f64,
    /// List cost by channel; they add up to `list_cost`.
    pub list_tasks: f64,
    pub list_busywork: f64,
    pub list_automation: f64,
    /// Use cases found, and employees who adopted AI.
    pub discoveries: u64,
    pub adoptions: u64,
}

impl Tally {
    /// Hours every activity used.
    pub fn hours_used(&self) -> f64 {
        self.hours_manual
            + self.hours_ai
            + self.hours_rework
            + self.hours_performative
            + self.hours_builds
            + self.hours_learning
    }
}

impl Tally {
    /// Tokens of the week, input and output on every tier: exact while
    /// each count is below [`COUNTABLE_TOKENS`] (a sum of six such cannot
    /// wrap); past it the run is refused by its counts, and this sum only
    /// has to be computed without a panic.
    pub fn tokens(&self) -> u64 {
        self.tokens
            .iter()
            .fold(0u64, |s, t| s.wrapping_add(t[0]).wrapping_add(t[1]))
    }
}

/// Token totals are summed as `f64`, exact below 2^53 (9.0e15 tokens, about
/// nine billion dollars at a dollar per million). A run reaching it cannot be
/// counted exactly: its token totals are made infinite, which every job
/// refuses as a result that is not a finite number (nothing is written).
pub const COUNTABLE_TOKENS: u64 = 1 << 53;

/// A token count as a total, or infinity once it cannot be counted exactly.
#[inline]
pub fn counted(tokens: u64) -> f64 {
    if tokens < COUNTABLE_TOKENS {
        tokens as f64
    } else {
        f64::INFINITY
    }
}

/// What an enterprise-week costs, in USD.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bill {
    /// List cost less the contract discount.
    pub usage_cost: f64,
    /// Unused commitment billed in a term's last week.
    pub breakage: f64,
    /// usage cost + breakage: what the enterprise pays and the lab earns.
    pub spend: f64,
    /// Spend on runs that delivered no value, plus breakage.
    pub waste: f64,
    /// The lab's compute cost of serving the week's tokens.
    pub serving: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_past_the_limit_is_not_counted_and_a_wrapped_sum_never_panics() {
        let mut t = Tally::default();
        t.tokens[0] = [u64::MAX - 1, 5];
        t.tokens[1] = [3, 0];
        // The week's sum wraps without a panic; the count past the limit
        // is what refuses the run.
        assert_eq!(t.tokens(), 6);
        assert_eq!(counted(t.tokens[0][0]), f64::INFINITY);
        assert_eq!(counted(COUNTABLE_TOKENS), f64::INFINITY);
        assert_eq!(counted(COUNTABLE_TOKENS - 1), 9_007_199_254_740_991.0);
        assert_eq!(counted(0), 0.0);
    }
}
