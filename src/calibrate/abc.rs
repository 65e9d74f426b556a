//! ABC-SMC (approximate Bayesian computation by sequential Monte Carlo),
//! as in Beaumont, Cornuet, Marin & Robert (2009, Biometrika 96:983) with
//! the adaptive tolerance of Del Moral, Doucet & Jasra (2012) in its common
//! quantile form (pyABC's default):
//!
//! - generation 0 samples the prior and accepts everything; its distances
//!   set the first tolerance;
//! - generation t ≥ 1 has tolerance ε_t = the `quantile` of generation
//!   t − 1's distances (weighted); it proposes by picking a particle of
//!   t − 1 by weight and perturbing it with a Gaussian kernel whose
//!   covariance is twice the weighted covariance of generation t − 1
//!   (Beaumont et al.'s optimal scale), and accepts a proposal whose
//!   simulated distance is at most ε_t;
//! - accepted particles get importance weights π(θ) / Σ_j W_j K(θ | θ_j),
//!   normalised; the effective sample size is 1 / Σ W²;
//! - it stops after `generations`, or when a generation's acceptance rate
//!   falls below `min_acceptance`.
//!
//! Priors are uniform, or log-uniform for `log` priors; the kernel works on
//! the transformed scale (the log for log priors), where every prior is
//! uniform, so π(θ) is constant inside the support.
//!
//! Deterministic at any thread count: proposal k of generation t draws from
//! its own stream seeded by (seed, t, k), proposals are simulated in
//! batches and accepted in index order, and a generation keeps the first
//! `particles` accepted, whatever the batch size. No I/O.

// Matrices indexed by (row, column) read best with explicit indices.
#![allow(clippy::needless_range_loop)]

use crate::rng::{Rng, stream_seed};
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// A parameter's prior: uniform on [low, high], or log-uniform when `log`.
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    pub low: f64,
    pub high: f64,
    pub log: bool,
}

impl Prior {
    fn to_u(&self, x: f64) -> f64 {
        if self.log { x.ln() } else { x }
    }
    fn to_x(&self, u: f64) -> f64 {
        if self.log { u.exp() } else { u }
    }
    fn bounds_u(&self) -> (f64, f64) {
        (self.to_u(self.low), self.to_u(self.high))
    }
}

/// How the sampler runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub particles: usize,
    pub generations: usize,
    pub min_acceptance: f64,
    /// ε_t is this quantile of the previous generation's distances.
    pub quantile: f64,
    pub seed: u64,
    /// Proposals tried at most per generation (a guard against a tolerance
    /// no simulation meets).
    pub max_proposals: usize,
}

/// One accepted particle: parameters (natural scale), normalised weight,
/// distance, and the simulated statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct Particle {
    pub theta: Vec<f64>,
    pub weight: f64,
    pub distance: f64,
    pub stats: Vec<f64>,
    /// The index of the proposal that produced it (its seed).
    pub proposal: u64,
}

/// One generation of the sampler.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    pub index: usize,
    pub epsilon: f64,
    pub proposed: usize,
    pub accepted: usize,
    pub ess: f64,
    pub particles: Vec<Particle>,
}

impl Generation {
    pub fn acceptance(&self) -> f64 {
        self.accepted as f64 / self.proposed.max(1) as f64
    }
}

/// What one simulation returns: its statistics and its distance to the
/// observations.
#[derive(Debug, Clone)]
pub struct Simulated {
    pub stats: Vec<f64>,
    pub distance: f64,
}

/// The seed a simulation of proposal `k` of generation `t` runs with
/// (below 2^53, like every run seed).
pub fn simulation_seed(seed: u64, t: usize, k: u64) -> u64 {
    stream_seed(seed ^ 0x5349_4D55, t as u64, k) >> crate::experiment::SEED_SHIFT
}

/// Why the sampler stopped early.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// All generations ran.
    Generations,
    /// A generation's acceptance rate fell below the minimum.
    Acceptance(f64),
    /// A generation tried `max_proposals` without enough acceptances; it is
    /// not kept.
    Exhausted { generation: usize, accepted: usize },
}

/// One simulated proposal: its index, parameters and result.
pub type Proposal = (u64, Vec<f64>, Simulated);

/// What the sampler asks for next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Simulate these proposals of the open generation and `absorb` them.
    Batch(std::ops::Range<u64>),
    /// The sampler has stopped.
    Done(Stop),
}

/// The generation being filled: its tolerance, the next proposal to
/// consider and the particles accepted so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Open {
    pub index: usize,
    pub next: u64,
    pub accepted: Vec<Particle>,
}

/// ABC-SMC as a sequence of batches, so that a batch can be simulated
/// anywhere (these threads, or the tasks of a Slurm array) and absorbed
/// later: the finished generations and the open one are the whole state.
/// Whatever the batches, proposals are absorbed in index order and a
/// generation keeps the first `particles` accepted, so the result does not
/// depend on how the work was cut.
pub struct Sampler<'a> {
    priors: &'a [Prior],
    settings: &'a Settings,
    pub gens: Vec<Generation>,
    pub open: Option<Open>,
    /// The kernel and tolerance of the open generation.
    kernel: Option<Kernel>,
    epsilon: f64,
    stop: Option<Stop>,
}

impl<'a> Sampler<'a> {
    /// A sampler after the finished generations `gens` and, if given, the
    /// partly filled generation `open`.
    pub fn new(priors: &'a [Prior], settings: &'a Settings, gens: Vec<Generation>, open: Option<Open>) -> Self {
        let mut s = Sampler {
            priors,
            settings,
            gens,
            open: None,
            kernel: None,
            epsilon: f64::INFINITY,
            stop: None,
        };
        // A resumed run that had already stopped stays stopped.
        if let Some(last) = s.gens.last()
            && last.index > 0
            && last.acceptance() < settings.min_acceptance
        {
            s.stop = Some(Stop::Acceptance(last.acceptance()));
        } else if s.gens.len() >= settings.generations {
            s.stop = Some(Stop::Generations);
        } else if let Some(open) = open {
            s.open_generation();
            if let Some(o) = s.open.as_mut() {
                o.next = open.next;
                o.accepted = open.accepted;
            }
        }
        s
    }

    fn open_generation(&mut self) {
        let previous = self.gens.last();
        self.kernel = previous.map(|p| Kernel::from_population(self.priors, p));
        self.epsilon = previous.map_or(f64::INFINITY, |p| weighted_quantile(p, self.settings.quantile));
        self.open = Some(Open {
            index: self.gens.len(),
            next: 0,
            accepted: Vec::with_capacity(self.settings.particles),
        });
    }

    /// The tolerance of the open generation (infinite in generation 0).
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The next batch of proposals, sized to fill the open generation at
    /// the acceptance rate seen so far (or expected from the previous
    /// generation) times `margin`, and at least `min` proposals.
    pub fn next_batch(&mut self, margin: f64, min: u64) -> Step {
        if let Some(stop) = &self.stop {
            return Step::Done(stop.clone());
        }
        if self.open.is_none() {
            self.open_generation();
        }
        let open = self.open.as_ref().expect("opened");
        let max = self.settings.max_proposals as u64;
        if open.next >= max {
            let stop = Stop::Exhausted {
                generation: open.index,
                accepted: open.accepted.len(),
            };
            self.stop = Some(stop.clone());
            return Step::Done(stop);
        }
        let rate = if open.next > 0 {
            (open.accepted.len() as f64 / open.next as f64).max(1.0 / (open.next as f64 + 1.0))
        } else {
            match self.gens.last() {
                // The prior's generation accepts every proposal.
                None => return Step::Batch(0..(self.settings.particles as u64).min(max)),
                Some(g) if g.index == 0 => 0.7 * self.settings.quantile,
                Some(g) => 0.7 * g.acceptance(),
            }
        };
        let missing = (self.settings.particles - open.accepted.len()) as f64;
        let batch = ((margin * missing / rate.max(0.01)).ceil() as u64)
            .clamp(min.max(1), 100_000)
            .min(max - open.next);
        Step::Batch(open.next..open.next + batch)
    }

    /// Proposal `k` of the open generation: its parameters and the seed of
    /// its simulation.
    pub fn proposal(&self, k: u64) -> (Vec<f64>, u64) {
        let t = self.open.as_ref().expect("an open generation").index;
        let theta = propose(
            self.priors,
            self.settings.seed,
            t,
            k,
            self.gens.last(),
            self.kernel.as_ref(),
        );
        (theta, simulation_seed(self.settings.seed, t, k))
    }

    /// Simulates proposals `range` of the open generation on the current
    /// rayon pool.
    pub fn simulate_batch(
        &self,
        range: std::ops::Range<u64>,
        simulate: &(dyn Fn(&[f64], u64) -> Simulated + Sync),
    ) -> Vec<Proposal> {
        range
            .into_par_iter()
            .map(|k| {
                let (theta, seed) = self.proposal(k);
                let sim = simulate(&theta, seed);
                (k, theta, sim)
            })
            .collect()
    }

    /// Runs the sampler on the calling rayon pool until it stops, in
    /// batches of at least 16 proposals, and returns why it stopped.
    /// `simulate(theta, seed)` runs the model at `theta` (natural scale) and
    /// returns its statistics and distance. `on_generation` sees the
    /// finished generations each time one is added, the new one last (to
    /// report progress or save the state); an error it returns stops the
    /// sampler and is returned, the generation kept. Once `cancel` is set
    /// the sampler stops before the next batch, or after the current one
    /// without absorbing it, and returns `None`: what it holds is then
    /// exactly the generations finished before (the flag never changes what
    /// is absorbed).
    pub fn run<E>(
        &mut self,
        simulate: &(dyn Fn(&[f64], u64) -> Simulated + Sync),
        on_generation: &mut dyn FnMut(&[Generation]) -> Result<(), E>,
        cancel: &AtomicBool,
    ) -> Result<Option<Stop>, E> {
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Ok(None);
            }
            let range = match self.next_batch(1.0, 16) {
                Step::Batch(range) => range,
                Step::Done(stop) => return Ok(Some(stop)),
            };
            let results = self.simulate_batch(range, simulate);
            if cancel.load(Ordering::Relaxed) {
                return Ok(None);
            }
            if self.absorb(results).is_some() {
                on_generation(&self.gens)?;
            }
        }
    }

    /// Takes simulated proposals, which must start at the open generation's
    /// next proposal and follow in index order. Returns the generation if
    /// they filled it.
    pub fn absorb(&mut self, results: Vec<Proposal>) -> Option<&Generation> {
        let open = self.open.as_mut().expect("an open generation");
        for (k, theta, sim) in results {
            assert_eq!(k, open.next, "proposals absorbed out of order");
            open.next = k + 1;
            if sim.distance <= self.epsilon {
                open.accepted.push(Particle {
                    theta,
                    weight: 1.0,
                    distance: sim.distance,
                    stats: sim.stats,
                    proposal: k,
                });
                if open.accepted.len() == self.settings.particles {
                    break;
                }
            }
        }
        if open.accepted.len() < self.settings.particles {
            return None;
        }
        let Open {
            index,
            next,
            mut accepted,
        } = self.open.take().expect("open");
        let priors = self.priors;
        if let (Some(prev), Some(kernel)) = (self.gens.last(), self.kernel.as_ref()) {
            let prev_u: Vec<Vec<f64>> = prev
                .particles
                .iter()
                .map(|q| priors.iter().zip(&q.theta).map(|(pr, &x)| pr.to_u(x)).collect())
                .collect();
            for p in &mut accepted {
                let u: Vec<f64> = priors.iter().zip(&p.theta).map(|(pr, &x)| pr.to_u(x)).collect();
                let denom: f64 = prev
                    .particles
                    .iter()
                    .zip(&prev_u)
                    .map(|(q, v)| q.weight * kernel.density_unnormalised(&u, v))
                    .sum();
                p.weight = if denom > 0.0 { 1.0 / denom } else { 0.0 };
            }
        }
        let total: f64 = accepted.iter().map(|p| p.weight).sum();
        for p in &mut accepted {
            p.weight /= total;
        }
        let ess = 1.0 / accepted.iter().map(|p| p.weight * p.weight).sum::<f64>();
        let g = Generation {
            index,
            epsilon: self.epsilon,
            proposed: next as usize,
            accepted: accepted.len(),
            ess,
            particles: accepted,
        };
        let acceptance = g.acceptance();
        self.gens.push(g);
        if index > 0 && acceptance < self.settings.min_acceptance {
            self.stop = Some(Stop::Acceptance(acceptance));
        } else if self.gens.len() >= self.settings.generations {
            self.stop = Some(Stop::Generations);
        }
        self.gens.last()
    }
}

/// Proposal `k` of generation `t`: from the prior in generation 0, else a
/// particle of the previous generation picked by weight and perturbed by
/// the kernel until it falls inside every prior's support.
fn propose(
    priors: &[Prior],
    seed: u64,
    t: usize,
    k: u64,
    previous: Option<&Generation>,
    kernel: Option<&Kernel>,
) -> Vec<f64> {
    let mut rng = Rng::seed_from_u64(stream_seed(seed, t as u64, k));
    let (Some(prev), Some(kernel)) = (previous, kernel) else {
        return priors
            .iter()
            .map(|p| {
                let (lo, hi) = p.bounds_u();
                p.to_x(lo + (hi - lo) * rng.random::<f64>())
            })
            .collect();
    };
    loop {
        let mut u: f64 = rng.random();
        let mut pick = prev.particles.len() - 1;
        for (i, q) in prev.particles.iter().enumerate() {
            if u < q.weight {
                pick = i;
                break;
            }
            u -= q.weight;
        }
        let centre: Vec<f64> = priors
            .iter()
            .zip(&prev.particles[pick].theta)
            .map(|(p, &x)| p.to_u(x))
            .collect();
        let z: Vec<f64> = (0..priors.len()).map(|_| rng.sample(StandardNormal)).collect();
        let step = kernel.correlate(&z);
        let inside = priors.iter().zip(centre.iter().zip(&step)).all(|(p, (c, s))| {
            let (lo, hi) = p.bounds_u();
            let v = c + s;
            v >= lo && v <= hi
        });
        if inside {
            return priors
                .iter()
                .zip(centre.iter().zip(&step))
                .map(|(p, (c, s))| p.to_x(c + s).clamp(p.low, p.high))
                .collect();
        }
    }
}

/// The weighted `q`-quantile of a generation's distances.
fn weighted_quantile(g: &Generation, q: f64) -> f64 {
    let mut d: Vec<(f64, f64)> = g.particles.iter().map(|p| (p.distance, p.weight)).collect();
    d.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut acc = 0.0;
    for (x, w) in &d {
        acc += w;
        if acc >= q {
            return *x;
        }
    }
    d.last().map_or(f64::INFINITY, |x| x.0)
}

/// A multivariate Gaussian perturbation kernel on the transformed scale.
struct Kernel {
    /// Lower-triangular Cholesky factor of the covariance.
    chol: Vec<Vec<f64>>,
}

impl Kernel {
    /// Twice the weighted covariance of a population (Beaumont et al. 2009).
    fn from_population(priors: &[Prior], g: &Generation) -> Self {
        let d = priors.len();
        let us: Vec<Vec<f64>> = g
            .particles
            .iter()
            .map(|p| priors.iter().zip(&p.theta).map(|(pr, &x)| pr.to_u(x)).collect())
            .collect();
        let mut mean = vec![0.0; d];
        for (p, u) in g.particles.iter().zip(&us) {
            for i in 0..d {
                mean[i] += p.weight * u[i];
            }
        }
        let mut cov = vec![vec![0.0; d]; d];
        for (p, u) in g.particles.iter().zip(&us) {
            for i in 0..d {
                for j in 0..d {
                    cov[i][j] += 2.0 * p.weight * (u[i] - mean[i]) * (u[j] - mean[j]);
                }
            }
        }
        // A floor on each variance (1e-6 of the prior's width squared)
        // keeps the kernel proper when a population has collapsed.
        for (i, p) in priors.iter().enumerate() {
            let (lo, hi) = p.bounds_u();
            cov[i][i] = cov[i][i].max(1e-12 * (hi - lo).powi(2)).max(1e-300);
        }
        Kernel { chol: cholesky(cov) }
    }

    /// L·z: a kernel step from standard normal draws.
    fn correlate(&self, z: &[f64]) -> Vec<f64> {
        self.chol
            .iter()
            .map(|row| row.iter().zip(z).map(|(l, x)| l * x).sum())
            .collect()
    }

    /// exp(−½ (u − v)ᵀ Σ⁻¹ (u − v)): the kernel's density up to its constant.
    fn density_unnormalised(&self, u: &[f64], v: &[f64]) -> f64 {
        // Solve L y = (u − v); the quadratic form is |y|².
        let d = u.len();
        let mut y = vec![0.0; d];
        for i in 0..d {
            let mut s = u[i] - v[i];
            for j in 0..i {
                s -= self.chol[i][j] * y[j];
            }
            y[i] = s / self.chol[i][i];
        }
        (-0.5 * y.iter().map(|x| x * x).sum::<f64>()).exp()
    }
}

/// The Cholesky factor of a symmetric positive (semi-)definite matrix,
/// with a small jitter on the diagonal when it is not positive definite.
fn cholesky(a: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let d = a.len();
    let mut jitter = 0.0;
    loop {
        let mut l = vec![vec![0.0; d]; d];
        let mut ok = true;
        'outer: for i in 0..d {
            for j in 0..=i {
                let mut s = a[i][j] + if i == j { jitter } else { 0.0 };
                for k in 0..j {
                    s -= l[i][k] * l[j][k];
                }
                if i == j {
                    if s <= 0.0 {
                        ok = false;
                        break 'outer;
                    }
                    l[i][i] = s.sqrt();
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        if ok {
            return l;
        }
        let scale = (0..d).map(|i| a[i][i].abs()).fold(0.0, f64::max).max(1e-300);
        jitter = if jitter == 0.0 { 1e-10 * scale } else { jitter * 10.0 };
    }
}

/// Weighted mean and variance of one parameter of a generation.
pub fn weighted_moments(g: &Generation, i: usize) -> (f64, f64) {
    crate::stats::weighted_moments(g.particles.iter().map(|p| (p.theta[i], p.weight)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every generation from `start` on, and why the sampler stopped.
    fn run(
        priors: &[Prior],
        settings: &Settings,
        start: Vec<Generation>,
        simulate: &(dyn Fn(&[f64], u64) -> Simulated + Sync),
    ) -> (Vec<Generation>, Stop) {
        let mut sampler = Sampler::new(priors, settings, start, None);
        let never = AtomicBool::new(false);
        let stop = sampler
            .run(simulate, &mut |_| Ok::<(), ()>(()), &never)
            .expect("no error");
        (sampler.gens, stop.expect("never cancelled"))
    }

    fn settings(particles: usize, generations: usize) -> Settings {
        Settings {
            particles,
            generations,
            min_acceptance: 0.0,
            quantile: 0.5,
            seed: 3,
            max_proposals: 2_000_000,
        }
    }

    /// A normal mean with a (wide, flat) prior: x̄ ~ N(μ, σ²/n) observed at
    /// 1.3 with σ²/n = 0.25. The exact posterior is N(1.3, 0.25) (the prior
    /// U(−20, 20) truncates nothing that matters); ABC-SMC with a shrinking
    /// tolerance must recover its mean and variance.
    #[test]
    fn recovers_a_normal_mean_posterior() {
        let priors = [Prior {
            low: -20.0,
            high: 20.0,
            log: false,
        }];
        let observed = 1.3;
        let sd = 0.5;
        let simulate = |theta: &[f64], seed: u64| {
            let mut r = Rng::seed_from_u64(seed);
            let z: f64 = r.sample(StandardNormal);
            let xbar = theta[0] + sd * z;
            Simulated {
                stats: vec![xbar],
                distance: (xbar - observed).abs(),
            }
        };
        let (gens, stop) = run(&priors, &settings(2000, 10), vec![], &simulate);
        assert_eq!(stop, Stop::Generations);
        let last = gens.last().unwrap();
        let (mean, var) = weighted_moments(last, 0);
        assert!((mean - 1.3).abs() < 0.05, "posterior mean {mean}");
        assert!((var - 0.25).abs() < 0.04, "posterior variance {var}");
        // Tolerances shrink and weights are normalised.
        for w in gens.windows(2) {
            assert!(w[1].epsilon <= w[0].epsilon);
        }
        assert!((last.particles.iter().map(|p| p.weight).sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(last.ess > 100.0 && last.ess <= 2000.0 + 1e-9);
    }

    /// A flag set during the third generation stops the sampler with
    /// `None`; it keeps exactly the two generations an uncancelled run
    /// finished first (the batch under way is dropped), and resuming from
    /// them gives the uncancelled result.
    #[test]
    fn a_cancelled_sampler_keeps_its_finished_generations_and_resumes() {
        let priors = [Prior {
            low: -20.0,
            high: 20.0,
            log: false,
        }];
        let calls = std::sync::atomic::AtomicUsize::new(0);
        // Set once the proposals of two generations and half the third's
        // have been simulated (usize::MAX until the full run is known).
        let trigger = std::sync::atomic::AtomicUsize::new(usize::MAX);
        let cancel = AtomicBool::new(false);
        let simulate = |theta: &[f64], _seed: u64| {
            if calls.fetch_add(1, Ordering::Relaxed) == trigger.load(Ordering::Relaxed) {
                cancel.store(true, Ordering::Relaxed);
            }
            Simulated {
                stats: vec![theta[0]],
                distance: (theta[0] - 1.0).abs(),
            }
        };
        let settings = settings(40, 5);
        let (full, _) = run(&priors, &settings, vec![], &simulate);
        assert_eq!(full.len(), 5);
        trigger.store(
            full[0].proposed + full[1].proposed + full[2].proposed / 2,
            Ordering::Relaxed,
        );
        calls.store(0, Ordering::Relaxed);
        let mut sampler = Sampler::new(&priors, &settings, vec![], None);
        let mut seen = 0;
        let stop = sampler.run(
            &simulate,
            &mut |g| {
                seen = g.len();
                Ok::<(), ()>(())
            },
            &cancel,
        );
        assert_eq!(stop, Ok(None));
        let kept = sampler.gens.len();
        assert!(
            kept >= 1 && kept < full.len() && seen == kept,
            "{kept} of {}",
            full.len()
        );
        assert_eq!(sampler.gens[..], full[..kept]);
        cancel.store(false, Ordering::Relaxed);
        let (resumed, _) = run(&priors, &settings, sampler.gens, &simulate);
        assert_eq!(resumed, full);
    }

    /// A log-uniform prior samples ln x uniformly and the posterior stays in
    /// the support; the result does not depend on the thread count.
    #[test]
    fn log_priors_stay_inside_and_threads_do_not_matter() {
        let priors = [
            Prior {
                low: 0.1,
                high: 100.0,
                log: true,
            },
            Prior {
                low: 0.0,
                high: 1.0,
                log: false,
            },
        ];
        let simulate = |theta: &[f64], seed: u64| {
            let mut r = Rng::seed_from_u64(seed);
            let noise: f64 = r.random::<f64>() * 0.1;
            let y = theta[0].ln() + theta[1] + noise;
            Simulated {
                stats: vec![y],
                distance: (y - 2.0).abs(),
            }
        };
        let once = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| run(&priors, &settings(200, 4), vec![], &simulate))
        };
        let (a, _) = once(1);
        let (b, _) = once(2);
        assert_eq!(a, b);
        for p in &a.last().unwrap().particles {
            assert!(p.theta[0] >= 0.1 && p.theta[0] <= 100.0 && p.theta[1] >= 0.0 && p.theta[1] <= 1.0);
        }
        // Resuming from the first two generations gives the same last two.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let (c, _) = pool.install(|| run(&priors, &settings(200, 4), a[..2].to_vec(), &simulate));
        assert_eq!(a, c);
    }

    #[test]
    fn the_sampler_stops_when_acceptance_falls() {
        let priors = [Prior {
            low: 0.0,
            high: 1.0,
            log: false,
        }];
        // Pure noise: the distance ignores theta, so the tolerance keeps
        // halving the acceptance.
        let simulate = |_: &[f64], seed: u64| {
            let d = Rng::seed_from_u64(seed).random::<f64>();
            Simulated {
                stats: vec![d],
                distance: d,
            }
        };
        let mut s = settings(100, 20);
        s.min_acceptance = 0.1;
        let (gens, stop) = run(&priors, &s, vec![], &simulate);
        assert!(matches!(stop, Stop::Acceptance(a) if a < 0.1), "{stop:?}");
        assert!(gens.len() < 20);
    }

    #[test]
    fn cholesky_factors_and_densities_agree() {
        let l = cholesky(vec![vec![4.0, 2.0], vec![2.0, 3.0]]);
        assert!((l[0][0] - 2.0).abs() < 1e-12 && (l[1][0] - 1.0).abs() < 1e-12);
        assert!((l[1][1] - 2f64.sqrt()).abs() < 1e-12);
        let k = Kernel { chol: l };
        // (u - v) = (2, 0): Σ⁻¹ = [[3, -2], [-2, 4]] / 8; quadratic form 12 / 8.
        let dens = k.density_unnormalised(&[2.0, 0.0], &[0.0, 0.0]);
        assert!((dens - (-0.75f64).exp()).abs() < 1e-12);
        assert!((crate::stats::weighted_quantile(&[3.0, 1.0, 2.0], &[0.2, 0.5, 0.3], 0.5) - 1.0).abs() < 1e-12);
    }
}
