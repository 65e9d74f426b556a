//! `tokenmaxx._tokenmaxx`: the library called from Python (PyO3). Every
//! function here calls the tokenmaxx library directly, never the binary;
//! the pure-Python package `tokenmaxx` wraps results as DataFrames.
//!
//! Scenarios and `set` values cross the boundary as JSON text (the Python
//! side calls `json.dumps`) and are turned into TOML here, so the scenario
//! layer stays the only code that reads a scenario.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;
use tokenmaxx::experiment::adaptive::{self, Replicates};
use tokenmaxx::experiment::{self};
use tokenmaxx::jobs::error::JobError;
use tokenmaxx::jobs::run::{self as runjob, ReplicatesArg, RunOptions};
use tokenmaxx::jobs::sweep as sweepjob;
use tokenmaxx::output;
use tokenmaxx::scenario::{self, Override, ScenarioError as LibScenarioError};

create_exception!(_tokenmaxx, TokenmaxxError, PyException, "Any error of tokenmaxx.");
create_exception!(
    _tokenmaxx,
    ScenarioError,
    TokenmaxxError,
    "A scenario that does not parse or validate: the message has file:line:column or the dotted key."
);

fn job_err(e: JobError) -> PyErr {
    match e {
        JobError::Scenario(s) => ScenarioError::new_err(s.to_string()),
        other => TokenmaxxError::new_err(other.to_string()),
    }
}

fn scen_err(e: LibScenarioError) -> PyErr {
    ScenarioError::new_err(e.to_string())
}

/// `set` (JSON object text of dotted keys to values) as `--set` texts.
fn set_texts(set_json: Option<&str>) -> PyResult<Vec<String>> {
    let Some(text) = set_json else { return Ok(Vec::new()) };
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| TokenmaxxError::new_err(format!("set: {e}")))?;
    map.into_iter()
        .map(|(k, v)| {
            let value: toml::Value = serde_json::from_value(v)
                .map_err(|e| ScenarioError::new_err(format!("set `{k}`: not a TOML value: {e}")))?;
            Ok(format!("{k}={value}"))
        })
        .collect()
}

/// A scenario dict (JSON text) as TOML text.
fn dict_to_toml(json: &str) -> PyResult<String> {
    let value: toml::Table = serde_json::from_str(json)
        .map_err(|e| ScenarioError::new_err(format!("<dict>: not a TOML table (null values are not TOML): {e}")))?;
    toml::to_string(&value).map_err(|e| ScenarioError::new_err(format!("<dict>: {e}")))
}

/// What a job reports while it runs: work done and total (read by the
/// polling loop, which calls the Python progress callback), and the flag
/// that cancels it.
#[derive(Clone, Default)]
struct Watch {
    done: Arc<AtomicUsize>,
    total: Arc<AtomicUsize>,
    cancel: Arc<AtomicBool>,
}

impl Watch {
    fn report(&self, done: usize, total: usize) {
        self.total.store(total, Ordering::SeqCst);
        self.done.store(done, Ordering::SeqCst);
    }
}

/// Runs `work` on a worker thread with the GIL released, checking for
/// Ctrl-C every 50 ms and calling `progress(done, total)` (with the GIL)
/// when the work reports progress. On an interrupt, the watch's cancel flag
/// is set; a `cancellable` job (a sweep) stops between two chunks of runs
/// and is waited for, so nothing runs on after KeyboardInterrupt is raised;
/// any other job cannot be cancelled, KeyboardInterrupt is raised at once
/// and the job finishes in the background (its result dropped).
fn interruptible<T: Send + 'static>(
    py: Python<'_>,
    watch: &Watch,
    progress: Option<&Bound<'_, PyAny>>,
    cancellable: bool,
    work: impl FnOnce() -> T + Send + 'static,
) -> PyResult<T> {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    let mut rx = rx;
    let mut shown = (usize::MAX, usize::MAX);
    loop {
        let (back, got) = py.detach(move || {
            let got = rx.recv_timeout(Duration::from_millis(50));
            (rx, got)
        });
        rx = back;
        // Ctrl-C (or any error) raised by Python code: the progress
        // callback runs Python, so a signal may surface there, not only in
        // `check_signals`. Either way the job is told to stop and, when it
        // can stop, awaited, so that it holds no folder once this returns.
        let stop = |e: PyErr, handle: std::thread::JoinHandle<()>| -> PyResult<T> {
            watch.cancel.store(true, Ordering::SeqCst);
            if cancellable {
                py.detach(|| {
                    let _ = handle.join();
                });
            }
            Err(e)
        };
        let now = (watch.done.load(Ordering::SeqCst), watch.total.load(Ordering::SeqCst));
        if let Some(cb) = progress
            && now != shown
            && now.1 > 0
        {
            shown = now;
            if let Err(e) = cb.call1(now) {
                return stop(e, handle);
            }
        }
        match got {
            Ok(v) => {
                let _ = handle.join();
                return Ok(v);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    return stop(interrupt, handle);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(TokenmaxxError::new_err("the engine thread panicked"));
            }
        }
    }
}

fn replicates_arg(replicates: Option<&str>) -> PyResult<Option<ReplicatesArg>> {
    replicates
        .map(|r| r.parse::<ReplicatesArg>().map_err(TokenmaxxError::new_err))
        .transpose()
}

/// Runs a scenario file into `out` exactly as `tokenmaxx run` does.
#[pyfunction]
#[pyo3(signature = (path, out, set_json=None, replicates=None, seed=None, threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn run_to_folder(
    py: Python<'_>,
    path: PathBuf,
    out: PathBuf,
    set_json: Option<&str>,
    replicates: Option<&str>,
    seed: Option<u64>,
    threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<String> {
    let opts = RunOptions {
        scenario: path,
        out: Some(out),
        replicates: replicates_arg(replicates)?,
        seed,
        threads,
        overrides: set_texts(set_json)?,
        allow_large: false,
        force: false,
        cancel: None,
        look: Default::default(),
    };
    let watch = Watch::default();
    // The run stops on Ctrl-C: no new run starts, nothing is written.
    let cancellable = true;
    let opts = RunOptions {
        cancel: Some(watch.cancel.clone()),
        ..opts
    };
    let w = watch.clone();
    let done = interruptible(py, &watch, progress.as_ref(), cancellable, move || {
        let ticks = AtomicUsize::new(0);
        runjob::run(
            &opts,
            &|| w.done.store(ticks.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst),
            &|n, _| w.total.store(n, Ordering::SeqCst),
        )
        .map(|r| r.out.display().to_string())
    })?;
    done.map_err(job_err)
}

/// Runs a scenario (file path, or TOML text when `path` is None) in memory:
/// returns the run as a [`MemoryRun`] (its tables, and `manifest` as JSON).
#[pyfunction]
#[pyo3(signature = (path=None, text=None, set_json=None, replicates=None, seed=None, threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn run_in_memory<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    text: Option<String>,
    set_json: Option<&str>,
    replicates: Option<&str>,
    seed: Option<u64>,
    threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<MemoryRun> {
    let set = set_texts(set_json)?;
    let overrides = runjob::parse_overrides(&set).map_err(job_err)?;
    let (file, raw, cfg) = match (path, text) {
        (Some(p), _) => {
            let s = scenario::load(&p, &overrides).map_err(scen_err)?;
            (p, s.raw, s.config)
        }
        (None, Some(t)) => {
            let (raw, cfg) = scenario::from_str(&t, "<dict>", &overrides).map_err(scen_err)?;
            (PathBuf::from("<dict>"), raw, cfg)
        }
        (None, None) => return Err(TokenmaxxError::new_err("give a scenario path or text")),
    };
    let seed = seed.unwrap_or(raw.seed);
    let rule = match (replicates_arg(replicates)?, scenario::replicates(&raw)) {
        (Some(ReplicatesArg::Count(n)), _) => Replicates::Fixed(n),
        (Some(ReplicatesArg::Auto), Replicates::Fixed(_)) => {
            let mut r = raw.clone();
            r.replicates = scenario::schema::RawReplicates::Auto(Default::default());
            scenario::replicates(&r)
        }
        (_, rule) => rule,
    };
    let most = match rule {
        Replicates::Fixed(0) => return Err(TokenmaxxError::new_err("replicates must be at least 1")),
        Replicates::Fixed(n) => n,
        Replicates::Auto(r) => r.max,
    };
    let threads = runjob::resolve_threads(threads, false).map_err(job_err)?;
    tokenmaxx::jobs::limits::check_run(&file, &cfg, u64::from(most), threads, false).map_err(job_err)?;
    let watch = Watch::default();
    let total = match rule {
        Replicates::Fixed(n) => n as usize * cfg.arms.len(),
        Replicates::Auto(r) => r.max as usize * cfg.arms.len(),
    };
    watch.report(0, total);
    let w = watch.clone();
    let cancellable = true;
    interruptible(
        py,
        &watch,
        progress.as_ref(),
        cancellable,
        move || -> Result<MemoryRun, JobError> {
            let tick = || {
                w.done.fetch_add(1, Ordering::SeqCst);
            };
            let clock = std::time::Instant::now();
            let (runs, outcome) = match rule {
                Replicates::Fixed(n) => match experiment::run_arms_until(&cfg, seed, n, threads, &tick, &w.cancel) {
                    Ok(Some(runs)) => (Ok(runs), None),
                    Ok(None) => {
                        return Err(JobError::Cancelled {
                            out: PathBuf::from("<memory>"),
                        });
                    }
                    Err(e) => (Err(e), None),
                },
                Replicates::Auto(r) => match adaptive::run_auto_until(&cfg, seed, &r, threads, &tick, &w.cancel) {
                    Ok(Some((runs, o))) => (Ok(runs), Some(o)),
                    Ok(None) => {
                        return Err(JobError::Cancelled {
                            out: PathBuf::from("<memory>"),
                        });
                    }
                    Err(e) => (Err(e), None),
                },
            };
            let runs = runs.map_err(|source| JobError::Threads { threads, source })?;
            // A total that is not a finite number is refused as the CLI
            // refuses it, never handed to Python as inf.
            runjob::check_runs(&cfg, &runs, &file, &set)?;
            let simulation_seconds = clock.elapsed().as_secs_f64();
            let counts: Vec<usize> = match &outcome {
                Some(o) => o.per_arm.iter().map(|&n| n as usize).collect(),
                None => vec![runs.len() / cfg.arms.len(); cfg.arms.len()],
            };
            let metrics: Vec<_> = runs.iter().map(|r| &r.result.metrics).collect();
            let summary = experiment::summary::summarise_counts(&metrics, &counts);
            let verdicts = experiment::verdict::verdicts_counts(&metrics, &counts);
            let arm_names: Vec<String> = cfg.arms.iter().map(|&a| cfg.policies[a].name.clone()).collect();
            let mut verdict_bytes = output::verdicts_header(false);
            verdict_bytes.extend(output::verdicts_rows(&arm_names, None, &verdicts));
            let manifest = serde_json::json!({
                "command": "run",
                "in_memory": true,
                "simulation_seconds": simulation_seconds,
                "scenario_path": file.display().to_string(),
                "scenario": scenario::resolved_json(&raw),
                "seed": seed,
                "replicates_per_arm": counts,
                "arms": arm_names,
                "threads": threads,
            });
            let files = vec![
                ("summary".to_string(), output::summary_csv(&cfg, &summary)),
                ("verdicts".to_string(), verdict_bytes),
                ("manifest".to_string(), manifest.to_string().into_bytes()),
            ];
            Ok(MemoryRun { cfg, runs, files })
        },
    )?
    .map_err(job_err)
}

/// A run kept in memory: its runs and configuration, with the small tables
/// made at once and the large ones (runs, weekly, enterprises) on demand,
/// as CSV bytes (the CLI's, byte for byte) or, for runs, as columns that
/// become a DataFrame without text in between.
#[pyclass(frozen, module = "tokenmaxx._tokenmaxx")]
struct MemoryRun {
    cfg: tokenmaxx::model::Config,
    runs: Vec<experiment::Run>,
    files: Vec<(String, Vec<u8>)>,
}

#[pymethods]
impl MemoryRun {
    /// The tables this run has.
    fn names(&self) -> Vec<String> {
        let mut n: Vec<String> = ["runs", "weekly", "summary", "verdicts"].map(String::from).to_vec();
        if self.cfg.is_market() {
            n.push("enterprises".into());
        }
        n
    }

    /// A table's CSV bytes (`manifest`: the manifest's JSON), or None.
    fn csv<'py>(&self, py: Python<'py>, name: &str) -> Option<Bound<'py, PyBytes>> {
        let made = match name {
            "runs" => output::runs_csv(&self.cfg, &self.runs),
            "weekly" => output::weekly_csv(&self.cfg, &self.runs),
            "enterprises" if self.cfg.is_market() => output::enterprises_csv(&self.cfg, &self.runs),
            _ => {
                return self
                    .files
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, b)| PyBytes::new(py, b));
            }
        };
        Some(PyBytes::new(py, &made))
    }

    /// The arms' names, in arm order.
    fn arm_names(&self) -> Vec<String> {
        (0..self.cfg.arms.len())
            .map(|a| self.cfg.policies[self.cfg.arms[a]].name.clone())
            .collect()
    }

    /// runs.csv as columns, in its order: (name, kind, little-endian
    /// bytes), kind `arm` (u32 arm indices), `i64` or `f64` (NaN where the
    /// CSV cell is empty); counts are `i64`, as a CSV reader types them.
    fn runs_columns<'py>(&self, py: Python<'py>) -> Vec<(String, &'static str, Bound<'py, PyBytes>)> {
        use tokenmaxx::engine::metrics::{COUNTS, RunMetrics};
        let runs = &self.runs;
        let bytes = |f: &dyn Fn(&experiment::Run, &mut Vec<u8>)| {
            let mut b = Vec::with_capacity(runs.len() * 8);
            for r in runs {
                f(r, &mut b);
            }
            b
        };
        let mut out = vec![
            (
                "policy".to_string(),
                "arm",
                bytes(&|r, b| b.extend((r.arm as u32).to_le_bytes())),
            ),
            (
                "replicate".to_string(),
                "i64",
                bytes(&|r, b| b.extend(i64::from(r.replicate).to_le_bytes())),
            ),
            (
                "seed".to_string(),
                "i64",
                bytes(&|r, b| b.extend((r.seed as i64).to_le_bytes())),
            ),
        ];
        let values: Vec<Vec<f64>> = runs.iter().map(|r| r.result.metrics.values()).collect();
        for (j, name) in RunMetrics::NAMES.iter().enumerate() {
            let mut b = Vec::with_capacity(runs.len() * 8);
            let count = COUNTS.contains(name);
            for v in &values {
                if count {
                    b.extend((v[j] as i64).to_le_bytes());
                } else {
                    b.extend(v[j].to_le_bytes());
                }
            }
            out.push((name.to_string(), if count { "i64" } else { "f64" }, b));
        }
        out.into_iter().map(|(n, k, b)| (n, k, PyBytes::new(py, &b))).collect()
    }
}

/// A sweep's outcome as the folder it wrote.
fn sweep_folder(outcome: sweepjob::SweepOutcome) -> PyResult<String> {
    match outcome {
        sweepjob::SweepOutcome::Done(r) => Ok(r.out.display().to_string()),
        sweepjob::SweepOutcome::AlreadyDone { out } => Ok(out.display().to_string()),
        sweepjob::SweepOutcome::DryRun(_) => Err(TokenmaxxError::new_err("a dry run writes no folder")),
    }
}

/// Runs a sweep file into `out` exactly as `tokenmaxx sweep` does; Ctrl-C
/// cancels it between chunks of runs (resumable with `resume=True`).
#[pyfunction]
#[pyo3(signature = (path, out, set_texts=Vec::new(), points=None, replicates=None, threads=None, resume=false, force=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn sweep_to_folder(
    py: Python<'_>,
    path: PathBuf,
    out: PathBuf,
    set_texts: Vec<String>,
    points: Option<u32>,
    replicates: Option<u32>,
    threads: Option<usize>,
    resume: bool,
    force: bool,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<String> {
    if points == Some(0) || replicates == Some(0) {
        return Err(TokenmaxxError::new_err("points and replicates must be at least 1"));
    }
    let watch = Watch::default();
    let opts = sweepjob::SweepOptions {
        sweep: path,
        out: Some(out),
        threads,
        resume,
        force,
        amend: scenario::sweep::Amendments {
            set: set_texts,
            points,
            replicates,
            auto_replicates: false,
        },
        cancel: Some(watch.cancel.clone()),
        ..Default::default()
    };
    let w = watch.clone();
    let outcome = interruptible(py, &watch, progress.as_ref(), true, move || {
        sweepjob::run(&opts, &|d, t| w.report(d, t))
    })?;
    sweep_folder(outcome.map_err(job_err)?)
}

/// Runs every arm of a scenario in `worlds` plausible worlds into `out`,
/// exactly as `tokenmaxx run --worlds` does; cancellable as a sweep.
#[pyfunction]
#[pyo3(signature = (path, out, worlds, from_="prior".to_string(), vary=Vec::new(), replicates=None, seed=None, set_texts=Vec::new(), threads=None, resume=false, force=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn worlds_to_folder(
    py: Python<'_>,
    path: PathBuf,
    out: PathBuf,
    worlds: u32,
    from_: String,
    vary: Vec<String>,
    replicates: Option<u32>,
    seed: Option<u64>,
    set_texts: Vec<String>,
    threads: Option<usize>,
    resume: bool,
    force: bool,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<String> {
    let (sweep, source) = scenario::worlds::sweep_source(&scenario::worlds::WorldsRequest {
        scenario: path,
        worlds,
        from: from_,
        vary,
        replicates,
        auto_replicates: false,
        seed,
        set: set_texts.clone(),
    })
    .map_err(scen_err)?;
    let watch = Watch::default();
    let opts = sweepjob::SweepOptions {
        sweep,
        out: Some(out),
        threads,
        resume,
        force,
        amend: scenario::sweep::Amendments {
            set: set_texts,
            points: None,
            replicates: None,
            auto_replicates: false,
        },
        source: Some(source),
        cancel: Some(watch.cancel.clone()),
        ..Default::default()
    };
    let w = watch.clone();
    let outcome = interruptible(py, &watch, progress.as_ref(), true, move || {
        sweepjob::run(&opts, &|d, t| w.report(d, t))
    })?;
    sweep_folder(outcome.map_err(job_err)?)
}

/// Calibrates to an evidence file into `out`, exactly as `tokenmaxx
/// calibrate` does; progress is generations done.
#[pyfunction]
#[pyo3(signature = (path, out, particles=None, generations=None, threads=None, resume=false, force=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn calibrate_to_folder(
    py: Python<'_>,
    path: PathBuf,
    out: PathBuf,
    particles: Option<usize>,
    generations: Option<usize>,
    threads: Option<usize>,
    resume: bool,
    force: bool,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<String> {
    use tokenmaxx::jobs::calibrate::{CalibrateOptions, Calibrated, calibrate};
    let opts = CalibrateOptions {
        evidence: path,
        out: Some(out),
        particles,
        generations,
        threads,
        dry_run: false,
        force,
        resume,
        shard: None,
        gather: false,
        cancel: None,
    };
    let watch = Watch::default();
    // Ctrl-C stops the calibration within one simulation per thread; the
    // state of its last finished generation stays for `resume=True`.
    let opts = CalibrateOptions {
        cancel: Some(watch.cancel.clone()),
        ..opts
    };
    let w = watch.clone();
    let done = interruptible(py, &watch, progress.as_ref(), true, move || {
        let total = generations.unwrap_or(0);
        calibrate(&opts, &|_| {}, &|g, _| {
            w.report(g.index + 1, total.max(g.index + 1));
        })
    })?;
    match done.map_err(job_err)? {
        Calibrated::Finished(r) => Ok(r.out.display().to_string()),
        _ => Err(TokenmaxxError::new_err("the calibration did not finish")),
    }
}

/// Runs a policy search into `out`, exactly as `tokenmaxx optimize` does;
/// progress is evaluations done of the budget.
#[pyfunction]
#[pyo3(signature = (path, out, set_texts=Vec::new(), evaluations=None, worlds=None, population=None, warm_start=None, threads=None, resume=false, force=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn optimize_to_folder(
    py: Python<'_>,
    path: PathBuf,
    out: PathBuf,
    set_texts: Vec<String>,
    evaluations: Option<u64>,
    worlds: Option<u32>,
    population: Option<u64>,
    warm_start: Option<PathBuf>,
    threads: Option<usize>,
    resume: bool,
    force: bool,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<String> {
    use tokenmaxx::jobs::optimize::{OptimizeOptions, Optimized, optimize};
    let opts = OptimizeOptions {
        file: path,
        out: Some(out),
        threads,
        resume,
        force,
        dry_run: false,
        allow_large: false,
        amend: scenario::optimize::Amendments {
            set: set_texts,
            evaluations,
            worlds,
            population,
        },
        warm_start,
        shard: None,
        gather: false,
    };
    let watch = Watch::default();
    let w = watch.clone();
    let done = interruptible(py, &watch, progress.as_ref(), false, move || {
        optimize(&opts, &|_| {}, &|p| w.report(p.record.evaluations, p.budget))
    })?;
    match done.map_err(job_err)? {
        Optimized::Finished(r) => Ok(r.out.display().to_string()),
        _ => Err(TokenmaxxError::new_err("the policy search did not finish")),
    }
}

/// Scenario discovery (PRIM) on a results folder, exactly as `tokenmaxx
/// discover` does; returns the discovery's folder (RESULTS/discovery).
#[pyfunction]
#[pyo3(signature = (results, policy, metric="net_value".to_string(), threshold=0.0, against=None, peel_alpha=0.05, box_index=None, bootstrap=None, cases=None))]
#[allow(clippy::too_many_arguments)]
fn discover_folder(
    py: Python<'_>,
    results: PathBuf,
    policy: String,
    metric: String,
    threshold: f64,
    against: Option<String>,
    peel_alpha: f64,
    box_index: Option<usize>,
    bootstrap: Option<usize>,
    cases: Option<String>,
) -> PyResult<(String, String)> {
    use tokenmaxx::jobs::discover::{BOOTSTRAP, Cases, DiscoverOptions, discover};
    let cases = cases
        .map(|c| Cases::parse(&c).map_err(|m| TokenmaxxError::new_err(format!("cases={c:?}: {m}"))))
        .transpose()?;
    let opts = DiscoverOptions {
        results,
        policy,
        against,
        metric,
        threshold,
        cases,
        peel_alpha,
        box_index,
        bootstrap: bootstrap.unwrap_or(BOOTSTRAP),
    };
    let watch = Watch::default();
    let done = interruptible(py, &watch, None, false, move || discover(&opts))?;
    let d = done.map_err(job_err)?;
    Ok((d.out.display().to_string(), d.sentence))
}

/// `columns.csv` of a result holding `files` (CSV file names), as a
/// results folder holds it.
#[pyfunction]
fn columns_csv<'py>(py: Python<'py>, files: Vec<String>) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &output::columns::for_files(files.iter().map(String::as_str)))
}

/// The data dictionary: (file, column, unit, meaning) of every CSV column.
#[pyfunction]
fn columns() -> Vec<(String, String, String, String)> {
    output::columns::dictionary()
        .into_iter()
        .map(|c| (c.file.to_string(), c.column, c.unit, c.meaning))
        .collect()
}

/// Checks a scenario (path, or TOML text when `path` is None) with `set`;
/// returns the override warnings.
#[pyfunction]
#[pyo3(signature = (path=None, text=None, set_json=None))]
fn validate(path: Option<PathBuf>, text: Option<String>, set_json: Option<&str>) -> PyResult<Vec<String>> {
    let overrides: Vec<Override> = runjob::parse_overrides(&set_texts(set_json)?).map_err(job_err)?;
    let cfg = match (path, text) {
        (Some(p), _) => {
            let v = tokenmaxx::jobs::validate::validate_file(&p, &overrides, false).map_err(job_err)?;
            return Ok(v.warnings);
        }
        (None, Some(t)) => scenario::from_str(&t, "<dict>", &overrides).map_err(scen_err)?.1,
        (None, None) => return Err(TokenmaxxError::new_err("give a scenario path or text")),
    };
    Ok(scenario::override_warnings(&cfg, &overrides))
}

/// Every parameter: (key, default, prior low, prior high, log, source).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn defaults() -> Vec<(String, String, Option<f64>, Option<f64>, Option<bool>, Option<String>)> {
    use tokenmaxx::scenario::{default_provenance, priors};
    let (table, prov) = default_provenance();
    priors::numeric_keys(table, &tokenmaxx::output::table::NOT_PARAMETERS)
        .into_iter()
        .filter(|k| !k.starts_with("templates.policy."))
        .map(|key| {
            let value = priors::value_at(table, &key).map_or(String::new(), priors::show);
            let p = prov.prior(&key);
            let source = prov.source(&key).map(str::to_string);
            (
                key,
                value,
                p.map(|p| p.low),
                p.map(|p| p.high),
                p.map(|p| p.log),
                source,
            )
        })
        .collect()
}

/// Converts a scenario dict (JSON text) to the TOML text the library reads.
#[pyfunction]
fn to_toml(json: &str) -> PyResult<String> {
    dict_to_toml(json)
}

/// The version of the tokenmaxx library.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _tokenmaxx(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("TokenmaxxError", py.get_type::<TokenmaxxError>())?;
    m.add("ScenarioError", py.get_type::<ScenarioError>())?;
    m.add_function(wrap_pyfunction!(run_to_folder, m)?)?;
    m.add_function(wrap_pyfunction!(run_in_memory, m)?)?;
    m.add_class::<MemoryRun>()?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_to_folder, m)?)?;
    m.add_function(wrap_pyfunction!(worlds_to_folder, m)?)?;
    m.add_function(wrap_pyfunction!(calibrate_to_folder, m)?)?;
    m.add_function(wrap_pyfunction!(optimize_to_folder, m)?)?;
    m.add_function(wrap_pyfunction!(discover_folder, m)?)?;
    m.add_function(wrap_pyfunction!(columns, m)?)?;
    m.add_function(wrap_pyfunction!(columns_csv, m)?)?;
    m.add_function(wrap_pyfunction!(defaults, m)?)?;
    m.add_function(wrap_pyfunction!(to_toml, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}
