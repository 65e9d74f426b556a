//! Sweeps: many points of a parameter space, each run for every arm and
//! replicate, in a fixed order. This module computes; the job layer builds
//! each point's scenario and streams results to disk.
//!
//! Runs are numbered by a global index
//! g = (point × arms + arm) × replicates + replicate. A run's seed depends only on the sweep seed and g: with
//! common random numbers (the default) replicate r uses the same seed at
//! every point and in every arm, so points and arms are compared pairwise;
//! without, every run gets its own seed from g.

use super::adaptive::{self, Outcome};
use super::plan::SweepPlan;
use crate::engine::{self, metrics::RunMetrics};
use crate::experiment::replicate_seed;
use crate::model::Config;
use crate::rng::stream_seed;
use rayon::prelude::*;
use std::time::Instant;

/// One finished run of a sweep.
#[derive(Debug, Clone)]
pub struct SweepRun {
    pub point: usize,
    pub arm: usize,
    pub replicate: u32,
    pub seed: u64,
    pub metrics: RunMetrics,
    pub wall_seconds: f64,
    pub decisions: u64,
}

/// The global index of a run.
pub fn global_index(spec: &SweepPlan, point: usize, arm: usize, replicate: u32) -> u64 {
    ((point * spec.arms.len() + arm) * spec.replicates as usize + replicate as usize) as u64
}

/// The seed of a run: from the replicate alone with common random numbers,
/// from the global index without.
pub fn run_seed(spec: &SweepPlan, point: usize, arm: usize, replicate: u32) -> u64 {
    if spec.common_random_numbers {
        replicate_seed(spec.seed, replicate)
    } else {
        stream_seed(spec.seed, global_index(spec, point, arm, replicate), 0x5357_4545) >> super::SEED_SHIFT
    }
}

/// Runs every arm and replicate of the given points on the current rayon
/// pool; results come back in global-index order.
pub fn run_points(spec: &SweepPlan, points: &[(usize, Config)]) -> Vec<SweepRun> {
    let arms = spec.arms.len();
    let reps = spec.replicates;
    let jobs: Vec<(usize, usize, u32)> = (0..points.len())
        .flat_map(|i| (0..arms).flat_map(move |a| (0..reps).map(move |r| (i, a, r))))
        .collect();
    jobs.par_iter()
        .map(|&(i, arm, replicate)| {
            let (point, cfg) = &points[i];
            one_run(spec, *point, cfg, arm, replicate)
        })
        .collect()
}

/// One run of a sweep: arm `arm`, replicate `replicate` at `point`, its
/// seed a function of those alone.
fn one_run(spec: &SweepPlan, point: usize, cfg: &Config, arm: usize, replicate: u32) -> SweepRun {
    let seed = run_seed(spec, point, arm, replicate);
    let clock = Instant::now();
    let result = engine::run(cfg, arm, seed);
    SweepRun {
        point,
        arm,
        replicate,
        seed,
        metrics: result.metrics,
        wall_seconds: clock.elapsed().as_secs_f64(),
        decisions: result.decisions,
    }
}

/// Runs the given points under the sweep's adaptive rule (`replicates =
/// "auto"`) on the current rayon pool: each point runs its own batches,
/// every point at once. A point's runs are a function of the sweep and the
/// point alone (its batches follow its own results; the cap per arm was
/// fixed before any run), so they are the same at any thread count, in any
/// chunk, shard or resume. Results come back in point order, each point's
/// runs in (arm, replicate) order with what its rule did.
pub fn run_points_auto(spec: &SweepPlan, points: &[(usize, Config)]) -> Vec<(Vec<SweepRun>, Outcome)> {
    let rule = spec.auto.expect("an adaptive sweep");
    points
        .par_iter()
        .map(|(point, cfg)| {
            let run = |jobs: &[(usize, u32)]| -> Option<Vec<SweepRun>> {
                Some(
                    jobs.par_iter()
                        .map(|&(arm, replicate)| one_run(spec, *point, cfg, arm, replicate))
                        .collect(),
                )
            };
            adaptive::drive(&rule, spec.arms.len(), |r: &SweepRun| (r.arm, net(&r.metrics)), run)
                .expect("a sweep's runner is never cancelled")
        })
        .collect()
}

/// Net value (value - spend) of a run, the quantity the adaptive rule decides on.
pub fn net(m: &RunMetrics) -> f64 {
    m.value_usd - m.spend_usd
}
