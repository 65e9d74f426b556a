//! PRIM, the patient rule induction method (Friedman & Fisher 1999, Stat.
//! Comput. 9:123), as scenario discovery uses it (Bryant & Lempert 2010,
//! Technol. Forecast. Soc. Change 77:34): find a box of the parameter space
//! where the cases of interest (worlds where a policy wins) are dense.
//!
//! - **Peeling**: from the box around all the data, repeatedly cut off the
//!   `peel_alpha` quantile of the points along one side of one parameter,
//!   the cut whose objective is best: the gain in mean per point removed
//!   (the "lenient 1" objective of EMA Workbench); ties go to the cut that
//!   restricts fewer parameters, then to the first candidate (parameters in
//!   order, the upper side before the lower). Peeling stops when the best
//!   cut gains nothing or would leave less than `mass_min` of the data.
//! - **Pasting**: then widen one restricted limit by the `paste_alpha`
//!   quantile of the points just outside it, while that raises the mean.
//! - Every box on the way is a step of the trajectory, with its coverage
//!   (share of all cases of interest inside), density (share of the box's
//!   points that are cases of interest) and mass (share of all points).
//! - **Quasi-p-values** (Bryant & Lempert): for each restricted limit, the
//!   one-sided binomial probability of the box's cases of interest given
//!   the density of the box without that limit.
//!
//! Quantiles, tie-breaking and the quasi-p-values follow EMA Workbench
//! 2.5 (`ema_workbench.analysis.prim`), whose trajectory on a fixed dataset
//! tests/discover.rs pins ours to. Pure functions; no I/O.

/// How PRIM peels and pastes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub peel_alpha: f64,
    pub paste_alpha: f64,
    pub mass_min: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            peel_alpha: 0.05,
            paste_alpha: 0.05,
            mass_min: 0.05,
        }
    }
}

/// One box of the trajectory.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub coverage: f64,
    pub density: f64,
    pub mass: f64,
    /// Points inside, and cases of interest among them.
    pub n: usize,
    pub k: usize,
    /// (low, high) per parameter.
    pub limits: Vec<(f64, f64)>,
    /// Quasi-p-value of each limit, (low, high); NaN where the limit is not
    /// restricted.
    pub qp: Vec<(f64, f64)>,
    /// Whether the step came from pasting.
    pub pasted: bool,
}

impl Step {
    /// The parameters this box restricts.
    pub fn restricted(&self, init: &[(f64, f64)]) -> Vec<usize> {
        (0..init.len()).filter(|&j| self.limits[j] != init[j]).collect()
    }
}

/// The data PRIM works on: `x[j][i]` is parameter j of point i, and `y[i]`
/// whether point i is a case of interest.
pub struct Data<'a> {
    pub x: &'a [Vec<f64>],
    pub y: &'a [bool],
}

impl Data<'_> {
    fn n(&self) -> usize {
        self.y.len()
    }

    /// The box around all the data.
    pub fn initial_box(&self) -> Vec<(f64, f64)> {
        self.x
            .iter()
            .map(|col| {
                (
                    col.iter().copied().fold(f64::INFINITY, f64::min),
                    col.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                )
            })
            .collect()
    }

    fn inside(&self, i: usize, limits: &[(f64, f64)]) -> bool {
        self.x
            .iter()
            .zip(limits)
            .all(|(col, &(lo, hi))| lo <= col[i] && col[i] <= hi)
    }

    fn members(&self, limits: &[(f64, f64)]) -> Vec<usize> {
        (0..self.n()).filter(|&i| self.inside(i, limits)).collect()
    }

    fn hits(&self, idx: &[usize]) -> usize {
        idx.iter().filter(|&&i| self.y[i]).count()
    }

    fn mean(&self, idx: &[usize]) -> f64 {
        if idx.is_empty() {
            0.0
        } else {
            self.hits(idx) as f64 / idx.len() as f64
        }
    }
}

/// EMA Workbench's quantile (after sdtoolkit): on sorted data, the midpoint
/// of the two values around position (n − 1)·q, widened past ties (down for
/// q > 0.5, up otherwise).
pub fn quantile(data: &[f64], q: f64) -> f64 {
    let mut d = data.to_vec();
    d.sort_by(f64::total_cmp);
    let pos = (d.len() - 1) as f64 * q;
    let (mut lo, mut hi) = (pos.floor() as usize, pos.ceil() as usize);
    if q > 0.5 {
        while d[lo] == d[hi] && lo > 0 {
            lo -= 1;
        }
    } else {
        while d[lo] == d[hi] && hi < d.len() - 1 {
            hi += 1;
        }
    }
    (d[lo] + d[hi]) / 2.0
}

/// The gain in mean per point added or removed (EMA's LENIENT1).
fn objective(data: &Data, old: &[usize], new: &[usize]) -> f64 {
    let (m_old, m_new) = (data.mean(old), data.mean(new));
    if m_old == m_new || old.len() == new.len() {
        return 0.0;
    }
    (m_new - m_old) / old.len().abs_diff(new.len()) as f64
}

/// P(X ≥ k) for X ~ Binomial(n, p), summed in logs.
pub fn binomial_upper_tail(k: usize, n: usize, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    // ln pmf(j) by the recurrence from j = 0.
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let mut log_pmf = n as f64 * lq;
    let mut terms = Vec::with_capacity(n - k + 1);
    for j in 0..=n {
        if j >= k {
            terms.push(log_pmf);
        }
        if j < n {
            log_pmf += ((n - j) as f64 / (j + 1) as f64).ln() + lp - lq;
        }
    }
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln())
        .exp()
        .min(1.0)
}

/// Quasi-p-values of a box's restricted limits.
fn quasi_p(data: &Data, limits: &[(f64, f64)], init: &[(f64, f64)], n: usize, k: usize) -> Vec<(f64, f64)> {
    let test = |free: Vec<(f64, f64)>| {
        let idx = data.members(&free);
        let p = data.hits(&idx) as f64 / idx.len() as f64;
        binomial_upper_tail(k, n, p)
    };
    (0..limits.len())
        .map(|j| {
            let low = if limits[j].0 != init[j].0 {
                let mut free = limits.to_vec();
                free[j].0 = init[j].0;
                test(free)
            } else {
                f64::NAN
            };
            let high = if limits[j].1 != init[j].1 {
                let mut free = limits.to_vec();
                free[j].1 = init[j].1;
                test(free)
            } else {
                f64::NAN
            };
            (low, high)
        })
        .collect()
}

fn step(data: &Data, limits: Vec<(f64, f64)>, idx: &[usize], init: &[(f64, f64)], pasted: bool) -> Step {
    let total = data.hits(&(0..data.n()).collect::<Vec<_>>()).max(1);
    let k = data.hits(idx);
    let n = idx.len();
    Step {
        coverage: k as f64 / total as f64,
        density: if n == 0 { 0.0 } else { k as f64 / n as f64 },
        mass: n as f64 / data.n() as f64,
        n,
        k,
        qp: quasi_p(data, &limits, init, n, k),
        limits,
        pasted,
    }
}

fn restricted_count(limits: &[(f64, f64)], init: &[(f64, f64)]) -> usize {
    limits.iter().zip(init).filter(|(a, b)| a != b).count()
}

/// A candidate box: objective, parameters left unrestricted, limits,
/// members.
type Candidate = (f64, usize, Vec<(f64, f64)>, Vec<usize>);

/// The best candidate by (objective, unrestricted parameters), the first
/// of equals winning.
fn best(candidates: Vec<Candidate>) -> Option<Candidate> {
    let mut top: Option<Candidate> = None;
    for c in candidates {
        if top.as_ref().is_none_or(|t| (c.0, c.1) > (t.0, t.1)) {
            top = Some(c);
        }
    }
    top
}

/// The peeling and pasting trajectory of one box over all the data.
pub fn trajectory(data: &Data, s: &Settings) -> Vec<Step> {
    let n = data.n() as f64;
    let d = data.x.len();
    let init = data.initial_box();
    let mut idx: Vec<usize> = (0..data.n()).collect();
    let mut limits = init.clone();
    let mut steps = vec![step(data, limits.clone(), &idx, &init, false)];
    // Peeling.
    loop {
        let mut candidates = Vec::new();
        for j in 0..d {
            let xs: Vec<f64> = idx.iter().map(|&i| data.x[j][i]).collect();
            if xs.is_empty() {
                break;
            }
            for upper in [true, false] {
                let mut l = limits.clone();
                let new: Vec<usize> = if upper {
                    let q = quantile(&xs, 1.0 - s.peel_alpha);
                    l[j].1 = q;
                    idx.iter().copied().filter(|&i| data.x[j][i] <= q).collect()
                } else {
                    let q = quantile(&xs, s.peel_alpha);
                    l[j].0 = q;
                    idx.iter().copied().filter(|&i| data.x[j][i] >= q).collect()
                };
                let obj = objective(data, &idx, &new);
                candidates.push((obj, d - restricted_count(&l, &init), l, new));
            }
        }
        let Some((obj, _, l, new)) = best(candidates) else {
            break;
        };
        let (mass_old, mass_new) = (idx.len() as f64 / n, new.len() as f64 / n);
        if mass_new >= s.mass_min && mass_new < mass_old && obj > 0.0 {
            idx = new;
            limits = l;
            steps.push(step(data, limits.clone(), &idx, &init, false));
        } else {
            break;
        }
    }
    // Pasting.
    loop {
        let restricted: Vec<usize> = (0..d).filter(|&j| limits[j] != init[j]).collect();
        let mut candidates = Vec::new();
        for &j in &restricted {
            for lower in [true, false] {
                let mut strip = limits.clone();
                let mut l = limits.clone();
                if lower {
                    strip[j] = (init[j].0, limits[j].0);
                    let vals: Vec<f64> = data.members(&strip).iter().map(|&i| data.x[j][i]).collect();
                    l[j].0 = if vals.is_empty() {
                        init[j].0
                    } else {
                        quantile(&vals, 1.0 - s.paste_alpha)
                    };
                } else {
                    strip[j] = (limits[j].1, init[j].1);
                    let vals: Vec<f64> = data.members(&strip).iter().map(|&i| data.x[j][i]).collect();
                    l[j].1 = if vals.is_empty() {
                        init[j].1
                    } else {
                        quantile(&vals, s.paste_alpha)
                    };
                }
                let new = data.members(&l);
                let obj = objective(data, &idx, &new);
                candidates.push((obj, d - restricted_count(&l, &init), l, new));
            }
        }
        let Some((obj, _, l, new)) = best(candidates) else {
            break;
        };
        let (mass_old, mass_new) = (idx.len() as f64 / n, new.len() as f64 / n);
        if mass_new >= s.mass_min && mass_new > mass_old && obj > 0.0 && data.mean(&new) > data.mean(&idx) {
            idx = new;
            limits = l;
            steps.push(step(data, limits.clone(), &idx, &init, true));
        } else {
            break;
        }
    }
    steps
}

/// The significance level a box's restricted limits must meet.
pub const SIGNIFICANCE: f64 = 0.05;
/// The least coverage of a chosen box.
pub const MIN_COVERAGE: f64 = 0.5;

/// A box with its insignificant limits dropped (EMA Workbench's
/// `drop_restriction`, done by rule): while some restricted limit has a
/// quasi-p-value at or above `alpha`, the least significant goes back to
/// the data's range and the box is measured again. Peeling often keeps
/// early cuts that chance made look useful; this removes them.
pub fn prune(data: &Data, s: &Step, alpha: f64) -> Step {
    let init = data.initial_box();
    let mut limits = s.limits.clone();
    loop {
        let idx = data.members(&limits);
        let current = step(data, limits.clone(), &idx, &init, s.pasted);
        let worst = current
            .qp
            .iter()
            .enumerate()
            .flat_map(|(j, &(lo, hi))| [(lo, j, true), (hi, j, false)])
            .filter(|(q, _, _)| !q.is_nan() && *q >= alpha)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        match worst {
            None => return current,
            Some((_, j, true)) => limits[j].0 = init[j].0,
            Some((_, j, false)) => limits[j].1 = init[j].1,
        }
    }
}

/// The significance a limit needs when the box is chosen from a
/// trajectory of `steps` boxes: [`SIGNIFICANCE`] divided by the boxes
/// examined (Bonferroni), since the best of many boxes peeled from noise
/// will look significant at 5 % by chance.
pub fn corrected(steps: usize) -> f64 {
    SIGNIFICANCE / steps.saturating_sub(1).max(1) as f64
}

/// The box PRIM reports: every box of the trajectory with its limits
/// dropped that are not significant at [`corrected`] ([`prune`]); of those
/// that still restrict a parameter and cover at least [`MIN_COVERAGE`] of
/// the cases of interest, the densest (the earliest of equals). None when
/// no box qualifies: the data show no region where cases of interest are
/// significantly denser. Returns the step and its pruned box.
pub fn choose(data: &Data, steps: &[Step]) -> Option<(usize, Step)> {
    let init = data.initial_box();
    let alpha = corrected(steps.len());
    let mut pick: Option<(usize, Step)> = None;
    for (i, s) in steps.iter().enumerate().skip(1) {
        let p = prune(data, s, alpha);
        if !p.restricted(&init).is_empty()
            && p.coverage >= MIN_COVERAGE
            && pick.as_ref().is_none_or(|(_, q)| p.density > q.density)
        {
            pick = Some((i, p));
        }
    }
    pick
}

/// What PRIM's bootstrap says of a box's stability.
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    /// Per parameter, the share of resamples whose box restricts it.
    pub restricted: Vec<f64>,
    /// The mean Jaccard overlap of each resample's box with the chosen one,
    /// both applied to the original points (0 for a resample with no box).
    pub overlap: f64,
    /// Resamples in which PRIM found a box.
    pub found: usize,
}

/// PRIM with the same rule (`s`, [`choose`]) on `b` resamples of the points
/// (with replacement, resample r drawn from its own stream of `seed`), to
/// say how stable the `chosen` box is. Shares are over all `b` resamples.
pub fn bootstrap(data: &Data, s: &Settings, chosen: &Step, b: usize, seed: u64) -> Bootstrap {
    use crate::rng::{Rng, stream_seed};
    use rand::{RngExt, SeedableRng};
    let n = data.n();
    let members = |limits: &[(f64, f64)]| -> Vec<bool> { (0..n).map(|i| data.inside(i, limits)).collect() };
    let mine = members(&chosen.limits);
    let mut restricted = vec![0usize; data.x.len()];
    let mut overlap = 0.0;
    let mut found = 0;
    for r in 0..b {
        let mut rng = Rng::seed_from_u64(stream_seed(seed, r as u64, 0x5052_494D));
        let pick: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
        let x: Vec<Vec<f64>> = data.x.iter().map(|c| pick.iter().map(|&i| c[i]).collect()).collect();
        let y: Vec<bool> = pick.iter().map(|&i| data.y[i]).collect();
        let sample = Data { x: &x, y: &y };
        let steps = trajectory(&sample, s);
        let Some((_, theirs)) = choose(&sample, &steps) else {
            continue;
        };
        found += 1;
        for j in theirs.restricted(&sample.initial_box()) {
            restricted[j] += 1;
        }
        let theirs = members(&theirs.limits);
        let both = mine.iter().zip(&theirs).filter(|(a, b)| **a && **b).count();
        let either = mine.iter().zip(&theirs).filter(|(a, b)| **a || **b).count();
        overlap += both as f64 / either.max(1) as f64;
    }
    Bootstrap {
        restricted: restricted.iter().map(|&c| c as f64 / b.max(1) as f64).collect(),
        overlap: overlap / b.max(1) as f64,
        found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_follow_ema() {
        let d = [5.0, 1.0, 3.0, 2.0, 4.0];
        // (n − 1)·0.05 = 0.2: midpoint of positions 0 and 1.
        assert_eq!(quantile(&d, 0.05), 1.5);
        assert_eq!(quantile(&d, 0.95), 4.5);
        // Ties widen the interval: lower quantile of [1, 1, 1, 2].
        assert_eq!(quantile(&[1.0, 1.0, 1.0, 2.0], 0.05), 1.5);
        assert_eq!(quantile(&[1.0, 2.0, 2.0, 2.0], 0.95), 1.5);
    }

    #[test]
    fn binomial_tail_matches_exact_sums() {
        // P(X ≥ 2), X ~ Bin(3, 0.5) = 4/8.
        assert!((binomial_upper_tail(2, 3, 0.5) - 0.5).abs() < 1e-12);
        // P(X ≥ 9), X ~ Bin(100, 0.04) (scipy: binom.sf(8, 100, 0.04)).
        assert!((binomial_upper_tail(9, 100, 0.04) - 0.018_991_921_311_301_434).abs() < 1e-12);
        assert_eq!(binomial_upper_tail(0, 10, 0.3), 1.0);
        assert_eq!(binomial_upper_tail(11, 10, 0.3), 0.0);
    }

    /// Cases of interest exactly where x0 > 0.6 (x1 is noise): the chosen
    /// box restricts x0 in nearly every resample and overlaps it closely;
    /// the same seed gives the same answer; no resample, no shares.
    #[test]
    fn the_bootstrap_of_a_clear_box_finds_it_again() {
        let n = 200;
        let x0: Vec<f64> = (0..n).map(|i| (i * 37 % n) as f64 / n as f64).collect();
        let x1: Vec<f64> = (0..n).map(|i| (i * 91 % n) as f64 / n as f64).collect();
        let x = vec![x0.clone(), x1];
        let y: Vec<bool> = x0.iter().map(|&v| v > 0.6).collect();
        let data = Data { x: &x, y: &y };
        let s = Settings::default();
        let (_, chosen) = choose(&data, &trajectory(&data, &s)).expect("a box");
        assert_eq!(chosen.restricted(&data.initial_box()), vec![0]);
        let b = bootstrap(&data, &s, &chosen, 40, 9);
        assert_eq!(b.found, 40, "{b:?}");
        assert!(b.restricted[0] >= 0.95 && b.restricted[1] <= 0.2, "{b:?}");
        assert!(b.overlap > 0.9, "{b:?}");
        assert_eq!(b, bootstrap(&data, &s, &chosen, 40, 9));
        assert_ne!(b.overlap, bootstrap(&data, &s, &chosen, 40, 10).overlap);
        let none = bootstrap(&data, &s, &chosen, 0, 9);
        assert_eq!((none.found, none.overlap, none.restricted), (0, 0.0, vec![0.0, 0.0]));
    }
}
