//! The hypervolume indicator (Zitzler & Thiele 1998): the volume of
//! objective space (minimised) that a set of points dominates, bounded by a
//! reference point. Exact, by slicing along the last objective (the HSO
//! scheme of While, Hingston, Barone & Huband 2006): fine for the few
//! hundred points and two to four objectives of a policy search.

/// The hypervolume of `points` below `reference`; points that do not
/// strictly dominate the reference add nothing.
pub fn hypervolume(points: &[Vec<f64>], reference: &[f64]) -> f64 {
    let kept: Vec<&[f64]> = points
        .iter()
        .map(Vec::as_slice)
        .filter(|p| p.iter().zip(reference).all(|(x, r)| x < r))
        .collect();
    slice(&kept, reference, reference.len())
}

/// Volume dominated by `points` in their first `d` objectives.
fn slice(points: &[&[f64]], reference: &[f64], d: usize) -> f64 {
    if points.is_empty() {
        return 0.0;
    }
    if d == 1 {
        let best = points.iter().map(|p| p[0]).fold(f64::INFINITY, f64::min);
        return reference[0] - best;
    }
    let k = d - 1;
    let mut order: Vec<&[f64]> = points.to_vec();
    order.sort_by(|a, b| a[k].total_cmp(&b[k]));
    if d == 2 {
        // A sweep: each point adds the strip its first objective improves.
        let mut volume = 0.0;
        let mut best = reference[0];
        for (i, p) in order.iter().enumerate() {
            best = best.min(p[0]);
            let top = order.get(i + 1).map_or(reference[1], |q| q[1]);
            volume += (reference[0] - best) * (top - p[1]);
        }
        return volume;
    }
    let mut volume = 0.0;
    for i in 0..order.len() {
        let top = order.get(i + 1).map_or(reference[k], |q| q[k]);
        let depth = top - order[i][k];
        if depth > 0.0 {
            volume += depth * slice(&order[..=i], reference, k);
        }
    }
    volume
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_volumes() {
        assert_eq!(hypervolume(&[vec![0.0, 0.0]], &[1.0, 1.0]), 1.0);
        // Two boxes overlapping in [0.5,1]x[0.5,1]: 0.5 + 0.5 - 0.25.
        let v = hypervolume(&[vec![0.0, 0.5], vec![0.5, 0.0]], &[1.0, 1.0]);
        assert!((v - 0.75).abs() < 1e-12, "{v}");
        // A dominated point and one outside the reference change nothing.
        let w = hypervolume(
            &[vec![0.0, 0.5], vec![0.5, 0.0], vec![0.6, 0.6], vec![2.0, 0.0]],
            &[1.0, 1.0],
        );
        assert_eq!(v, w);
        // Three objectives: inclusion-exclusion of three unit-corner boxes.
        let p = [vec![0.0, 0.5, 0.5], vec![0.5, 0.0, 0.5], vec![0.5, 0.5, 0.0]];
        // Each box 0.25; pairwise overlaps 0.125; triple 0.125.
        let v3 = hypervolume(&p, &[1.0, 1.0, 1.0]);
        assert!((v3 - (3.0 * 0.25 - 3.0 * 0.125 + 0.125)).abs() < 1e-12, "{v3}");
    }

    #[test]
    fn a_dense_front_of_zdt1_fills_its_known_volume() {
        // ZDT1's front f2 = 1 - sqrt(f1) bounds 2/3 of the unit square.
        let pts: Vec<Vec<f64>> = (0..=2000)
            .map(|i| {
                let f1 = i as f64 / 2000.0;
                vec![f1, 1.0 - f1.sqrt()]
            })
            .collect();
        let v = hypervolume(&pts, &[1.0, 1.0]);
        assert!((v - 2.0 / 3.0).abs() < 1e-3, "{v}");
    }
}
