//! The pieces of NSGA-II (Deb, Pratap, Agarwal & Meyarivan 2002, "A fast
//! and elitist multiobjective genetic algorithm", IEEE TEC 6(2)): the
//! constrained dominance of section VI, fast non-dominated sorting,
//! crowding distance, the crowded binary tournament, simulated binary
//! crossover and polynomial mutation on the unit cube (Deb & Agrawal 1995;
//! the bounded forms of Deb's reference C code). Everything minimises.

use crate::rng::Rng;
use rand::RngExt;
use std::cmp::Ordering;

/// Distribution index of simulated binary crossover (Deb 2002).
pub const ETA_CROSSOVER: f64 = 15.0;
/// Distribution index of polynomial mutation (Deb 2002).
pub const ETA_MUTATION: f64 = 20.0;
/// Chance that a pair of parents is crossed at all: Deb's NSGA-II (and
/// pymoo) use 0.9; ε-NSGA-II (Kollat & Reed 2006, and Platypus) 1.0.
pub const CROSSOVER_PROB_NSGA2: f64 = 0.9;
pub const CROSSOVER_PROB_EPS: f64 = 1.0;

/// An evaluated candidate: genes on the unit cube, objectives to minimise,
/// and its total constraint violation (0 when feasible).
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub genes: Vec<f64>,
    pub objectives: Vec<f64>,
    pub violation: f64,
    /// The candidate's index in the order of evaluation.
    pub id: usize,
}

impl Member {
    pub fn feasible(&self) -> bool {
        self.violation <= 0.0
    }
}

/// Whether `a` Pareto-dominates `b` (no worse in every objective, better
/// in one).
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    let mut better = false;
    for (x, y) in a.iter().zip(b) {
        if x > y {
            return false;
        }
        if x < y {
            better = true;
        }
    }
    better
}

/// Deb's constrained dominance: a feasible candidate beats an infeasible
/// one, of two infeasible ones the smaller violation wins, and two
/// feasible ones compare by Pareto dominance.
pub fn constrained_dominates(a: &Member, b: &Member) -> bool {
    match (a.feasible(), b.feasible()) {
        (true, false) => true,
        (false, true) => false,
        (false, false) => a.violation < b.violation,
        (true, true) => dominates(&a.objectives, &b.objectives),
    }
}

/// Non-dominated fronts, best first, each a list of indices in ascending
/// order (Deb's fast non-dominated sort).
pub fn fronts(members: &[Member]) -> Vec<Vec<usize>> {
    let n = members.len();
    let mut dominated_by: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut count = vec![0usize; n];
    for i in 0..n {
        for j in i + 1..n {
            if constrained_dominates(&members[i], &members[j]) {
                dominated_by[i].push(j);
                count[j] += 1;
            } else if constrained_dominates(&members[j], &members[i]) {
                dominated_by[j].push(i);
                count[i] += 1;
            }
        }
    }
    let mut out = Vec::new();
    let mut current: Vec<usize> = (0..n).filter(|&i| count[i] == 0).collect();
    while !current.is_empty() {
        let mut next = Vec::new();
        for &i in &current {
            for &j in &dominated_by[i] {
                count[j] -= 1;
                if count[j] == 0 {
                    next.push(j);
                }
            }
        }
        next.sort_unstable();
        out.push(current);
        current = next;
    }
    out
}

/// Crowding distance of each member of one front (in the front's order):
/// infinite at each objective's extremes.
pub fn crowding(members: &[Member], front: &[usize]) -> Vec<f64> {
    let n = front.len();
    let mut d = vec![0.0; n];
    if n <= 2 {
        return vec![f64::INFINITY; n];
    }
    let m = members[front[0]].objectives.len();
    for k in 0..m {
        let mut order: Vec<usize> = (0..n).collect();
        // Ties broken by position, so the order never depends on a sort's
        // stability choices.
        order.sort_by(|&a, &b| {
            members[front[a]].objectives[k]
                .total_cmp(&members[front[b]].objectives[k])
                .then(a.cmp(&b))
        });
        let lo = members[front[order[0]]].objectives[k];
        let hi = members[front[order[n - 1]]].objectives[k];
        d[order[0]] = f64::INFINITY;
        d[order[n - 1]] = f64::INFINITY;
        if hi > lo {
            for w in 1..n - 1 {
                let gap = members[front[order[w + 1]]].objectives[k] - members[front[order[w - 1]]].objectives[k];
                d[order[w]] += gap / (hi - lo);
            }
        }
    }
    d
}

/// Rank (front index) and crowding distance of every member.
pub fn rank_and_crowding(members: &[Member]) -> (Vec<usize>, Vec<f64>) {
    let mut rank = vec![0; members.len()];
    let mut crowd = vec![0.0; members.len()];
    for (r, front) in fronts(members).iter().enumerate() {
        for (&i, c) in front.iter().zip(crowding(members, front)) {
            rank[i] = r;
            crowd[i] = c;
        }
    }
    (rank, crowd)
}

/// The `n` survivors of a combined population: whole fronts while they
/// fit, then the last front's most crowded-apart members. Indices in
/// ascending order.
pub fn survivors(members: &[Member], n: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(n);
    for front in fronts(members) {
        if out.len() + front.len() <= n {
            out.extend(&front);
            continue;
        }
        let c = crowding(members, &front);
        let mut order: Vec<usize> = (0..front.len()).collect();
        order.sort_by(|&a, &b| c[b].total_cmp(&c[a]).then(a.cmp(&b)));
        out.extend(order.iter().take(n - out.len()).map(|&k| front[k]));
        break;
    }
    out.sort_unstable();
    out
}

/// Tournament of `size` members drawn with replacement on (rank,
/// crowding): the lowest rank wins, then the largest crowding distance,
/// then the first drawn. Size 2 is Deb's binary tournament; ε-NSGA-II
/// grows it with the population (2 % of it) to keep the selection pressure.
pub fn tournament(rank: &[usize], crowd: &[f64], size: usize, rng: &mut Rng) -> usize {
    let n = rank.len();
    let mut best = rng.random_range(0..n);
    for _ in 1..size.max(2) {
        let c = rng.random_range(0..n);
        if rank[c].cmp(&rank[best]).then(crowd[best].total_cmp(&crowd[c])) == Ordering::Less {
            best = c;
        }
    }
    best
}

/// Simulated binary crossover of two parents on [0, 1] (bounded form),
/// the pair crossed with chance `prob`.
pub fn sbx(p1: &[f64], p2: &[f64], prob: f64, rng: &mut Rng) -> (Vec<f64>, Vec<f64>) {
    let mut c1 = p1.to_vec();
    let mut c2 = p2.to_vec();
    if rng.random::<f64>() >= prob {
        return (c1, c2);
    }
    let eta = ETA_CROSSOVER;
    for i in 0..p1.len() {
        if rng.random::<f64>() > 0.5 || (p1[i] - p2[i]).abs() <= 1e-14 {
            continue;
        }
        let (y1, y2) = if p1[i] < p2[i] { (p1[i], p2[i]) } else { (p2[i], p1[i]) };
        let u: f64 = rng.random();
        let spread = |beta: f64| {
            let alpha = 2.0 - beta.powf(-(eta + 1.0));
            if u <= 1.0 / alpha {
                (u * alpha).powf(1.0 / (eta + 1.0))
            } else {
                (1.0 / (2.0 - u * alpha)).powf(1.0 / (eta + 1.0))
            }
        };
        let b1 = spread(1.0 + 2.0 * y1 / (y2 - y1));
        let b2 = spread(1.0 + 2.0 * (1.0 - y2) / (y2 - y1));
        let mut a = (0.5 * ((y1 + y2) - b1 * (y2 - y1))).clamp(0.0, 1.0);
        let mut b = (0.5 * ((y1 + y2) + b2 * (y2 - y1))).clamp(0.0, 1.0);
        if rng.random::<bool>() {
            std::mem::swap(&mut a, &mut b);
        }
        c1[i] = a;
        c2[i] = b;
    }
    (c1, c2)
}

/// Polynomial mutation on [0, 1], each gene with chance `prob` (bounded
/// form).
pub fn polynomial_mutation(x: &mut [f64], prob: f64, rng: &mut Rng) {
    let eta = ETA_MUTATION;
    let power = 1.0 / (eta + 1.0);
    for y in x.iter_mut() {
        if rng.random::<f64>() >= prob {
            continue;
        }
        let u: f64 = rng.random();
        let dq = if u < 0.5 {
            let xy = 1.0 - *y;
            let val = 2.0 * u + (1.0 - 2.0 * u) * xy.powf(eta + 1.0);
            val.powf(power) - 1.0
        } else {
            let xy = *y;
            let val = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * xy.powf(eta + 1.0);
            1.0 - val.powf(power)
        };
        *y = (*y + dq).clamp(0.0, 1.0);
    }
}

/// Uniform mutation: each gene redrawn on [0, 1] with chance `prob` (the
/// operator ε-NSGA-II injects new members with).
pub fn uniform_mutation(x: &mut [f64], prob: f64, rng: &mut Rng) {
    for y in x.iter_mut() {
        if rng.random::<f64>() < prob {
            *y = rng.random();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn m(id: usize, f: &[f64], violation: f64) -> Member {
        Member {
            genes: vec![],
            objectives: f.to_vec(),
            violation,
            id,
        }
    }

    #[test]
    fn fronts_and_crowding_match_a_hand_count() {
        let pop = vec![
            m(0, &[1.0, 5.0], 0.0),
            m(1, &[2.0, 3.0], 0.0),
            m(2, &[3.0, 4.0], 0.0),
            m(3, &[4.0, 1.0], 0.0),
            m(4, &[0.0, 0.0], 2.0),
            m(5, &[5.0, 5.0], 0.0),
        ];
        assert_eq!(fronts(&pop), vec![vec![0, 1, 3], vec![2], vec![5], vec![4]]);
        let c = crowding(&pop, &[0, 1, 3]);
        assert!(c[0].is_infinite() && c[2].is_infinite());
        // (4-1)/(4-1) + (5-1)/(5-1)
        assert!((c[1] - 2.0).abs() < 1e-12);
        assert_eq!(survivors(&pop, 4), vec![0, 1, 2, 3]);
    }

    #[test]
    fn operators_stay_on_the_unit_cube() {
        let mut rng = Rng::seed_from_u64(3);
        for _ in 0..2000 {
            let p1: Vec<f64> = (0..5).map(|_| rng.random()).collect();
            let p2: Vec<f64> = (0..5).map(|_| rng.random()).collect();
            let (mut a, b) = sbx(&p1, &p2, 0.9, &mut rng);
            polynomial_mutation(&mut a, 1.0, &mut rng);
            assert!(a.iter().chain(&b).all(|v| (0.0..=1.0).contains(v)));
        }
    }

    #[test]
    fn sbx_children_centre_on_their_parents() {
        // SBX keeps the parents' mean on every gene (before clamping).
        let mut rng = Rng::seed_from_u64(5);
        let (mut s1, mut s2) = (0.0, 0.0);
        for _ in 0..20_000 {
            let (a, b) = sbx(&[0.4], &[0.6], 1.0, &mut rng);
            s1 += a[0] + b[0];
            s2 += (a[0] - 0.5).abs();
        }
        assert!((s1 / 20_000.0 - 1.0).abs() < 1e-3, "{}", s1 / 20_000.0);
        assert!(s2 / 20_000.0 < 0.15);
    }
}
