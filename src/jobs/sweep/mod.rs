//! The `sweep` job: run a sweep file's points in parallel, streaming results
//! to disk in a fixed order, so memory stays flat and a killed sweep can be
//! finished with `--resume`.
//!
//! - [`journal`]: partial files and the state that makes resume exact.
//! - [`shard`]: cluster shards and `merge`.
//! - [`finalize`]: summaries, sensitivity, charts and manifest at the end.

pub mod finalize;
pub mod journal;
pub mod shard;

use crate::experiment::plan::SweepPlan;
use crate::experiment::sweep as exp;
use crate::jobs::error::JobError;
use crate::jobs::run::resolve_threads;
use crate::jobs::{folder, limits};
use crate::model::Config;
use crate::output;
use crate::output::folder::{FolderLock, Holding};
use crate::results::posterior;
use crate::scenario::sweep as spec_mod;
use journal::{RUNS_PARTIAL, TELEMETRY_PARTIAL, append, sweep_hash, write_state};
use shard::{ShardInfo, shard_range};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

pub use shard::{merge, parse_shard};

#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    pub sweep: PathBuf,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
    pub resume: bool,
    pub dry_run: bool,
    /// Run only shard I of N (0-based): a contiguous slice of the points.
    pub shard: Option<(usize, usize)>,
    /// Go on past the size limits.
    pub allow_large: bool,
    /// Start even in a folder that holds another result or an interrupted
    /// sweep, removing its files first.
    pub force: bool,
    /// `--set`, `--points`, `--replicates` from the command line.
    pub amend: spec_mod::Amendments,
    /// The sweep's text when it is not read from `sweep` (`run --worlds`
    /// writes its own); `sweep` is then the path it is read as.
    pub source: Option<String>,
    /// A library caller's cancellation flag (the command line gives none):
    /// checked before each chunk of runs, so a set flag stops the sweep
    /// with [`JobError::Cancelled`] after the chunk under way, its runs
    /// recorded and the folder resumable. Results never depend on it.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// The look flags, over the sweep's `[presentation]`.
    pub look: crate::jobs::plot::LookAsked,
}

/// Progress of a sweep: runs done (including those done before a resume) and total.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

#[derive(Debug)]
pub enum SweepOutcome {
    Done(SweepReport),
    DryRun(DryRun),
    /// A shard that had already finished: nothing was run.
    AlreadyDone {
        out: PathBuf,
    },
}

#[derive(Debug)]
pub struct SweepReport {
    pub spec: SweepPlan,
    /// The robust verdicts across worlds (a worlds design, finalized here).
    pub robust: Option<finalize::Robust>,
    pub out: PathBuf,
    pub runs: usize,
    pub resumed_at_point: usize,
    pub wall_seconds: f64,
    pub decisions: u64,
    pub threads: usize,
}

#[derive(Debug)]
pub struct DryRun {
    pub spec: SweepPlan,
    pub runs: usize,
    pub seconds_per_run: f64,
    pub estimated_seconds: f64,
    pub estimated_bytes: u64,
    /// Memory the sweep is estimated to need.
    pub estimated_memory: u64,
    /// What the time rests on (the first point's cost, measured).
    pub rate: limits::Rate,
    pub threads: usize,
    pub out: PathBuf,
}

/// A posterior read from a results folder is a reader of that folder: under
/// the folder's shared lock (refused while a calibration writes there), the
/// file must still be the one the plan read, byte for byte (its SHA-256),
/// so worlds never come from a posterior replaced mid-read. The scenario
/// layer reads the file; the lock is taken here, where output may be used.
pub(crate) fn verify_posterior(spec: &crate::experiment::plan::SweepPlan) -> Result<(), JobError> {
    let Some(post) = &spec.posterior else {
        return Ok(());
    };
    let dir = match post.path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let _lock = crate::output::folder::ReadLock::acquire(dir)?;
    let bytes = crate::scenario::read_input_bytes(&post.path).map_err(|e| JobError::read(&post.path, e))?;
    if crate::output::sha256_hex(&bytes) != post.sha256 {
        return Err(JobError::Damaged {
            path: post.path.clone(),
            message: "changed while it was read (a calibration was writing its folder): run the command again".into(),
        });
    }
    Ok(())
}

/// Runs (or, with `dry_run`, sizes up) a sweep.
pub fn run(opts: &SweepOptions, progress: Progress) -> Result<SweepOutcome, JobError> {
    if opts.resume && opts.force {
        return Err(JobError::Usage(
            "--resume finishes the sweep in the folder and --force removes it: give one of them".into(),
        ));
    }
    let spec = match &opts.source {
        Some(text) => spec_mod::load_text(&opts.sweep, text.clone(), &opts.amend, &posterior::read)?,
        None => spec_mod::load(&opts.sweep, &opts.amend, &posterior::read)?,
    };
    verify_posterior(&spec)?;
    let threads = resolve_threads(opts.threads, opts.allow_large)?;
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join("sweeps").join(&spec.name));
    let out = match opts.shard {
        Some((i, n)) => {
            if n == 0 || i >= n {
                return Err(JobError::Usage(format!(
                    "--shard {i}/{n}: the index must be below the count, and the count at least 1"
                )));
            }
            out.join(format!("shard-{i}-of-{n}"))
        }
        None => out,
    };
    let range = match opts.shard {
        Some((i, n)) => shard_range(spec.points, i, n),
        None => 0..spec.points,
    };
    // Sizes first, before anything grows with the number of points.
    let base = spec_mod::base_config(&spec)?;
    let estimate = limits::check_sweep(&spec, &base, threads, opts.allow_large)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| JobError::Threads { threads, source })?;
    let (values, _) = spec_mod::point_values(&spec)?;
    let points = spec_mod::PointConfigs::new(&spec)?;
    // Every point must make a valid scenario of a size within the limits
    // before anything runs; the first point that does not is named.
    let failed = pool.install(|| {
        use rayon::prelude::*;
        values
            .par_iter()
            .enumerate()
            .find_map_first(|(i, v)| match points.get(v) {
                Err(source) => Some(JobError::Point {
                    point: i,
                    file: spec.path.clone(),
                    source: Box::new(source),
                }),
                Ok(cfg) => limits::check_point(&spec, i, &cfg, opts.allow_large).err(),
            })
    });
    if let Some(e) = failed {
        return Err(e);
    }
    if opts.dry_run {
        let first = points.get(&values[0])?;
        return Ok(SweepOutcome::DryRun(dry_run(
            spec, first, &pool, threads, out, estimate,
        )?));
    }

    let started = SystemTime::now();
    let clock = Instant::now();
    let hash = sweep_hash(&spec);
    // Runs per point: fixed, or with `auto` the most the rule may run (each
    // point's own count is recorded in the state as it finishes).
    let per_point = spec.arms.len() * spec.replicates as usize;
    let lock = FolderLock::acquire(&out)?;
    if !opts.force && shard::finished_shard(&out, &hash)? {
        return Ok(SweepOutcome::AlreadyDone { out });
    }
    let holding = output::folder::holding(&out);
    let mut state = match (&holding, opts.resume) {
        (Holding::InterruptedSweep, true) => journal::resume(&out, &spec, &hash, range.clone(), per_point)?,
        (Holding::Nothing, true) => {
            return Err(JobError::Resume(format!(
                "nothing to resume in {}: no interrupted sweep there",
                out.display()
            )));
        }
        (Holding::Result { job, .. }, true) if job == "sweep" => {
            return Err(JobError::Resume(format!(
                "nothing to resume in {}: its sweep has already finished",
                out.display()
            )));
        }
        (Holding::Nothing, false) => {
            journal::start(&out, &hash, output::sweep_points_csv(&spec, &values), range.start)?
        }
        // A sweep killed before its first record, or a folder the user
        // asked to clear: start afresh (nothing was recorded to resume).
        (h, _) if lock.is_our_debris(h) || (opts.force && !opts.resume) => {
            folder::clear_if(&out, folder::Claim::Replace)?;
            journal::start(&out, &hash, output::sweep_points_csv(&spec, &values), range.start)?
        }
        (h, _) => return Err(folder::occupied(&out, h)),
    };
    let runs_path = out.join(RUNS_PARTIAL);
    let tele_path = out.join(TELEMETRY_PARTIAL);
    let resumed_at_point = state.points_done;
    // Enough runs per chunk to keep every thread busy, few enough to keep
    // memory flat and lose little work to a kill.
    let chunk_points = match spec.auto {
        // An adaptive point runs at least min replicates of every arm.
        Some(rule) => (16 * threads).div_ceil(spec.arms.len() * rule.min as usize).max(1),
        None => (16 * threads).div_ceil(per_point).max(1),
    };
    let mut decisions = 0u64;
    let shard_runs = range.len() * per_point;
    let runs_done = |state: &journal::State| match spec.auto {
        Some(_) => state.point_runs.iter().sum::<usize>(),
        None => (state.points_done - range.start) * per_point,
    };
    // With `auto`, progress counts up to the most the rule may run.
    progress(runs_done(&state), shard_runs);
    while state.points_done < range.end {
        if opts
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst))
        {
            return Err(JobError::Cancelled { out });
        }
        let end = (state.points_done + chunk_points).min(range.end);
        // Built in parallel, collected in order: the first error is the
        // first point's that has one.
        let configs = pool
            .install(|| {
                use rayon::prelude::*;
                (state.points_done..end)
                    .into_par_iter()
                    .map(|p| points.get(&values[p]).map(|c| (p, c)))
                    .collect::<Vec<_>>()
            })
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        let runs = match spec.auto {
            None => pool.install(|| exp::run_points(&spec, &configs)),
            Some(_) => {
                let by_point = pool.install(|| exp::run_points_auto(&spec, &configs));
                state.point_runs.extend(by_point.iter().map(|(runs, _)| runs.len()));
                by_point.into_iter().flat_map(|(runs, _)| runs).collect()
            }
        };
        for r in &runs {
            let values: Vec<String> = spec
                .parameters
                .iter()
                .zip(&values[r.point])
                .map(|(p, v)| format!("{}={v}", p.key))
                .collect();
            let inputs = format!("the point's values: {}", values.join(", "));
            let run = || {
                format!(
                    "point {}, policy {}, replicate {}",
                    r.point, spec.arms[r.arm], r.replicate
                )
            };
            crate::jobs::run::check_finite(&r.metrics, run, &inputs)?;
        }
        decisions += runs.iter().map(|r| r.decisions).sum::<u64>();
        append(&runs_path, &output::sweep_runs_rows(&spec, &runs))?;
        append(&tele_path, &output::sweep_telemetry_rows(&spec, &runs))?;
        state.points_done = end;
        write_state(&out, &state)?;
        progress(runs_done(&state), shard_runs);
    }
    // The points and the idle threads are not needed to finish: memory
    // peaks while the charts draw (scripts/memory-100k.sh).
    drop(values);
    drop(pool);

    let mut robust = None;
    if let Some((index, count)) = opts.shard {
        // A shard ends with its runs and a shard.json that `merge` reads.
        let info = ShardInfo {
            sweep_and_base_sha256: hash.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            index,
            count,
            points: [range.start, range.end],
            sweep_path: spec.path.display().to_string(),
            sweep_source: spec.source.clone(),
            base_path: spec.base_path.display().to_string(),
            base_source: spec.base_source.clone(),
            amendments: opts.amend.clone(),
            files_sha256: Default::default(),
            point_runs: state.point_runs.clone(),
        };
        shard::finish(&out, info)?;
    } else {
        robust = finalize::finalize(
            &spec,
            &out,
            &hash,
            threads,
            started,
            &clock,
            decisions,
            resumed_at_point,
            &[],
            &opts.look,
        )?;
    }
    Ok(SweepOutcome::Done(SweepReport {
        robust,
        runs: match spec.auto {
            Some(_) => state.point_runs.iter().sum(),
            None => shard_runs,
        },
        out,
        resumed_at_point,
        wall_seconds: clock.elapsed().as_secs_f64(),
        decisions,
        threads,
        spec,
    }))
}

/// Sizes up a sweep: the first point's cost per employee-week measured on
/// short slices of it ([`limits::measure`], a fraction of a second), scaled
/// to the whole sweep; disk from the bytes of one slice's rows.
fn dry_run(
    spec: SweepPlan,
    cfg: Config,
    _pool: &rayon::ThreadPool,
    threads: usize,
    out: PathBuf,
    estimate: limits::Estimate,
) -> Result<DryRun, JobError> {
    let rate = limits::measure(&cfg);
    let per_run = rate.run_seconds(&cfg).unwrap_or(0.0);
    let slice = limits::slice(&cfg, limits::SHORT_WEEKS);
    let sample = exp::run_points(
        &SweepPlan {
            replicates: 1,
            auto: None,
            arms: spec.arms[..1].to_vec(),
            ..spec.clone()
        },
        &[(0, slice)],
    );
    let row =
        output::sweep_runs_rows(&spec, &sample[..1]).len() + output::sweep_telemetry_rows(&spec, &sample[..1]).len();
    // Summary: one row per (point, arm, metric), about 120 bytes each.
    let summary = spec.points * spec.arms.len() * (crate::engine::metrics::RunMetrics::NAMES.len() + 1) * 120;
    let runs = spec.runs();
    Ok(DryRun {
        runs,
        seconds_per_run: per_run,
        estimated_seconds: per_run * runs as f64 / threads as f64,
        estimated_bytes: (row * runs + summary) as u64,
        estimated_memory: estimate.bytes,
        threads,
        out,
        rate,
        spec,
    })
}
