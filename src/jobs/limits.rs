//! Sizes checked before any work: documented upper bounds on what one job
//! may ask for, and estimates of its memory and time. Past a bound, or past
//! half the machine's memory, a job is refused at once with the estimate and
//! the flag that insists (`--allow-large`); `validate` and `sweep --dry-run`
//! print the same estimates, their time from the scenario's own cost per
//! employee-week measured on this machine ([`measure`]: a fraction of a
//! second of short slices of it), not from one constant for every scenario.

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

/// How long `validate` and `sweep --dry-run` time the scenario itself
/// ([`measure`]): slices of it run on one thread until this many seconds.
pub const CALIBRATION_SECONDS: f64 = 0.2;

/// Employee-weeks in one calibration slice (fewer weeks and, for a large
/// scenario, fewer employees than the scenario: one slice stays well under
/// [`CALIBRATION_SECONDS`]).
pub const SLICE_EMPLOYEE_WEEKS: u64 = 4_000;

/// Weeks of a long calibration slice, and of a short one: the difference
/// separates a run's cost per employee-week from its set-up cost.
pub const SLICE_WEEKS: u32 = 10;
pub const SHORT_WEEKS: u32 = 2;

/// What an estimate's time rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// [`TASKS_PER_SECOND_PER_THREAD`], the same for every scenario.
    Assumed,
    /// This scenario's cost measured on this machine ([`measure`]), per
    /// thread: `setup` seconds per employee (drawing employees, a run's
    /// fixed work) and `week` seconds per employee-week, fitted on
    /// `slices` slices of two lengths that took `seconds` in all.
    Measured {
        setup: f64,
        week: f64,
        slices: u32,
        seconds: f64,
    },
}

impl Rate {
    /// Seconds one thread takes for a run of `cfg` (measured only).
    pub fn run_seconds(&self, cfg: &Config) -> Option<f64> {
        match *self {
            Rate::Assumed => None,
            Rate::Measured { setup, week, .. } => Some(employees(cfg) as f64 * (setup + week * f64::from(cfg.weeks))),
        }
    }

    /// What the rate rests on, in words.
    pub fn describe(&self) -> String {
        match *self {
            Rate::Assumed => format!(
                "at an assumed {:.0}M tasks/s per thread",
                TASKS_PER_SECOND_PER_THREAD / 1e6
            ),
            Rate::Measured {
                setup,
                week,
                slices,
                seconds,
            } => format!(
                "at {:.0}k employee-weeks/s per thread{}, measured on this machine now on {} of this scenario ({SHORT_WEEKS} and {SLICE_WEEKS} weeks, every arm in turn) in {seconds:.2} s",
                1e-3 / week.max(1e-15),
                if setup >= 5e-8 {
                    format!(" and {:.1} µs to set up an employee", setup * 1e6)
                } else {
                    String::new()
                },
                crate::output::table::count(slices, "slice"),
            ),
        }
    }
}

/// What a job is estimated to need.
#[derive(Debug, Clone, Copy)]
pub struct Estimate {
    pub runs: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub threads: usize,
    /// What `seconds` rests on.
    pub rate: Rate,
}

impl Estimate {
    /// The estimate in words.
    pub fn describe(&self) -> String {
        format!(
            "{} runs, about {} of memory and {} on {} threads ({})",
            self.runs,
            bytes_text(self.bytes),
            seconds_text(self.seconds),
            self.threads,
            self.rate.describe()
        )
    }

    /// This estimate with its time from a measured rate: `runs` runs of
    /// `cfg` at `rate` per thread.
    pub fn measured(self, cfg: &Config, rate: Rate) -> Estimate {
        match rate.run_seconds(cfg) {
            None => self,
            Some(run) => Estimate {
                seconds: self.runs as f64 * run / self.threads as f64,
                rate,
                ..self
            },
        }
    }
}

/// A slice of `cfg` for timing: `weeks` weeks, and its enterprises shrunk
/// in proportion so a slice of [`SLICE_WEEKS`] has at most about
/// [`SLICE_EMPLOYEE_WEEKS`] employee-weeks (at least one employee each).
pub fn slice(cfg: &Config, weeks: u32) -> Config {
    let mut s = cfg.clone();
    s.weeks = weeks.max(1);
    let people = employees(cfg).max(1);
    let most = (SLICE_EMPLOYEE_WEEKS / u64::from(SLICE_WEEKS)).max(1);
    if people > most {
        for e in &mut s.enterprises {
            e.employees = ((u64::from(e.employees) * most / people) as u32).max(1);
        }
    }
    s
}

/// Measures `cfg`'s cost on this machine: slices of it of [`SHORT_WEEKS`]
/// and [`SLICE_WEEKS`] weeks ([`slice`]), every arm in turn, run on this
/// thread until [`CALIBRATION_SECONDS`] have passed (at least one of each,
/// at most 64 in all); the two lengths' times give a cost per employee-week
/// and a set-up cost per employee. Timing only: what it measures is
/// printed, never written into a result.
pub fn measure(cfg: &Config) -> Rate {
    let (short, long) = (slice(cfg, SHORT_WEEKS), slice(cfg, SLICE_WEEKS));
    let people = employees(&long).max(1) as f64;
    let clock = std::time::Instant::now();
    let (mut times, mut counts) = ([0.0f64; 2], [0u32; 2]);
    let mut slices = 0u32;
    while slices < 2 || (clock.elapsed().as_secs_f64() < CALIBRATION_SECONDS && slices < 64) {
        let k = (slices % 2) as usize;
        let arm = (slices as usize / 2) % cfg.arms.len().max(1);
        let one = std::time::Instant::now();
        let s = if k == 0 { &short } else { &long };
        std::hint::black_box(crate::engine::run(
            s,
            arm,
            crate::experiment::replicate_seed(1, slices / 2),
        ));
        times[k] += one.elapsed().as_secs_f64();
        counts[k] += 1;
        slices += 1;
    }
    let per = [times[0] / f64::from(counts[0]), times[1] / f64::from(counts[1])];
    let weeks = f64::from(SLICE_WEEKS - SHORT_WEEKS);
    // A noisy machine can make the longer slice look no dearer: then every
    // second is taken as weekly work.
    let (setup, week) = if per[1] > per[0] {
        let week = (per[1] - per[0]) / (weeks * people);
        (per[0] / people - week * f64::from(SHORT_WEEKS), week)
    } else {
        (0.0, per[1] / (people * f64::from(SLICE_WEEKS)))
    };
    Rate::Measured {
        setup: setup.max(0.0),
        week,
        slices,
        seconds: clock.elapsed().as_secs_f64(),
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

/// The memory a machine has, in bytes (None where it cannot be read): read
/// once per process, as a sweep checks every point against it.
fn machine_memory() -> Option<u64> {
    static MEMORY: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *MEMORY.get_or_init(read_machine_memory)
}

fn read_machine_memory() -> Option<u64> {
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
        rate: Rate::Assumed,
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
        rate: Rate::Assumed,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_is_short_and_small_and_a_measured_estimate_scales_with_the_scenario() {
        let cfg = crate::scenario::load(Path::new("scenarios/baseline.toml"), &[])
            .unwrap()
            .config;
        let s = slice(&cfg, SLICE_WEEKS);
        assert_eq!(s.weeks, SLICE_WEEKS);
        assert!(
            employees(&s) * u64::from(SLICE_WEEKS) <= SLICE_EMPLOYEE_WEEKS,
            "{}",
            employees(&s)
        );
        assert!(employees(&s) >= 1);
        let rate = measure(&cfg);
        let Rate::Measured { week, slices, .. } = rate else {
            panic!("{rate:?}")
        };
        assert!(week > 0.0 && slices >= 2, "{rate:?}");
        // Twice the replicates, twice the time; the text says what it rests on.
        let one = estimate_run(&cfg, 3, 2).measured(&cfg, rate);
        let two = estimate_run(&cfg, 6, 2).measured(&cfg, rate);
        assert!((two.seconds / one.seconds - 2.0).abs() < 1e-9);
        assert!(
            one.describe().contains("measured on this machine now"),
            "{}",
            one.describe()
        );
        assert!(estimate_run(&cfg, 3, 2).describe().contains("assumed"));
    }
}
