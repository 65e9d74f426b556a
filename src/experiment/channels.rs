//! Why a policy's net value differs from the reference's: the paired
//! difference of every channel of value and cost (third edition), from a
//! summary's rows. The channels add up to net value in every run, so their
//! differences add up to the net gain.

use super::summary::SummaryRow;
use crate::stats::Estimate;

/// One channel: a run column and how it enters net value (+1 for value,
/// −1 for a cost).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Channel {
    pub column: &'static str,
    /// A short name for sentences and tables.
    pub label: &'static str,
    pub sign: f64,
}

const fn value(column: &'static str, label: &'static str) -> Channel {
    Channel {
        column,
        label,
        sign: 1.0,
    }
}

const fn cost(column: &'static str, label: &'static str) -> Channel {
    Channel {
        column,
        label,
        sign: -1.0,
    }
}

/// Every channel, value first; their signed sum is net value.
pub const CHANNELS: [Channel; 12] = [
    value("value_tasks_usd", "task value"),
    value("value_adoption_usd", "adoption"),
    value("value_learning_usd", "learning"),
    value("value_spillover_usd", "spillover"),
    value("value_automation_usd", "automation"),
    value("value_discovery_usd", "discovery"),
    value("value_busywork_usd", "busywork hours"),
    value("value_rework_usd", "rework"),
    cost("spend_tasks_usd", "token spend on tasks"),
    cost("spend_busywork_usd", "token spend on busywork"),
    cost("spend_automation_usd", "token spend on automation"),
    cost("breakage_usd", "breakage"),
];

/// The channels through which use can create value beyond the work an
/// employee chooses for themself: the case for usage incentives.
pub const DISCOVERY_CHANNELS: [&str; 5] = [
    "value_adoption_usd",
    "value_learning_usd",
    "value_spillover_usd",
    "value_automation_usd",
    "value_discovery_usd",
];

/// One channel's share of a policy's net gain over the reference.
#[derive(Debug, Clone, Copy)]
pub struct Contribution {
    pub channel: Channel,
    /// Paired difference of the channel's signed value, USD.
    pub diff: Estimate,
}

/// An estimate of −x from one of x.
fn negated(e: Estimate) -> Estimate {
    Estimate {
        n: e.n,
        mean: -e.mean,
        sd: e.sd,
        ci95_low: -e.ci95_high,
        ci95_high: -e.ci95_low,
    }
}

/// Each channel's contribution to `arm`'s net gain over the first arm,
/// largest first (by absolute mean). Empty when the rows lack the channel
/// columns (results written before the third edition).
pub fn contributions(rows: &[SummaryRow], arm: usize) -> Vec<Contribution> {
    let mut out = Vec::with_capacity(CHANNELS.len());
    for channel in CHANNELS {
        let Some(row) = rows.iter().find(|r| r.arm == arm && r.metric == channel.column) else {
            return Vec::new();
        };
        let diff = if channel.sign < 0.0 {
            negated(row.diff)
        } else {
            row.diff
        };
        out.push(Contribution { channel, diff });
    }
    out.sort_by(|a, b| b.diff.mean.abs().total_cmp(&a.diff.mean.abs()));
    out
}

/// The contributions that matter: those whose 95 % CI excludes zero, or
/// (with fewer than two replicates) whose mean is not zero; at most `n`.
pub fn decisive(contributions: &[Contribution], n: usize) -> Vec<Contribution> {
    contributions
        .iter()
        .filter(|c| {
            if c.diff.ci95_low.is_nan() {
                c.diff.mean != 0.0
            } else {
                c.diff.ci95_low > 0.0 || c.diff.ci95_high < 0.0
            }
        })
        .take(n)
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(arm: usize, metric: &str, mean: f64) -> SummaryRow {
        let e = Estimate {
            n: 3,
            mean,
            sd: 1.0,
            ci95_low: mean - 1.0,
            ci95_high: mean + 1.0,
        };
        SummaryRow {
            arm,
            metric: metric.to_string(),
            estimate: e,
            diff: e,
        }
    }

    #[test]
    fn costs_enter_with_their_sign_and_the_largest_comes_first() {
        let mut rows: Vec<SummaryRow> = CHANNELS.iter().map(|c| row(1, c.column, 0.0)).collect();
        rows.iter_mut()
            .find(|r| r.metric == "value_discovery_usd")
            .unwrap()
            .diff = Estimate {
            n: 3,
            mean: 5.0,
            sd: 1.0,
            ci95_low: 4.0,
            ci95_high: 6.0,
        };
        let spend = rows.iter_mut().find(|r| r.metric == "spend_busywork_usd").unwrap();
        spend.diff = Estimate {
            n: 3,
            mean: 8.0,
            sd: 1.0,
            ci95_low: 7.0,
            ci95_high: 9.0,
        };
        let c = contributions(&rows, 1);
        assert_eq!(c[0].channel.column, "spend_busywork_usd");
        assert_eq!(
            (c[0].diff.mean, c[0].diff.ci95_low, c[0].diff.ci95_high),
            (-8.0, -9.0, -7.0)
        );
        assert_eq!(c[1].channel.column, "value_discovery_usd");
        // Only those whose CI excludes zero are decisive.
        let d = decisive(&c, 5);
        assert_eq!(d.len(), 2);
        // Rows without the channel columns (older results): nothing.
        assert!(contributions(&rows[..3], 1).is_empty());
    }
}
