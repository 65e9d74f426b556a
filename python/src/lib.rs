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
use pyo3::types::{PyBytes, PyDict};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;
use tokenmaxx::experiment::adaptive::{self, Replicates};
use tokenmaxx::experiment::{self};
use tokenmaxx::jobs::error::JobError;
use tokenmaxx::jobs::run::{self as runjob, ReplicatesArg, RunOptions};
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

/// Runs `work` on a worker thread with the GIL released, checking for
/// Ctrl-C every 100 ms. On an interrupt, KeyboardInterrupt is raised at
/// once; the library has no cancellation, so the worker finishes in the
/// background and its result is dropped.
fn interruptible<T: Send + 'static>(py: Python<'_>, work: impl FnOnce() -> T + Send + 'static) -> PyResult<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    let mut rx = rx;
    loop {
        let (back, got) = py.detach(move || {
            let got = rx.recv_timeout(Duration::from_millis(100));
            (rx, got)
        });
        rx = back;
        match got {
            Ok(v) => return Ok(v),
            Err(mpsc::RecvTimeoutError::Timeout) => py.check_signals()?,
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
#[pyo3(signature = (path, out, set_json=None, replicates=None, seed=None, threads=None))]
fn run_to_folder(
    py: Python<'_>,
    path: PathBuf,
    out: PathBuf,
    set_json: Option<&str>,
    replicates: Option<&str>,
    seed: Option<u64>,
    threads: Option<usize>,
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
    };
    let done = interruptible(py, move || {
        runjob::run(&opts, &|| {}, &|_, _| {}).map(|r| r.out.display().to_string())
    })?;
    done.map_err(job_err)
}

/// Runs a scenario (file path, or TOML text when `path` is None) in memory:
/// returns a dict of CSV bytes (`runs`, `weekly`, `summary`, `verdicts`,
/// `enterprises` for a market) and `manifest` (JSON text).
#[pyfunction]
#[pyo3(signature = (path=None, text=None, set_json=None, replicates=None, seed=None, threads=None))]
fn run_in_memory<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    text: Option<String>,
    set_json: Option<&str>,
    replicates: Option<&str>,
    seed: Option<u64>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let overrides = runjob::parse_overrides(&set_texts(set_json)?).map_err(job_err)?;
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
    let files = interruptible(py, move || -> Result<Vec<(String, Vec<u8>)>, JobError> {
        let (runs, outcome) = match rule {
            Replicates::Fixed(n) => (experiment::run_arms(&cfg, seed, n, threads, &|| {}), None),
            Replicates::Auto(r) => match adaptive::run_auto(&cfg, seed, &r, threads, &|| {}) {
                Ok((runs, o)) => (Ok(runs), Some(o)),
                Err(e) => (Err(e), None),
            },
        };
        let runs = runs.map_err(|source| JobError::Threads { threads, source })?;
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
            "scenario_path": file.display().to_string(),
            "scenario": scenario::resolved_json(&raw),
            "seed": seed,
            "replicates_per_arm": counts,
            "arms": arm_names,
            "threads": threads,
        });
        let mut files = vec![
            ("runs".to_string(), output::runs_csv(&cfg, &runs)),
            ("weekly".to_string(), output::weekly_csv(&cfg, &runs)),
            ("summary".to_string(), output::summary_csv(&cfg, &summary)),
            ("verdicts".to_string(), verdict_bytes),
            ("manifest".to_string(), manifest.to_string().into_bytes()),
        ];
        if cfg.is_market() {
            files.push(("enterprises".to_string(), output::enterprises_csv(&cfg, &runs)));
        }
        Ok(files)
    })?
    .map_err(job_err)?;
    let d = PyDict::new(py);
    for (k, v) in files {
        d.set_item(k, PyBytes::new(py, &v))?;
    }
    Ok(d)
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
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(defaults, m)?)?;
    m.add_function(wrap_pyfunction!(to_toml, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}
