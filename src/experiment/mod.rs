//! Experiments: every policy arm of a scenario times N replicates, run in
//! parallel and collected in a fixed order, then aggregated.
//!
//! Replicate r uses the same seed in every arm (common random numbers), so
//! arms are compared pairwise. Results never depend on the thread count:
//! each run is a pure function of (config, arm, seed), and results are
//! collected in (arm, replicate) order before anything is summed.

pub mod design;
pub mod sensitivity;
pub mod sweep;

use crate::engine::{self, RunResult, metrics::RunMetrics};
use crate::model::Config;
use crate::stats::Estimate;
use rayon::prelude::*;

/// The seed of replicate `r` of an experiment with master seed `seed`.
pub fn replicate_seed(seed: u64, r: u32) -> u64 {
    crate::rng::stream_seed(seed, u64::from(r), 0x7265_706C)
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
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    Ok(pool.install(|| {
        jobs.par_iter()
            .map(|&(arm, replicate)| {
                let seed = replicate_seed(seed, replicate);
                let result = engine::run(cfg, arm, seed);
                on_done();
                Run {
                    arm,
                    replicate,
                    seed,
                    result,
                }
            })
            .collect()
    }))
}

/// One row of a summary: a metric of one arm, its estimate, and the paired
/// difference against the first arm.
#[derive(Debug, Clone)]
pub struct SummaryRow {
    pub arm: usize,
    pub metric: String,
    pub estimate: Estimate,
    pub diff: Estimate,
}

/// The metric holding the incremental return of an arm over the first arm:
/// (value - value_0) / (spend - spend_0), paired by replicate.
pub const INCREMENTAL_ROI: &str = "incremental_roi";

/// Summarises runs given in (arm, replicate) order, with the same replicates
/// in every arm.
pub fn summarise(runs: &[&RunMetrics], n_arms: usize) -> Vec<SummaryRow> {
    let per_arm = runs.len() / n_arms;
    let column = |arm: usize, name: &str| -> Vec<f64> {
        runs[arm * per_arm..(arm + 1) * per_arm]
            .iter()
            .map(|m| m.get(name).expect("known metric"))
            .collect()
    };
    let mut rows = Vec::new();
    for arm in 0..n_arms {
        for name in RunMetrics::NAMES {
            let x = column(arm, name);
            let base = column(0, name);
            rows.push(SummaryRow {
                arm,
                metric: name.to_string(),
                estimate: Estimate::of(&x),
                diff: Estimate::paired(&x, &base),
            });
        }
        let diffs = |name: &str| -> Vec<f64> {
            column(arm, name)
                .iter()
                .zip(column(0, name))
                .map(|(a, b)| a - b)
                .collect()
        };
        let inc = if arm == 0 {
            Estimate::missing(0)
        } else {
            Estimate::ratio_of_diffs(&diffs("value_usd"), &diffs("spend_usd"))
        };
        rows.push(SummaryRow {
            arm,
            metric: INCREMENTAL_ROI.to_string(),
            estimate: inc,
            diff: Estimate::missing(inc.n),
        });
    }
    rows
}

/// The metrics a sensitivity analysis and the verdicts look at.
pub const KEY_METRICS: [&str; 4] = ["roi", "spend_usd", "value_usd", "waste_share"];

/// One verdict row: how `arm` fares against `versus` at one point.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub arm: usize,
    pub versus: usize,
    /// P(ROI of arm > ROI of versus) over paired replicates.
    pub p_beats_roi: f64,
    /// Mean net value (value - spend) of `arm`.
    pub net_value: f64,
    /// How much net value `arm` loses against the best arm at this point.
    pub regret: f64,
}

/// Verdicts for runs given in (arm, replicate) order, every arm with the
/// same replicates.
pub fn verdicts(runs: &[&RunMetrics], n_arms: usize) -> Vec<Verdict> {
    let per_arm = runs.len() / n_arms;
    let arm = |a: usize| &runs[a * per_arm..(a + 1) * per_arm];
    let roi: Vec<Vec<f64>> = (0..n_arms).map(|a| arm(a).iter().map(|m| m.roi).collect()).collect();
    let net: Vec<f64> = (0..n_arms)
        .map(|a| arm(a).iter().map(|m| m.value_usd - m.spend_usd).sum::<f64>() / per_arm as f64)
        .collect();
    let best = net.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut out = Vec::new();
    for a in 0..n_arms {
        for b in 0..n_arms {
            if a != b {
                out.push(Verdict {
                    arm: a,
                    versus: b,
                    p_beats_roi: sensitivity::p_beats(&roi[a], &roi[b]),
                    net_value: net[a],
                    regret: best - net[a],
                });
            }
        }
    }
    out
}
