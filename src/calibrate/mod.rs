//! Calibration: fitting uncertain parameters to public facts with ABC-SMC
//! ([`abc`]), and checking the fit on facts held out.
//!
//! A calibration problem is an evidence file ([`crate::scenario::evidence`]):
//! priors on some parameters of a base scenario, and targets, each a
//! per-run metric of one policy arm, averaged over replicates, with an
//! observed value and a tolerance. Targets sharing their own settings
//! (`set`) share runs: each such group is a *variant*, run once per
//! particle with the policies its targets need. The distance of a particle
//! is the root mean square of its fit targets' deviations, each scaled by
//! its tolerance. Pure functions of (evidence, parameters, seed); no I/O.

pub mod abc;
pub mod state;

use crate::engine;
use crate::experiment::replicate_seed;
use crate::scenario::evidence::{Evidence, Role};
use crate::scenario::{self, ScenarioError};

/// Targets that share their runs.
#[derive(Debug, Clone)]
pub struct Variant {
    pub set: Vec<String>,
    /// The policies its targets need, in first-seen order.
    pub arms: Vec<String>,
    /// Indices into the evidence's targets.
    pub targets: Vec<usize>,
    /// Whether any of its targets drives the fit.
    pub fit: bool,
}

/// An evidence file ready to simulate.
#[derive(Debug, Clone)]
pub struct Problem {
    pub evidence: Evidence,
    pub variants: Vec<Variant>,
}

impl Problem {
    pub fn new(evidence: Evidence) -> Self {
        let mut variants: Vec<Variant> = Vec::new();
        for (i, t) in evidence.targets.iter().enumerate() {
            let v = match variants.iter_mut().position(|v| v.set == t.set) {
                Some(k) => &mut variants[k],
                None => {
                    variants.push(Variant {
                        set: t.set.clone(),
                        arms: Vec::new(),
                        targets: Vec::new(),
                        fit: false,
                    });
                    variants.last_mut().expect("pushed")
                }
            };
            if !v.arms.contains(&t.policy) {
                v.arms.push(t.policy.clone());
            }
            v.targets.push(i);
            v.fit |= t.role == Role::Fit;
        }
        Problem { evidence, variants }
    }

    /// Runs of one particle: per variant, arms × replicates.
    pub fn runs_per_particle(&self, with_checks: bool) -> usize {
        self.variants
            .iter()
            .filter(|v| with_checks || v.fit)
            .map(|v| v.arms.len() * self.evidence.replicates as usize)
            .sum()
    }

    /// Every target's simulated value at `theta` with `seed`: the mean over
    /// replicates of its metric in its policy's runs. Targets of variants
    /// not simulated (check-only variants when `with_checks` is false) are
    /// NaN; so is a metric not defined in every replicate.
    pub fn simulate(&self, theta: &[f64], seed: u64, with_checks: bool) -> Result<Vec<f64>, ScenarioError> {
        let ev = &self.evidence;
        let mut stats = vec![f64::NAN; ev.targets.len()];
        let file = ev.base_path.display().to_string();
        for v in self.variants.iter().filter(|v| with_checks || v.fit) {
            let overrides = ev.overrides(&v.set, &v.arms, theta);
            let (_, cfg) = scenario::from_str(&ev.base_source, &file, &overrides)?;
            let mut sums = vec![0.0; v.targets.len()];
            for r in 0..ev.replicates {
                let s = replicate_seed(seed, r);
                for (arm, policy) in v.arms.iter().enumerate() {
                    let result = engine::run(&cfg, arm, s);
                    for (slot, &ti) in v.targets.iter().enumerate() {
                        let t = &ev.targets[ti];
                        if &t.policy == policy {
                            sums[slot] += result.metrics.get(&t.metric).expect("checked metric");
                        }
                    }
                }
            }
            for (slot, &ti) in v.targets.iter().enumerate() {
                stats[ti] = sums[slot] / f64::from(ev.replicates);
            }
        }
        Ok(stats)
    }

    /// The distance of simulated values to the evidence: the root mean
    /// square of the fit targets' (simulated − observed) / scale. Infinite
    /// when a fit target is not defined (NaN).
    pub fn distance(&self, stats: &[f64]) -> f64 {
        let mut sum = 0.0;
        let mut n = 0;
        for (t, &s) in self.evidence.targets.iter().zip(stats) {
            if t.role != Role::Fit {
                continue;
            }
            if !s.is_finite() {
                return f64::INFINITY;
            }
            sum += ((s - t.observed) / t.scale).powi(2);
            n += 1;
        }
        (sum / n.max(1) as f64).sqrt()
    }

    pub fn priors(&self) -> Vec<abc::Prior> {
        self.evidence
            .priors
            .iter()
            .map(|p| abc::Prior {
                low: p.low,
                high: p.high,
                log: p.log,
            })
            .collect()
    }
}

/// Metrics that are rates of events over runs (a renewal escalates or not,
/// a term shows a measurable return or not): one run holds one to three
/// such events, so its value is 0, ½ or 1, and only the pooled rate over
/// many runs is the population's. A calibration compares a rate target
/// with the posterior-predictive mean over particles and replicates,
/// never with the median of per-run values (a 30 % rate has median 0).
pub const RATE_METRICS: [&str; 4] = [
    "escalation_share",
    "escalation_share_spend_readers",
    "escalation_share_roi_readers",
    "no_measured_return_share",
];

/// Whether a target's metric is a rate of events (see [`RATE_METRICS`]).
pub fn is_rate(metric: &str) -> bool {
    RATE_METRICS.contains(&metric)
}

/// The posterior predictive of one target.
#[derive(Debug, Clone)]
pub struct Predictive {
    pub mean: f64,
    pub q05: f64,
    pub q50: f64,
    pub q95: f64,
    /// The value compared with the target's tolerance: the pooled mean for
    /// a rate, the median otherwise.
    pub point: f64,
    /// The point lies within the target's tolerance.
    pub inside: bool,
}

/// The weighted posterior predictive of simulated values `x` (weights `w`)
/// against a tolerance `[low, high]`.
pub fn predictive(x: &[f64], w: &[f64], low: f64, high: f64, rate: bool) -> Predictive {
    let total: f64 = w.iter().sum();
    let mean = x.iter().zip(w).map(|(x, w)| x * w).sum::<f64>() / total;
    let q50 = crate::stats::weighted_quantile(x, w, 0.5);
    let point = if rate { mean } else { q50 };
    Predictive {
        mean,
        q05: crate::stats::weighted_quantile(x, w, 0.05),
        q50,
        q95: crate::stats::weighted_quantile(x, w, 0.95),
        point,
        inside: point >= low && point <= high,
    }
}

/// The posterior predictive of every target (checks included): each
/// particle of the posterior run again on fresh seeds (those of generation
/// `fresh`, one past the last), its simulated values weighted by the
/// particle's weight. Runs on the calling rayon pool; the result does not
/// depend on its thread count. `None` once `cancel` is set (no particle
/// starts after it).
pub fn posterior_predictive(
    problem: &Problem,
    posterior: &abc::Generation,
    fresh: usize,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<Option<Vec<Predictive>>, ScenarioError> {
    use rayon::prelude::*;
    use std::sync::atomic::Ordering;
    let ev = &problem.evidence;
    let stats: Vec<Option<Result<Vec<f64>, ScenarioError>>> = posterior
        .particles
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            (!cancel.load(Ordering::Relaxed))
                .then(|| problem.simulate(&p.theta, abc::simulation_seed(ev.seed, fresh, i as u64), true))
        })
        .collect();
    let Some(stats) = stats.into_iter().collect::<Option<Vec<_>>>() else {
        return Ok(None);
    };
    // The first failure in particle order, whatever the threads.
    let stats: Vec<Vec<f64>> = stats.into_iter().collect::<Result<_, _>>()?;
    let weights: Vec<f64> = posterior.particles.iter().map(|p| p.weight).collect();
    Ok(ev
        .targets
        .iter()
        .enumerate()
        .map(|(ti, t)| {
            let (x, w): (Vec<f64>, Vec<f64>) = stats
                .iter()
                .zip(&weights)
                .filter(|(s, _)| s[ti].is_finite())
                .map(|(s, &w)| (s[ti], w))
                .unzip();
            predictive(&x, &w, t.low, t.high, is_rate(&t.metric))
        })
        .collect::<Vec<_>>()
        .into())
}

#[cfg(test)]
mod rate_tests {
    use super::*;

    #[test]
    fn a_thirty_percent_rate_reads_thirty_percent_not_zero() {
        // 100 runs, each escalating (1) or not (0): 30 escalate.
        let x: Vec<f64> = (0..100).map(|i| if i % 10 < 3 { 1.0 } else { 0.0 }).collect();
        let w = vec![1.0; 100];
        let p = predictive(&x, &w, 0.2, 0.6, true);
        assert!((p.point - 0.3).abs() < 1e-12 && p.inside, "{p:?}");
        assert_eq!(p.q50, 0.0);
        // Read through the median, the same runs would be a miss.
        assert!(!predictive(&x, &w, 0.2, 0.6, false).inside);
        assert!(is_rate("escalation_share_roi_readers") && !is_rate("noise_share"));
    }
}
