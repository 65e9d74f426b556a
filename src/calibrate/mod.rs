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
