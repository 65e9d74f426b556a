//! Shards: a contiguous slice of a sweep's points run on one machine of a
//! cluster (`--shard I/N|auto`), recorded in `shard.json`; and `merge`, which
//! checks a set of finished shards and finishes them as one sweep.

use super::SweepReport;
use super::finalize::finalize;
use super::journal::{self, RUNS_PARTIAL, STATE, TELEMETRY_PARTIAL};
use crate::jobs::error::JobError;
use crate::jobs::folder;
use crate::output;
use crate::scenario::sweep as spec_mod;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

pub use crate::output::folder::SHARD_INFO;

/// What a finished shard records for `merge`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ShardInfo {
    pub sweep_and_base_sha256: String,
    pub version: String,
    pub index: usize,
    pub count: usize,
    /// Points [start, end) of this shard.
    pub points: [usize; 2],
    pub sweep_path: String,
    pub sweep_source: String,
    pub base_path: String,
    pub base_source: String,
    /// The command line's `--set`, `--points`, `--replicates`.
    #[serde(default)]
    pub amendments: spec_mod::Amendments,
    /// SHA-256 of each file the shard hands to `merge` (runs.csv,
    /// telemetry.csv, points.csv); `merge` refuses a file that differs.
    #[serde(default)]
    pub files_sha256: std::collections::BTreeMap<String, String>,
    /// With `replicates = "auto"`: the runs of each of this shard's points.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub point_runs: Vec<usize>,
}

/// True when `out` holds a finished shard of this sweep (a resubmitted
/// array task then has nothing to do); an error when it holds a finished
/// shard of another sweep.
pub fn finished_shard(out: &Path, hash: &str) -> Result<bool, JobError> {
    let path = out.join(SHARD_INFO);
    if !path.exists() {
        return Ok(false);
    }
    let text = fs::read_to_string(&path).map_err(|e| JobError::read(&path, e))?;
    let info: ShardInfo = serde_json::from_str(&text).map_err(|e| JobError::Damaged {
        path: path.clone(),
        message: format!("unreadable shard record: {e}"),
    })?;
    if info.sweep_and_base_sha256 != hash {
        return Err(JobError::Resume(format!(
            "{} holds a finished shard of another sweep (different sweep file or base scenario): choose another --out",
            out.display()
        )));
    }
    // A kill after shard.json was written and before the state was removed:
    // the shard is finished.
    journal::clear_state(out)?;
    Ok(true)
}

/// The files a finished shard hands to `merge`.
pub const SHARD_FILES: [&str; 3] = ["points.csv", "runs.csv", "telemetry.csv"];

/// Ends a shard whose partial files are complete: they take their final
/// names, then `shard.json` (with every file's SHA-256) is written as the
/// commit record, then the sweep state goes.
pub fn finish(out: &Path, mut info: ShardInfo) -> Result<(), JobError> {
    journal::publish(out)?;
    for name in SHARD_FILES {
        let path = out.join(name);
        let hash = output::sha256_file(&path).map_err(|e| JobError::read(&path, e))?;
        info.files_sha256.insert(name.to_string(), hash);
    }
    let bytes = serde_json::to_vec_pretty(&info).expect("shard info serialises");
    output::write_atomically(out, &[(SHARD_INFO.to_string(), bytes)])?;
    journal::clear_state(out)
}

/// Checks a shard's files against the SHA-256 its shard.json records.
fn verify(dir: &Path, info: &ShardInfo) -> Result<(), JobError> {
    for name in SHARD_FILES {
        let path = dir.join(name);
        let want = info.files_sha256.get(name).ok_or_else(|| {
            JobError::Shard(format!(
                "{}: records no SHA-256 for {name} (written by an older tokenmaxx): run the shard again",
                dir.join(SHARD_INFO).display()
            ))
        })?;
        let got = output::sha256_file(&path).map_err(|e| JobError::read(&path, e))?;
        if &got != want {
            return Err(JobError::Shard(format!(
                "{}: differs from the SHA-256 its shard.json records: it was cut or edited after the shard finished; run that shard again",
                path.display()
            )));
        }
    }
    Ok(())
}

/// The points of shard `i` of `n`: a contiguous slice, sizes differing by at most one.
pub fn shard_range(points: usize, i: usize, n: usize) -> std::ops::Range<usize> {
    (i * points / n)..((i + 1) * points / n)
}

/// Merges finished shards of one sweep into `out`, giving the files a
/// single-machine sweep gives.
pub fn merge(shards: &[PathBuf], out: &Path, force: bool) -> Result<SweepReport, JobError> {
    let clock = Instant::now();
    let started = SystemTime::now();
    if shards.is_empty() {
        return Err(JobError::Usage("merge needs at least one shard directory".into()));
    }
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    if let Some(dir) = shards.iter().find(|d| same(d, out)) {
        return Err(JobError::Usage(format!(
            "--out {} is one of the shards being merged: merge into another folder",
            dir.display()
        )));
    }
    let (_lock, _, claim) = folder::claim(out, force, |_| false)?;
    // Every shard is read under its lock (shared): none is being written.
    let _read_locks = shards
        .iter()
        .map(|d| crate::output::folder::ReadLock::acquire(d))
        .collect::<Result<Vec<_>, _>>()?;
    let mut infos: Vec<(PathBuf, ShardInfo)> = Vec::new();
    for dir in shards {
        let path = dir.join(SHARD_INFO);
        let text = fs::read_to_string(&path).map_err(|_| {
            let why = if dir.join(STATE).exists() {
                "it is incomplete (interrupted or still running: finish it with --resume)"
            } else {
                "it holds no shard.json"
            };
            JobError::Shard(format!("{} is not a finished shard: {why}", dir.display()))
        })?;
        let info: ShardInfo = serde_json::from_str(&text)
            .map_err(|e| JobError::Shard(format!("{}: unreadable shard.json: {e}", path.display())))?;
        verify(dir, &info)?;
        infos.push((dir.clone(), info));
    }
    let (first_dir, first) = &infos[0];
    for (dir, info) in &infos[1..] {
        if info.sweep_and_base_sha256 != first.sweep_and_base_sha256 || info.count != first.count {
            return Err(JobError::Shard(format!(
                "{} and {} belong to different sweeps (sweep file, base scenario or shard count differ)",
                first_dir.display(),
                dir.display()
            )));
        }
        if info.version != first.version {
            return Err(JobError::Shard(format!(
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
            .ok_or_else(|| JobError::Shard(format!("{}: shard index out of range", entry.0.display())))?;
        if let Some(other) = slot {
            return Err(JobError::Shard(format!(
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
        return Err(JobError::Shard(format!(
            "shards missing: {} (of 0..{count})",
            missing.join(", ")
        )));
    }
    let spec = spec_mod::from_sources(
        Path::new(&first.sweep_path),
        first.sweep_source.clone(),
        PathBuf::from(&first.base_path),
        first.base_source.clone(),
        &first.amendments,
        &crate::results::posterior::read,
    )?;
    let per_point = spec.arms.len() * spec.replicates as usize;
    let runs_path = out.join(RUNS_PARTIAL);
    let tele_path = out.join(TELEMETRY_PARTIAL);
    folder::clear_if(out, claim)?;
    journal::create_partials(out)?;
    let mut decisions = 0u64;
    let mut by_runs = 0usize;
    for (dir, info) in by_index.into_iter().flatten() {
        let points = info.points[1] - info.points[0];
        let expected = match spec.auto {
            Some(_) if info.point_runs.len() != points => {
                return Err(JobError::Shard(format!(
                    "{}: records the runs of {} points, the shard has {points}: run that shard again",
                    dir.join(SHARD_INFO).display(),
                    info.point_runs.len()
                )));
            }
            Some(_) => info.point_runs.iter().sum(),
            None => points * per_point,
        };
        by_runs += expected;
        for (name, sink, is_runs) in [("runs.csv", &runs_path, true), ("telemetry.csv", &tele_path, false)] {
            let path = dir.join(name);
            let rows = copy_rows(&path, sink, &mut |line| {
                if !is_runs {
                    decisions += line
                        .rsplit(',')
                        .next()
                        .and_then(|d| d.trim().parse::<u64>().ok())
                        .unwrap_or(0);
                }
            })?;
            if rows != expected {
                return Err(JobError::Shard(format!(
                    "{}: {rows} runs, expected {expected}: the shard is incomplete",
                    path.display()
                )));
            }
        }
    }
    let (values, _) = spec_mod::point_values(&spec)?;
    output::write_atomically(
        out,
        &[("points.csv".to_string(), output::sweep_points_csv(&spec, &values))],
    )?;
    let merged_from: Vec<String> = shards.iter().map(|d| d.display().to_string()).collect();
    let hash = first.sweep_and_base_sha256.clone();
    let robust = finalize(
        &spec,
        out,
        &hash,
        0,
        started,
        &clock,
        decisions,
        0,
        &merged_from,
        &Default::default(),
    )?;
    Ok(SweepReport {
        robust,
        runs: match spec.auto {
            Some(_) => by_runs,
            None => spec.runs(),
        },
        out: out.to_path_buf(),
        resumed_at_point: 0,
        wall_seconds: clock.elapsed().as_secs_f64(),
        decisions,
        threads: 0,
        spec,
    })
}

/// Appends a shard file's rows (its header aside) to `sink`, a block of
/// lines at a time (memory does not grow with the shard); `each` sees every
/// row. Returns the number of rows.
fn copy_rows(path: &Path, sink: &Path, each: &mut dyn FnMut(&str)) -> Result<usize, JobError> {
    use std::io::BufRead;
    let file = fs::File::open(path).map_err(|e| JobError::read(path, e))?;
    let mut lines = std::io::BufReader::new(file).lines();
    lines.next().transpose().map_err(|e| JobError::read(path, e))?;
    let mut block = String::new();
    let mut rows = 0;
    for line in lines {
        let line = line.map_err(|e| JobError::read(path, e))?;
        each(&line);
        block.push_str(&line);
        block.push('\n');
        rows += 1;
        if block.len() > 1 << 20 {
            journal::append(sink, block.as_bytes())?;
            block.clear();
        }
    }
    journal::append(sink, block.as_bytes())?;
    Ok(rows)
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

/// The most shards a job may be cut into: far beyond any job array, and
/// small enough that slicing arithmetic (work × index) cannot overflow.
pub const MAX_SHARDS: usize = 1_000_000;

fn check_shard(text: &str, i: usize, n: usize) -> Result<(usize, usize), JobError> {
    if n == 0 || i >= n {
        return Err(JobError::Usage(format!(
            "--shard {text}: shard {i} of {n} does not exist (shards are 0 to N - 1)"
        )));
    }
    if n > MAX_SHARDS {
        return Err(JobError::Usage(format!(
            "--shard {text}: at most {MAX_SHARDS} shards, got {n}"
        )));
    }
    Ok((i, n))
}
