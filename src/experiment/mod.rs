//! Experiments: every policy arm of a scenario times N replicates, run in
//! parallel and collected in a fixed order (this file), or as many as
//! [`adaptive`] finds they need (OCBA, [`ocba`]); sweeps over many
//! points ([`plan`], [`design`], [`sweep`]); and the analyses of their
//! results ([`summary`], [`verdict`], [`sensitivity`], [`feature_scoring`],
//! [`compare`]), pure functions of result tables.
//!
//! Replicate r uses the same seed in every arm (common random numbers), so
//! arms are compared pairwise. Results never depend on the thread count:
//! each run is a pure function of (config, arm, seed), and results are
//! collected in (arm, replicate) order before anything is summed.

pub mod adaptive;
pub mod channels;
pub mod compare;
pub mod design;
pub mod feature_scoring;
pub mod ocba;
pub mod plan;
pub mod prim;
pub mod robust;
pub mod sensitivity;
pub mod summary;
pub mod sweep;
pub mod verdict;

pub use summary::{INCREMENTAL_ROI, NET_VALUE, SummaryRow, summarise};
pub use verdict::{KEY_METRICS, Verdict, verdicts};

use crate::engine::{self, RunResult};
use crate::model::Config;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// Run seeds keep 53 bits, so every tool that reads numbers as doubles
/// (R, JavaScript, spreadsheets) reads a run's seed exactly. 2^53 seeds
/// leave the chance that two runs of a 100,000-run study share a seed
/// below one in a million.
pub const SEED_SHIFT: u32 = 11;

/// The seed of replicate `r` of an experiment with master seed `seed`
/// (below 2^53).
pub fn replicate_seed(seed: u64, r: u32) -> u64 {
    crate::rng::stream_seed(seed, u64::from(r), 0x7265_706C) >> SEED_SHIFT
}

/// One run of an experiment.
#[derive(Debug, Clone)]
pub struct Run {
    pub arm: usize,
    pub replicate: u32,
    pub seed: u64,
    pub result: RunResult,
}

/// Runs every arm with `replicates` replicates on a pool of `threads`
/// threads. `on_done` is called once per finished run (from any thread).
pub fn run_arms(
    cfg: &Config,
    seed: u64,
    replicates: u32,
    threads: usize,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<Run>, rayon::ThreadPoolBuildError> {
    let n_arms = cfg.arms.len();
    let jobs: Vec<(usize, u32)> = (0..n_arms).flat_map(|a| (0..replicates).map(move |r| (a, r))).collect();
    run_jobs(cfg, seed, &jobs, threads, on_done)
}

/// [`run_arms`] that a library caller can cancel: `None` once `cancel`
/// is set (see [`run_jobs_until`]).
pub fn run_arms_until(
    cfg: &Config,
    seed: u64,
    replicates: u32,
    threads: usize,
    on_done: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Result<Option<Vec<Run>>, rayon::ThreadPoolBuildError> {
    let n_arms = cfg.arms.len();
    let jobs: Vec<(usize, u32)> = (0..n_arms).flat_map(|a| (0..replicates).map(move |r| (a, r))).collect();
    run_jobs_until(cfg, seed, &jobs, threads, on_done, cancel)
}

/// Runs the given (arm, replicate) pairs on a pool of `threads` threads,
/// collected in the order given. Replicate r's seed is the same in every
/// arm and in every call (common random numbers).
pub fn run_jobs(
    cfg: &Config,
    seed: u64,
    jobs: &[(usize, u32)],
    threads: usize,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<Run>, rayon::ThreadPoolBuildError> {
    let never = AtomicBool::new(false);
    run_jobs_until(cfg, seed, jobs, threads, on_done, &never).map(|runs| runs.expect("never cancelled"))
}

/// [`run_jobs`] with a cancellation flag: each run checks it before it
/// starts, so once it is set no new run starts (the calls end within one
/// run per thread) and the result is `None`. The flag never changes what a
/// run computes.
pub fn run_jobs_until(
    cfg: &Config,
    seed: u64,
    jobs: &[(usize, u32)],
    threads: usize,
    on_done: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Result<Option<Vec<Run>>, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    Ok(pool.install(|| {
        jobs.par_iter()
            .map(|&(arm, replicate)| {
                if cancel.load(Ordering::Relaxed) {
                    return None;
                }
                let seed = replicate_seed(seed, replicate);
                let result = engine::run(cfg, arm, seed);
                on_done();
                Some(Run {
                    arm,
                    replicate,
                    seed,
                    result,
                })
            })
            .collect()
    }))
}
