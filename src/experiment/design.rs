//! Experimental designs: where in the parameter space a sweep's points lie.
//!
//! Random, Latin-hypercube and Sobol designs produce points in the unit
//! cube [0, 1)^d; each parameter maps its coordinate onto its own domain.
//! All draws come from a stream seeded by the sweep's seed, so a design is a
//! pure function of (design, points, dimensions, seed).

use super::plan::{Design, ParamValue, Parameter, SweepPlan};
use crate::rng::stream_seed;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Primitive polynomials (with leading and trailing bits) and initial
/// direction numbers m_1..m_s of dimensions 2..21, from Joe & Kuo (2008),
/// new-joe-kuo-6.21201. Dimension 1 is the van der Corput sequence.
const JOE_KUO: [(u32, &[u32]); 20] = [
    (3, &[1]),
    (7, &[1, 3]),
    (11, &[1, 3, 1]),
    (13, &[1, 1, 1]),
    (19, &[1, 1, 3, 3]),
    (25, &[1, 3, 5, 13]),
    (37, &[1, 1, 5, 5, 17]),
    (41, &[1, 1, 5, 5, 5]),
    (47, &[1, 1, 7, 11, 19]),
    (55, &[1, 1, 5, 1, 1]),
    (59, &[1, 1, 1, 3, 11]),
    (61, &[1, 3, 5, 5, 31]),
    (67, &[1, 3, 3, 9, 7, 49]),
    (91, &[1, 1, 1, 15, 21, 21]),
    (97, &[1, 3, 1, 13, 27, 49]),
    (103, &[1, 1, 1, 15, 7, 5]),
    (109, &[1, 3, 1, 15, 13, 25]),
    (115, &[1, 1, 5, 5, 19, 61]),
    (131, &[1, 3, 7, 11, 23, 15, 103]),
    (137, &[1, 3, 7, 13, 13, 15, 69]),
];

/// The most parameters a Sobol design supports.
pub const SOBOL_MAX_DIMS: usize = JOE_KUO.len() + 1;

const BITS: usize = 32;

/// Direction numbers V_1..V_32 of one dimension, scaled to 32 bits.
fn directions(dim: usize) -> [u32; BITS] {
    let mut v = [0u32; BITS];
    if dim == 0 {
        for (k, slot) in v.iter_mut().enumerate() {
            *slot = 1 << (BITS - 1 - k);
        }
        return v;
    }
    let (poly, m) = JOE_KUO[dim - 1];
    let s = (32 - poly.leading_zeros() - 1) as usize;
    let a = (poly >> 1) & ((1 << (s - 1)) - 1);
    for k in 0..BITS {
        if k < s {
            v[k] = m[k] << (BITS - 1 - k);
        } else {
            let mut x = v[k - s] ^ (v[k - s] >> s);
            for i in 1..s {
                if (a >> (s - 1 - i)) & 1 == 1 {
                    x ^= v[k - i];
                }
            }
            v[k] = x;
        }
    }
    v
}

/// Point `index` of the unscrambled Sobol sequence in `dims` dimensions
/// (index 0 is the origin).
pub fn sobol_point(index: u64, dims: usize) -> Vec<f64> {
    let gray = index ^ (index >> 1);
    (0..dims)
        .map(|d| {
            let v = directions(d);
            let mut x = 0u32;
            for (b, dir) in v.iter().enumerate() {
                if (gray >> b) & 1 == 1 {
                    x ^= dir;
                }
            }
            x as f64 / 4_294_967_296.0
        })
        .collect()
}

/// `n` points of a design in the unit cube. Sobol skips the origin and
/// uses points 1..=n of the sequence (as SALib does).
pub fn unit_points(design: Design, n: usize, dims: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, 0x6465_7369, 0x676E));
    match design {
        Design::Sobol => (1..=n as u64).map(|i| sobol_point(i, dims)).collect(),
        Design::Random => (0..n)
            .map(|_| (0..dims).map(|_| rng.random::<f64>()).collect())
            .collect(),
        Design::Lhs => {
            let mut pts = vec![vec![0.0; dims]; n];
            for d in 0..dims {
                let mut strata: Vec<usize> = (0..n).collect();
                // Fisher-Yates with our own stream.
                for i in (1..n).rev() {
                    let j = rng.random_range(0..=i);
                    strata.swap(i, j);
                }
                for (i, p) in pts.iter_mut().enumerate() {
                    p[d] = (strata[i] as f64 + rng.random::<f64>()) / n as f64;
                }
            }
            pts
        }
        Design::Morris | Design::Saltelli | Design::Grid | Design::Worlds => {
            unreachable!("not a space-filling design")
        }
    }
}

/// Why a design cannot count its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountError {
    /// A grid's points are the product of its values: `points` is not
    /// given to it.
    GridGivenPoints,
    /// A grid whose product of values overflows the machine's count.
    GridTooLarge,
    /// Any other design needs `points` (at least 1).
    PointsMissing,
}

/// The points a design runs over `parameters`: a grid the product of its
/// parameters' values; a Morris design `points` trajectories of k + 1
/// points each; a Saltelli design `points` base rows of k + 2; any other
/// design `points` itself.
pub fn count_points(design: Design, parameters: &[Parameter], points: Option<u32>) -> Result<usize, CountError> {
    let k = parameters.len();
    match (design, points) {
        (Design::Grid, Some(_)) => Err(CountError::GridGivenPoints),
        (Design::Grid, None) => parameters
            .iter()
            .try_fold(1usize, |n, p| n.checked_mul(p.grid_values().len()))
            .ok_or(CountError::GridTooLarge),
        (_, None | Some(0)) => Err(CountError::PointsMissing),
        (Design::Morris, Some(n)) => Ok(n as usize * (k + 1)),
        (Design::Saltelli, Some(n)) => Ok(n as usize * (k + 2)),
        (_, Some(n)) => Ok(n as usize),
    }
}

/// What a design's `points` counts, from its points over `k` parameters:
/// Morris trajectories, Saltelli base rows, else the points themselves.
pub fn base_points(design: Design, points: usize, k: usize) -> usize {
    match design {
        Design::Morris => points / (k + 1),
        Design::Saltelli => points / (k + 2),
        _ => points,
    }
}

/// The parameter values of every point of a sweep, in point order.
pub fn point_values(spec: &SweepPlan) -> Vec<Vec<ParamValue>> {
    if spec.design == Design::Grid {
        // The full product, the first parameter varying slowest.
        let axes: Vec<Vec<ParamValue>> = spec.parameters.iter().map(|p| p.grid_values()).collect();
        let mut out: Vec<Vec<ParamValue>> = vec![Vec::new()];
        for axis in &axes {
            out = out
                .into_iter()
                .flat_map(|prefix| {
                    axis.iter().map(move |v| {
                        let mut p = prefix.clone();
                        p.push(v.clone());
                        p
                    })
                })
                .collect();
        }
        return out;
    }
    let k = spec.parameters.len();
    let unit = match spec.design {
        Design::Morris => morris_points(spec.base_points, k, MORRIS_LEVELS, spec.seed),
        Design::Saltelli => saltelli_points(spec.base_points, k),
        Design::Worlds => match &spec.posterior {
            Some(post) => return posterior_draws(spec, post),
            // Independent draws from each parameter's prior (uniform, or
            // log-uniform for log priors), from the worlds' own stream.
            None => return (0..spec.points).map(|w| world_draw(spec, w, 0)).collect(),
        },
        other => unit_points(other, spec.points, k, spec.seed),
    };
    unit.into_iter()
        .map(|u| spec.parameters.iter().zip(&u).map(|(p, &x)| p.at(x)).collect())
        .collect()
}

/// The most draws a world from the priors may take before the sweep is
/// refused: the priors' joint range would be mostly invalid.
pub const MAX_WORLD_ATTEMPTS: u32 = 1000;

/// Every point's parameter values, and how many draws were rejected. For
/// worlds drawn from the priors, a draw that `valid` refuses (a combination
/// the model refuses, e.g. review time above the manual time it reviews) is
/// drawn again: the worlds come from the priors truncated to valid
/// scenarios. Other designs never reject. A world with no valid draw in
/// [`MAX_WORLD_ATTEMPTS`] gives its index and the last refusal.
#[allow(clippy::type_complexity)]
pub fn valid_point_values(
    plan: &SweepPlan,
    valid: &dyn Fn(&[ParamValue]) -> Result<(), String>,
) -> Result<(Vec<Vec<ParamValue>>, usize), (usize, String)> {
    let prior_only = plan.posterior.as_ref().is_some_and(|p| p.prior_parameters == 0);
    if plan.design != Design::Worlds || prior_only {
        return Ok((point_values(plan), 0));
    }
    // Worlds from the priors, or from a posterior with other parameters
    // from their priors: the posterior's particle of each world is fixed,
    // the prior part is drawn again until the scenario is valid.
    let picks = plan.posterior.as_ref().map(|post| posterior_picks(plan, post));
    let mut rejected = 0;
    let mut out = Vec::with_capacity(plan.points);
    for w in 0..plan.points {
        let mut attempt = 0;
        loop {
            let values = match (&plan.posterior, &picks) {
                (Some(post), Some(picks)) => posterior_world(plan, post, w, picks[w], attempt),
                _ => world_draw(plan, w, attempt),
            };
            match valid(&values) {
                Ok(()) => {
                    out.push(values);
                    break;
                }
                Err(last) => {
                    rejected += 1;
                    attempt += 1;
                    if attempt >= MAX_WORLD_ATTEMPTS {
                        return Err((w, last));
                    }
                }
            }
        }
    }
    Ok((out, rejected))
}

/// Draw `attempt` of world `world` from the parameters' priors: each
/// parameter uniform (log-uniform for log priors) on its range, from a
/// stream of its own, so a world's draw does not depend on any other's.
/// A draw that makes an invalid scenario is drawn again with the next
/// attempt ([`crate::scenario::sweep::point_values`]).
pub fn world_draw(spec: &SweepPlan, world: usize, attempt: u32) -> Vec<ParamValue> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(
        spec.seed ^ 0x776F_726C_6473,
        world as u64,
        u64::from(attempt),
    ));
    spec.parameters.iter().map(|p| p.at(rng.random::<f64>())).collect()
}

/// The particle each world takes from a posterior: independent draws with
/// probability equal to the particles' weights, from the worlds' own stream.
pub fn posterior_picks(spec: &SweepPlan, post: &super::plan::PosteriorSample) -> Vec<usize> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(spec.seed, 0x706F_7374, 0x6473));
    let total: f64 = post.weights.iter().sum();
    (0..spec.points)
        .map(|_| {
            let mut u = rng.random::<f64>() * total;
            let mut pick = post.weights.len() - 1;
            for (i, w) in post.weights.iter().enumerate() {
                if u < *w {
                    pick = i;
                    break;
                }
                u -= w;
            }
            pick
        })
        .collect()
}

/// World `world` of a posterior design, attempt `attempt`: the plan's first
/// `prior_parameters` drawn from their priors (as [`world_draw`] draws
/// them), then the values of particle `pick`.
pub fn posterior_world(
    spec: &SweepPlan,
    post: &super::plan::PosteriorSample,
    world: usize,
    pick: usize,
    attempt: u32,
) -> Vec<ParamValue> {
    let n = post.prior_parameters;
    let mut values = Vec::with_capacity(spec.parameters.len());
    if n > 0 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(
            spec.seed ^ 0x776F_726C_6473,
            world as u64,
            u64::from(attempt),
        ));
        values.extend(spec.parameters[..n].iter().map(|p| p.at(rng.random::<f64>())));
    }
    values.extend(
        spec.parameters[n..]
            .iter()
            .zip(&post.values[pick])
            .map(|(p, &x)| match p.domain {
                super::plan::Domain::Range { integer: true, .. } => ParamValue::Int(x.round() as i64),
                _ => ParamValue::Float(x),
            }),
    );
    values
}

/// Worlds drawn from a posterior (with any other parameters at their first
/// prior draw; [`crate::scenario::sweep::point_values`] redraws invalid ones).
fn posterior_draws(spec: &SweepPlan, post: &super::plan::PosteriorSample) -> Vec<Vec<ParamValue>> {
    posterior_picks(spec, post)
        .into_iter()
        .enumerate()
        .map(|(w, pick)| posterior_world(spec, post, w, pick, 0))
        .collect()
}

/// Levels of the Morris grid.
pub const MORRIS_LEVELS: usize = 4;

fn morris_delta(levels: usize) -> f64 {
    levels as f64 / (2.0 * (levels as f64 - 1.0))
}

/// `r` Morris trajectories in k dimensions: r (k + 1) points in [0, 1]^k.
pub fn morris_points(r: usize, k: usize, levels: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, 0x6d6f_7272, 0x6973));
    let delta = morris_delta(levels);
    // Base values on the grid such that moving up by delta stays inside.
    let starts: Vec<f64> = (0..levels)
        .map(|l| l as f64 / (levels - 1) as f64)
        .filter(|&x| x + delta <= 1.0 + 1e-12)
        .collect();
    let mut out = Vec::with_capacity(r * (k + 1));
    for _ in 0..r {
        let mut x: Vec<f64> = (0..k).map(|_| starts[rng.random_range(0..starts.len())]).collect();
        let mut order: Vec<usize> = (0..k).collect();
        for i in (1..k).rev() {
            let j = rng.random_range(0..=i);
            order.swap(i, j);
        }
        out.push(x.clone());
        for &d in &order {
            x[d] += delta;
            out.push(x.clone());
        }
    }
    out
}

/// A Saltelli design: `n` rows of (A, B, AB_1..AB_k), n (k + 2) points.
/// Rows are Sobol points 1..=n in 2k dimensions.
pub fn saltelli_points(n: usize, k: usize) -> Vec<Vec<f64>> {
    let mut out = Vec::with_capacity(n * (k + 2));
    for i in 1..=n as u64 {
        let s = sobol_point(i, 2 * k);
        let (a, b) = (s[..k].to_vec(), s[k..].to_vec());
        out.push(a.clone());
        out.push(b.clone());
        for d in 0..k {
            let mut ab = a.clone();
            ab[d] = b[d];
            out.push(ab);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference points from SciPy's unscrambled `qmc.Sobol` (Joe-Kuo 6.21201).
    const REFERENCE: [(u64, [f64; 21]); 7] = [
        (
            1,
            [
                0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
            ],
        ),
        (
            2,
            [
                0.75, 0.25, 0.25, 0.25, 0.75, 0.75, 0.25, 0.75, 0.75, 0.75, 0.75, 0.75, 0.25, 0.25, 0.75, 0.25, 0.75,
                0.25, 0.75, 0.25, 0.25,
            ],
        ),
        (
            3,
            [
                0.25, 0.75, 0.75, 0.75, 0.25, 0.25, 0.75, 0.25, 0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.25, 0.75, 0.25,
                0.75, 0.25, 0.75, 0.75,
            ],
        ),
        (
            5,
            [
                0.875, 0.875, 0.125, 0.375, 0.875, 0.625, 0.875, 0.375, 0.375, 0.125, 0.375, 0.875, 0.875, 0.125,
                0.875, 0.375, 0.875, 0.375, 0.375, 0.625, 0.625,
            ],
        ),
        (
            13,
            [
                0.8125, 0.6875, 0.8125, 0.0625, 0.4375, 0.9375, 0.5625, 0.5625, 0.5625, 0.4375, 0.8125, 0.9375, 0.0625,
                0.8125, 0.1875, 0.5625, 0.1875, 0.6875, 0.5625, 0.9375, 0.5625,
            ],
        ),
        (
            37,
            [
                0.921875, 0.640625, 0.578125, 0.921875, 0.765625, 0.296875, 0.171875, 0.796875, 0.609375, 0.171875,
                0.015625, 0.078125, 0.578125, 0.859375, 0.109375, 0.484375, 0.796875, 0.421875, 0.046875, 0.140625,
                0.953125,
            ],
        ),
        (
            63,
            [
                0.015625, 0.796875, 0.359375, 0.453125, 0.859375, 0.140625, 0.578125, 0.140625, 0.828125, 0.578125,
                0.421875, 0.671875, 0.546875, 0.765625, 0.328125, 0.765625, 0.078125, 0.390625, 0.953125, 0.234375,
                0.234375,
            ],
        ),
    ];

    /// A world whose draw is refused is drawn again (its next attempt) and
    /// counted; a world never valid gives its index and the last refusal.
    #[test]
    fn a_refused_world_is_drawn_again_and_counted() {
        use crate::scenario::worlds::{WorldsRequest, sweep_source};
        let (path, source) = sweep_source(&WorldsRequest {
            scenario: "scenarios/baseline.toml".into(),
            worlds: 5,
            from: "prior".into(),
            vary: Vec::new(),
            replicates: Some(1),
            auto_replicates: false,
            seed: None,
            set: Vec::new(),
        })
        .unwrap();
        let plan =
            crate::scenario::sweep::load_text(&path, source, &Default::default(), &crate::results::posterior::read)
                .unwrap();
        // Refuse every other draw: each world's first, so each is its second.
        let calls = std::cell::Cell::new(0);
        let every_other = |_: &[ParamValue]| {
            calls.set(calls.get() + 1);
            if calls.get() % 2 == 1 {
                Err("odd".to_string())
            } else {
                Ok(())
            }
        };
        let (values, rejected) = valid_point_values(&plan, &every_other).unwrap();
        assert_eq!(rejected, 5);
        for (w, v) in values.iter().enumerate() {
            assert_eq!(*v, world_draw(&plan, w, 1), "world {w}");
            assert_ne!(*v, world_draw(&plan, w, 0), "world {w}");
        }
        let never = valid_point_values(&plan, &|_| Err("never".to_string())).unwrap_err();
        assert_eq!(never, (0, "never".to_string()));
    }

    #[test]
    fn sobol_matches_the_published_sequence() {
        for (i, want) in REFERENCE {
            let got = sobol_point(i, 21);
            for (d, (g, w)) in got.iter().zip(want).enumerate() {
                assert_eq!(*g, w, "point {i}, dimension {d}");
            }
        }
    }

    #[test]
    fn lhs_uses_every_stratum_once_per_parameter() {
        for n in [1, 7, 50] {
            let pts = unit_points(Design::Lhs, n, 3, 42);
            for d in 0..3 {
                let mut strata: Vec<usize> = pts.iter().map(|p| (p[d] * n as f64) as usize).collect();
                strata.sort();
                assert_eq!(strata, (0..n).collect::<Vec<_>>(), "n {n}, dimension {d}");
            }
        }
    }

    #[test]
    fn random_points_lie_in_the_unit_cube_and_depend_on_the_seed() {
        let a = unit_points(Design::Random, 100, 2, 1);
        assert!(a.iter().flatten().all(|&x| (0.0..1.0).contains(&x)));
        assert_ne!(a, unit_points(Design::Random, 100, 2, 2));
        assert_eq!(a, unit_points(Design::Random, 100, 2, 1));
    }

    #[test]
    fn each_design_counts_its_own_points() {
        use crate::experiment::plan::Domain;
        let values = |n: i64| Parameter {
            key: "k".into(),
            domain: Domain::Values((0..n).map(ParamValue::Int).collect()),
        };
        let three = [values(2), values(3), values(4)];
        assert_eq!(count_points(Design::Grid, &three, None), Ok(24));
        assert_eq!(
            count_points(Design::Grid, &three, Some(5)),
            Err(CountError::GridGivenPoints)
        );
        let huge: Vec<Parameter> = (0..20).map(|_| values(1 << 4)).collect();
        assert_eq!(count_points(Design::Grid, &huge, None), Err(CountError::GridTooLarge));
        assert_eq!(count_points(Design::Morris, &three, Some(5)), Ok(5 * 4));
        assert_eq!(count_points(Design::Saltelli, &three, Some(5)), Ok(5 * 5));
        assert_eq!(count_points(Design::Lhs, &three, Some(5)), Ok(5));
        assert_eq!(
            count_points(Design::Worlds, &three, Some(0)),
            Err(CountError::PointsMissing)
        );
        assert_eq!(
            count_points(Design::Random, &three, None),
            Err(CountError::PointsMissing)
        );
        for d in Design::ALL.into_iter().filter(|&d| d != Design::Grid) {
            let points = count_points(d, &three, Some(7)).unwrap();
            assert_eq!(base_points(d, points, three.len()), 7, "{d:?}");
        }
    }
}
