//! Summaries of runs: each metric's mean with its 95% interval per arm, and
//! the paired difference against the first arm.

use crate::engine::metrics::RunMetrics;
use crate::stats::Estimate;

/// One row of a summary: a metric of one arm, its estimate, and the paired
/// difference against the first arm.
#[derive(Debug, Clone)]
pub struct SummaryRow {
    pub arm: usize,
    pub metric: String,
    pub estimate: Estimate,
    pub diff: Estimate,
}

/// The metric holding each run's net value, value - spend (USD): its
/// paired difference against the first arm is a policy's net gain.
pub const NET_VALUE: &str = "net_value_usd";

/// The metric holding the incremental return of an arm over the first arm:
/// (value - value_0) / (spend - spend_0), paired by replicate.
pub const INCREMENTAL_ROI: &str = "incremental_roi";

/// Summarises runs given in (arm, replicate) order, with the same replicates
/// in every arm.
pub fn summarise(runs: &[&RunMetrics], n_arms: usize) -> Vec<SummaryRow> {
    summarise_counts(runs, &vec![runs.len() / n_arms; n_arms])
}

/// Where each arm's runs start and end in runs given in (arm, replicate)
/// order, arm `a` with `counts[a]` replicates.
pub fn arm_ranges(counts: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut start = 0;
    counts
        .iter()
        .map(|&n| {
            start += n;
            start - n..start
        })
        .collect()
}

/// Summarises runs given in (arm, replicate) order, arm `a` with
/// `counts[a]` replicates (replicates 0 to counts[a] - 1, as an adaptive
/// run gives them): paired differences are taken over the replicates both
/// arms have.
pub fn summarise_counts(runs: &[&RunMetrics], counts: &[usize]) -> Vec<SummaryRow> {
    let n_arms = counts.len();
    let ranges = arm_ranges(counts);
    let column = |arm: usize, name: &str| -> Vec<f64> {
        runs[ranges[arm].clone()]
            .iter()
            .map(|m| m.get(name).expect("known metric"))
            .collect()
    };
    let mut rows = Vec::new();
    for arm in 0..n_arms {
        for name in RunMetrics::NAMES {
            let x = column(arm, name);
            let base = column(0, name);
            rows.push(SummaryRow {
                arm,
                metric: name.to_string(),
                estimate: Estimate::of(&x),
                diff: Estimate::paired(&x, &base),
            });
        }
        let net = |arm: usize| -> Vec<f64> {
            column(arm, "value_usd")
                .iter()
                .zip(column(arm, "spend_usd"))
                .map(|(v, s)| v - s)
                .collect()
        };
        rows.push(SummaryRow {
            arm,
            metric: NET_VALUE.to_string(),
            estimate: Estimate::of(&net(arm)),
            diff: Estimate::paired(&net(arm), &net(0)),
        });
        let diffs = |name: &str| -> Vec<f64> {
            column(arm, name)
                .iter()
                .zip(column(0, name))
                .map(|(a, b)| a - b)
                .collect()
        };
        let inc = if arm == 0 {
            Estimate::missing(0)
        } else {
            Estimate::ratio_of_diffs(&diffs("value_usd"), &diffs("spend_usd"))
        };
        rows.push(SummaryRow {
            arm,
            metric: INCREMENTAL_ROI.to_string(),
            estimate: inc,
            diff: Estimate::missing(inc.n),
        });
    }
    rows
}
