//! Optimal computing budget allocation (OCBA) for selecting the best of a
//! few simulated alternatives, and a sequential procedure built on it.
//!
//! OCBA (Chen, Lin, Yücesan & Chick 2000; Chen & Lee 2011, ch. 3) spreads
//! replicates so that the approximate probability of correct selection
//! grows fastest: with `b` the best sample mean, `δ_i = mean_b - mean_i`
//! and `σ_i` the sample standard deviations,
//!
//! ```text
//! N_i / N_j = (σ_i / δ_i)^2 / (σ_j / δ_j)^2        (i, j ≠ b)
//! N_b       = σ_b sqrt(Σ_{i≠b} N_i^2 / σ_i^2)
//! ```
//!
//! The probability of correct selection is approximated by the Bonferroni
//! bound `1 - Σ_{i≠b} P(alternative i beats b)`, each term from the paired
//! differences of replicates that both share (common random numbers: the
//! same replicate index uses the same seed in every alternative), so the
//! noise both share cancels.
//!
//! Larger is better here (net value). Pure functions of what has been
//! observed: no I/O, no randomness, no clock, so a procedure driven by them
//! takes the same steps at any thread count.

/// Below this many shared replicates a paired difference has no spread to
/// speak of: the pair counts as undecided (probability of error 1/2).
const MIN_PAIRED: usize = 2;

/// The mean and sample variance of `xs` (variance 0 with fewer than two).
pub fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, 0.0);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    (mean, var)
}

/// The alternative with the largest mean (the first of equals).
pub fn best_of(means: &[f64]) -> usize {
    let mut best = 0;
    for (i, &m) in means.iter().enumerate() {
        if m > means[best] {
            best = i;
        }
    }
    best
}

/// OCBA's relative allocation: one weight per alternative, proportional to
/// the share of the budget it should end with (larger means are better).
/// An alternative with no spread gets weight 0 (more replicates tell
/// nothing new); when a rival ties the best (δ = 0) every alternative with
/// a spread gets weight 1, as no ratio is defined.
pub fn ratios(means: &[f64], variances: &[f64]) -> Vec<f64> {
    let k = means.len();
    let b = best_of(means);
    let mut w = vec![0.0; k];
    if k < 2 {
        w.fill(1.0);
        return w;
    }
    let tie = (0..k).any(|i| i != b && variances[i] > 0.0 && means[b] - means[i] <= 0.0);
    if tie {
        for (wi, &v) in w.iter_mut().zip(variances) {
            *wi = if v > 0.0 { 1.0 } else { 0.0 };
        }
        return w;
    }
    let mut sum_sq = 0.0;
    for i in (0..k).filter(|&i| i != b) {
        let d = means[b] - means[i];
        w[i] = variances[i] / (d * d);
        if variances[i] > 0.0 {
            sum_sq += w[i] * w[i] / variances[i];
        }
    }
    w[b] = (variances[b] * sum_sq).sqrt();
    w
}

/// How many more replicates each alternative gets out of `extra`, given
/// the `counts` it has: the procedure of Chen & Lee's reference code. The
/// new total is split by [`ratios`] and rounded; an alternative already
/// past its share keeps what it has and the rest is split again among the
/// others; rounding's remainder goes to the best. No alternative goes past
/// `cap` (then its share goes to the others, as far as they can take it).
pub fn allocate(means: &[f64], variances: &[f64], counts: &[u32], extra: u32, cap: u32) -> Vec<u32> {
    allocate_by(&ratios(means, variances), best_of(means), counts, extra, cap)
}

/// OCBA's weights when alternatives are compared through paired
/// differences (common random numbers): rival `i` needs a share
/// proportional to `var(x_b - x_i) / δ_i^2` of the replicates *both* it
/// and the best have, so the best needs as many as its most demanding
/// rival, and no more (a replicate of the best that no rival shares takes
/// no part in any comparison). `diff_vars[i]` is the variance of the paired
/// differences against the best (ignored for the best itself).
pub fn ratios_paired(means: &[f64], diff_vars: &[f64]) -> Vec<f64> {
    let k = means.len();
    let b = best_of(means);
    let mut w = vec![0.0; k];
    if k < 2 {
        w.fill(1.0);
        return w;
    }
    if (0..k).any(|i| i != b && diff_vars[i] > 0.0 && means[b] - means[i] <= 0.0) {
        w.fill(1.0);
        return w;
    }
    for i in (0..k).filter(|&i| i != b) {
        let d = means[b] - means[i];
        w[i] = diff_vars[i] / (d * d);
        w[b] = w[b].max(w[i]);
    }
    w
}

/// The next `batch` replicates by [`ratios_paired`], from each
/// alternative's results replicate by replicate (`samples[i][r]`), none
/// past `cap`.
pub fn allocate_paired(samples: &[Vec<f64>], batch: u32, cap: u32) -> Vec<u32> {
    let counts: Vec<u32> = samples.iter().map(|s| s.len() as u32).collect();
    let means: Vec<f64> = samples.iter().map(|s| mean_var(s).0).collect();
    let b = best_of(&means);
    let diff_vars: Vec<f64> = samples
        .iter()
        .map(|s| {
            let n = s.len().min(samples[b].len());
            let d: Vec<f64> = samples[b][..n].iter().zip(&s[..n]).map(|(x, y)| x - y).collect();
            mean_var(&d).1
        })
        .collect();
    allocate_by(&ratios_paired(&means, &diff_vars), b, &counts, batch, cap)
}

/// [`allocate`] with given weights `w` (the best is `b`).
pub fn allocate_by(w: &[f64], b: usize, counts: &[u32], extra: u32, cap: u32) -> Vec<u32> {
    let k = w.len();
    let total: u64 = counts.iter().map(|&c| u64::from(c)).sum::<u64>() + u64::from(extra);
    let mut target: Vec<u64> = counts.iter().map(|&c| u64::from(c)).collect();
    // Alternatives whose total is still open.
    let mut open: Vec<bool> = (0..k).map(|i| counts[i] < cap && w[i] > 0.0).collect();
    loop {
        let fixed: u64 = (0..k).filter(|&i| !open[i]).map(|i| target[i]).sum();
        let budget = total.saturating_sub(fixed) as f64;
        let weight: f64 = (0..k).filter(|&i| open[i]).map(|i| w[i]).sum();
        if weight <= 0.0 {
            break;
        }
        let mut changed = false;
        let now: Vec<usize> = (0..k).filter(|&i| open[i]).collect();
        for i in now {
            let t = (budget / weight * w[i] + 0.5).floor() as u64;
            let (lo, hi) = (u64::from(counts[i]), u64::from(cap));
            target[i] = t.clamp(lo, hi);
            if t <= lo || t >= hi {
                open[i] = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut add: Vec<u32> = (0..k).map(|i| (target[i] - u64::from(counts[i])) as u32).collect();
    // Rounding leaves a remainder either way: settle it on the best first,
    // then on the others in order, within the cap.
    let mut order = vec![b];
    order.extend((0..k).filter(|&i| i != b));
    let mut given: u32 = add.iter().sum();
    while given > extra {
        let Some(&i) = order.iter().rev().find(|&&i| add[i] > 0) else {
            break;
        };
        add[i] -= 1;
        given -= 1;
    }
    for &i in &order {
        let room = cap.saturating_sub(counts[i] + add[i]);
        let more = room.min(extra - given);
        add[i] += more;
        given += more;
    }
    add
}

/// The standard normal distribution function (Numerical Recipes' erfc,
/// relative error below 1.2e-7, ample for a stopping rule).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 { 1.0 - 0.5 * erfc } else { 0.5 * erfc }
}

/// The mean and standard error of the paired differences `a[r] - b[r]`
/// over the replicates both have (the first `min(len)`), and their count.
pub fn paired_difference(a: &[f64], b: &[f64]) -> (f64, f64, usize) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let (mean, var) = mean_var(&d);
    (mean, (var / d.len().max(1) as f64).sqrt(), d.len())
}

/// The chosen alternative (largest mean) and the Bonferroni approximation
/// of the probability that it is the best, from paired differences:
/// `1 - Σ_{i≠b} P(i beats b)`, each term `Φ(-d̄ / se)`; a pair with fewer
/// than two shared replicates counts 1/2, one with no spread 0 or 1.
pub fn apcs_paired(samples: &[Vec<f64>]) -> (usize, f64) {
    let means: Vec<f64> = samples.iter().map(|s| mean_var(s).0).collect();
    let b = best_of(&means);
    let mut error = 0.0;
    for i in (0..samples.len()).filter(|&i| i != b) {
        let (d, se, n) = paired_difference(&samples[b], &samples[i]);
        error += if n < MIN_PAIRED {
            0.5
        } else if se > 0.0 {
            normal_cdf(-d / se)
        } else if d > 0.0 {
            0.0
        } else {
            1.0
        };
    }
    (b, (1.0 - error).max(0.0))
}

/// A sequential OCBA procedure: `n0` replicates of every alternative, then
/// batches of `batch` allocated by OCBA, until the approximate probability
/// of correct selection reaches `pcs` or no alternative may have more than
/// `max_per_alternative`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sequential {
    pub n0: u32,
    pub batch: u32,
    pub max_per_alternative: u32,
    pub pcs: f64,
    /// Allocate by [`ratios_paired`] (the comparisons' own variances)
    /// rather than by the classical [`ratios`].
    pub paired: bool,
}

impl Sequential {
    /// The next batch: how many more replicates each alternative gets, or
    /// None when the procedure stops (target reached or budget spent).
    pub fn next(&self, samples: &[Vec<f64>]) -> Option<Vec<u32>> {
        let counts: Vec<u32> = samples.iter().map(|s| s.len() as u32).collect();
        if counts.iter().any(|&c| c < self.n0) {
            return Some(counts.iter().map(|&c| self.n0.saturating_sub(c)).collect());
        }
        if apcs_paired(samples).1 >= self.pcs {
            return None;
        }
        let add = if self.paired {
            allocate_paired(samples, self.batch, self.max_per_alternative)
        } else {
            let stats: Vec<(f64, f64)> = samples.iter().map(|s| mean_var(s)).collect();
            let means: Vec<f64> = stats.iter().map(|s| s.0).collect();
            let vars: Vec<f64> = stats.iter().map(|s| s.1).collect();
            allocate(&means, &vars, &counts, self.batch, self.max_per_alternative)
        };
        if add.iter().all(|&a| a == 0) { None } else { Some(add) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Chen & Lee (2011), p. 49: five designs, means 1..5, variances
    /// 1, 1, 9, 9, 4, smaller is better, a budget of 50 from nothing:
    /// 11, 9, 19, 9, 2. (Larger is better here, so the means are negated.)
    #[test]
    fn reproduces_chen_and_lee_five_design_example() {
        let means = [-1.0, -2.0, -3.0, -4.0, -5.0];
        let vars = [1.0, 1.0, 9.0, 9.0, 4.0];
        let w = ratios(&means, &vars);
        // Relative to design 2: (σ_i/δ_i)^2 = 1, 9/4, 9/9, 4/16; N_b = sqrt(1 + 2.25^2/9 + 1/9 + 0.25^2/4).
        let nb = (1.0f64 + 2.25 * 2.25 / 9.0 + 1.0 / 9.0 + 0.0625 / 4.0).sqrt();
        let expected = [nb, 1.0, 2.25, 1.0, 0.25];
        for (a, e) in w.iter().zip(expected) {
            assert!((a - e).abs() < 1e-12, "{w:?}");
        }
        assert_eq!(allocate(&means, &vars, &[0; 5], 50, u32::MAX), vec![11, 9, 19, 9, 2]);
    }

    #[test]
    fn allocation_spends_exactly_the_batch_and_respects_counts_and_cap() {
        let means = [-1.0, -2.0, -3.0, -4.0, -5.0];
        let vars = [1.0, 1.0, 9.0, 9.0, 4.0];
        // Design 5 already has more than its share: it keeps it, others split the rest.
        let add = allocate(&means, &vars, &[5, 5, 5, 5, 20], 40, u32::MAX);
        assert_eq!(add.iter().sum::<u32>(), 40);
        assert_eq!(add[4], 0);
        // A cap of 12 per design: nobody past it, the batch still spent while room remains.
        let add = allocate(&means, &vars, &[5, 5, 5, 5, 5], 30, 12);
        assert_eq!(add.iter().sum::<u32>(), 30);
        assert!(add.iter().all(|&a| a + 5 <= 12), "{add:?}");
        // No room at all: nothing.
        assert_eq!(allocate(&means, &vars, &[3; 5], 10, 3), vec![0; 5]);
    }

    #[test]
    fn normal_cdf_matches_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_963_985) - 0.975).abs() < 1e-7);
        assert!((normal_cdf(-1.644_853_627) - 0.05).abs() < 1e-7);
        assert!(normal_cdf(-40.0) >= 0.0 && normal_cdf(-40.0) < 1e-300);
    }

    /// Ten normal alternatives with means 1..10 (10 is best) and sd 6: the
    /// first example of Chen, Lin, Yücesan & Chick (2000), maximised.
    const ARMS: usize = 10;
    const SD: f64 = 6.0;
    const SEEDS: u64 = 200;

    fn mean_of(i: usize) -> f64 {
        (i + 1) as f64
    }

    /// Replicate r of alternative i under seed `seed`: its own stream, so a
    /// replicate's value never depends on how many others were drawn.
    fn draw(seed: u64, i: usize, r: u32) -> f64 {
        let s = crate::rng::stream_seed(seed, i as u64, u64::from(r));
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(s);
        Normal::new(mean_of(i), SD).unwrap().sample(&mut rng)
    }

    /// Runs the sequential procedure for one seed: (selected, replicates used).
    fn sequential(seed: u64, rule: &Sequential) -> (usize, u32) {
        let mut samples: Vec<Vec<f64>> = vec![Vec::new(); ARMS];
        while let Some(add) = rule.next(&samples) {
            for (i, a) in add.iter().enumerate() {
                for _ in 0..*a {
                    let r = samples[i].len() as u32;
                    samples[i].push(draw(seed, i, r));
                }
            }
        }
        let (best, _) = apcs_paired(&samples);
        (best, samples.iter().map(|s| s.len() as u32).sum())
    }

    #[test]
    fn sequential_ocba_selects_the_best_with_half_the_replicates_of_equal_allocation() {
        // Paired allocation; classical OCBA ([`ratios`]) with the same
        // paired stopping rule needs about 65 % of equal allocation here,
        // as the best's replicates beyond its rivals' enter no comparison.
        let rule = Sequential {
            n0: 30,
            batch: 20,
            max_per_alternative: 2000,
            pcs: 0.95,
            paired: true,
        };
        let mut correct = 0;
        let mut used = 0u64;
        for seed in 0..SEEDS {
            let (best, n) = sequential(seed, &rule);
            correct += u64::from(best == ARMS - 1);
            used += u64::from(n);
        }
        let pcs = correct as f64 / SEEDS as f64;
        let mean_used = used as f64 / SEEDS as f64;
        assert!(pcs >= 0.95, "P(correct selection) {pcs}");

        // Equal allocation: the fewest replicates per alternative at which
        // the largest sample mean is the best in at least 95 % of the same
        // seeds (an oracle: it knows the answer, the procedure does not).
        let max_n = 2000u32;
        let mut sums = vec![vec![0.0; ARMS]; SEEDS as usize];
        let mut equal_need = None;
        for n in 1..=max_n {
            let mut hits = 0;
            for (seed, s) in sums.iter_mut().enumerate() {
                for (i, sum) in s.iter_mut().enumerate() {
                    *sum += draw(seed as u64, i, n - 1);
                }
                hits += usize::from(best_of(s) == ARMS - 1);
            }
            if hits as f64 >= 0.95 * SEEDS as f64 {
                equal_need = Some(n);
                break;
            }
        }
        let equal_total = f64::from(equal_need.expect("equal allocation reaches 95 %")) * ARMS as f64;
        assert!(
            mean_used <= 0.5 * equal_total,
            "sequential OCBA used {mean_used} replicates on average, equal allocation needs {equal_total}"
        );
    }
}
