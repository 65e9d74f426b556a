//! Small statistics: means, standard deviations, Student-t confidence
//! intervals and paired differences. Sums run in a fixed order, so results
//! never depend on threads.

/// Mean, sample standard deviation and 95% confidence interval of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

impl Estimate {
    /// An estimate that does not exist (reported as empty cells).
    pub fn missing(n: usize) -> Estimate {
        Estimate {
            n,
            mean: f64::NAN,
            sd: f64::NAN,
            ci95_low: f64::NAN,
            ci95_high: f64::NAN,
        }
    }

    /// Estimates the mean of `xs` with a Student-t interval, over the values
    /// that are defined (NaN, "not defined", is left out and `n` counts the
    /// rest). With one value the spread and interval are NaN (unknown), not
    /// zero.
    pub fn of(xs: &[f64]) -> Estimate {
        if xs.iter().any(|x| x.is_nan()) {
            let defined: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
            return Estimate::of(&defined);
        }
        let n = xs.len();
        if n == 0 {
            return Estimate::missing(0);
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Estimate {
                n,
                mean,
                sd: f64::NAN,
                ci95_low: f64::NAN,
                ci95_high: f64::NAN,
            };
        }
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
        let sd = var.sqrt();
        let half = t_quantile_975(n - 1) * sd / (n as f64).sqrt();
        Estimate {
            n,
            mean,
            sd,
            ci95_low: mean - half,
            ci95_high: mean + half,
        }
    }

    /// The paired difference `a[i] - b[i]`, over the pairs where both are
    /// defined.
    pub fn paired(a: &[f64], b: &[f64]) -> Estimate {
        let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        Estimate::of(&d)
    }

    /// The difference of means `mean(a) - mean(b)` of two independent
    /// samples with Welch's interval (unequal variances, Welch-Satterthwaite
    /// degrees of freedom), over the values that are defined. For samples
    /// that are not paired, e.g. two studies run with different seeds. `n`
    /// counts both samples; `sd` holds the standard error of the difference
    /// (there is no single spread of differences). With fewer than two values
    /// on either side the interval is NaN (unknown).
    pub fn welch(a: &[f64], b: &[f64]) -> Estimate {
        let ea = Estimate::of(a);
        let eb = Estimate::of(b);
        let n = ea.n + eb.n;
        if ea.n == 0 || eb.n == 0 {
            return Estimate::missing(n);
        }
        let mean = ea.mean - eb.mean;
        let va = ea.sd * ea.sd / ea.n as f64;
        let vb = eb.sd * eb.sd / eb.n as f64;
        let se = (va + vb).sqrt();
        if !se.is_finite() {
            return Estimate {
                n,
                mean,
                sd: f64::NAN,
                ci95_low: f64::NAN,
                ci95_high: f64::NAN,
            };
        }
        if se == 0.0 {
            return Estimate {
                n,
                mean,
                sd: 0.0,
                ci95_low: mean,
                ci95_high: mean,
            };
        }
        let df = (va + vb).powi(2) / (va * va / (ea.n - 1) as f64 + vb * vb / (eb.n - 1) as f64);
        let half = t_quantile_975_real(df) * se;
        Estimate {
            n,
            mean,
            sd: se,
            ci95_low: mean - half,
            ci95_high: mean + half,
        }
    }

    /// The ratio of paired mean differences, mean(da) / mean(db), with a
    /// delta-method interval: the incremental return of one arm over another.
    pub fn ratio_of_diffs(da: &[f64], db: &[f64]) -> Estimate {
        let n = da.len();
        if n == 0 {
            return Estimate::missing(0);
        }
        let ma = da.iter().sum::<f64>() / n as f64;
        let mb = db.iter().sum::<f64>() / n as f64;
        if n < 2 || mb == 0.0 {
            let mean = if mb == 0.0 { f64::NAN } else { ma / mb };
            return Estimate {
                n,
                mean,
                sd: f64::NAN,
                ci95_low: f64::NAN,
                ci95_high: f64::NAN,
            };
        }
        let r = ma / mb;
        let resid: Vec<f64> = da.iter().zip(db).map(|(a, b)| (a - r * b) / mb).collect();
        let e = Estimate::of(&resid);
        let half = t_quantile_975(n - 1) * e.sd / (n as f64).sqrt();
        Estimate {
            n,
            mean: r,
            sd: e.sd,
            ci95_low: r - half,
            ci95_high: r + half,
        }
    }
}

/// The mean of the values that are defined (NaN where none is).
/// Share of pairs (a[i], b[i]) in which a is greater, ties counting half:
/// how often one arm beats another, paired by replicate.
pub fn share_greater(a: &[f64], b: &[f64]) -> f64 {
    let pairs = a.len().min(b.len()).max(1);
    a.iter()
        .zip(b)
        .map(|(x, y)| match x.total_cmp(y) {
            std::cmp::Ordering::Greater => 1.0,
            std::cmp::Ordering::Equal => 0.5,
            std::cmp::Ordering::Less => 0.0,
        })
        .sum::<f64>()
        / pairs as f64
}

pub fn mean_defined(xs: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, n) = xs
        .into_iter()
        .filter(|x| !x.is_nan())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// Weighted mean and variance of (value, normalised weight) pairs:
/// Σ wᵢxᵢ and Σ wᵢ(xᵢ − mean)², summed in the order given.
pub fn weighted_moments(pairs: impl Iterator<Item = (f64, f64)> + Clone) -> (f64, f64) {
    let mean: f64 = pairs.clone().map(|(x, w)| w * x).sum();
    let var: f64 = pairs.map(|(x, w)| w * (x - mean).powi(2)).sum();
    (mean, var)
}

/// The weighted `q`-quantile of values `x` with weights `w` (normalised
/// here): the smallest value whose cumulative weight reaches `q`.
pub fn weighted_quantile(x: &[f64], w: &[f64], q: f64) -> f64 {
    let mut v: Vec<(f64, f64)> = x.iter().copied().zip(w.iter().copied()).collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = v.iter().map(|p| p.1).sum();
    let mut acc = 0.0;
    for (x, w) in &v {
        acc += w / total;
        if acc >= q {
            return *x;
        }
    }
    v.last().map_or(f64::NAN, |p| p.0)
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom: exact
/// table values for small df, the Cornish-Fisher expansion (Abramowitz &
/// Stegun 26.7.5) above, accurate to about 1e-4 there.
pub fn t_quantile_975(df: usize) -> f64 {
    const TABLE: [f64; 10] = [
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    ];
    if df == 0 {
        return f64::NAN;
    }
    if df <= TABLE.len() {
        return TABLE[df - 1];
    }
    let z: f64 = 1.959_963_984_540_054;
    let n = df as f64;
    let g1 = (z.powi(3) + z) / 4.0;
    let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
    let g3 = (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / 384.0;
    let g4 = (79.0 * z.powi(9) + 776.0 * z.powi(7) + 1482.0 * z.powi(5) - 1920.0 * z.powi(3) - 945.0 * z) / 92160.0;
    z + g1 / n + g2 / n.powi(2) + g3 / n.powi(3) + g4 / n.powi(4)
}

/// The 97.5% quantile of Student's t for real (fractional) degrees of
/// freedom, as Welch's interval needs: the two-sided tail probability
/// P(|T| > t) = I_{df/(df+t^2)}(df/2, 1/2) is solved for 0.05 by bisection,
/// with the regularized incomplete beta function from its continued
/// fraction (Numerical Recipes 6.4, Lentz's method).
pub fn t_quantile_975_real(df: f64) -> f64 {
    if df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    let tail = |t: f64| reg_inc_beta(df / 2.0, 0.5, df / (df + t * t));
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while tail(hi) > 0.05 {
        hi *= 2.0;
        if hi > 1e12 {
            return f64::NAN;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if tail(mid) > 0.05 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-14 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; about 1e-15 relative).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1-x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized incomplete beta function I_x(a, b).
fn reg_inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let away_from_zero = |v: f64| if v.abs() < TINY { TINY } else { v };
    // One Lentz step with partial numerator `aa`: the factor it puts on h.
    let step = |aa: f64, c: &mut f64, d: &mut f64| {
        *d = 1.0 / away_from_zero(1.0 + aa * *d);
        *c = away_from_zero(1.0 + aa / *c);
        *d * *c
    };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / away_from_zero(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        // The even and the odd term of the fraction.
        h *= step(m * (b - m) * x / ((qam + m2) * (a + m2)), &mut c, &mut d);
        let del = step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), &mut c, &mut d);
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {

    /// Known answers: equal weights give the ordinary lower quantile, a
    /// weight moves it, unnormalised weights are normalised, and the
    /// moments of a two-point distribution.
    #[test]
    fn weighted_quantiles_and_moments_give_known_answers() {
        let x = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(weighted_quantile(&x, &[0.25; 4], 0.5), 2.0);
        assert_eq!(weighted_quantile(&x, &[0.25; 4], 0.05), 1.0);
        assert_eq!(weighted_quantile(&x, &[0.25; 4], 1.0), 4.0);
        assert_eq!(weighted_quantile(&x, &[1.0, 1.0, 1.0, 1.0], 0.75), 3.0);
        // Value 4 holds 70 % of the weight: the median is 4.
        assert_eq!(weighted_quantile(&x, &[0.7, 0.1, 0.1, 0.1], 0.5), 4.0);
        let (mean, var) = weighted_moments([(0.0, 0.25), (4.0, 0.75)].into_iter());
        assert_eq!(mean, 3.0);
        assert_eq!(var, 0.25 * 9.0 + 0.75 * 1.0);
    }

    #[test]
    fn share_greater_counts_ties_as_half() {
        assert_eq!(
            super::share_greater(&[3.0, 1.0, 2.0, 5.0], &[1.0, 2.0, 2.0, 4.0]),
            0.625
        );
        assert_eq!(super::share_greater(&[], &[]), 0.0);
    }
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Reference values from standard t tables.
        for (df, t) in [
            (1, 12.7062),
            (5, 2.5706),
            (11, 2.2010),
            (20, 2.0860),
            (29, 2.0452),
            (60, 2.0003),
            (120, 1.9799),
        ] {
            assert!(
                (t_quantile_975(df) - t).abs() < 2e-3,
                "df {df}: {} vs {t}",
                t_quantile_975(df)
            );
        }
    }

    #[test]
    fn estimate_of_known_sample() {
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(e.mean, 2.5);
        assert!((e.sd - 1.290_994_448_735_805_6).abs() < 1e-12);
        let half = 3.1824 * e.sd / 2.0;
        assert!((e.ci95_high - (2.5 + half)).abs() < 1e-9);
    }

    #[test]
    fn paired_difference_of_shifted_sample_is_exact() {
        let a = [1.0, 5.0, 2.0];
        let b = [0.5, 4.5, 1.5];
        let e = Estimate::paired(&a, &b);
        assert_eq!(e.mean, 0.5);
        assert_eq!(e.sd, 0.0);
    }

    #[test]
    fn real_t_quantiles_match_scipy() {
        // scipy.stats.t.ppf(0.975, df), scipy 1.17.1.
        for (df, t) in [
            (1.0, 12.706_204_736_174_694),
            (2.5, 3.574_654_842_003_681_7),
            (7.3, 2.345_066_736_547_703),
            (30.0, 2.042_272_456_301_237_8),
        ] {
            let got = t_quantile_975_real(df);
            assert!((got - t).abs() < 1e-9, "df {df}: {got} vs {t}");
        }
        assert!(t_quantile_975_real(0.0).is_nan());
    }

    #[test]
    fn welch_matches_scipy() {
        // scipy 1.17.1: ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
        // gives df 8.96583744387398, CI (-5.802963310662424, 0.8362966439957558).
        let a = [1.0, 2.0, 3.0, 4.0, 6.5];
        let b = [2.0, 4.5, 3.9, 7.1, 8.0, 9.2];
        let e = Estimate::welch(&a, &b);
        assert_eq!(e.n, 11);
        assert!((e.mean - -2.483_333_333_333_334_3).abs() < 1e-12);
        assert!((e.ci95_low - -5.802_963_310_662_424).abs() < 1e-8, "{e:?}");
        assert!((e.ci95_high - 0.836_296_643_995_755_8).abs() < 1e-8, "{e:?}");
        // NaN values are left out; one value on a side leaves the interval unknown.
        let e = Estimate::welch(&[1.0, f64::NAN, 3.0], &[2.0]);
        assert_eq!(e.n, 3);
        assert_eq!(e.mean, 0.0);
        assert!(e.ci95_low.is_nan() && e.ci95_high.is_nan());
        assert!(Estimate::welch(&[], &[1.0, 2.0]).mean.is_nan());
    }

    #[test]
    fn ratio_of_proportional_diffs_is_exact() {
        let dv = [2.0, 4.0, 6.0];
        let ds = [1.0, 2.0, 3.0];
        let e = Estimate::ratio_of_diffs(&dv, &ds);
        assert!((e.mean - 2.0).abs() < 1e-12);
        assert!(e.sd.abs() < 1e-12);
    }
}
