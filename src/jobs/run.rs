//! The `run` job: load a scenario, run every arm, summarise, and write the
//! result files with their charts and manifest. The CLI calls this; tests
//! can too.

use crate::engine;
use crate::engine::metrics::{EnterpriseMetrics, RunMetrics, WeekMetrics};
use crate::experiment::adaptive::{self, Replicates};
use crate::experiment::{self, Run, SummaryRow};
use crate::jobs::error::JobError;
use crate::jobs::{folder, limits};
use crate::output;
use crate::output::folder::Holding;
use crate::output::manifest::{self, AutoReplicates, Job, Manifest, RunManifest, RunReplicates};
use crate::plot;
use crate::scenario::{self, Override, Scenario};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

/// What `tokenmaxx run` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub scenario: PathBuf,
    pub out: Option<PathBuf>,
    /// `--replicates`: a number per arm or `auto` (else the scenario's).
    pub replicates: Option<ReplicatesArg>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub overrides: Vec<String>,
    /// Go on past the size limits ([`limits`]).
    pub allow_large: bool,
    /// Write even into a folder that holds another result, removing that
    /// result's files first.
    pub force: bool,
    /// A library caller's cancellation flag (the command line gives none):
    /// once set, no new run starts and the job ends with
    /// [`JobError::Cancelled`], writing nothing. Fixed replicates only (an
    /// adaptive run finishes its batch).
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// The look flags, over the scenario's `[presentation]`.
    pub look: super::plot::LookAsked,
}

/// `--replicates N` or `--replicates auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicatesArg {
    Count(u32),
    Auto,
}

impl std::str::FromStr for ReplicatesArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "auto" {
            return Ok(ReplicatesArg::Auto);
        }
        s.parse()
            .map(ReplicatesArg::Count)
            .map_err(|_| format!("expected a number of replicates per arm or `auto`, got `{s}`"))
    }
}

/// What a finished run reports back.
#[derive(Debug)]
pub struct RunReport {
    pub scenario: Scenario,
    pub out: PathBuf,
    pub runs: Vec<Run>,
    pub summary: Vec<SummaryRow>,
    pub verdicts: Vec<experiment::Verdict>,
    pub decisions: u64,
    pub wall_seconds: f64,
    pub threads: usize,
    /// What the adaptive rule did, when replicates were `auto`.
    pub adaptive: Option<adaptive::Outcome>,
}

/// Parses `--set` overrides; every malformed one is named at once (up to
/// 20), as a scenario's errors are.
pub fn parse_overrides(texts: &[String]) -> Result<Vec<Override>, JobError> {
    let mut errors = Vec::new();
    let mut overrides = Vec::new();
    for t in texts {
        match Override::parse(t) {
            Ok(o) => overrides.push(o),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        return Ok(overrides);
    }
    errors.truncate(scenario::MAX_ERRORS);
    Err(JobError::Scenario(scenario::ScenarioError::collected(errors)))
}

/// More threads than this many per core only add switching.
pub const MAX_THREADS_PER_CORE: usize = 4;

/// The thread count asked for, or every core; zero is refused, and so is
/// more than [`MAX_THREADS_PER_CORE`] per core unless `allow_large`.
pub fn resolve_threads(asked: Option<usize>, allow_large: bool) -> Result<usize, JobError> {
    let cores = default_threads();
    match asked.unwrap_or(cores) {
        0 => Err(JobError::Usage("--threads must be at least 1".into())),
        n if n > MAX_THREADS_PER_CORE * cores && !allow_large => Err(JobError::Usage(format!(
            "--threads {n} is more than {MAX_THREADS_PER_CORE} per core on this machine ({cores} cores): it would only slow the work down; pass --allow-large to insist"
        ))),
        n => Ok(n),
    }
}

/// The default thread count: every available core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Every run's totals, weeks and enterprises finite (see [`check_finite`]),
/// or the first that is not, named with its policy, replicate and seed and
/// the inputs to check (the scenario file, or the `--set` overrides).
pub fn check_runs(cfg: &crate::model::Config, runs: &[Run], scenario: &Path, overrides: &[String]) -> Result<(), JobError> {
    let inputs = if overrides.is_empty() {
        format!("check the values in {}", scenario.display())
    } else {
        format!("check --set {}", overrides.join(" --set "))
    };
    for r in runs {
        let run = || {
            format!(
                "policy {}, replicate {}, seed {}",
                cfg.policies[cfg.arms[r.arm]].name, r.replicate, r.seed
            )
        };
        check_finite(&r.result.metrics, run, &inputs)?;
        for w in &r.result.weekly {
            check_finite(w, run, &inputs)?;
        }
        for e in &r.result.enterprises {
            check_finite(&e.metrics, run, &inputs)?;
        }
    }
    Ok(())
}

/// A record whose every value is finite (or, for a ratio, not defined), or
/// the error naming the first that is not, the run (`run()`) and the inputs
/// to check.
pub fn check_finite<R: FiniteRecord>(record: &R, run: impl Fn() -> String, inputs: &str) -> Result<(), JobError> {
    match record.first_non_finite() {
        None => Ok(()),
        Some((metric, value)) => Err(JobError::NonFinite {
            run: run(),
            metric: metric.to_string(),
            value,
            inputs: inputs.to_string(),
        }),
    }
}

/// A record of named numbers (the run, week and enterprise records).
pub trait FiniteRecord {
    /// The first column whose value is not finite, with the value.
    fn first_non_finite(&self) -> Option<(&'static str, f64)>;
}

macro_rules! finite_record {
    ($($t:ty),*) => {$(
        impl FiniteRecord for $t {
            fn first_non_finite(&self) -> Option<(&'static str, f64)> {
                // A ratio may be "not defined" (NaN, zero denominator); an
                // infinity, or NaN anywhere else, is an overflow.
                <$t>::NAMES.iter().copied().zip(self.values()).find(|(n, v)| {
                    v.is_infinite() || (v.is_nan() && !crate::engine::metrics::RATIOS.contains(n))
                })
            }
        }
    )*};
}
finite_record!(RunMetrics, WeekMetrics, EnterpriseMetrics);

/// Runs a scenario and writes its result files.
/// `on_start` hears the number of runs and the warnings (overrides that can
/// have no effect) before work begins; `on_done` hears each finished run.
pub fn run(
    opts: &RunOptions,
    on_done: &(dyn Fn() + Sync),
    on_start: &dyn Fn(usize, &[String]),
) -> Result<RunReport, JobError> {
    let overrides = parse_overrides(&opts.overrides)?;
    let scenario = scenario::load(&opts.scenario, &overrides)?;
    let cfg = &scenario.config;
    let seed = opts.seed.unwrap_or(scenario.raw.seed);
    let rule = match (opts.replicates, scenario::replicates(&scenario.raw)) {
        (Some(ReplicatesArg::Count(n)), _) => Replicates::Fixed(n),
        (Some(ReplicatesArg::Auto), Replicates::Auto(rule)) | (None, Replicates::Auto(rule)) => Replicates::Auto(rule),
        (Some(ReplicatesArg::Auto), Replicates::Fixed(_)) => {
            // The scenario's `replicates = N` gives way to the rule of its
            // `[auto_replicates]` (the defaults unless it sets them).
            let mut raw = scenario.raw.clone();
            raw.replicates = scenario::schema::RawReplicates::Auto(Default::default());
            scenario::replicates(&raw)
        }
        (None, fixed) => fixed,
    };
    // A total cap splits over the arms before any run (`AutoRule::capped`).
    let rule = match rule {
        Replicates::Auto(r) => Replicates::Auto(r.capped(1, cfg.arms.len())),
        fixed => fixed,
    };
    let most = match rule {
        Replicates::Fixed(0) => return Err(JobError::Usage("--replicates must be at least 1".into())),
        Replicates::Fixed(n) => n,
        Replicates::Auto(r) => r.max,
    };
    let threads = resolve_threads(opts.threads, opts.allow_large)?;
    limits::check_run(&opts.scenario, cfg, u64::from(most), threads, opts.allow_large)?;
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&scenario.raw.name));
    // One writer per folder; a previous run of the same scenario is
    // replaced, anything else needs --force.
    let name = scenario.raw.name.clone();
    let (_lock, _, claim) = folder::claim(
        &out,
        opts.force,
        |h| matches!(h, Holding::Result { job, name: n } if job == "run" && *n == name),
    )?;

    let started = SystemTime::now();
    let clock = Instant::now();
    // With auto replicates the progress bar counts up to the most the rule
    // may run; it stops early when the rule does.
    on_start(
        cfg.arms.len() * most as usize,
        &scenario::override_warnings(cfg, &overrides),
    );
    let (runs, adaptive) = match rule {
        Replicates::Fixed(n) => match &opts.cancel {
            None => (experiment::run_arms(cfg, seed, n, threads, on_done), None),
            Some(flag) => match experiment::run_arms_until(cfg, seed, n, threads, on_done, flag) {
                Ok(Some(runs)) => (Ok(runs), None),
                Ok(None) => return Err(JobError::Cancelled { out }),
                Err(e) => (Err(e), None),
            },
        },
        Replicates::Auto(rule) => {
            let never = std::sync::atomic::AtomicBool::new(false);
            let cancel = opts.cancel.as_deref().unwrap_or(&never);
            match adaptive::run_auto_until(cfg, seed, &rule, threads, on_done, cancel) {
                Ok(Some((runs, outcome))) => (Ok(runs), Some(outcome)),
                Ok(None) => return Err(JobError::Cancelled { out }),
                Err(e) => (Err(e), None),
            }
        }
    };
    let runs = runs.map_err(|source| JobError::Threads { threads, source })?;
    let counts: Vec<usize> = match &adaptive {
        Some(o) => o.per_arm.iter().map(|&n| n as usize).collect(),
        None => vec![runs.len() / cfg.arms.len(); cfg.arms.len()],
    };
    check_runs(cfg, &runs, &opts.scenario, &opts.overrides)?;
    let metrics: Vec<_> = runs.iter().map(|r| &r.result.metrics).collect();
    let summary = experiment::summary::summarise_counts(&metrics, &counts);
    let verdicts = experiment::verdict::verdicts_counts(&metrics, &counts);
    let arm_names: Vec<String> = cfg.arms.iter().map(|&a| cfg.policies[a].name.clone()).collect();
    let mut verdict_bytes = output::verdicts_header(false);
    verdict_bytes.extend(output::verdicts_rows(&arm_names, None, &verdicts));
    let decisions: u64 = runs.iter().map(|r| r.result.decisions).sum();
    let employee_weeks = engine::employee_weeks(cfg) * runs.len() as u64;

    // The tables `run` prints, kept beside the CSV files, with display names.
    let labels = scenario::labels::Labels::of(&scenario.raw, &[]);
    let display: Vec<String> = arm_names.iter().map(|a| labels.policy(a)).collect();
    let description = scenario.raw.description.trim();
    let replicates_text = match &adaptive {
        None => crate::output::table::count(counts[0], "replicate"),
        Some(o) => format!(
            "adaptive replicates ({} runs: {})",
            runs.len(),
            display
                .iter()
                .zip(&o.per_arm)
                .map(|(a, n)| format!("{a} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let rule_text = adaptive.as_ref().map_or(String::new(), adaptive_text);
    let tables = format!(
        "# {}\n\n{}{} x {replicates_text}, seed {seed}: spend and value in millions of USD over the whole run, with 95% CIs; see README.md for each column.\n\n{rule_text}```\n{}{}```\n",
        scenario.raw.name,
        if description.is_empty() {
            String::new()
        } else {
            format!("{description}\n\n")
        },
        output::table::count(cfg.arms.len(), "arm"),
        output::summary_table(cfg, &summary, &display),
        output::verdict_table(&display, &verdicts)
    );
    let mut files = vec![
        crate::report::summary_file(&tables),
        ("runs.csv".to_string(), output::runs_csv(cfg, &runs)),
        ("weekly.csv".to_string(), output::weekly_csv(cfg, &runs)),
        ("summary.csv".to_string(), output::summary_csv(cfg, &summary)),
        ("verdicts.csv".to_string(), verdict_bytes),
    ];
    if cfg.is_market() {
        files.push(("enterprises.csv".to_string(), output::enterprises_csv(cfg, &runs)));
    }
    output::columns::add_to(&mut files);
    // Charts are drawn from the result files themselves, exactly as
    // `tokenmaxx plot` draws them later from disk, in the scenario's look
    // with the look flags on top.
    let look = opts.look.over(scenario.presentation.clone());
    let draft = manifest(
        &scenario,
        seed,
        (&counts, adaptive.as_ref()),
        threads,
        started,
        clock.elapsed().as_secs_f64(),
        (decisions, employee_weeks),
        &files,
        &look,
    );
    let mut with_manifest = files.clone();
    with_manifest.push(("manifest.json".to_string(), draft));
    // Charts never block results: a chart that cannot be drawn is reported
    // after the results are committed.
    let charts = plot::RunData::from_files(&out, &with_manifest)
        .map_err(plot::PlotError::from)
        .and_then(|d| plot::run_charts(&d, plot::Format::Both, &look));
    let chart_error = match charts {
        Ok(charts) => {
            files.extend(plot::chart_files(charts));
            None
        }
        Err(e) => Some(e),
    };
    let wall_seconds = clock.elapsed().as_secs_f64();
    let manifest = manifest(
        &scenario,
        seed,
        (&counts, adaptive.as_ref()),
        threads,
        started,
        wall_seconds,
        (decisions, employee_weeks),
        &files,
        &look,
    );
    // The manifest is the commit record: written last, listing every file.
    files.push(("manifest.json".to_string(), manifest));
    folder::clear_if(&out, claim)?;
    output::write_atomically(&out, &files)?;
    if let Some(source) = chart_error {
        return Err(JobError::charts_to_replot(&out, source));
    }
    Ok(RunReport {
        scenario,
        out,
        runs,
        summary,
        verdicts,
        decisions,
        wall_seconds,
        threads,
        adaptive,
    })
}

/// The adaptive rule and what it did, for summary.md.
fn adaptive_text(o: &adaptive::Outcome) -> String {
    let r = &o.rule;
    format!(
        "Replicates were adaptive: every arm ran {} first, then OCBA added {} at a time (common random numbers: replicate r has the same seed in every arm) until every paired verdict against the first arm was decided (its 95% CI of net value excludes zero or is narrower than ${:.0}), or the best arm was selected with probability {}, or an arm reached {}{}. It stopped after {} batches (the first: {} of every arm) because {} (approximate probability of correct selection {:.3}).\n\n",
        r.min,
        r.batch,
        r.delta,
        r.pcs,
        r.max,
        r.total_max.map_or(String::new(), |t| format!(
            " (at most {t} runs in all, split evenly over the arms)"
        )),
        o.batches,
        r.min,
        o.stop.describe(),
        o.pcs
    )
}

#[allow(clippy::too_many_arguments)]
fn manifest(
    scenario: &Scenario,
    seed: u64,
    (counts, adaptive): (&[usize], Option<&adaptive::Outcome>),
    threads: usize,
    started: SystemTime,
    wall_seconds: f64,
    (decisions, employee_weeks): (u64, u64),
    files: &[(String, Vec<u8>)],
    look: &plot::Look,
) -> Vec<u8> {
    let replicates = match adaptive {
        None => RunReplicates::Fixed(counts.first().copied().unwrap_or(0) as u32),
        Some(o) => RunReplicates::Auto(AutoReplicates {
            rule: "auto".into(),
            min: o.rule.min,
            max: o.rule.max,
            batch: o.rule.batch,
            delta_usd: o.rule.delta,
            pcs_target: o.rule.pcs,
            per_arm: counts.to_vec(),
            batches: o.batches as usize,
            stopped: o.stop.key().into(),
            stopped_because: o.stop.describe().to_string(),
            pcs: o.pcs,
            total_max: o.rule.total_max,
        }),
    };
    let run = RunManifest {
        scenario_path: manifest::recorded_path(&scenario.path),
        scenario_sha256: output::sha256_hex(scenario.source.as_bytes()),
        scenario: scenario::resolved_json(&scenario.raw),
        labels: scenario::labels::Labels::of(&scenario.raw, &[]),
        seed,
        replicates,
        arms: scenario
            .config
            .arms
            .iter()
            .map(|&a| scenario.config.policies[a].name.clone())
            .collect(),
        threads,
        started_at: humantime::format_rfc3339_seconds(started).to_string(),
        wall_time_s: wall_seconds,
        task_decisions: decisions,
        task_decisions_per_s: decisions as f64 / wall_seconds.max(1e-9),
        employee_weeks_per_s: Some(employee_weeks as f64 / wall_seconds.max(1e-9)),
        // The look the charts are drawn in (the scenario's table under the
        // look flags), so a later `plot` redraws them as they are.
        presentation: look.recorded(),
    };
    Manifest::new(Job::Run(Box::new(run)), manifest::hashes(files)).to_bytes()
}
