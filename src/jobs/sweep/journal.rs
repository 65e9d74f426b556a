//! The sweep journal: what makes a sweep survive a kill. While a sweep
//! runs, its folder holds `runs.csv.partial`, `telemetry.csv.partial` and
//! `.sweep-state.json`. After each chunk of points the partial files are
//! appended and synced, then the state records how many points are done and
//! how long each partial file was. A resumed sweep truncates the partial
//! files to those lengths (dropping rows of an unfinished chunk) and goes on.

use crate::experiment::plan::SweepPlan;
use crate::jobs::error::JobError;
use crate::output;
use serde::{Deserialize, Serialize};
use std::fs::OpenOptions;
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
    pub runs_bytes: u64,
    pub telemetry_bytes: u64,
}

pub fn sweep_hash(spec: &SweepPlan) -> String {
    // The sweep file and its base together decide every result.
    let mut both = spec.source.clone().into_bytes();
    both.extend_from_slice(b"\n--base--\n");
    both.extend_from_slice(spec.base_source.as_bytes());
    output::sha256_hex(&both)
}

pub fn write_state(dir: &Path, state: &State) -> Result<(), JobError> {
    let bytes = serde_json::to_vec_pretty(state).expect("state serialises");
    output::write_atomically(dir, &[(STATE.to_string(), bytes)])?;
    Ok(())
}

pub fn append(path: &Path, bytes: &[u8]) -> Result<u64, JobError> {
    let mut f = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| JobError::write(path, e))?;
    f.write_all(bytes).map_err(|e| JobError::write(path, e))?;
    f.sync_data().map_err(|e| JobError::write(path, e))?;
    f.metadata().map(|m| m.len()).map_err(|e| JobError::write(path, e))
}

pub fn truncate(path: &Path, len: u64) -> Result<(), JobError> {
    let mut f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| JobError::write(path, e))?;
    f.set_len(len).map_err(|e| JobError::write(path, e))?;
    f.seek(SeekFrom::End(0)).map_err(|e| JobError::write(path, e))?;
    f.sync_all().map_err(|e| JobError::write(path, e))
}
