//! A `run`'s results read back: its runs, weekly rows, enterprises,
//! verdicts and the display labels its manifest records.

use super::error::ReadError;
use super::table::Table;
use crate::output::manifest::{Job, Manifest};
use crate::scenario::labels::Labels;
use std::path::Path;

/// Everything a `run`'s charts need.
#[derive(Debug, Clone)]
pub struct RunData {
    /// Scenario name, seed and tool version for the source line.
    pub scenario: String,
    pub seed: String,
    /// Policies in arm order (the first is the reference).
    pub policies: Vec<String>,
    pub replicates: usize,
    /// Points of a sweep (1 for a `run`).
    pub points: usize,
    pub term_weeks: usize,
    pub runs: Table,
    /// The value and spend channels of runs.csv (third edition); `None`
    /// for results written before them.
    pub channels: Option<Table>,
    pub weekly: Table,
    pub enterprises: Option<Table>,
    /// `verdicts.csv` of a run: (policy, versus, p_beats_roi, ...).
    pub verdicts: Option<Table>,
    /// Display names of the policies and parameters (from the manifest).
    pub labels: Labels,
}

pub const RUN_COLS: [&str; 7] = [
    "spend_usd",
    "value_usd",
    "roi",
    "waste_share",
    "value_per_mtok",
    "tokens",
    "replicate",
];
pub const WEEK_COLS: [&str; 7] = [
    "week",
    "spend_usd",
    "usage_cost_usd",
    "value_usd",
    "mandate",
    "commitment_usd",
    "usage_readers_share",
];
pub const ENT_COLS: [&str; 2] = ["spend_usd", "value_usd"];

/// Result files as (name, bytes).
pub type Files<'a> = &'a [(String, Vec<u8>)];

fn find<'a>(files: Files<'a>, name: &str) -> Option<&'a [u8]> {
    files.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice())
}

impl RunData {
    /// Reads the result files of a `run` from memory.
    pub fn from_files(dir: &Path, files: Files) -> Result<RunData, ReadError> {
        let need = |name: &str| {
            find(files, name).ok_or_else(|| ReadError::NoResults {
                dir: dir.to_path_buf(),
                file: name.to_string(),
            })
        };
        let file = |name: &str| dir.join(name).display().to_string();
        let runs = Table::parse(&file("runs.csv"), need("runs.csv")?, &["policy"], &RUN_COLS)?;
        let channel_cols: Vec<&str> = crate::experiment::channels::CHANNELS.iter().map(|c| c.column).collect();
        let channels = match Table::parse(&file("runs.csv"), need("runs.csv")?, &["policy"], &channel_cols) {
            Ok(t) => Some(t),
            Err(ReadError::MissingColumn { .. }) => None,
            Err(e) => return Err(e),
        };
        let weekly = Table::parse(&file("weekly.csv"), need("weekly.csv")?, &["policy"], &WEEK_COLS)?;
        let enterprises = match find(files, "enterprises.csv") {
            Some(b) => Some(Table::parse(&file("enterprises.csv"), b, &["policy"], &ENT_COLS)?),
            None => None,
        };
        let mut policies: Vec<String> = Vec::new();
        for p in runs.t("policy") {
            if !policies.contains(p) {
                policies.push(p.clone());
            }
        }
        // One policy has no verdicts (verdicts.csv holds its header only).
        let verdicts = if policies.len() < 2 {
            None
        } else {
            Some(Table::parse(
                &file("verdicts.csv"),
                need("verdicts.csv")?,
                &["policy", "versus"],
                &["p_beats_roi"],
            )?)
        };
        let replicates = runs.rows / policies.len();
        // The manifest names the scenario; without one, the directory does.
        let manifest = find(files, "manifest.json").and_then(|b| Manifest::from_slice(b).ok());
        let run = match &manifest {
            Some(Manifest { job: Job::Run(r), .. }) => Some(r),
            _ => None,
        };
        let scenario = run
            .and_then(|r| r.scenario_name().map(str::to_string))
            .unwrap_or_else(|| {
                dir.file_name()
                    .map_or("results".to_string(), |n| n.to_string_lossy().into_owned())
            });
        let seed = run.map_or(String::new(), |r| r.seed.to_string());
        let term_weeks = run.and_then(|r| r.term_weeks()).unwrap_or(52) as usize;
        Ok(RunData {
            scenario,
            seed,
            policies,
            replicates,
            points: 1,
            term_weeks,
            runs,
            channels,
            weekly,
            enterprises,
            verdicts,
            labels: manifest.as_ref().map(Manifest::labels).unwrap_or_default(),
        })
    }

    /// Net value (value - spend) of each run of `policy`, in file order
    /// (replicate order for a run).
    pub fn net_of(&self, policy: &str) -> Vec<f64> {
        self.runs_of(policy, "value_usd")
            .iter()
            .zip(self.runs_of(policy, "spend_usd"))
            .map(|(v, s)| v - s)
            .collect()
    }

    /// A policy's display name.
    pub fn name(&self, policy: &str) -> String {
        self.labels.policy(policy)
    }

    /// P(ROI of `policy` > ROI of `versus`) as `verdicts.csv` gives it.
    pub fn p_beats_roi(&self, policy: &str, versus: &str) -> Option<f64> {
        let v = self.verdicts.as_ref()?;
        let (p, q) = (v.t("policy"), v.t("versus"));
        (0..v.rows)
            .find(|&i| p[i] == policy && q[i] == versus)
            .map(|i| v.n("p_beats_roi")[i])
    }

    /// Reads the result files of a `run` from a directory.
    pub fn from_dir(dir: &Path) -> Result<RunData, ReadError> {
        let mut files = Vec::new();
        for name in [
            "runs.csv",
            "weekly.csv",
            "enterprises.csv",
            "verdicts.csv",
            "manifest.json",
        ] {
            let path = dir.join(name);
            match std::fs::read(&path) {
                Ok(b) => files.push((name.to_string(), b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(ReadError::Read { path, source }),
            }
        }
        RunData::from_files(dir, &files)
    }

    /// Values of a runs.csv column for one policy, in replicate order.
    /// A channel column (see [`RunData::channels`]) for one policy, in file
    /// order; empty without channel columns.
    pub fn channel_of(&self, policy: &str, col: &str) -> Vec<f64> {
        let Some(t) = &self.channels else {
            return Vec::new();
        };
        t.n(col)
            .iter()
            .zip(t.t("policy"))
            .filter(|(_, q)| *q == policy)
            .map(|(v, _)| *v)
            .collect()
    }

    pub fn runs_of(&self, policy: &str, col: &str) -> Vec<f64> {
        let p = self.runs.t("policy");
        self.runs
            .n(col)
            .iter()
            .zip(p)
            .filter(|(_, q)| *q == policy)
            .map(|(v, _)| *v)
            .collect()
    }

    /// A weekly column for one policy as `[replicate][week]`.
    pub fn weekly_of(&self, policy: &str, col: &str) -> Vec<Vec<f64>> {
        let p = self.weekly.t("policy");
        let weeks = self.weekly.n("week");
        let vals = self.weekly.n(col);
        let mut out: Vec<Vec<f64>> = Vec::new();
        for i in 0..self.weekly.rows {
            if p[i] != policy {
                continue;
            }
            if weeks[i] == 0.0 {
                out.push(Vec::new());
            }
            if let Some(last) = out.last_mut() {
                last.push(vals[i]);
            }
        }
        out
    }

    pub fn n_runs(&self) -> usize {
        self.runs.rows
    }
}
