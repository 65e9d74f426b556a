//! Verdicts: how each policy arm fares against each other at one point:
//! the probability that its ROI beats the other's over paired replicates,
//! its mean net value, and its regret against the best arm.

use crate::engine::metrics::RunMetrics;

/// The metrics a sensitivity analysis and the verdicts look at.
pub const KEY_METRICS: [&str; 4] = ["roi", "spend_usd", "value_usd", "waste_share"];

/// One verdict row: how `arm` fares against `versus` at one point.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub arm: usize,
    pub versus: usize,
    /// P(ROI of arm > ROI of versus) over paired replicates.
    pub p_beats_roi: f64,
    /// P(net value of arm > net value of versus) over paired replicates:
    /// the criterion the verdict tables and charts rank on.
    pub p_beats_net: f64,
    /// Mean net value (value - spend) of `arm`.
    pub net_value: f64,
    /// How much net value `arm` loses against the best arm at this point.
    pub regret: f64,
}

/// Verdicts for runs given in (arm, replicate) order, every arm with the
/// same replicates.
pub fn verdicts(runs: &[&RunMetrics], n_arms: usize) -> Vec<Verdict> {
    verdicts_counts(runs, &vec![runs.len() / n_arms; n_arms])
}

/// Verdicts for runs given in (arm, replicate) order, arm `a` with
/// `counts[a]` replicates; each pair is compared over the replicates both
/// have, and each arm's net value is the mean over all of its own.
pub fn verdicts_counts(runs: &[&RunMetrics], counts: &[usize]) -> Vec<Verdict> {
    let n_arms = counts.len();
    let ranges = super::summary::arm_ranges(counts);
    let arm = |a: usize| &runs[ranges[a].clone()];
    let roi: Vec<Vec<f64>> = (0..n_arms).map(|a| arm(a).iter().map(|m| m.roi).collect()).collect();
    let nets: Vec<Vec<f64>> = (0..n_arms)
        .map(|a| arm(a).iter().map(|m| m.value_usd - m.spend_usd).collect())
        .collect();
    let net: Vec<f64> = nets.iter().map(|n| n.iter().sum::<f64>() / n.len() as f64).collect();
    let best = net.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut out = Vec::new();
    for a in 0..n_arms {
        for b in 0..n_arms {
            if a != b {
                out.push(Verdict {
                    arm: a,
                    versus: b,
                    p_beats_roi: p_beats(&roi[a], &roi[b]),
                    p_beats_net: p_beats(&nets[a], &nets[b]),
                    net_value: net[a],
                    regret: best - net[a],
                });
            }
        }
    }
    out
}

/// Probability that `a` beats `b` over paired replicates (ties count
/// half), over the pairs where both are defined (NaN where none is).
pub fn p_beats(a: &[f64], b: &[f64]) -> f64 {
    let pairs = || a.iter().zip(b).filter(|(x, y)| !x.is_nan() && !y.is_nan());
    let n = pairs().count();
    if n == 0 {
        return f64::NAN;
    }
    let wins: f64 = pairs()
        .map(|(x, y)| {
            if x > y {
                1.0
            } else if x == y {
                0.5
            } else {
                0.0
            }
        })
        .sum();
    wins / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_beats_of_a_shifted_arm_is_one() {
        let b = [1.0, 5.0, 2.0, 0.5];
        let a: Vec<f64> = b.iter().map(|x| x + 0.1).collect();
        assert_eq!(p_beats(&a, &b), 1.0);
        assert_eq!(p_beats(&b, &a), 0.0);
        assert_eq!(p_beats(&b, &b), 0.5);
    }

    #[test]
    fn p_beats_leaves_out_undefined_pairs() {
        let a = [2.0, f64::NAN, 1.0];
        let b = [1.0, 3.0, f64::NAN];
        assert_eq!(p_beats(&a, &b), 1.0);
        assert!(p_beats(&[f64::NAN], &[1.0]).is_nan());
    }
}
