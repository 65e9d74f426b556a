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

use crate::experiment::plan::{Domain, SweepPlan};
use crate::experiment::{self, design, sweep as exp};
use crate::job::{JobError, resolve_threads};
use crate::output;
use crate::plot;
use crate::scenario::sweep as spec_mod;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

const STATE: &str = ".sweep-state.json";
const RUNS_PARTIAL: &str = "runs.csv.partial";
const TELEMETRY_PARTIAL: &str = "telemetry.csv.partial";
const SHARD_INFO: &str = "shard.json";

/// What a finished shard records for `merge`.
#[derive(Debug, Serialize, Deserialize)]
struct ShardInfo {
    sweep_and_base_sha256: String,
    version: String,
    index: usize,
    count: usize,
    /// Points [start, end) of this shard.
    points: [usize; 2],
    sweep_path: String,
    sweep_source: String,
    base_path: String,
    base_source: String,
}

#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    pub sweep: PathBuf,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
    pub resume: bool,
    pub dry_run: bool,
    /// Run only shard I of N (0-based): a contiguous slice of the points.
    pub shard: Option<(usize, usize)>,
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
    pub spec: SweepPlan,
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

fn sweep_hash(spec: &SweepPlan) -> String {
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
    let threads = resolve_threads(opts.threads)?;
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
    let values = design::point_values(&spec);
    // Every point must make a valid scenario before anything runs.
    for (i, v) in values.iter().enumerate() {
        spec_mod::point_config(&spec, v)
            .map_err(|e| JobError::Usage(format!("point {i} of {}: {e}", spec.path.display())))?;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| JobError::Threads { threads, source })?;
    if opts.dry_run {
        let cfg = spec_mod::point_config(&spec, &values[0])?;
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
            points_done: range.start,
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
    let shard_runs = range.len() * per_point;
    progress((state.points_done - range.start) * per_point, shard_runs);
    while state.points_done < range.end {
        let end = (state.points_done + chunk_points).min(range.end);
        let configs = (state.points_done..end)
            .map(|p| spec_mod::point_config(&spec, &values[p]).map(|c| (p, c)))
            .collect::<Result<Vec<_>, _>>()?;
        let runs = pool.install(|| exp::run_points(&spec, &configs));
        decisions += runs.iter().map(|r| r.decisions).sum::<u64>();
        state.runs_bytes = append(&runs_path, &output::sweep_runs_rows(&spec, &runs))?;
        state.telemetry_bytes = append(&tele_path, &output::sweep_telemetry_rows(&spec, &runs))?;
        state.points_done = end;
        write_state(&out, &state)?;
        progress((end - range.start) * per_point, shard_runs);
    }

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
        };
        for (from, to) in [(&runs_path, "runs.csv"), (&tele_path, "telemetry.csv")] {
            fs::rename(from, out.join(to)).map_err(|e| io_err(from, e))?;
        }
        let bytes = serde_json::to_vec_pretty(&info).expect("shard info serialises");
        output::write_atomically(&out, &[(SHARD_INFO.to_string(), bytes)])?;
        fs::remove_file(&state_path).map_err(|e| io_err(&state_path, e))?;
    } else {
        finalize(
            &spec,
            &out,
            &hash,
            threads,
            started,
            &clock,
            decisions,
            resumed_at_point,
            &[],
        )?;
    }
    Ok(SweepOutcome::Done(SweepReport {
        runs: shard_runs,
        out,
        resumed_at_point,
        wall_seconds: clock.elapsed().as_secs_f64(),
        decisions,
        threads,
        spec,
    }))
}

/// The points of shard `i` of `n`: a contiguous slice, sizes differing by at most one.
pub fn shard_range(points: usize, i: usize, n: usize) -> std::ops::Range<usize> {
    (i * points / n)..((i + 1) * points / n)
}

/// Ends a sweep whose `runs.csv.partial` and `telemetry.csv.partial` are
/// complete: summaries, verdicts, sensitivity, charts and manifest are
/// written, then the partial files take their final names.
#[allow(clippy::too_many_arguments)]
fn finalize(
    spec: &SweepPlan,
    out: &Path,
    hash: &str,
    threads: usize,
    started: SystemTime,
    clock: &Instant,
    decisions: u64,
    resumed_at_point: usize,
    merged_from: &[String],
) -> Result<(), JobError> {
    let runs_path = out.join(RUNS_PARTIAL);
    let tele_path = out.join(TELEMETRY_PARTIAL);
    // Summaries are computed from runs.csv itself, point by point, so a
    // resumed sweep summarises exactly the bytes an uninterrupted one would.
    let sums = summarise_file(spec, &runs_path)?;
    let summary = sums.summary;
    let wall_seconds = clock.elapsed().as_secs_f64();
    let mut files = vec![
        ("summary.csv".to_string(), summary),
        ("verdicts.csv".to_string(), sums.verdicts),
    ];
    if spec.design.is_sensitivity() {
        let rows = experiment::sensitivity::analyse(spec, &sums.means);
        files.push(("sensitivity.csv".to_string(), output::sensitivity_csv(&rows)));
        files.extend(plot::chart_files(
            &plot::sensitivity_charts(spec, &rows)?,
            plot::Format::Both,
        ));
    }
    let hashes = [
        (
            "points.csv".to_string(),
            output::sha256_file(&out.join("points.csv")).map_err(|e| io_err(out, e))?,
        ),
        (
            "runs.csv".to_string(),
            output::sha256_file(&runs_path).map_err(|e| io_err(&runs_path, e))?,
        ),
        ("summary.csv".to_string(), output::sha256_hex(&files[0].1)),
    ];
    let data = plot::SweepData::from_dir_with(out, RUNS_PARTIAL)?;
    files.extend(plot::chart_files(&plot::sweep_charts(&data)?, plot::Format::Both));
    drop(data);
    let manifest = manifest(
        spec,
        hash,
        threads,
        started,
        wall_seconds,
        decisions,
        resumed_at_point,
        &hashes,
        merged_from,
    );
    files.push(("manifest.json".to_string(), manifest));
    output::write_atomically(out, &files)?;
    for (from, to) in [(&runs_path, "runs.csv"), (&tele_path, "telemetry.csv")] {
        fs::rename(from, out.join(to)).map_err(|e| io_err(from, e))?;
    }
    let state_path = out.join(STATE);
    if state_path.exists() {
        fs::remove_file(&state_path).map_err(|e| io_err(&state_path, e))?;
    }
    Ok(())
}

/// What a sweep's runs add up to, point by point.
struct Summaries {
    summary: Vec<u8>,
    verdicts: Vec<u8>,
    /// Mean of each key metric per point and arm: `[point][arm][metric]`.
    means: Vec<Vec<[f64; 4]>>,
}

/// Reads runs.csv point by point and summarises each point.
fn summarise_file(spec: &SweepPlan, path: &Path) -> Result<Summaries, JobError> {
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

#[allow(clippy::too_many_arguments)]
fn manifest(
    spec: &SweepPlan,
    hash: &str,
    threads: usize,
    started: SystemTime,
    wall_seconds: f64,
    decisions: u64,
    resumed_at_point: usize,
    files: &[(String, String)],
    merged_from: &[String],
) -> Vec<u8> {
    let params: Vec<serde_json::Value> = spec
        .parameters
        .iter()
        .map(|p| match &p.domain {
            Domain::Values(v) => {
                serde_json::json!({"key": p.key, "values": v.iter().map(ToString::to_string).collect::<Vec<_>>()})
            }
            Domain::Range {
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
        "merged_from": merged_from,
        "task_decisions_this_invocation": decisions,
        "files_sha256": files.iter().map(|(n, h)| (n.clone(), serde_json::Value::String(h.clone()))).collect::<serde_json::Map<_, _>>(),
    });
    output::manifest_bytes("sweep", m)
}

/// Merges finished shards of one sweep into `out`, giving the files a
/// single-machine sweep gives.
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<SweepReport, JobError> {
    let clock = Instant::now();
    let started = SystemTime::now();
    if shards.is_empty() {
        return Err(JobError::Usage("merge needs at least one shard directory".into()));
    }
    let mut infos: Vec<(PathBuf, ShardInfo)> = Vec::new();
    for dir in shards {
        let path = dir.join(SHARD_INFO);
        let text = fs::read_to_string(&path).map_err(|_| {
            let why = if dir.join(STATE).exists() {
                "it is incomplete (interrupted or still running: finish it with --resume)"
            } else {
                "it holds no shard.json"
            };
            JobError::Usage(format!("{} is not a finished shard: {why}", dir.display()))
        })?;
        let info: ShardInfo = serde_json::from_str(&text)
            .map_err(|e| JobError::Usage(format!("{}: unreadable shard.json: {e}", path.display())))?;
        infos.push((dir.clone(), info));
    }
    let (first_dir, first) = &infos[0];
    for (dir, info) in &infos[1..] {
        if info.sweep_and_base_sha256 != first.sweep_and_base_sha256 || info.count != first.count {
            return Err(JobError::Usage(format!(
                "{} and {} belong to different sweeps (sweep file, base scenario or shard count differ)",
                first_dir.display(),
                dir.display()
            )));
        }
        if info.version != first.version {
            return Err(JobError::Usage(format!(
                "{} was made by tokenmaxx {} and {} by {}: merge shards of one version",
                first_dir.display(),
                first.version,
                dir.display(),
                info.version
            )));
        }
    }
    let count = first.count;
    let mut by_index: Vec<Option<&(PathBuf, ShardInfo)>> = vec![None; count];
    for entry in &infos {
        let slot = by_index
            .get_mut(entry.1.index)
            .ok_or_else(|| JobError::Usage(format!("{}: shard index out of range", entry.0.display())))?;
        if let Some(other) = slot {
            return Err(JobError::Usage(format!(
                "shard {} of {count} is given twice: {} and {}",
                entry.1.index,
                other.0.display(),
                entry.0.display()
            )));
        }
        *slot = Some(entry);
    }
    let missing: Vec<String> = by_index
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| i.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(JobError::Usage(format!(
            "shards missing: {} (of 0..{count})",
            missing.join(", ")
        )));
    }
    let spec = spec_mod::from_sources(
        Path::new(&first.sweep_path),
        first.sweep_source.clone(),
        PathBuf::from(&first.base_path),
        first.base_source.clone(),
    )?;
    let per_point = spec.arms.len() * spec.replicates as usize;
    fs::create_dir_all(out).map_err(|source| {
        JobError::Output(output::OutputError::CreateDir {
            path: out.to_path_buf(),
            source,
        })
    })?;
    let runs_path = out.join(RUNS_PARTIAL);
    let tele_path = out.join(TELEMETRY_PARTIAL);
    let mut runs_out = File::create(&runs_path).map_err(|e| io_err(&runs_path, e))?;
    let mut tele_out = File::create(&tele_path).map_err(|e| io_err(&tele_path, e))?;
    runs_out
        .write_all(&output::sweep_runs_header())
        .map_err(|e| io_err(&runs_path, e))?;
    tele_out
        .write_all(&output::sweep_telemetry_header())
        .map_err(|e| io_err(&tele_path, e))?;
    let mut decisions = 0u64;
    for (dir, info) in by_index.into_iter().flatten() {
        let expected = (info.points[1] - info.points[0]) * per_point;
        for (name, sink, is_runs) in [
            ("runs.csv", &mut runs_out, true),
            ("telemetry.csv", &mut tele_out, false),
        ] {
            let path = dir.join(name);
            let text = fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
            let body = text.split_once('\n').map_or("", |(_, b)| b);
            let rows = body.lines().count();
            if rows != expected {
                return Err(JobError::Usage(format!(
                    "{}: {rows} runs, expected {expected}: the shard is incomplete",
                    path.display()
                )));
            }
            if !is_runs {
                decisions += body
                    .lines()
                    .filter_map(|l| l.rsplit(',').next()?.parse::<u64>().ok())
                    .sum::<u64>();
            }
            sink.write_all(body.as_bytes()).map_err(|e| io_err(&path, e))?;
        }
    }
    runs_out.sync_all().map_err(|e| io_err(&runs_path, e))?;
    tele_out.sync_all().map_err(|e| io_err(&tele_path, e))?;
    drop((runs_out, tele_out));
    let values = design::point_values(&spec);
    output::write_atomically(
        out,
        &[("points.csv".to_string(), output::sweep_points_csv(&spec, &values))],
    )?;
    let merged_from: Vec<String> = shards.iter().map(|d| d.display().to_string()).collect();
    let hash = first.sweep_and_base_sha256.clone();
    finalize(&spec, out, &hash, 0, started, &clock, decisions, 0, &merged_from)?;
    Ok(SweepReport {
        runs: spec.runs(),
        out: out.to_path_buf(),
        resumed_at_point: 0,
        wall_seconds: clock.elapsed().as_secs_f64(),
        decisions,
        threads: 0,
        spec,
    })
}

/// Parses `--shard I/N` or `--shard auto`. `auto` reads Slurm's
/// `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT`, or Kubernetes'
/// `JOB_COMPLETION_INDEX` with the count from `--shard-count`.
pub fn parse_shard(
    text: &str,
    count: Option<usize>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(usize, usize), JobError> {
    let usage = |m: String| JobError::Usage(format!("--shard {text}: {m}"));
    if text == "auto" {
        let num = |name: &str, v: String| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| usage(format!("{name}={v} is not a whole number")))
        };
        if let Some(id) = env("SLURM_ARRAY_TASK_ID") {
            let id = num("SLURM_ARRAY_TASK_ID", id)?;
            let n = match (env("SLURM_ARRAY_TASK_COUNT"), count) {
                (Some(c), _) => num("SLURM_ARRAY_TASK_COUNT", c)?,
                (None, Some(c)) => c,
                (None, None) => return Err(usage("SLURM_ARRAY_TASK_COUNT is not set: give --shard-count N".into())),
            };
            // Arrays may start at 1 (--array=1-4): map the last id to n - 1 when needed.
            let min = env("SLURM_ARRAY_TASK_MIN")
                .and_then(|m| m.trim().parse::<usize>().ok())
                .unwrap_or(0);
            return check_shard(text, id - min.min(id), n);
        }
        if let Some(id) = env("JOB_COMPLETION_INDEX") {
            let id = num("JOB_COMPLETION_INDEX", id)?;
            let n = count.ok_or_else(|| {
                usage("JOB_COMPLETION_INDEX is set but the count is not: give --shard-count N".into())
            })?;
            return check_shard(text, id, n);
        }
        return Err(usage(
            "neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX (a Kubernetes indexed job) is set; give --shard I/N".into(),
        ));
    }
    let (i, n) = text
        .split_once('/')
        .ok_or_else(|| usage("expected I/N, e.g. 0/4, or auto".into()))?;
    let i = i
        .trim()
        .parse()
        .map_err(|_| usage(format!("`{i}` is not a whole number")))?;
    let n = n
        .trim()
        .parse()
        .map_err(|_| usage(format!("`{n}` is not a whole number")))?;
    check_shard(text, i, n)
}

fn check_shard(text: &str, i: usize, n: usize) -> Result<(usize, usize), JobError> {
    if n == 0 || i >= n {
        return Err(JobError::Usage(format!(
            "--shard {text}: shard {i} of {n} does not exist (shards are 0 to N - 1)"
        )));
    }
    Ok((i, n))
}
