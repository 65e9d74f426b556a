//! Test problems with known fronts (Zitzler, Deb & Thiele 2000; Deb,
//! Thiele, Laumanns & Zitzler 2002): the yardsticks the search is checked
//! against, on the unit cube like every lever.

/// ZDT1: two objectives, convex front f2 = 1 - sqrt(f1) at x2..n = 0.
pub fn zdt1(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let g = 1.0 + 9.0 * x[1..].iter().sum::<f64>() / (n - 1) as f64;
    vec![x[0], g * (1.0 - (x[0] / g).sqrt())]
}

/// DTLZ2 with `m` objectives: the front is the positive part of the unit
/// sphere, at x_m..n = 0.5.
pub fn dtlz2(x: &[f64], m: usize) -> Vec<f64> {
    let g: f64 = x[m - 1..].iter().map(|v| (v - 0.5) * (v - 0.5)).sum();
    let half_pi = std::f64::consts::FRAC_PI_2;
    (0..m)
        .map(|i| {
            let mut f = 1.0 + g;
            for xj in &x[..m - 1 - i] {
                f *= (xj * half_pi).cos();
            }
            if i > 0 {
                f *= (x[m - 1 - i] * half_pi).sin();
            }
            f
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fronts_are_where_the_papers_put_them() {
        let mut x = vec![0.0; 30];
        x[0] = 0.25;
        assert_eq!(zdt1(&x), vec![0.25, 0.5]);
        let mut y = vec![0.5; 12];
        y[0] = 0.3;
        y[1] = 0.7;
        let f = dtlz2(&y, 3);
        assert!((f.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
