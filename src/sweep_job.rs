//! The `sweep` job: run a sweep file's points in parallel, streaming results
//! to disk in a fixed order, so memory stays flat and a killed sweep can be
//! finished with `--resume`.
//!
//! While a sweep runs, its directory holds `runs.csv.partial`,
//! `telemetry.csv.partial` and `.sweep-state.json`. After each chunk of
//! points the partial files are appended and synced, then the state records
//! how many points are done and how long each partial file was. A resumed
//! sweep truncates the partial files to those lengths (dropping rows of an
//! unfinished chunk) and goes on from the next point. Only a finished sweep
//! has `runs.csv`, `summary.csv` and `manifest.json`.

use crate::experiment::{self, design, sweep as exp};
use crate::job::{JobError, default_threads};
use crate::output;
use crate::plot;
use crate::scenario::sweep::{self as spec_mod, SweepSpec};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

const STATE: &str = ".sweep-state.json";
const RUNS_PARTIAL: &str = "runs.csv.partial";
const TELEMETRY_PARTIAL: &str = "telemetry.csv.partial";

#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    pub sweep: PathBuf,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
    pub resume: bool,
    pub dry_run: bool,
}

/// Progress of a sweep: runs done (including those done before a resume) and total.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

#[derive(Debug)]
pub enum SweepOutcome {
    Done(SweepReport),
    DryRun(DryRun),
}

#[derive(Debug)]
pub struct SweepReport {
    pub spec: SweepSpec,
    pub out: PathBuf,
    pub runs: usize,
    pub resumed_at_point: usize,
    pub wall_seconds: f64,
    pub decisions: u64,
    pub threads: usize,
}

#[derive(Debug)]
pub struct DryRun {
    pub spec: SweepSpec,
    pub runs: usize,
    pub seconds_per_run: f64,
    pub estimated_seconds: f64,
    pub estimated_bytes: u64,
    pub threads: usize,
    pub out: PathBuf,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct State {
    sweep_sha256: String,
    version: String,
    points_done: usize,
    runs_bytes: u64,
    telemetry_bytes: u64,
}

fn io_err(path: &Path, source: std::io::Error) -> JobError {
    JobError::Output(output::OutputError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn sweep_hash(spec: &SweepSpec) -> String {
    // The sweep file and its base together decide every result.
    let mut both = spec.source.clone().into_bytes();
    both.extend_from_slice(b"\n--base--\n");
    both.extend_from_slice(spec.base_source.as_bytes());
    output::sha256_hex(&both)
}

fn write_state(dir: &Path, state: &State) -> Result<(), JobError> {
    let bytes = serde_json::to_vec_pretty(state).expect("state serialises");
    output::write_atomically(dir, &[(STATE.to_string(), bytes)])?;
    Ok(())
}

fn append(path: &Path, bytes: &[u8]) -> Result<u64, JobError> {
    let mut f = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| io_err(path, e))?;
    f.write_all(bytes).map_err(|e| io_err(path, e))?;
    f.sync_data().map_err(|e| io_err(path, e))?;
    f.metadata().map(|m| m.len()).map_err(|e| io_err(path, e))
}

fn truncate(path: &Path, len: u64) -> Result<(), JobError> {
    let mut f = OpenOptions::new().write(true).open(path).map_err(|e| io_err(path, e))?;
    f.set_len(len).map_err(|e| io_err(path, e))?;
    f.seek(SeekFrom::End(0)).map_err(|e| io_err(path, e))?;
    f.sync_all().map_err(|e| io_err(path, e))
}

/// Runs (or, with `dry_run`, sizes up) a sweep.
pub fn run(opts: &SweepOptions, progress: Progress) -> Result<SweepOutcome, JobError> {
    let spec = spec_mod::load(&opts.sweep)?;
    let threads = opts.threads.unwrap_or_else(default_threads);
    if threads == 0 {
        return Err(JobError::Usage("--threads must be at least 1".into()));
    }
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join("sweeps").join(&spec.name));
    let values = design::point_values(&spec);
    // Every point must make a valid scenario before anything runs.
    for (i, v) in values.iter().enumerate() {
        exp::point_config(&spec, v)
            .map_err(|e| JobError::Usage(format!("point {i} of {}: {e}", spec.path.display())))?;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| JobError::Threads { threads, source })?;
    if opts.dry_run {
        let cfg = exp::point_config(&spec, &values[0])?;
        let clock = Instant::now();
        let sample = pool.install(|| exp::run_points(&spec, &[(0, cfg)]));
        let per_run = clock.elapsed().as_secs_f64() / sample.len() as f64 * threads as f64;
        let row = output::sweep_runs_rows(&spec, &sample[..1]).len()
            + output::sweep_telemetry_rows(&spec, &sample[..1]).len();
        // Summary: one row per (point, arm, metric), about 120 bytes each.
        let summary = spec.points * spec.arms.len() * (crate::engine::metrics::RunMetrics::NAMES.len() + 1) * 120;
        let runs = spec.runs();
        return Ok(SweepOutcome::DryRun(DryRun {
            runs,
            seconds_per_run: per_run,
            estimated_seconds: per_run * runs as f64 / threads as f64,
            estimated_bytes: (row * runs + summary) as u64,
            threads,
            out,
            spec,
        }));
    }

    let started = SystemTime::now();
    let clock = Instant::now();
    let hash = sweep_hash(&spec);
    let runs_path = out.join(RUNS_PARTIAL);
    let tele_path = out.join(TELEMETRY_PARTIAL);
    let state_path = out.join(STATE);
    let mut state = if opts.resume {
        let text = fs::read_to_string(&state_path).map_err(|_| {
            JobError::Usage(format!(
                "nothing to resume in {}: no interrupted sweep there ({STATE} is missing)",
                out.display()
            ))
        })?;
        let state: State = serde_json::from_str(&text)
            .map_err(|e| JobError::Usage(format!("{}: unreadable sweep state: {e}", state_path.display())))?;
        if state.sweep_sha256 != hash {
            return Err(JobError::Usage(format!(
                "{} holds a sweep of a different sweep file or base scenario: cannot resume it with {}",
                out.display(),
                spec.path.display()
            )));
        }
        if state.version != env!("CARGO_PKG_VERSION") {
            return Err(JobError::Usage(format!(
                "{} was started by tokenmaxx {}: resume it with that version",
                out.display(),
                state.version
            )));
        }
        truncate(&runs_path, state.runs_bytes)?;
        truncate(&tele_path, state.telemetry_bytes)?;
        state
    } else {
        if state_path.exists() {
            return Err(JobError::Usage(format!(
                "{} holds an interrupted sweep: pass --resume to finish it, or remove the directory to start over",
                out.display()
            )));
        }
        output::write_atomically(
            &out,
            &[("points.csv".to_string(), output::sweep_points_csv(&spec, &values))],
        )?;
        for (path, header) in [
            (&runs_path, output::sweep_runs_header()),
            (&tele_path, output::sweep_telemetry_header()),
        ] {
            let mut f = File::create(path).map_err(|e| io_err(path, e))?;
            f.write_all(&header).map_err(|e| io_err(path, e))?;
            f.sync_all().map_err(|e| io_err(path, e))?;
        }
        let state = State {
            sweep_sha256: hash.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            points_done: 0,
            runs_bytes: output::sweep_runs_header().len() as u64,
            telemetry_bytes: output::sweep_telemetry_header().len() as u64,
        };
        write_state(&out, &state)?;
        state
    };
    let resumed_at_point = state.points_done;
    let per_point = spec.arms.len() * spec.replicates as usize;
    // Enough runs per chunk to keep every thread busy, few enough to keep
    // memory flat and lose little work to a kill.
    let chunk_points = (16 * threads).div_ceil(per_point).max(1);
    let mut decisions = 0u64;
    progress(state.points_done * per_point, spec.runs());
    while state.points_done < spec.points {
        let end = (state.points_done + chunk_points).min(spec.points);
        let configs = (state.points_done..end)
            .map(|p| exp::point_config(&spec, &values[p]).map(|c| (p, c)))
            .collect::<Result<Vec<_>, _>>()?;
        let runs = pool.install(|| exp::run_points(&spec, &configs));
        decisions += runs.iter().map(|r| r.decisions).sum::<u64>();
        state.runs_bytes = append(&runs_path, &output::sweep_runs_rows(&spec, &runs))?;
        state.telemetry_bytes = append(&tele_path, &output::sweep_telemetry_rows(&spec, &runs))?;
        state.points_done = end;
        write_state(&out, &state)?;
        progress(end * per_point, spec.runs());
    }

    // Summaries are computed from runs.csv itself, point by point, so a
    // resumed sweep summarises exactly the bytes an uninterrupted one would.
    let sums = summarise_file(&spec, &runs_path)?;
    let summary = sums.summary;
    let wall_seconds = clock.elapsed().as_secs_f64();
    let runs_bytes = fs::read(&runs_path).map_err(|e| io_err(&runs_path, e))?;
    let mut files = vec![
        ("summary.csv".to_string(), summary),
        ("verdicts.csv".to_string(), sums.verdicts),
    ];
    if spec.design.is_sensitivity() {
        let rows = sensitivity(&spec, &sums.means);
        files.push(("sensitivity.csv".to_string(), output::sensitivity_csv(&rows)));
        files.extend(plot::chart_files(
            &plot::sensitivity_charts(&spec, &rows)?,
            plot::Format::Both,
        ));
    }
    let hashes = [
        (
            "points.csv".to_string(),
            output::sha256_hex(&fs::read(out.join("points.csv")).map_err(|e| io_err(&out, e))?),
        ),
        ("runs.csv".to_string(), output::sha256_hex(&runs_bytes)),
        ("summary.csv".to_string(), output::sha256_hex(&files[0].1)),
    ];
    drop(runs_bytes);
    let data = plot::SweepData::from_dir_with(&out, RUNS_PARTIAL)?;
    files.extend(plot::chart_files(&plot::sweep_charts(&data)?, plot::Format::Both));
    drop(data);
    let manifest = manifest(
        &spec,
        &hash,
        threads,
        started,
        wall_seconds,
        decisions,
        resumed_at_point,
        &hashes,
    );
    files.push(("manifest.json".to_string(), manifest));
    output::write_atomically(&out, &files)?;
    for (from, to) in [(&runs_path, "runs.csv"), (&tele_path, "telemetry.csv")] {
        fs::rename(from, out.join(to)).map_err(|e| io_err(from, e))?;
    }
    fs::remove_file(&state_path).map_err(|e| io_err(&state_path, e))?;
    Ok(SweepOutcome::Done(SweepReport {
        runs: spec.runs(),
        out,
        resumed_at_point,
        wall_seconds,
        decisions,
        threads,
        spec,
    }))
}

/// What a sweep's runs add up to, point by point.
struct Summaries {
    summary: Vec<u8>,
    verdicts: Vec<u8>,
    /// Mean of each key metric per point and arm: `[point][arm][metric]`.
    means: Vec<Vec<[f64; 4]>>,
}

/// Reads runs.csv point by point and summarises each point.
fn summarise_file(spec: &SweepSpec, path: &Path) -> Result<Summaries, JobError> {
    use crate::engine::metrics::RunMetrics;
    let file = File::open(path).map_err(|e| io_err(path, e))?;
    let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
    let bad = |m: String| JobError::Usage(format!("{}: {m}", path.display()));
    let mut out = Summaries {
        summary: output::sweep_summary_header(),
        verdicts: output::verdicts_header(true),
        means: Vec::new(),
    };
    let n_arms = spec.arms.len();
    let per_point = n_arms * spec.replicates as usize;
    let mut current: Vec<RunMetrics> = Vec::with_capacity(per_point);
    let mut point = 0usize;
    let flush = |point: usize, current: &mut Vec<RunMetrics>, out: &mut Summaries| -> Result<(), JobError> {
        if current.len() != per_point {
            return Err(bad(format!(
                "point {point} has {} runs, expected {per_point}",
                current.len()
            )));
        }
        let refs: Vec<_> = current.iter().collect();
        out.summary.extend(output::sweep_summary_rows(
            spec,
            point,
            &experiment::summarise(&refs, n_arms),
        ));
        out.verdicts.extend(output::verdicts_rows(
            &spec.arms,
            Some(point),
            &experiment::verdicts(&refs, n_arms),
        ));
        let reps = spec.replicates as usize;
        out.means.push(
            (0..n_arms)
                .map(|a| {
                    let runs = &current[a * reps..(a + 1) * reps];
                    let mut m = [0.0; 4];
                    for (k, name) in experiment::KEY_METRICS.iter().enumerate() {
                        m[k] = runs.iter().map(|r| r.get(name).expect("known metric")).sum::<f64>() / reps as f64;
                    }
                    m
                })
                .collect(),
        );
        current.clear();
        Ok(())
    };
    for rec in reader.records() {
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        let p: usize = rec
            .get(0)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("a row without a point index".into()))?;
        if p != point {
            flush(point, &mut current, &mut out)?;
            point = p;
        }
        let values: Vec<f64> = rec
            .iter()
            .skip(4)
            .map(|s| {
                if s.is_empty() {
                    f64::NAN
                } else {
                    s.parse().unwrap_or(f64::NAN)
                }
            })
            .collect();
        current.push(RunMetrics::from_values(&values).ok_or_else(|| bad("a row with too few columns".into()))?);
    }
    flush(point, &mut current, &mut out)?;
    if point + 1 != spec.points {
        return Err(bad(format!("runs end at point {point}, expected {}", spec.points - 1)));
    }
    Ok(out)
}

/// Bootstrap resamples for Sobol-index intervals.
const BOOTSTRAP: usize = 1000;

/// Sensitivity indices of every key metric, for every arm.
fn sensitivity(spec: &SweepSpec, means: &[Vec<[f64; 4]>]) -> Vec<output::SensitivityRow> {
    use crate::experiment::sensitivity as sa;
    let k = spec.parameters.len();
    let mut rows = Vec::new();
    for (a, policy) in spec.arms.iter().enumerate() {
        for (m, metric) in experiment::KEY_METRICS.iter().enumerate() {
            let y: Vec<f64> = means.iter().map(|p| p[a][m]).collect();
            let row = |parameter: usize, index: &'static str, value: f64, lo: f64, hi: f64| output::SensitivityRow {
                method: if spec.design == spec_mod::Design::Morris {
                    "morris"
                } else {
                    "sobol"
                },
                metric: metric.to_string(),
                policy: policy.clone(),
                parameter: spec.parameters[parameter].key.clone(),
                index,
                value,
                ci95_low: lo,
                ci95_high: hi,
            };
            match spec.design {
                spec_mod::Design::Morris => {
                    let points = sa::morris_points(spec.base_points, k, sa::MORRIS_LEVELS, spec.seed);
                    for (i, e) in sa::morris_effects(&points, &y, k).iter().enumerate() {
                        rows.push(row(i, "mu_star", e.mu_star, f64::NAN, f64::NAN));
                        rows.push(row(i, "mu", e.mu, f64::NAN, f64::NAN));
                        rows.push(row(i, "sigma", e.sigma, f64::NAN, f64::NAN));
                    }
                }
                spec_mod::Design::Saltelli => {
                    for (i, s) in sa::sobol_indices(&y, spec.base_points, k, BOOTSTRAP, spec.seed)
                        .iter()
                        .enumerate()
                    {
                        rows.push(row(i, "S1", s.first.value, s.first.ci95_low, s.first.ci95_high));
                        rows.push(row(i, "ST", s.total.value, s.total.ci95_low, s.total.ci95_high));
                    }
                }
                _ => {}
            }
        }
    }
    rows
}

#[allow(clippy::too_many_arguments)]
fn manifest(
    spec: &SweepSpec,
    hash: &str,
    threads: usize,
    started: SystemTime,
    wall_seconds: f64,
    decisions: u64,
    resumed_at_point: usize,
    files: &[(String, String)],
) -> Vec<u8> {
    let params: Vec<serde_json::Value> = spec
        .parameters
        .iter()
        .map(|p| match &p.domain {
            spec_mod::Domain::Values(v) => {
                serde_json::json!({"key": p.key, "values": v.iter().map(spec_mod::value_text).collect::<Vec<_>>()})
            }
            spec_mod::Domain::Range {
                low,
                high,
                log,
                integer,
                steps,
            } => {
                serde_json::json!({"key": p.key, "range": [low, high], "log": log, "integer": integer, "steps": steps})
            }
        })
        .collect();
    let m = serde_json::json!({
        "tool": "tokenmaxx",
        "version": env!("CARGO_PKG_VERSION"),
        "command": "sweep",
        "sweep_path": spec.path.display().to_string(),
        "sweep_sha256": output::sha256_hex(spec.source.as_bytes()),
        "sweep_and_base_sha256": hash,
        "base_path": spec.base_path.display().to_string(),
        "base_sha256": output::sha256_hex(spec.base_source.as_bytes()),
        "name": spec.name,
        "design": spec.design.name(),
        "points": spec.points,
        "parameters": params,
        "arms": spec.arms,
        "replicates": spec.replicates,
        "runs": spec.runs(),
        "seed": spec.seed,
        "common_random_numbers": spec.common_random_numbers,
        "threads": threads,
        "started_at": humantime::format_rfc3339_seconds(started).to_string(),
        "wall_time_s": wall_seconds,
        "resumed_at_point": resumed_at_point,
        "task_decisions_this_invocation": decisions,
        "target": output::target(),
        "rng_crates": output::rng_crates(),
        "files_sha256": files.iter().map(|(n, h)| (n.clone(), serde_json::Value::String(h.clone()))).collect::<serde_json::Map<_, _>>(),
    });
    let mut bytes = serde_json::to_vec_pretty(&m).expect("JSON serialises");
    bytes.push(b'\n');
    bytes
}
