//! The `run` job: load a scenario, run every arm, summarise, and write the
//! result files with their charts and manifest. The CLI calls this; tests
//! can too.

use crate::experiment::{self, Run, SummaryRow};
use crate::jobs::error::JobError;
use crate::output;
use crate::plot;
use crate::scenario::{self, Override, Scenario};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

/// What `tokenmaxx run` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub scenario: PathBuf,
    pub out: Option<PathBuf>,
    pub replicates: Option<u32>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub overrides: Vec<String>,
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
}

/// Parses `--set` overrides.
pub fn parse_overrides(texts: &[String]) -> Result<Vec<Override>, JobError> {
    texts
        .iter()
        .map(|t| Override::parse(t).map_err(JobError::from))
        .collect()
}

/// The thread count asked for, or every core; zero is refused.
pub fn resolve_threads(asked: Option<usize>) -> Result<usize, JobError> {
    match asked.unwrap_or_else(default_threads) {
        0 => Err(JobError::Usage("--threads must be at least 1".into())),
        n => Ok(n),
    }
}

/// The default thread count: every available core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs a scenario and writes its result files.
pub fn run(opts: &RunOptions, on_done: &(dyn Fn() + Sync), on_start: &dyn Fn(usize)) -> Result<RunReport, JobError> {
    let overrides = parse_overrides(&opts.overrides)?;
    let scenario = scenario::load(&opts.scenario, &overrides)?;
    let cfg = &scenario.config;
    let seed = opts.seed.unwrap_or(scenario.raw.seed);
    let replicates = opts.replicates.unwrap_or(scenario.raw.replicates);
    if replicates == 0 {
        return Err(JobError::Usage("--replicates must be at least 1".into()));
    }
    let threads = resolve_threads(opts.threads)?;
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&scenario.raw.name));

    let started = SystemTime::now();
    let clock = Instant::now();
    on_start(cfg.arms.len() * replicates as usize);
    let runs = experiment::run_arms(cfg, seed, replicates, threads, on_done)
        .map_err(|source| JobError::Threads { threads, source })?;
    let metrics: Vec<_> = runs.iter().map(|r| &r.result.metrics).collect();
    let summary = experiment::summarise(&metrics, cfg.arms.len());
    let verdicts = experiment::verdicts(&metrics, cfg.arms.len());
    let arm_names: Vec<String> = cfg.arms.iter().map(|&a| cfg.policies[a].name.clone()).collect();
    let mut verdict_bytes = output::verdicts_header(false);
    verdict_bytes.extend(output::verdicts_rows(&arm_names, None, &verdicts));
    let decisions: u64 = runs.iter().map(|r| r.result.decisions).sum();

    let mut files = vec![
        ("runs.csv".to_string(), output::runs_csv(cfg, &runs)),
        ("weekly.csv".to_string(), output::weekly_csv(cfg, &runs)),
        ("summary.csv".to_string(), output::summary_csv(cfg, &summary)),
        ("verdicts.csv".to_string(), verdict_bytes),
    ];
    if cfg.is_market() {
        files.push(("enterprises.csv".to_string(), output::enterprises_csv(cfg, &runs)));
    }
    // Charts are drawn from the result files themselves, exactly as
    // `tokenmaxx plot` draws them later from disk.
    let draft = manifest(
        &scenario,
        seed,
        replicates,
        threads,
        started,
        clock.elapsed().as_secs_f64(),
        decisions,
        &files,
    );
    let mut with_manifest = files.clone();
    with_manifest.push(("manifest.json".to_string(), draft));
    let data = plot::RunData::from_files(&out, &with_manifest)?;
    files.extend(plot::chart_files(plot::run_charts(&data, plot::Format::Both)?));
    let wall_seconds = clock.elapsed().as_secs_f64();
    let manifest = manifest(
        &scenario,
        seed,
        replicates,
        threads,
        started,
        wall_seconds,
        decisions,
        &files,
    );
    files.push(("manifest.json".to_string(), manifest));
    output::write_atomically(&out, &files)?;
    Ok(RunReport {
        scenario,
        out,
        runs,
        summary,
        verdicts,
        decisions,
        wall_seconds,
        threads,
    })
}

#[allow(clippy::too_many_arguments)]
fn manifest(
    scenario: &Scenario,
    seed: u64,
    replicates: u32,
    threads: usize,
    started: SystemTime,
    wall_seconds: f64,
    decisions: u64,
    files: &[(String, Vec<u8>)],
) -> Vec<u8> {
    let file_hashes: serde_json::Map<String, serde_json::Value> = files
        .iter()
        .map(|(n, b)| (n.clone(), serde_json::Value::String(output::sha256_hex(b))))
        .collect();
    let m = serde_json::json!({
        "scenario_path": scenario.path.display().to_string(),
        "scenario_sha256": output::sha256_hex(scenario.source.as_bytes()),
        "scenario": scenario::resolved_json(&scenario.raw),
        "seed": seed,
        "replicates": replicates,
        "arms": scenario.config.arms.iter().map(|&a| scenario.config.policies[a].name.clone()).collect::<Vec<_>>(),
        "threads": threads,
        "started_at": humantime::format_rfc3339_seconds(started).to_string(),
        "wall_time_s": wall_seconds,
        "task_decisions": decisions,
        "task_decisions_per_s": decisions as f64 / wall_seconds.max(1e-9),
        "files_sha256": file_hashes,
    });
    output::manifest_bytes("run", m)
}
