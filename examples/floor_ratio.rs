//! The engine against the floor kernel, in one process call: task decisions
//! per second on one core for the floor kernel (`../shared/bench/floor/`,
//! copied here: the random draws and exponentials of a three-way logit, no
//! model logic; its checksum is printed to compare with the floor binary's)
//! and for the engine (every arm of `scenarios/baseline.toml`,
//! one replicate each), then the engine on 2 threads (one run an arm and
//! replicate, 2 replicates), with simulated employee-weeks per second.
//!
//! ```sh
//! cargo run --release --example floor_ratio            # 30M floor tasks, 2 replicates
//! cargo run --release --example floor_ratio -- 30000000 2
//! ```
//!
//! Check `uptime` first: on a shared machine the ratio is only as good as
//! the quiet it was measured in.

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal, Poisson};
use rayon::prelude::*;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;
use tokenmaxx::{engine, scenario};

/// `rand_distr::LogNormal` as the floor binary builds it. There num-traits
/// has only the `libm` feature (from rand_distr), so a log-normal draw's
/// exponential is the `libm` crate's. Here plotters also turns on
/// num-traits' `std`, and `LogNormal` would call glibc's `exp` instead,
/// which runs the kernel about 1.5 times faster than the floor binary does.
/// So the copy draws the normal with rand_distr and takes `libm::exp`,
/// as the floor binary does.
struct FloorLogNormal(Normal<f64>);

impl FloorLogNormal {
    fn new(mu: f64, sigma: f64) -> Self {
        FloorLogNormal(Normal::new(mu, sigma).unwrap())
    }

    #[inline]
    fn sample<R: rand::Rng>(&self, rng: &mut R) -> f64 {
        libm::exp(self.0.sample(rng))
    }
}

/// The floor kernel, as in `../shared/bench/floor/src/main.rs`.
fn kernel<R: rand::Rng>(rng: &mut R, tasks: u64) -> f64 {
    let value = FloorLogNormal::new(3.0, 1.0);
    let tokens = FloorLogNormal::new(11.0, 0.85);
    let mut acc = 0.0f64;
    for _ in 0..tasks {
        let kind = rng.random::<f64>();
        let v: f64 = value.sample(rng);
        let l: f64 = v.ln();
        let u = [l * 0.1 + kind, l * 0.2 - 1.0, l * 0.3 - 2.0];
        let w: f64 = u.iter().map(|x| x.exp()).sum();
        let pick = rng.random::<f64>() * w;
        let t = tokens.sample(rng);
        let ok = rng.random::<f64>() < 0.7;
        let noise = rng.random::<f64>() < 0.15;
        acc += if ok && !noise { v } else { 0.0 } + t * 1e-9 + pick * 1e-12;
    }
    acc
}

fn main() {
    let mut args = std::env::args().skip(1);
    let tasks: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(30_000_000);
    let replicates: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(2);
    let s = scenario::load(Path::new("scenarios/baseline.toml"), &[]).expect("scenarios/baseline.toml");
    let cfg = &s.config;
    let arms = cfg.arms.len();
    let jobs: Vec<(usize, u64)> = (0..replicates)
        .flat_map(|r| (0..arms).map(move |a| (a, r + 1)))
        .collect();
    let weeks_per_run = engine::employee_weeks(cfg);

    // Seeded and started as the floor binary does, so the checksums match.
    let mut x = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    let _: f64 = Poisson::new(10.0).unwrap().sample(&mut x);
    let t0 = Instant::now();
    let checksum = black_box(kernel(&mut x, tasks));
    let floor = tasks as f64 / t0.elapsed().as_secs_f64();

    let t0 = Instant::now();
    let decisions: u64 = jobs.iter().map(|&(a, seed)| engine::run(cfg, a, seed).decisions).sum();
    let one = t0.elapsed().as_secs_f64();
    let ew = weeks_per_run * jobs.len() as u64;

    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let t0 = Instant::now();
    let two_decisions: u64 = pool
        .install(|| {
            jobs.par_iter()
                .map(|&(a, seed)| engine::run(cfg, a, seed).decisions)
                .collect::<Vec<_>>()
        })
        .iter()
        .sum();
    let two = t0.elapsed().as_secs_f64();
    assert_eq!(decisions, two_decisions, "thread count changed the runs");

    println!(
        "floor kernel (xoshiro256++, 1 core): {:.2} M task decisions/s (checksum {checksum:.3e})",
        floor / 1e6
    );
    println!(
        "engine, 1 core ({} runs, {:.1}M decisions, {:.2} s): {:.2} M task decisions/s, {:.3} M employee-weeks/s",
        jobs.len(),
        decisions as f64 / 1e6,
        one,
        decisions as f64 / one / 1e6,
        ew as f64 / one / 1e6
    );
    println!("engine / floor, 1 core: {:.3}", decisions as f64 / one / floor);
    println!(
        "engine, 2 threads ({:.2} s): {:.2} M task decisions/s, {:.3} M employee-weeks/s, speedup {:.2}x",
        two,
        decisions as f64 / two / 1e6,
        ew as f64 / two / 1e6,
        one / two
    );
}
