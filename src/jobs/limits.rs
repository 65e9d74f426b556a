//! Sizes checked before any work: documented upper bounds on what one job
//! may ask for, and estimates of its memory and time. Past a bound, or past
//! half the machine's memory, a job is refused at once with the estimate and
//! the flag that insists (`--allow-large`); `validate` and `sweep --dry-run`
//! print the same estimates.

use crate::engine::metrics::{EnterpriseMetrics, RunMetrics, WeekMetrics};
use crate::experiment::plan::SweepPlan;
use crate::jobs::error::JobError;
use crate::model::Config;
use std::path::Path;

/// Employees over all enterprises of one scenario (a large multinational).
pub const MAX_EMPLOYEES: u64 = 1_000_000;
/// Weeks of one run (a century).
pub const MAX_WEEKS: u32 = 5_200;
/// Replicates per arm.
pub const MAX_REPLICATES: u64 = 100_000;
/// Points of one sweep.
pub const MAX_POINTS: u64 = 1_000_000;
/// Runs of one sweep.
pub const MAX_RUNS: u64 = 10_000_000;
/// The rate for time estimates: arriving tasks a thread simulates per
/// second, whole job included (performative runs and builds come on top of
/// tasks, more under usage rewards). Measured on the project's 2-core
/// machine on 2026-11-29: `run scenarios/baseline.toml` 45 s (estimate 56 s)
/// and `run scenarios/market.toml --replicates 20` 176 s (estimate 179 s).
/// Machines differ by 2x and more; `sweep --dry-run` times a real point.
pub const TASKS_PER_SECOND_PER_THREAD: f64 = 3e6;

/// What a job is estimated to need.
#[derive(Debug, Clone, Copy)]
pub struct Estimate {
    pub runs: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub threads: usize,
}

impl Estimate {
    /// The estimate in words.
    pub fn describe(&self) -> String {
        format!(
            "{} runs, about {} of memory and {} on {} threads (at {:.0}M tasks/s per thread)",
            self.runs,
            bytes_text(self.bytes),
            seconds_text(self.seconds),
            self.threads,
            TASKS_PER_SECOND_PER_THREAD / 1e6
        )
    }
}

fn bytes_text(b: u64) -> String {
    if b >= 1_000_000_000 {
        format!("{:.1} GB", b as f64 / 1e9)
    } else {
        format!("{:.0} MB", (b as f64 / 1e6).max(1.0))
    }
}

fn seconds_text(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// The memory a machine has, in bytes (None where it cannot be read).
fn machine_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Employees over all enterprises.
fn employees(cfg: &Config) -> u64 {
    cfg.enterprises.iter().map(|e| u64::from(e.employees)).sum()
}

/// Arriving tasks of one run.
fn tasks_per_run(cfg: &Config) -> f64 {
    employees(cfg) as f64 * cfg.employees.tasks_per_week * f64::from(cfg.weeks)
}

/// Memory of one run's employees (traits, beliefs, automated shares,
/// experience, a generator), held by each thread while it runs.
fn run_working_bytes(cfg: &Config) -> u64 {
    employees(cfg).saturating_mul(512)
}

/// Estimates a `run`: every run's weekly and enterprise rows are held until
/// the files are written (with their CSV text), and each thread holds one
/// run's employees.
pub fn estimate_run(cfg: &Config, replicates: u64, threads: usize) -> Estimate {
    let runs = (cfg.arms.len() as u64).saturating_mul(replicates);
    let weeks = u64::from(cfg.weeks);
    let week_row = WeekMetrics::NAMES.len() as u64 * (8 + 20);
    let ent_row = EnterpriseMetrics::NAMES.len() as u64 * (8 + 20) + 200;
    let per_run = weeks * week_row + cfg.enterprises.len() as u64 * ent_row + RunMetrics::NAMES.len() as u64 * 28;
    let bytes = runs
        .saturating_mul(per_run)
        .saturating_add((threads as u64).min(runs).saturating_mul(run_working_bytes(cfg)));
    Estimate {
        runs,
        bytes,
        seconds: runs as f64 * tasks_per_run(cfg) / (TASKS_PER_SECOND_PER_THREAD * threads as f64),
        threads,
    }
}

/// Estimates a sweep from its base scenario: runs stream to disk, so memory
/// is the points' values, each thread's run, and the charts' columns of
/// every run (about 120 bytes a run).
pub fn estimate_sweep(spec: &SweepPlan, base: &Config, threads: usize) -> Estimate {
    let runs = (spec.points as u64)
        .saturating_mul(spec.arms.len() as u64)
        .saturating_mul(u64::from(spec.replicates));
    let bytes = (spec.points as u64)
        .saturating_mul(spec.parameters.len() as u64 * 24 + 64)
        .saturating_add(runs.saturating_mul(120))
        .saturating_add((threads as u64).saturating_mul(run_working_bytes(base)))
        .saturating_add(20_000_000);
    Estimate {
        runs,
        bytes,
        seconds: runs as f64 * tasks_per_run(base) / (TASKS_PER_SECOND_PER_THREAD * threads as f64),
        threads,
    }
}

/// The bounds a scenario's sizes must keep, and the machine's memory.
fn check(what: &str, sizes: &[(&str, u64, u64)], estimate: Estimate, allow_large: bool) -> Result<(), JobError> {
    if allow_large {
        return Ok(());
    }
    for &(name, value, bound) in sizes {
        if value > bound {
            return Err(JobError::Usage(format!(
                "{what}: {value} {name} is above the limit of {bound} (estimated: {}): make it smaller, or pass --allow-large to run it anyway",
                estimate.describe()
            )));
        }
    }
    if let Some(total) = machine_memory()
        && estimate.bytes > total / 2
    {
        return Err(JobError::Usage(format!(
            "{what} would need about {} of memory, more than half of this machine's {} (estimated: {}): make it smaller (fewer employees, weeks, replicates, points or threads), or pass --allow-large to run it anyway",
            bytes_text(estimate.bytes),
            bytes_text(total),
            estimate.describe()
        )));
    }
    Ok(())
}

/// Checks a `run` (or a `validate`) of `file` before any work.
pub fn check_run(
    file: &Path,
    cfg: &Config,
    replicates: u64,
    threads: usize,
    allow_large: bool,
) -> Result<Estimate, JobError> {
    let estimate = estimate_run(cfg, replicates, threads);
    let what = format!(
        "{} ({} x {})",
        file.display(),
        crate::output::table::count(cfg.arms.len(), "arm"),
        crate::output::table::count(replicates, "replicate")
    );
    check(&what, &scenario_sizes(cfg, replicates), estimate, allow_large)?;
    Ok(estimate)
}

fn scenario_sizes(cfg: &Config, replicates: u64) -> Vec<(&'static str, u64, u64)> {
    vec![
        ("employees", employees(cfg), MAX_EMPLOYEES),
        ("weeks", u64::from(cfg.weeks), u64::from(MAX_WEEKS)),
        ("replicates", replicates, MAX_REPLICATES),
    ]
}

/// Checks a sweep before any point is built: its points and runs, and its
/// base scenario's sizes (a point's own sizes are checked as it is built).
pub fn check_sweep(spec: &SweepPlan, base: &Config, threads: usize, allow_large: bool) -> Result<Estimate, JobError> {
    let estimate = estimate_sweep(spec, base, threads);
    let mut sizes = scenario_sizes(base, u64::from(spec.replicates));
    sizes.push(("points", spec.points as u64, MAX_POINTS));
    sizes.push(("runs", estimate.runs, MAX_RUNS));
    check(&spec.path.display().to_string(), &sizes, estimate, allow_large)?;
    Ok(estimate)
}

/// Checks one point's scenario (a sweep may vary employees or weeks).
pub fn check_point(spec: &SweepPlan, point: usize, cfg: &Config, allow_large: bool) -> Result<(), JobError> {
    let estimate = estimate_run(cfg, u64::from(spec.replicates), 1);
    let what = format!("{} point {point}", spec.path.display());
    check(
        &what,
        &scenario_sizes(cfg, u64::from(spec.replicates)),
        estimate,
        allow_large,
    )
}
