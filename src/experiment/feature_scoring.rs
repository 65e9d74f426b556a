//! Feature scoring: which varied parameters move an outcome, by the absolute
//! Spearman rank correlation between each parameter and the outcome across
//! the points of a sweep or worlds run (as EMA Workbench's
//! `feature_scoring` ranks the uncertainties of an ensemble). A pure
//! function of result tables: charts and reports use it to show the
//! parameters that matter first.

/// Ranks of `xs` (1-based), ties given their average rank. Values that are
/// not finite get NaN.
fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).filter(|&i| xs[i].is_finite()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut out = vec![f64::NAN; xs.len()];
    let mut k = 0;
    while k < order.len() {
        let mut end = k;
        while end + 1 < order.len() && xs[order[end + 1]] == xs[order[k]] {
            end += 1;
        }
        // Positions k..=end (0-based) share ranks k+1..=end+1.
        let rank = (k + end) as f64 / 2.0 + 1.0;
        for &i in &order[k..=end] {
            out[i] = rank;
        }
        k = end + 1;
    }
    out
}

/// Spearman's rank correlation of `x` and `y` (the Pearson correlation of
/// their ranks, ties averaged), over the pairs where both are finite. NaN
/// with fewer than three such pairs or when either side is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .collect();
    if pairs.len() < 3 {
        return f64::NAN;
    }
    let rx = ranks(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
    let ry = ranks(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
    let n = pairs.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        return f64::NAN;
    }
    sxy / (sxx * syy).sqrt()
}

/// One parameter's score: its index and the largest |Spearman ρ| between
/// it and any of the outcomes (0 when none is defined).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    pub parameter: usize,
    pub abs_rho: f64,
}

/// Scores every parameter (columns of `values`, one row per point) against
/// each outcome (one value per point) and ranks them: largest |ρ| first,
/// ties in parameter order.
pub fn rank_parameters(values: &[Vec<f64>], outcomes: &[Vec<f64>]) -> Vec<Score> {
    let n_params = values.first().map_or(0, Vec::len);
    let mut scores: Vec<Score> = (0..n_params)
        .map(|p| {
            let column: Vec<f64> = values.iter().map(|row| row[p]).collect();
            let abs_rho = outcomes
                .iter()
                .map(|y| spearman(&column, y).abs())
                .filter(|r| r.is_finite())
                .fold(0.0, f64::max);
            Score { parameter: p, abs_rho }
        })
        .collect();
    scores.sort_by(|a, b| b.abs_rho.total_cmp(&a.abs_rho).then(a.parameter.cmp(&b.parameter)));
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_matches_a_hand_computation() {
        // x ranks 1 2 3 4 5, y = [2, 1, 4, 3, 5] ranks 2 1 4 3 5:
        // d = -1 1 -1 1 0, sum d^2 = 4, rho = 1 - 6*4 / (5*24) = 0.8.
        let x = [10.0, 20.0, 30.0, 40.0, 50.0];
        let y = [2.0, 1.0, 4.0, 3.0, 5.0];
        assert!((spearman(&x, &y) - 0.8).abs() < 1e-12);
        // Monotone but not linear: rho is exactly 1, or -1 reversed.
        let cubed: Vec<f64> = x.iter().map(|v| v * v * v).collect();
        assert!((spearman(&x, &cubed) - 1.0).abs() < 1e-12);
        let negated: Vec<f64> = cubed.iter().map(|v| -v).collect();
        assert!((spearman(&x, &negated) + 1.0).abs() < 1e-12);
    }

    #[test]
    fn ties_take_their_average_rank() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
        // x = [1, 2, 2, 3] ranks 1 2.5 2.5 4, y ranks 1 2 3 4 (both mean
        // 2.5): deviations -1.5 0 0 1.5 and -1.5 -0.5 0.5 1.5, so
        // sxy = 4.5, sxx = 4.5, syy = 5 and rho = 4.5 / sqrt(22.5).
        let rho = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]);
        assert!((rho - 4.5 / 22.5f64.sqrt()).abs() < 1e-12, "{rho}");
    }

    #[test]
    fn undefined_cases_are_nan() {
        assert!(spearman(&[1.0, 2.0], &[1.0, 2.0]).is_nan());
        assert!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_nan());
        assert!(spearman(&[1.0, f64::NAN, 2.0, 3.0], &[1.0, 5.0, 2.0, 3.0]) > 0.999);
    }

    #[test]
    fn parameters_are_ranked_by_their_strongest_correlation() {
        // Parameter 1 drives the outcome, parameter 0 is noise, parameter 2
        // drives it backwards a little less cleanly.
        let values = vec![
            vec![0.3, 1.0, 5.0],
            vec![0.1, 2.0, 3.0],
            vec![0.4, 3.0, 4.0],
            vec![0.2, 4.0, 1.0],
            vec![0.5, 5.0, 2.0],
        ];
        let outcome = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0]];
        let order: Vec<usize> = rank_parameters(&values, &outcome).iter().map(|s| s.parameter).collect();
        assert_eq!(order, [1, 2, 0]);
    }
}
