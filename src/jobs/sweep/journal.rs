//! The sweep journal: what makes a sweep survive a kill. While a sweep
//! runs, its folder holds `runs.csv.partial`, `telemetry.csv.partial` and
//! `.sweep-state.json`. After each chunk of points the partial files are
//! appended and synced, then the state records how many points are done. A
//! resumed sweep finds where each whole point ends from the rows themselves
//! and cuts both partial files after the last point that both hold and the
//! state records (dropping rows of an unfinished chunk, never padding a
//! file cut short), then goes on. At the end the partial files take their
//! final names ([`publish`]).
//!
//! With [`crate::output::atomic`] and [`crate::output::folder`], this is the
//! only code that writes result files.

use crate::experiment::plan::SweepPlan;
use crate::jobs::error::JobError;
use crate::output;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

pub const STATE: &str = ".sweep-state.json";
pub const RUNS_PARTIAL: &str = "runs.csv.partial";
pub const TELEMETRY_PARTIAL: &str = "telemetry.csv.partial";

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct State {
    pub sweep_sha256: String,
    pub version: String,
    pub points_done: usize,
    /// With `replicates = "auto"`: the runs of each finished point of this
    /// folder's range, in order (a point's rows end where its count says).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub point_runs: Vec<usize>,
}

pub fn sweep_hash(spec: &SweepPlan) -> String {
    // The sweep file and its base together decide every result.
    let mut both = spec.source.clone().into_bytes();
    both.extend_from_slice(b"\n--base--\n");
    both.extend_from_slice(spec.base_source.as_bytes());
    if !spec.amendments.is_empty() {
        // Command-line amendments change the sweep (a sweep without any
        // keeps the hash it always had).
        both.extend_from_slice(b"\n--amendments--\n");
        both.extend_from_slice(spec.amendments.as_bytes());
    }
    if let Some(post) = &spec.posterior {
        // Worlds drawn from a posterior depend on its bytes too.
        both.extend_from_slice(b"\n--posterior--\n");
        both.extend_from_slice(post.sha256.as_bytes());
    }
    output::sha256_hex(&both)
}

pub fn write_state(dir: &Path, state: &State) -> Result<(), JobError> {
    let bytes = serde_json::to_vec_pretty(state).expect("state serialises");
    output::write_atomically(dir, &[(STATE.to_string(), bytes)])?;
    Ok(())
}

/// Appends bytes to a partial file and syncs them.
pub fn append(path: &Path, bytes: &[u8]) -> Result<(), JobError> {
    let mut f = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| JobError::write(path, e))?;
    f.write_all(bytes).map_err(|e| JobError::write(path, e))?;
    output::folder::crash_point(&format!("append {}", path.display()));
    f.sync_data().map_err(|e| JobError::write(path, e))
}

/// Cuts a file to `len` bytes (never longer than it is: a shorter file is
/// an error, not padding).
pub fn truncate(path: &Path, len: u64) -> Result<(), JobError> {
    let mut f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| JobError::write(path, e))?;
    let have = f.metadata().map_err(|e| JobError::read(path, e))?.len();
    if have < len {
        return Err(JobError::Damaged {
            path: path.to_path_buf(),
            message: format!("is {have} bytes, shorter than the {len} bytes recorded"),
        });
    }
    output::folder::crash_point(&format!("truncate {}", path.display()));
    f.set_len(len).map_err(|e| JobError::write(path, e))?;
    f.seek(SeekFrom::End(0)).map_err(|e| JobError::write(path, e))?;
    f.sync_all().map_err(|e| JobError::write(path, e))
}

/// Starts both partial files afresh with their header lines, synced (the
/// folder is made if needed).
pub fn create_partials(out: &Path) -> Result<(), JobError> {
    fs::create_dir_all(out).map_err(|source| {
        JobError::Write(output::OutputError::CreateDir {
            path: out.to_path_buf(),
            source,
        })
    })?;
    for (name, header) in [
        (RUNS_PARTIAL, output::sweep_runs_header()),
        (TELEMETRY_PARTIAL, output::sweep_telemetry_header()),
    ] {
        let path = out.join(name);
        let mut f = File::create(&path).map_err(|e| JobError::write(&path, e))?;
        f.write_all(&header).map_err(|e| JobError::write(&path, e))?;
        f.sync_all().map_err(|e| JobError::write(&path, e))?;
    }
    Ok(())
}

/// Gives the finished partial files their final names, `runs.csv` and
/// `telemetry.csv`.
pub fn publish(out: &Path) -> Result<(), JobError> {
    for (from, to) in [(RUNS_PARTIAL, "runs.csv"), (TELEMETRY_PARTIAL, "telemetry.csv")] {
        let from = out.join(from);
        output::folder::crash_point(&format!("publish {}", from.display()));
        fs::rename(&from, out.join(to)).map_err(|e| JobError::write(&from, e))?;
    }
    Ok(())
}

/// Removes the state file: the sweep in `out` is no longer interrupted.
pub fn clear_state(out: &Path) -> Result<(), JobError> {
    let path = out.join(STATE);
    output::folder::crash_point("clear the sweep state");
    if path.exists() {
        fs::remove_file(&path).map_err(|e| JobError::write(&path, e))?;
    }
    Ok(())
}

/// Starts a sweep's journal in an empty `out` (the caller has claimed it):
/// writes `points.csv`, starts the partial files, and records that points
/// before `first_point` (another shard's) are not ours.
pub fn start(out: &Path, hash: &str, points_csv: Vec<u8>, first_point: usize) -> Result<State, JobError> {
    output::write_atomically(out, &[("points.csv".to_string(), points_csv)])?;
    create_partials(out)?;
    let state = State {
        sweep_sha256: hash.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        points_done: first_point,
        point_runs: Vec::new(),
    };
    write_state(out, &state)?;
    Ok(state)
}

/// Reopens the journal of an interrupted sweep of `plan` in `out`, whose
/// points are `range` with `per_point` runs each: checks that it is the same
/// sweep (file, base and version), takes back partial files a killed final
/// step had already renamed, and truncates both partial files to the last
/// point that both hold whole and the state records as done. The cut points
/// come from the rows themselves, so a partial file cut short, or a state
/// edited back, resumes from the last whole point and never pads or repeats.
pub fn resume(
    out: &Path,
    plan: &SweepPlan,
    hash: &str,
    range: std::ops::Range<usize>,
    per_point: usize,
) -> Result<State, JobError> {
    let state_path = out.join(STATE);
    let text = fs::read_to_string(&state_path).map_err(|_| {
        JobError::Resume(format!(
            "nothing to resume in {}: no interrupted sweep there ({STATE} is missing)",
            out.display()
        ))
    })?;
    let mut state: State = serde_json::from_str(&text)
        .map_err(|e| JobError::Resume(format!("{}: unreadable sweep state: {e}", state_path.display())))?;
    if state.sweep_sha256 != hash {
        return Err(JobError::Resume(format!(
            "{} holds a sweep of a different sweep file, base scenario or command-line --set/--points/--replicates: cannot resume it with {} (give the same file and flags)",
            out.display(),
            plan.path.display()
        )));
    }
    if state.version != env!("CARGO_PKG_VERSION") {
        return Err(JobError::Resume(format!(
            "{} was started by tokenmaxx {}: resume it with that version",
            out.display(),
            state.version
        )));
    }
    unpublish(out)?;
    // Each point's runs: fixed, or (adaptive) as the state records them;
    // a point the state does not record is not whole.
    let auto = plan.auto.is_some();
    let recorded = state.point_runs.clone();
    let runs_of = |k: usize| {
        if auto {
            recorded.get(k).copied()
        } else {
            Some(per_point)
        }
    };
    let runs = point_ends(
        &out.join(RUNS_PARTIAL),
        &output::sweep_runs_header(),
        range.start,
        &runs_of,
    )?;
    let tele = point_ends(
        &out.join(TELEMETRY_PARTIAL),
        &output::sweep_telemetry_header(),
        range.start,
        &runs_of,
    )?;
    let whole = (runs.len() - 1).min(tele.len() - 1);
    let done = state.points_done.clamp(range.start, range.end).min(range.start + whole);
    let k = done - range.start;
    truncate(&out.join(RUNS_PARTIAL), runs[k])?;
    truncate(&out.join(TELEMETRY_PARTIAL), tele[k])?;
    state.points_done = done;
    if auto {
        state.point_runs.truncate(k);
    }
    write_state(out, &state)?;
    Ok(state)
}

/// Takes back the final names a killed final step had already given: the
/// state file is still there, so nothing was committed. A manifest or shard
/// record it may have written goes too (the final step writes it again).
fn unpublish(out: &Path) -> Result<(), JobError> {
    output::folder::remove_temporaries(out)?;
    for (partial, done) in [(RUNS_PARTIAL, "runs.csv"), (TELEMETRY_PARTIAL, "telemetry.csv")] {
        let (partial, done) = (out.join(partial), out.join(done));
        if !partial.exists() && done.exists() {
            fs::rename(&done, &partial).map_err(|e| JobError::write(&partial, e))?;
        }
    }
    for record in ["manifest.json", output::folder::SHARD_INFO] {
        let path = out.join(record);
        if path.exists() {
            fs::remove_file(&path).map_err(|e| JobError::write(&path, e))?;
        }
    }
    Ok(())
}

/// Byte offsets in a partial file where whole points end: element 0 is the
/// end of the header, element k the end of the k-th whole point after
/// `first_point`, whose runs are `runs_of(k - 1)` (none: it cannot be
/// whole). Reading stops at a cut line, a NUL byte or a row of an
/// unexpected point.
fn point_ends(
    path: &Path,
    header: &[u8],
    first_point: usize,
    runs_of: &dyn Fn(usize) -> Option<usize>,
) -> Result<Vec<u64>, JobError> {
    use std::io::BufRead;
    let file = File::open(path).map_err(|e| JobError::read(path, e))?;
    let mut reader = std::io::BufReader::new(file);
    let mut line = Vec::new();
    reader
        .read_until(b'\n', &mut line)
        .map_err(|e| JobError::read(path, e))?;
    if line != header {
        return Err(JobError::Damaged {
            path: path.to_path_buf(),
            message: "its header line is not a sweep's: the folder cannot be resumed; remove it (or pass --force) and start again".into(),
        });
    }
    let mut ends = vec![line.len() as u64];
    let mut offset = line.len() as u64;
    // Rows read of the point under way (the k-th, k = ends.len() - 1).
    let mut rows = 0usize;
    loop {
        let k = ends.len() - 1;
        let Some(need) = runs_of(k) else { break };
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| JobError::read(path, e))?;
        if n == 0 || line.last() != Some(&b'\n') || line.contains(&0) {
            break;
        }
        let point = line
            .split(|&b| b == b',')
            .next()
            .and_then(|f| std::str::from_utf8(f).ok())
            .and_then(|f| f.parse::<usize>().ok());
        if point != Some(first_point + k) {
            break;
        }
        offset += n as u64;
        rows += 1;
        if rows == need {
            ends.push(offset);
            rows = 0;
        }
    }
    Ok(ends)
}
