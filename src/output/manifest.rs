//! The manifest every results folder ends with, as typed records: what every
//! manifest records ([`Header`]: tool, version, build target, versions of the
//! RNG crates, every file's SHA-256) and each job's own fields ([`Job`]:
//! run, sweep (a worlds run is a sweep of the `worlds` design), calibrate,
//! discover, optimize, compare), tagged by `command`.
//!
//! Every job writes its manifest through [`Manifest::to_bytes`] and every
//! reader deserializes it once with [`Manifest::read`], so two jobs cannot
//! spell one key two ways. Fields added after the first version carry
//! `#[serde(default)]`, and renamed ones an `alias`, so folders written by
//! earlier versions still read. The JSON is written with its keys in sorted
//! order (through a `serde_json::Value`), as every version has written it.

use crate::scenario::Presentation;
use crate::scenario::labels::Labels;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A results folder's manifest.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(flatten)]
    pub header: Header,
    #[serde(flatten)]
    pub job: Job,
}

/// What every manifest records, whatever the job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    pub tool: String,
    pub version: String,
    pub target: String,
    pub rng_crates: BTreeMap<String, String>,
    /// Every result file (relative name) by its SHA-256: the commit record
    /// readers verify. A manifest without it is damaged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_sha256: Option<BTreeMap<String, String>>,
}

impl Header {
    /// The header of a manifest written by this build, listing `files`.
    pub fn now(files: BTreeMap<String, String>) -> Header {
        Header {
            tool: "tokenmaxx".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            target: target().into(),
            rng_crates: rng_crates(),
            files_sha256: Some(files),
        }
    }
}

/// Each job's own fields, tagged by the `command` that wrote them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "lowercase")]
pub enum Job {
    Run(Box<RunManifest>),
    Sweep(Box<SweepManifest>),
    Calibrate(Box<CalibrateManifest>),
    Discover(Box<DiscoverManifest>),
    Optimize(Box<OptimizeManifest>),
    Compare(Box<CompareManifest>),
    /// A command this version does not know (written by a later one).
    #[serde(other)]
    Unknown,
}

/// `tokenmaxx optimize`: the study as it ran (its file's and base's texts,
/// the command line's amendments, what the search and validation spent).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OptimizeManifest {
    pub name: String,
    pub optimize_path: String,
    pub optimize_sha256: String,
    pub optimize_text: String,
    pub base_path: String,
    pub base_sha256: String,
    /// The base's text, with the searched policy's table when it added one.
    pub base_text: String,
    #[serde(default)]
    pub set: Vec<String>,
    pub algorithm: String,
    pub evaluations: usize,
    pub population: usize,
    pub generations: usize,
    pub seed: u64,
    pub replicates: u32,
    pub worlds: u32,
    pub validation_worlds: u32,
    pub from: String,
    pub policy: String,
    pub references: Vec<String>,
    pub levers: Vec<crate::optimize::study::Lever>,
    pub objectives: Vec<crate::optimize::study::Objective>,
    pub constraints: Vec<crate::optimize::study::Constraint>,
    pub front_size: usize,
    pub threads: usize,
    pub wall_time_s: f64,
}

/// `tokenmaxx compare`: the two results folders it read (A and B), what it
/// compared, and how.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareManifest {
    /// `A-vs-B`, from the two folders' names.
    pub name: String,
    pub a: ComparedFolder,
    pub b: ComparedFolder,
    /// Policies in both folders, in A's order.
    pub arms: Vec<String>,
    #[serde(default)]
    pub only_in_a: Vec<String>,
    #[serde(default)]
    pub only_in_b: Vec<String>,
    /// The runs.csv metrics compared (`net_value_usd` is value - spend).
    pub metrics: Vec<String>,
    /// Keys in which the folders' resolved scenarios (or run settings)
    /// differ.
    pub differing_keys: usize,
    /// Each policy's method (`paired` or `welch`), in `arms` order.
    pub methods: Vec<String>,
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation: Option<Presentation>,
}

/// A folder `compare` read: its name (never a machine path), the command
/// and study that wrote it, its seed, and the SHA-256 of its runs.csv and
/// of its manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComparedFolder {
    pub name: String,
    pub command: String,
    pub scenario: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub runs: usize,
    pub runs_sha256: String,
    pub manifest_sha256: String,
}

/// `tokenmaxx run`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunManifest {
    pub scenario_path: String,
    pub scenario_sha256: String,
    /// The resolved scenario, as `scenario::resolved_json` writes it: every
    /// parameter the run used, defaults included.
    #[serde(default)]
    pub scenario: serde_json::Value,
    #[serde(default)]
    pub labels: Labels,
    pub seed: u64,
    pub replicates: RunReplicates,
    pub arms: Vec<String>,
    pub threads: usize,
    pub started_at: String,
    pub wall_time_s: f64,
    pub task_decisions: u64,
    pub task_decisions_per_s: f64,
    /// Simulated employee-weeks per second (absent before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_weeks_per_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation: Option<Presentation>,
}

/// A run's replicates: a fixed count, or what `replicates = "auto"` did.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RunReplicates {
    Fixed(u32),
    Auto(AutoReplicates),
}

/// The adaptive rule of `replicates = "auto"` and where it stopped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AutoReplicates {
    pub rule: String,
    pub min: u32,
    pub max: u32,
    pub batch: u32,
    pub delta_usd: f64,
    pub pcs_target: f64,
    pub per_arm: Vec<usize>,
    pub batches: usize,
    pub stopped: String,
    pub stopped_because: String,
    pub pcs: f64,
    /// The most runs of the whole study, if capped (`max` is then the cap
    /// per arm it gives).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_max: Option<u64>,
}

/// The adaptive rule of a sweep (every point by itself) and what it did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepAutoReplicates {
    pub rule: String,
    pub min: u32,
    /// The most replicates a policy of one point may get: the rule's `max`,
    /// or the even share of `total_max` if smaller.
    pub max_per_arm: u32,
    pub batch: u32,
    pub delta_usd: f64,
    pub pcs_target: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_max: Option<u64>,
    pub runs: usize,
    pub fewest_runs_at_a_point: usize,
    pub most_runs_at_a_point: usize,
    /// Points by why their rule stopped (`verdicts_decided`, `best_selected`, `max_reached`).
    pub points_stopped: std::collections::BTreeMap<String, usize>,
    /// The file with each point's replicates by policy.
    pub per_point: String,
}

impl RunManifest {
    /// The scenario's name, if the manifest records one.
    pub fn scenario_name(&self) -> Option<&str> {
        self.scenario["name"].as_str()
    }

    /// The scenario's contract term in weeks, if recorded.
    pub fn term_weeks(&self) -> Option<u64> {
        self.scenario["term_weeks"].as_u64()
    }
}

/// `tokenmaxx sweep`, and `tokenmaxx run --worlds` (design `worlds`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepManifest {
    pub sweep_path: String,
    pub sweep_sha256: String,
    pub sweep_and_base_sha256: String,
    pub base_path: String,
    pub base_sha256: String,
    pub name: String,
    pub design: String,
    /// Where a worlds design drew its worlds: `"prior"` or a posterior;
    /// null for other designs.
    #[serde(default)]
    pub worlds_from: Option<WorldsFrom>,
    /// The sweep file's text, kept for `run --worlds`, which writes its
    /// sweep for itself; null otherwise.
    #[serde(default)]
    pub sweep_text: Option<String>,
    pub points: usize,
    pub parameters: Vec<SweptParameter>,
    #[serde(default)]
    pub labels: Labels,
    pub arms: Vec<String>,
    pub replicates: u32,
    pub runs: usize,
    /// With `replicates = "auto"`: the rule and what it did (`replicates`
    /// is then the most any policy of a point could get).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_replicates: Option<SweepAutoReplicates>,
    pub seed: u64,
    pub common_random_numbers: bool,
    /// The command-line amendments (`--set`, `--points`, ...), as typed.
    #[serde(default)]
    pub amendments: String,
    pub threads: usize,
    pub started_at: String,
    pub wall_time_s: f64,
    pub resumed_at_point: usize,
    /// The shard folders a merged sweep was gathered from.
    #[serde(default)]
    pub merged_from: Vec<String>,
    pub task_decisions_this_invocation: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation: Option<Presentation>,
}

/// Where a worlds design drew its worlds from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WorldsFrom {
    Posterior {
        posterior: String,
        posterior_sha256: String,
        generation: u32,
        particles: usize,
    },
    /// `"prior"`.
    Named(String),
}

/// A swept parameter as a sweep manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SweptParameter {
    /// A list of values, each as text.
    Values { key: String, values: Vec<String> },
    /// A range, optionally log-scaled or integer; `steps` for a grid.
    Range {
        key: String,
        range: [f64; 2],
        log: bool,
        integer: bool,
        steps: Option<u32>,
    },
}

impl SweptParameter {
    /// The parameter's dotted key.
    pub fn key(&self) -> &str {
        match self {
            SweptParameter::Values { key, .. } | SweptParameter::Range { key, .. } => key,
        }
    }

    /// Whether the parameter was swept on a log scale.
    pub fn log(&self) -> bool {
        matches!(self, SweptParameter::Range { log: true, .. })
    }
}

/// `tokenmaxx calibrate`. Versions up to 28ecb67 wrote `evidence`, `base`
/// and `wall_seconds` where run and sweep write `*_path` and `wall_time_s`:
/// those names still read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CalibrateManifest {
    pub name: String,
    #[serde(alias = "evidence")]
    pub evidence_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_sha256: Option<String>,
    pub evidence_text: String,
    #[serde(alias = "base")]
    pub base_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_sha256: Option<String>,
    pub base_text: String,
    pub particles: usize,
    pub generations_asked: usize,
    pub generations_run: usize,
    pub stop: String,
    pub seed: u64,
    pub replicates: u32,
    pub set: Vec<String>,
    pub parameters: Vec<CalibratedParameter>,
    pub simulations: usize,
    pub threads: usize,
    #[serde(alias = "wall_seconds")]
    pub wall_time_s: f64,
    /// The look its charts were last drawn in by `plot` (none: the
    /// default look, as `calibrate` draws them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation: Option<Presentation>,
}

/// A calibrated parameter's prior range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibratedParameter {
    pub key: String,
    pub low: f64,
    pub high: f64,
    pub log: bool,
}

/// `tokenmaxx discover`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiscoverManifest {
    pub name: String,
    /// The results folder discovery read.
    pub results: String,
    pub policy: String,
    pub against: Option<String>,
    pub metric: String,
    /// The threshold a case of interest is above; with `cases`, the value
    /// at the cut-off of that share.
    pub threshold: f64,
    /// `--cases` as given (`top:0.2`), when a share chose the cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cases: Option<String>,
    pub peel_alpha: f64,
    pub paste_alpha: f64,
    pub mass_min: f64,
    /// The chosen step of the trajectory, if any.
    #[serde(rename = "box")]
    pub chosen: Option<usize>,
    pub bootstrap: usize,
    pub sentence: String,
    /// The files of the results folder it read (points.csv, runs.csv) by
    /// the SHA-256 that folder's manifest lists: a discovery belongs to one
    /// result, and a reader leaves out one whose sources are not the
    /// folder's files (empty: written before it was recorded).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources_sha256: BTreeMap<String, String>,
}

impl DiscoverManifest {
    /// Whether this discovery was made from the result `parent` lists.
    pub fn belongs_to(&self, parent: &Manifest) -> bool {
        let listed = parent.header.files_sha256.as_ref();
        !self.sources_sha256.is_empty()
            && self
                .sources_sha256
                .iter()
                .all(|(name, hash)| listed.and_then(|l| l.get(name)) == Some(hash))
    }
}

/// The files a discovery reads from its results folder.
pub const DISCOVERY_SOURCES: [&str; 2] = ["points.csv", "runs.csv"];

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{0}")]
    Read(#[source] std::io::Error),
    #[error("not a valid manifest ({0})")]
    Invalid(String),
}

impl Manifest {
    /// A manifest of this build: `job` with the header of this build,
    /// listing `files` (relative name, SHA-256).
    pub fn new(job: Job, files: BTreeMap<String, String>) -> Manifest {
        Manifest {
            header: Header::now(files),
            job,
        }
    }

    /// The manifest's JSON, keys in sorted order, ending with a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).expect("a manifest serialises");
        let mut bytes = serde_json::to_vec_pretty(&value).expect("JSON serialises");
        bytes.push(b'\n');
        bytes
    }

    /// Parses a manifest's bytes; a damaged one is named by the field at
    /// fault.
    pub fn from_slice(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            ManifestError::Invalid(if path == "." || path.is_empty() {
                inner.to_string()
            } else {
                format!("{path}: {inner}")
            })
        })
    }

    /// Reads and parses `dir/manifest.json`.
    pub fn read(dir: &Path) -> Result<Manifest, ManifestError> {
        let bytes = std::fs::read(dir.join("manifest.json")).map_err(ManifestError::Read)?;
        Manifest::from_slice(&bytes)
    }

    /// The command that wrote the folder (`run`, `sweep`, `calibrate`,
    /// `discover`), or `?` for one this version does not know.
    pub fn command(&self) -> &'static str {
        match &self.job {
            Job::Run(_) => "run",
            Job::Sweep(_) => "sweep",
            Job::Calibrate(_) => "calibrate",
            Job::Discover(_) => "discover",
            Job::Optimize(_) => "optimize",
            Job::Compare(_) => "compare",
            Job::Unknown => "?",
        }
    }

    /// The study's name: the scenario's, sweep's, evidence's or
    /// discovery's, if recorded and not empty.
    pub fn name(&self) -> Option<&str> {
        let name = match &self.job {
            Job::Run(r) => r.scenario_name(),
            Job::Sweep(s) => Some(s.name.as_str()),
            Job::Calibrate(c) => Some(c.name.as_str()),
            Job::Discover(d) => Some(d.name.as_str()),
            Job::Optimize(o) => Some(o.name.as_str()),
            Job::Compare(c) => Some(c.name.as_str()),
            Job::Unknown => None,
        };
        name.filter(|n| !n.is_empty())
    }

    /// The master seed, if the job has one.
    pub fn seed(&self) -> Option<u64> {
        match &self.job {
            Job::Run(r) => Some(r.seed),
            Job::Sweep(s) => Some(s.seed),
            Job::Calibrate(c) => Some(c.seed),
            Job::Optimize(o) => Some(o.seed),
            Job::Discover(_) | Job::Compare(_) | Job::Unknown => None,
        }
    }

    /// The display names of the result's policies and parameters.
    pub fn labels(&self) -> Labels {
        match &self.job {
            Job::Run(r) => r.labels.clone(),
            Job::Sweep(s) => s.labels.clone(),
            _ => Labels::default(),
        }
    }

    /// The `[presentation]` recorded from the scenario or sweep file.
    pub fn presentation(&self) -> Option<&Presentation> {
        match &self.job {
            Job::Run(r) => r.presentation.as_ref(),
            Job::Sweep(s) => s.presentation.as_ref(),
            Job::Compare(c) => c.presentation.as_ref(),
            Job::Calibrate(c) => c.presentation.as_ref(),
            _ => None,
        }
    }

    /// The swept or calibrated parameters' keys and whether each is on a
    /// log scale.
    pub fn parameter_scales(&self) -> Vec<(String, bool)> {
        match &self.job {
            Job::Sweep(s) => s.parameters.iter().map(|p| (p.key().to_string(), p.log())).collect(),
            Job::Calibrate(c) => c.parameters.iter().map(|p| (p.key.clone(), p.log)).collect(),
            _ => Vec::new(),
        }
    }

    /// The provenance a report lists: tool, version, command, target, time,
    /// threads, the inputs' file names (never a machine path) and SHA-256,
    /// the seed, in that order; only what this manifest records.
    pub fn provenance(&self) -> Vec<(&'static str, String)> {
        let h = &self.header;
        let mut out = vec![
            ("tool", h.tool.clone()),
            ("version", h.version.clone()),
            ("command", self.command().to_string()),
            ("target", h.target.clone()),
        ];
        let file = |p: &str| file_name(p);
        match &self.job {
            Job::Run(r) => {
                out.push(("started_at", r.started_at.clone()));
                out.push(("threads", r.threads.to_string()));
                out.push(("scenario_path", file(&r.scenario_path)));
                out.push(("scenario_sha256", r.scenario_sha256.clone()));
                out.push(("seed", r.seed.to_string()));
            }
            Job::Sweep(s) => {
                out.push(("started_at", s.started_at.clone()));
                out.push(("threads", s.threads.to_string()));
                out.push(("sweep_path", file(&s.sweep_path)));
                out.push(("sweep_sha256", s.sweep_sha256.clone()));
                out.push(("base_path", file(&s.base_path)));
                out.push(("base_sha256", s.base_sha256.clone()));
                out.push(("seed", s.seed.to_string()));
            }
            Job::Calibrate(c) => {
                out.push(("threads", c.threads.to_string()));
                out.push(("base_path", file(&c.base_path)));
                if let Some(h) = &c.base_sha256 {
                    out.push(("base_sha256", h.clone()));
                }
                out.push(("evidence_path", file(&c.evidence_path)));
                if let Some(h) = &c.evidence_sha256 {
                    out.push(("evidence_sha256", h.clone()));
                }
                out.push(("seed", c.seed.to_string()));
            }
            Job::Optimize(o) => {
                out.push(("threads", o.threads.to_string()));
                out.push(("optimize_path", file(&o.optimize_path)));
                out.push(("optimize_sha256", o.optimize_sha256.clone()));
                out.push(("base_path", file(&o.base_path)));
                out.push(("base_sha256", o.base_sha256.clone()));
                out.push(("seed", o.seed.to_string()));
            }
            Job::Compare(c) => {
                out.push(("started_at", c.started_at.clone()));
                let [a, b] = [&c.a, &c.b];
                out.push(("a_folder", a.name.clone()));
                out.push(("a_command", a.command.clone()));
                out.push(("a_scenario_sha256", a.scenario_sha256.clone()));
                out.push(("a_seed", a.seed.to_string()));
                out.push(("a_runs_sha256", a.runs_sha256.clone()));
                out.push(("a_manifest_sha256", a.manifest_sha256.clone()));
                out.push(("b_folder", b.name.clone()));
                out.push(("b_command", b.command.clone()));
                out.push(("b_scenario_sha256", b.scenario_sha256.clone()));
                out.push(("b_seed", b.seed.to_string()));
                out.push(("b_runs_sha256", b.runs_sha256.clone()));
                out.push(("b_manifest_sha256", b.manifest_sha256.clone()));
            }
            Job::Discover(_) | Job::Unknown => {}
        }
        out
    }
}

/// The files a manifest's bytes list, read even from a manifest this
/// version cannot otherwise read (so clearing a folder removes them).
pub fn listed_files(bytes: &[u8]) -> Option<BTreeMap<String, String>> {
    #[derive(Deserialize)]
    struct Listed {
        files_sha256: BTreeMap<String, String>,
    }
    serde_json::from_slice::<Listed>(bytes).ok().map(|l| l.files_sha256)
}

/// What a manifest's bytes say the folder holds, as (command, study name),
/// `?` for what they do not say: read even from a manifest this version
/// cannot otherwise read, so a folder holding any result is never taken
/// for debris.
pub fn identity(bytes: &[u8]) -> Option<(String, String)> {
    #[derive(Deserialize)]
    struct Named {
        #[serde(default)]
        name: Option<String>,
    }
    #[derive(Deserialize)]
    struct Identity {
        #[serde(default)]
        command: Option<String>,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        scenario: Option<Named>,
    }
    let id: Identity = match serde_json::from_slice(bytes) {
        Ok(id) => id,
        // Valid JSON of another shape still marks a result.
        Err(_) => {
            serde_json::from_slice::<serde::de::IgnoredAny>(bytes).ok()?;
            Identity {
                command: None,
                name: None,
                scenario: None,
            }
        }
    };
    let name = id.name.or_else(|| id.scenario.and_then(|s| s.name));
    Some((
        id.command.unwrap_or_else(|| "?".into()),
        name.unwrap_or_else(|| "?".into()),
    ))
}

/// A path as a results folder records it (in a manifest, or the lock
/// file's command line): as the user typed it when it is relative, else
/// only its file name, so no output file holds a machine's absolute path.
/// (A manifest records every input's SHA-256 beside its path, which
/// identifies the file wherever it lies.)
pub fn recorded_path(path: &Path) -> String {
    if path.is_absolute() {
        file_name(&path.display().to_string())
    } else {
        path.display().to_string()
    }
}

/// The file name of a path as a manifest records it.
pub fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// The crates whose versions decide random draws, as recorded at build time.
pub fn rng_crates() -> BTreeMap<String, String> {
    env!("TOKENMAXX_RNG_CRATES")
        .split(',')
        .filter_map(|s| s.split_once('='))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// The build target triple.
pub fn target() -> &'static str {
    env!("TOKENMAXX_TARGET")
}

/// The SHA-256 of each named file's bytes, by name.
pub fn hashes<'a>(files: impl IntoIterator<Item = &'a (String, Vec<u8>)>) -> BTreeMap<String, String> {
    files
        .into_iter()
        .map(|(n, b)| (n.clone(), super::sha256_hex(b)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A calibration manifest as version 28ecb67 wrote it (its keys, not
    /// its values).
    const OLD_CALIBRATION: &str = r#"{
  "base": "/tmp/x/small.toml", "base_text": "name = \"small\"\n",
  "command": "calibrate", "evidence": "/tmp/x/evidence.toml", "evidence_text": "base = \"small.toml\"\n",
  "files_sha256": {"ppc.csv": "00"}, "generations_asked": 2, "generations_run": 2,
  "name": "evidence", "parameters": [{"high": 30.0, "key": "employees.tasks_per_week", "log": false, "low": 4.0}],
  "particles": 12, "replicates": 1, "rng_crates": {"rand": "0.10.4"}, "seed": 3, "set": [],
  "simulations": 40, "stop": "Generations", "target": "x86_64-unknown-linux-gnu", "threads": 2,
  "tool": "tokenmaxx", "version": "0.1.0", "wall_seconds": 0.5
}"#;

    #[test]
    fn a_calibration_manifest_of_the_previous_version_reads_with_the_names_run_and_sweep_use() {
        let m = Manifest::from_slice(OLD_CALIBRATION.as_bytes()).unwrap();
        let Job::Calibrate(c) = &m.job else { panic!("{m:?}") };
        assert_eq!(c.evidence_path, "/tmp/x/evidence.toml");
        assert_eq!(c.base_path, "/tmp/x/small.toml");
        assert_eq!(c.wall_time_s, 0.5);
        assert_eq!(c.evidence_sha256, None);
        // Written again, it takes today's names.
        let text: serde_json::Value = serde_json::from_slice(&m.to_bytes()).unwrap();
        for key in ["evidence_path", "base_path", "wall_time_s"] {
            assert!(text.get(key).is_some(), "{key} in {text}");
        }
        for key in ["evidence", "base", "wall_seconds", "evidence_sha256"] {
            assert!(text.get(key).is_none(), "{key} in {text}");
        }
        // Provenance: file names, never paths; no hash the manifest lacks.
        let p = m.provenance();
        assert!(p.contains(&("evidence_path", "evidence.toml".to_string())), "{p:?}");
        assert!(!p.iter().any(|(k, _)| *k == "evidence_sha256"), "{p:?}");
    }

    #[test]
    fn a_manifest_round_trips_and_keeps_its_keys_sorted() {
        let m = Manifest::from_slice(OLD_CALIBRATION.as_bytes()).unwrap();
        let bytes = m.to_bytes();
        let again = Manifest::from_slice(&bytes).unwrap();
        assert_eq!(again.to_bytes(), bytes);
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(bytes.ends_with(b"}\n"));
    }

    #[test]
    fn a_damaged_field_is_named_and_an_unknown_command_still_reads() {
        let bad = OLD_CALIBRATION.replace("\"seed\": 3", "\"seed\": \"three\"");
        let e = Manifest::from_slice(bad.as_bytes()).unwrap_err().to_string();
        assert!(e.starts_with("not a valid manifest") && e.contains("three"), "{e}");
        let later =
            r#"{"command": "a-later-command", "tool": "tokenmaxx", "version": "9", "target": "t", "rng_crates": {}}"#;
        let m = Manifest::from_slice(later.as_bytes()).unwrap();
        assert_eq!(m.command(), "?");
        assert!(m.header.files_sha256.is_none());
    }

    #[test]
    fn a_relative_path_is_recorded_as_typed_and_an_absolute_one_by_its_file_name() {
        assert_eq!(
            recorded_path(Path::new("scenarios/baseline.toml")),
            "scenarios/baseline.toml"
        );
        assert_eq!(recorded_path(Path::new("../x/s.toml")), "../x/s.toml");
        assert_eq!(recorded_path(Path::new("/home/me/study/s.toml")), "s.toml");
        assert_eq!(recorded_path(Path::new("/tmp/results/")), "results");
    }

    #[test]
    fn swept_parameters_read_as_values_or_ranges() {
        let p: Vec<SweptParameter> = serde_json::from_str(
            r#"[{"key": "a", "values": ["0", "x"]}, {"key": "b", "range": [0.5, 2.0], "log": true, "integer": false, "steps": null}]"#,
        )
        .unwrap();
        assert_eq!(p[0].key(), "a");
        assert!(!p[0].log());
        assert_eq!(p[1].key(), "b");
        assert!(p[1].log());
    }
}
