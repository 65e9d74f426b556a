//! How far a search has come: the hypervolume of what it found, with
//! objectives scaled by the first generation's range (fixed for the whole
//! search, so later generations compare) and reference point 1.1 per
//! objective; after each generation, replayed from the evaluations. Pure
//! math; the optimize job reports it and writes it to convergence.csv.

use super::Search;
use super::archive::Archive;
use super::hypervolume::hypervolume;
use super::nsga2::Member;

/// The scaling of objectives (minimised form): each one's low end and
/// span.
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    pub low: Vec<f64>,
    pub span: Vec<f64>,
}

impl Scale {
    /// The first generation's range per objective (a span of 1 where all
    /// are equal).
    pub fn of(first: &[Member]) -> Self {
        let m = first[0].objectives.len();
        let low: Vec<f64> = (0..m)
            .map(|k| first.iter().map(|x| x.objectives[k]).fold(f64::INFINITY, f64::min))
            .collect();
        let span: Vec<f64> = (0..m)
            .map(|k| {
                let hi = first.iter().map(|x| x.objectives[k]).fold(f64::NEG_INFINITY, f64::max);
                if hi > low[k] { hi - low[k] } else { 1.0 }
            })
            .collect();
        Scale { low, span }
    }

    /// The hypervolume of candidates, objectives scaled, reference point
    /// 1.1 per objective.
    pub fn hypervolume(&self, members: &[Member]) -> f64 {
        let pts: Vec<Vec<f64>> = members
            .iter()
            .map(|m| {
                m.objectives
                    .iter()
                    .zip(self.low.iter().zip(&self.span))
                    .map(|(v, (lo, span))| (v - lo) / span)
                    .collect()
            })
            .collect();
        hypervolume(&pts, &vec![1.1; self.low.len()])
    }
}

/// The hypervolume after each generation of a search, replayed from its
/// evaluations.
pub fn hypervolumes(s: &Search, objectives: usize, scale: &Scale) -> Vec<f64> {
    // Every non-dominated feasible candidate so far (not the ε-archive,
    // whose same-box replacements can lower the volume): never decreases.
    let mut archive = Archive::new(vec![0.0; objectives]);
    let mut out = Vec::new();
    let mut at = 0;
    for g in &s.history {
        for m in &s.evaluated[at..g.evaluations] {
            archive.add(m);
        }
        at = g.evaluations;
        out.push(scale.hypervolume(&archive.members));
    }
    out
}

/// (evaluations, hypervolume) after each generation.
pub fn points(s: &Search, hypervolumes: &[f64]) -> Vec<(f64, f64)> {
    hypervolumes
        .iter()
        .zip(&s.history)
        .map(|(&h, g)| (g.evaluations as f64, h))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: usize, objectives: Vec<f64>) -> Member {
        Member {
            id,
            genes: vec![0.5],
            objectives,
            violation: 0.0,
        }
    }

    #[test]
    fn the_scale_is_the_first_generations_range() {
        let first = [member(0, vec![1.0, 5.0]), member(1, vec![3.0, 5.0])];
        let s = Scale::of(&first);
        assert_eq!(s.low, vec![1.0, 5.0]);
        // A constant objective spans 1, never 0.
        assert_eq!(s.span, vec![2.0, 1.0]);
        // The ideal corner dominates the box up to 1.1 on each side.
        let hv = s.hypervolume(&[member(2, vec![1.0, 5.0])]);
        assert!((hv - 1.1 * 1.1).abs() < 1e-12, "{hv}");
    }
}
