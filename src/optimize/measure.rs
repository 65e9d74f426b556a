//! Robustness measures: one number from a metric's values across worlds
//! (McPhail et al. 2018, "Robustness metrics: how are they calculated, when
//! should they be used and why do they give different results?", Earth's
//! Future 6): the mean, a percentile, the share of worlds above or below a
//! threshold, and the mean or largest regret against reference policies
//! (a world's regret: how much better the best reference did there, or 0).

/// A robustness measure of a metric across worlds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "measure", rename_all = "snake_case")]
pub enum Measure {
    Mean,
    /// The p-th percentile (0 to 100), linear between order statistics.
    Percentile {
        p: f64,
    },
    /// The share of worlds strictly above the threshold.
    ShareAbove {
        threshold: f64,
    },
    /// The share of worlds strictly below the threshold.
    ShareBelow {
        threshold: f64,
    },
    /// Mean over worlds of max(0, best reference − candidate) for a metric
    /// where more is better (candidate − best for one where less is).
    MeanRegret,
    MaxRegret,
}

impl Measure {
    /// Its name in files and titles.
    pub fn describe(&self) -> String {
        match self {
            Measure::Mean => "mean".into(),
            Measure::Percentile { p } => format!("p{p}"),
            Measure::ShareAbove { threshold } => format!("share above {threshold}"),
            Measure::ShareBelow { threshold } => format!("share below {threshold}"),
            Measure::MeanRegret => "mean regret".into(),
            Measure::MaxRegret => "max regret".into(),
        }
    }

    /// A share of worlds (0 to 1), whatever the metric's unit.
    pub fn is_share(&self) -> bool {
        matches!(self, Measure::ShareAbove { .. } | Measure::ShareBelow { .. })
    }

    pub fn is_regret(&self) -> bool {
        matches!(self, Measure::MeanRegret | Measure::MaxRegret)
    }

    /// The measure of `values` (one per world); `references[w]` are the
    /// reference policies' values in world w (for regret), `more_is_better`
    /// says which way regret counts.
    pub fn of(&self, values: &[f64], references: &[Vec<f64>], more_is_better: bool) -> f64 {
        let n = values.len() as f64;
        match self {
            Measure::Mean => values.iter().sum::<f64>() / n,
            Measure::Percentile { p } => percentile(values, *p),
            Measure::ShareAbove { threshold } => values.iter().filter(|&&v| v > *threshold).count() as f64 / n,
            Measure::ShareBelow { threshold } => values.iter().filter(|&&v| v < *threshold).count() as f64 / n,
            Measure::MeanRegret | Measure::MaxRegret => {
                let regrets = values.iter().zip(references).map(|(&v, refs)| {
                    let best = if more_is_better {
                        refs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                    } else {
                        refs.iter().copied().fold(f64::INFINITY, f64::min)
                    };
                    let r = if more_is_better { best - v } else { v - best };
                    r.max(0.0)
                });
                if *self == Measure::MeanRegret {
                    regrets.sum::<f64>() / n
                } else {
                    regrets.fold(0.0, f64::max)
                }
            }
        }
    }
}

/// The p-th percentile (0 to 100) of `values`, linear between order
/// statistics (Hyndman & Fan's type 7, numpy's default).
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * p / 100.0;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_match_hand_counts_and_numpy() {
        let v = [3.0, -1.0, 4.0, 1.0, 5.0];
        assert_eq!(Measure::Mean.of(&v, &[], true), 2.4);
        // numpy.percentile([3,-1,4,1,5], 10) == -0.2
        assert!((Measure::Percentile { p: 10.0 }.of(&v, &[], true) + 0.2).abs() < 1e-12);
        assert_eq!(Measure::Percentile { p: 50.0 }.of(&v, &[], true), 3.0);
        assert_eq!(Measure::ShareAbove { threshold: 1.0 }.of(&v, &[], true), 0.6);
        assert_eq!(Measure::ShareBelow { threshold: 0.0 }.of(&v, &[], true), 0.2);
        let refs = vec![vec![4.0, 2.0], vec![0.0], vec![1.0], vec![2.0], vec![9.0]];
        // Regrets 1, 1, 0, 1, 4.
        assert_eq!(Measure::MeanRegret.of(&v, &refs, true), 1.4);
        assert_eq!(Measure::MaxRegret.of(&v, &refs, true), 4.0);
        // Less is better: regrets 1 (3 vs 2), 0, 3, 0, 0.
        assert_eq!(Measure::MaxRegret.of(&v, &refs, false), 3.0);
    }
}
