//! Sensitivity analysis: which parameters drive a metric.
//!
//! - Morris elementary effects (Morris 1991; mu* of Campolongo et al. 2007):
//!   r trajectories of k + 1 points on a p-level grid, each step moving one
//!   parameter by Delta = p / (2 (p - 1)).
//! - Sobol indices from a Saltelli design (Saltelli et al. 2010): N base rows
//!   of matrices A and B (the first and last k dimensions of a 2k-dimensional
//!   Sobol sequence) and, for each parameter i, AB_i (A with column i from
//!   B). First-order indices with Saltelli's 2010 estimator, total indices
//!   with Jansen's, both with bootstrap 95% intervals over the N rows.
//!
//! Points are ordered in blocks: a Morris trajectory's k + 1 points, or a
//! Saltelli row's k + 2 points (A, B, AB_1..AB_k); the designs themselves
//! are drawn in [`super::design`] with the other samplers. Pure functions:
//! estimates depend only on their inputs and seeds.

use super::design::{MORRIS_LEVELS, morris_points};
use super::plan::{Design, SweepPlan};
use super::verdict::KEY_METRICS;
use crate::rng::stream_seed;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Morris statistics of one parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisEffect {
    /// Mean of |elementary effect|: overall influence.
    pub mu_star: f64,
    /// Mean elementary effect (signed).
    pub mu: f64,
    /// Standard deviation of the effects: interactions and non-linearity.
    pub sigma: f64,
}

/// Elementary effects from outputs `y` of the points `morris_points` made.
pub fn morris_effects(points: &[Vec<f64>], y: &[f64], k: usize) -> Vec<MorrisEffect> {
    let mut effects: Vec<Vec<f64>> = vec![Vec::new(); k];
    for (t, block) in points.chunks(k + 1).enumerate() {
        for j in 0..k {
            let (a, b) = (&block[j], &block[j + 1]);
            let Some(d) = (0..k).find(|&d| a[d] != b[d]) else {
                continue;
            };
            let step = b[d] - a[d];
            let (ya, yb) = (y[t * (k + 1) + j], y[t * (k + 1) + j + 1]);
            if ya.is_finite() && yb.is_finite() {
                effects[d].push((yb - ya) / step);
            }
        }
    }
    effects
        .iter()
        .map(|e| {
            let n = e.len().max(1) as f64;
            let mu = e.iter().sum::<f64>() / n;
            let mu_star = e.iter().map(|x| x.abs()).sum::<f64>() / n;
            let var = if e.len() > 1 {
                e.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (e.len() - 1) as f64
            } else {
                0.0
            };
            MorrisEffect {
                mu_star,
                mu,
                sigma: var.sqrt(),
            }
        })
        .collect()
}

/// A Sobol index with its bootstrap 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub value: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SobolIndices {
    pub first: Interval,
    pub total: Interval,
}

/// First-order (Saltelli 2010) and total (Jansen) indices over the base
/// rows `rows` of outputs `y`, which the caller has centred.
///
/// Saltelli's first-order estimator, mean(f_B (f_ABi - f_A)), is not
/// invariant to a shift of the outputs: adding m to every output adds
/// m mean(f_ABi - f_A), which is zero only in expectation. On raw outputs
/// whose mean is large against their spread (waste share, spend) that term
/// dominates at small N and gives S1 outside [0, 1]. Centring once on the
/// mean of all outputs removes it, as SALib does.
fn indices_of(y: &[f64], rows: &[usize], k: usize) -> Vec<(f64, f64)> {
    let n = rows.len() as f64;
    let at = |r: usize, j: usize| y[r * (k + 2) + j];
    let mean = rows.iter().map(|&r| at(r, 0) + at(r, 1)).sum::<f64>() / (2.0 * n);
    let var = rows
        .iter()
        .map(|&r| (at(r, 0) - mean).powi(2) + (at(r, 1) - mean).powi(2))
        .sum::<f64>()
        / (2.0 * n);
    (0..k)
        .map(|i| {
            let mut s1 = 0.0;
            let mut st = 0.0;
            for &r in rows {
                let (fa, fb, fab) = (at(r, 0), at(r, 1), at(r, 2 + i));
                s1 += fb * (fab - fa);
                st += (fa - fab) * (fa - fab);
            }
            if var > 0.0 {
                (s1 / n / var, st / (2.0 * n) / var)
            } else {
                (0.0, 0.0)
            }
        })
        .collect()
}

/// Outputs minus the mean of all of them: one shift for the point estimate
/// and for every bootstrap resample.
fn centred(y: &[f64]) -> Vec<f64> {
    let mean = y.iter().sum::<f64>() / y.len().max(1) as f64;
    y.iter().map(|v| v - mean).collect()
}

/// First-order and total Sobol indices from outputs of `saltelli_points`,
/// with percentile bootstrap intervals from `resamples` resamples of rows.
pub fn sobol_indices(y: &[f64], n: usize, k: usize, resamples: usize, seed: u64) -> Vec<SobolIndices> {
    assert_eq!(y.len(), n * (k + 2), "a Saltelli design has n (k + 2) outputs");
    let y = &centred(y);
    let all: Vec<usize> = (0..n).collect();
    let point = indices_of(y, &all, k);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, 0x626f_6f74, 0x7374));
    let mut boot: Vec<Vec<(f64, f64)>> = Vec::with_capacity(resamples);
    let mut rows = vec![0usize; n];
    for _ in 0..resamples {
        for r in rows.iter_mut() {
            *r = rng.random_range(0..n);
        }
        boot.push(indices_of(y, &rows, k));
    }
    let quantile = |mut xs: Vec<f64>, q: f64| -> f64 {
        xs.sort_by(f64::total_cmp);
        if xs.is_empty() {
            return f64::NAN;
        }
        let pos = q * (xs.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        xs[lo] + (xs[hi] - xs[lo]) * (pos - lo as f64)
    };
    (0..k)
        .map(|i| {
            let firsts: Vec<f64> = boot.iter().map(|b| b[i].0).collect();
            let totals: Vec<f64> = boot.iter().map(|b| b[i].1).collect();
            SobolIndices {
                first: Interval {
                    value: point[i].0,
                    ci95_low: quantile(firsts.clone(), 0.025),
                    ci95_high: quantile(firsts, 0.975),
                },
                total: Interval {
                    value: point[i].1,
                    ci95_low: quantile(totals.clone(), 0.025),
                    ci95_high: quantile(totals, 0.975),
                },
            }
        })
        .collect()
}

/// Bootstrap resamples for Sobol-index intervals.
pub const BOOTSTRAP: usize = 1000;

/// The family of a sensitivity index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Morris,
    Sobol,
}

/// One kind of sensitivity index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// Morris: mean absolute elementary effect.
    MuStar,
    /// Morris: mean elementary effect.
    Mu,
    /// Morris: standard deviation of the elementary effects.
    Sigma,
    /// Sobol first-order index.
    S1,
    /// Sobol total index.
    ST,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Morris => "morris",
            Method::Sobol => "sobol",
        }
    }

    pub fn from_name(name: &str) -> Option<Method> {
        [Method::Morris, Method::Sobol].into_iter().find(|m| m.name() == name)
    }
}

impl Index {
    pub const ALL: [Index; 5] = [Index::MuStar, Index::Mu, Index::Sigma, Index::S1, Index::ST];

    pub fn name(self) -> &'static str {
        match self {
            Index::MuStar => "mu_star",
            Index::Mu => "mu",
            Index::Sigma => "sigma",
            Index::S1 => "S1",
            Index::ST => "ST",
        }
    }

    pub fn from_name(name: &str) -> Option<Index> {
        Index::ALL.into_iter().find(|i| i.name() == name)
    }
}

/// One index of one parameter, for one metric and policy: a row of
/// `sensitivity.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityRow {
    pub method: Method,
    pub metric: String,
    pub policy: String,
    pub parameter: String,
    pub index: Index,
    pub value: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

/// Sensitivity indices of every key metric for every arm of a Morris or
/// Saltelli sweep, from the per-point means `means[point][arm][metric]`
/// (metrics in the order of [`KEY_METRICS`]). Empty for other designs.
pub fn analyse(plan: &SweepPlan, means: &[Vec<[f64; 4]>]) -> Vec<SensitivityRow> {
    let k = plan.parameters.len();
    let method = match plan.design {
        Design::Morris => Method::Morris,
        Design::Saltelli => Method::Sobol,
        _ => return Vec::new(),
    };
    let mut rows = Vec::new();
    for (a, policy) in plan.arms.iter().enumerate() {
        for (m, metric) in KEY_METRICS.iter().enumerate() {
            let y: Vec<f64> = means.iter().map(|p| p[a][m]).collect();
            let row = |parameter: usize, index: Index, value: f64, lo: f64, hi: f64| SensitivityRow {
                method,
                metric: metric.to_string(),
                policy: policy.clone(),
                parameter: plan.parameters[parameter].key.clone(),
                index,
                value,
                ci95_low: lo,
                ci95_high: hi,
            };
            if method == Method::Morris {
                let points = morris_points(plan.base_points, k, MORRIS_LEVELS, plan.seed);
                for (i, e) in morris_effects(&points, &y, k).iter().enumerate() {
                    rows.push(row(i, Index::MuStar, e.mu_star, f64::NAN, f64::NAN));
                    rows.push(row(i, Index::Mu, e.mu, f64::NAN, f64::NAN));
                    rows.push(row(i, Index::Sigma, e.sigma, f64::NAN, f64::NAN));
                }
            } else {
                for (i, s) in sobol_indices(&y, plan.base_points, k, BOOTSTRAP, plan.seed)
                    .iter()
                    .enumerate()
                {
                    rows.push(row(i, Index::S1, s.first.value, s.first.ci95_low, s.first.ci95_high));
                    rows.push(row(i, Index::ST, s.total.value, s.total.ci95_low, s.total.ci95_high));
                }
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::design::saltelli_points;
    use std::f64::consts::PI;

    fn ishigami(x: &[f64]) -> f64 {
        let (a, b, c) = (x[0] * 2.0 * PI - PI, x[1] * 2.0 * PI - PI, x[2] * 2.0 * PI - PI);
        a.sin() + 7.0 * b.sin().powi(2) + 0.1 * c.powi(4) * a.sin()
    }

    #[test]
    fn sobol_indices_recover_ishigami() {
        let n = 4096;
        let pts = saltelli_points(n, 3);
        let y: Vec<f64> = pts.iter().map(|p| ishigami(p)).collect();
        let s = sobol_indices(&y, n, 3, 300, 7);
        let first = [0.314, 0.442, 0.0];
        let total = [0.558, 0.442, 0.244];
        for i in 0..3 {
            let (f, t) = (s[i].first, s[i].total);
            // The analytical value lies in the bootstrap interval, widened by
            // a small margin for the interval's own sampling error.
            let m = 0.02;
            assert!(
                f.ci95_low - m <= first[i] && first[i] <= f.ci95_high + m,
                "S{} = {:?}, want {}",
                i + 1,
                f,
                first[i]
            );
            assert!(
                t.ci95_low - m <= total[i] && total[i] <= t.ci95_high + m,
                "ST{} = {:?}, want {}",
                i + 1,
                t,
                total[i]
            );
            assert!((f.value - first[i]).abs() < 0.05 && (t.value - total[i]).abs() < 0.05);
        }
    }

    #[test]
    fn sobol_indices_do_not_move_when_a_constant_is_added() {
        // Regression (issue 15): the uncentred first-order estimator shifted
        // by m mean(f_ABi - f_A) / Var, giving S1 outside [0, 1] at small N.
        let n = 16;
        let pts = saltelli_points(n, 3);
        let y: Vec<f64> = pts.iter().map(|p| ishigami(p)).collect();
        let shifted: Vec<f64> = y.iter().map(|v| v + 1.0e6).collect();
        let (s, t) = (sobol_indices(&y, n, 3, 200, 5), sobol_indices(&shifted, n, 3, 200, 5));
        for i in 0..3 {
            for (a, b) in [(s[i].first, t[i].first), (s[i].total, t[i].total)] {
                for (x, z) in [(a.value, b.value), (a.ci95_low, b.ci95_low), (a.ci95_high, b.ci95_high)] {
                    assert!((x - z).abs() < 1e-6, "index {i}: {a:?} vs {b:?}");
                }
            }
        }
    }

    #[test]
    fn sobol_first_order_of_an_offset_ishigami_at_small_n_holds_the_truth() {
        let n = 64;
        let pts = saltelli_points(n, 3);
        let y: Vec<f64> = pts.iter().map(|p| ishigami(p) + 1000.0).collect();
        let s = sobol_indices(&y, n, 3, 1000, 11);
        for (i, want) in [0.314, 0.442, 0.0].iter().enumerate() {
            let f = s[i].first;
            assert!(
                f.ci95_low <= *want && *want <= f.ci95_high,
                "S{}: {f:?}, want {want}",
                i + 1
            );
        }
    }

    #[test]
    fn sobol_indices_match_salib() {
        // tests/fixtures/sobol-salib/make_reference.py made both files with
        // SALib 1.6.0; the vector is in our layout (A, B, AB_1..AB_k).
        let y: Vec<f64> = include_str!("../../tests/fixtures/sobol-salib/y.csv")
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        let reference: Vec<(f64, f64)> = include_str!("../../tests/fixtures/sobol-salib/salib.csv")
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[1].parse().unwrap(), f[2].parse().unwrap())
            })
            .collect();
        let s = sobol_indices(&y, 64, 3, 10, 1);
        for (i, (s1, st)) in reference.iter().enumerate() {
            assert!(
                (s[i].first.value - s1).abs() < 1e-9,
                "S{}: {} vs SALib {s1}",
                i + 1,
                s[i].first.value
            );
            assert!(
                (s[i].total.value - st).abs() < 1e-9,
                "ST{}: {} vs SALib {st}",
                i + 1,
                s[i].total.value
            );
        }
    }

    #[test]
    fn sobol_indices_of_a_linear_function_are_its_weight_shares() {
        // y = 1 x1 + 2 x2 + 3 x3 on uniform inputs: S_i = w_i^2 / sum w^2.
        let n = 2048;
        let pts = saltelli_points(n, 3);
        let y: Vec<f64> = pts.iter().map(|p| p[0] + 2.0 * p[1] + 3.0 * p[2]).collect();
        let s = sobol_indices(&y, n, 3, 200, 1);
        for (i, w) in [1.0f64, 2.0, 3.0].iter().enumerate() {
            let want = w * w / 14.0;
            assert!(
                (s[i].first.value - want).abs() < 0.02,
                "S{}: {} vs {want}",
                i + 1,
                s[i].first.value
            );
            assert!(
                (s[i].total.value - want).abs() < 0.02,
                "ST{}: {} vs {want}",
                i + 1,
                s[i].total.value
            );
        }
    }

    #[test]
    fn morris_gives_an_idle_input_no_effect() {
        let k = 3;
        let pts = morris_points(40, k, MORRIS_LEVELS, 3);
        assert_eq!(pts.len(), 40 * (k + 1));
        let y: Vec<f64> = pts.iter().map(|p| 5.0 * p[0] + (3.0 * p[2]).sin() * 4.0).collect();
        let e = morris_effects(&pts, &y, k);
        assert!(e[1].mu_star.abs() < 1e-12, "idle input: {:?}", e[1]);
        assert!(
            (e[0].mu_star - 5.0).abs() < 1e-9 && e[0].sigma < 1e-9,
            "linear input: {:?}",
            e[0]
        );
        assert!(e[2].mu_star > 1.0, "non-linear input: {:?}", e[2]);
    }
}
