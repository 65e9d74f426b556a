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

#[cfg(test)]
mod tests {

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
    fn ratio_of_proportional_diffs_is_exact() {
        let dv = [2.0, 4.0, 6.0];
        let ds = [1.0, 2.0, 3.0];
        let e = Estimate::ratio_of_diffs(&dv, &ds);
        assert!((e.mean - 2.0).abs() < 1e-12);
        assert!(e.sd.abs() < 1e-12);
    }
}
