//! The ε-box dominance archive (Laumanns, Thiele, Deb & Zitzler 2002,
//! "Combining convergence and diversity in evolutionary multiobjective
//! optimization"; the form ε-NSGA-II and Borg use): objective space cut
//! into boxes of side ε per objective, at most one feasible member per
//! box, no member whose box another member's box dominates. An ε of 0 on
//! every objective makes it a plain Pareto archive.
//!
//! ε-progress counts the additions that open a box no member held, the
//! signal ε-NSGA-II watches to decide when the search has stalled.

use super::nsga2::{Member, dominates};

#[derive(Debug, Clone)]
pub struct Archive {
    pub epsilons: Vec<f64>,
    pub members: Vec<Member>,
    /// Additions that improved the archive by a whole box.
    pub progress: usize,
}

impl Archive {
    pub fn new(epsilons: Vec<f64>) -> Self {
        Archive {
            epsilons,
            members: Vec::new(),
            progress: 0,
        }
    }

    /// The box of an objective vector.
    fn index(&self, f: &[f64]) -> Vec<f64> {
        f.iter()
            .zip(&self.epsilons)
            .map(|(&x, &e)| if e > 0.0 { (x / e).floor() } else { x })
            .collect()
    }

    /// Squared distance from `f` to its box's lower corner.
    fn corner_distance(&self, f: &[f64]) -> f64 {
        f.iter()
            .zip(&self.epsilons)
            .map(|(&x, &e)| {
                let d = if e > 0.0 { x - (x / e).floor() * e } else { 0.0 };
                d * d
            })
            .sum()
    }

    /// Offers a candidate; true when it entered the archive. Infeasible
    /// candidates never enter.
    pub fn add(&mut self, s: &Member) -> bool {
        if !s.feasible() {
            return false;
        }
        let bs = self.index(&s.objectives);
        let mut same_box = None;
        let mut remove = Vec::new();
        for (i, a) in self.members.iter().enumerate() {
            let ba = self.index(&a.objectives);
            if dominates(&ba, &bs) {
                return false;
            }
            if dominates(&bs, &ba) {
                remove.push(i);
            } else if ba == bs {
                same_box = Some(i);
            }
        }
        if let Some(i) = same_box {
            let a = &self.members[i];
            let replace = dominates(&s.objectives, &a.objectives)
                || (!dominates(&a.objectives, &s.objectives)
                    && self.corner_distance(&s.objectives) < self.corner_distance(&a.objectives));
            if !replace {
                return false;
            }
            self.members[i] = s.clone();
            return true;
        }
        for i in remove.into_iter().rev() {
            self.members.remove(i);
        }
        self.members.push(s.clone());
        self.progress += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: usize, f: &[f64]) -> Member {
        Member {
            genes: vec![],
            objectives: f.to_vec(),
            violation: 0.0,
            id,
        }
    }

    #[test]
    fn one_member_per_box_and_dominated_boxes_leave() {
        let mut a = Archive::new(vec![1.0, 1.0]);
        assert!(a.add(&m(0, &[2.5, 2.5])));
        // Same box, closer to its corner: replaces, no progress.
        assert!(a.add(&m(1, &[2.1, 2.2])));
        assert_eq!((a.members.len(), a.progress), (1, 1));
        // Same box, farther: refused.
        assert!(!a.add(&m(2, &[2.9, 2.05])));
        // A box that dominates: the old one leaves.
        assert!(a.add(&m(3, &[1.5, 1.5])));
        assert_eq!(a.members.iter().map(|x| x.id).collect::<Vec<_>>(), [3]);
        // A non-dominated box: kept beside it.
        assert!(a.add(&m(4, &[0.5, 5.0])));
        assert_eq!(a.members.len(), 2);
        // Infeasible: never.
        let mut bad = m(5, &[0.0, 0.0]);
        bad.violation = 1.0;
        assert!(!a.add(&bad));
    }

    #[test]
    fn zero_epsilon_is_a_pareto_archive() {
        let mut a = Archive::new(vec![0.0, 0.0]);
        for (i, f) in [[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [2.5, 2.5], [0.5, 3.5]]
            .iter()
            .enumerate()
        {
            a.add(&m(i, f));
        }
        let mut ids: Vec<usize> = a.members.iter().map(|x| x.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, [0, 1, 2, 4]);
    }
}
