//! A folder compared: its manifest, runs and (for a sweep) points read
//! under its shared lock and checked first, its samples of each metric
//! keyed for pairing, what kind and shape of study it holds, and what
//! differs between two folders' settings and resolved scenarios.

use crate::experiment::compare::{self, METRICS};
use crate::jobs::error::JobError;
use crate::output;
use crate::output::compare::KeyDifference;
use crate::output::folder::ReadLock;
use crate::output::manifest::{Job, Manifest, RunManifest, RunReplicates, SweepManifest};
use crate::report::compare::Folder;
use crate::results::Table;
use std::path::Path;

/// Top-level tables of a resolved scenario that document it and set
/// nothing a run uses.
const NOT_PARAMETERS: [&str; 2] = ["sources", "priors"];

/// What a folder compared holds: a run's results or a sweep's (a worlds
/// run is a sweep of the worlds design).
pub(super) enum Study {
    Run(Box<RunManifest>),
    Sweep(Box<SweepManifest>),
}

/// One folder read: its manifest, its runs and the locks that keep its
/// writers out while it is read.
pub(super) struct Side {
    pub(super) name: String,
    pub(super) study: Study,
    pub(super) manifest: Manifest,
    pub(super) manifest_sha256: String,
    pub(super) runs_sha256: String,
    pub(super) runs: Table,
    pub(super) seeds: Vec<u64>,
    /// Each run's point (a sweep's), in runs.csv's order; empty for a run.
    pub(super) points: Vec<usize>,
    /// A sweep's points.csv: its header and rows as written.
    pub(super) grid: Option<(Vec<String>, Vec<Vec<String>>)>,
    pub(super) _lock: Option<ReadLock>,
}

impl Side {
    pub(super) fn policies(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in self.runs.t("policy") {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        out
    }

    /// One policy's pairing keys and values of `metric` (net value
    /// computed), at one point of a sweep or over all its runs. The key is
    /// the seed, mixed with the point in a sweep: a sweep runs every point
    /// with the same seeds, and only the same seed at the same point pairs.
    pub(super) fn sample_at(&self, policy: &str, metric: &str, point: Option<usize>) -> (Vec<u64>, Vec<f64>) {
        let sweep = !self.points.is_empty();
        let rows: Vec<usize> = (0..self.runs.rows)
            .filter(|&i| self.runs.t("policy")[i] == policy && point.is_none_or(|p| self.points[i] == p))
            .collect();
        let value = |i: usize| match metric {
            "net_value_usd" => self.runs.n("value_usd")[i] - self.runs.n("spend_usd")[i],
            m => self.runs.n(m)[i],
        };
        let key = |i: usize| {
            if sweep {
                self.seeds[i] ^ (self.points[i] as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            } else {
                self.seeds[i]
            }
        };
        (
            rows.iter().map(|&i| key(i)).collect(),
            rows.iter().map(|&i| value(i)).collect(),
        )
    }

    pub(super) fn sample(&self, policy: &str, metric: &str) -> (Vec<u64>, Vec<f64>) {
        self.sample_at(policy, metric, None)
    }

    /// The study's name: the scenario of a run, the sweep (or worlds run).
    pub(super) fn scenario(&self) -> String {
        match &self.study {
            Study::Run(r) => r.scenario_name().unwrap_or("?").to_string(),
            Study::Sweep(s) => s.name.clone(),
        }
    }

    pub(super) fn scenario_sha256(&self) -> String {
        match &self.study {
            Study::Run(r) => r.scenario_sha256.clone(),
            Study::Sweep(s) => s.sweep_and_base_sha256.clone(),
        }
    }

    pub(super) fn seed(&self) -> u64 {
        match &self.study {
            Study::Run(r) => r.seed,
            Study::Sweep(s) => s.seed,
        }
    }

    pub(super) fn replicates(&self) -> String {
        match &self.study {
            Study::Run(r) => match &r.replicates {
                RunReplicates::Fixed(n) => n.to_string(),
                RunReplicates::Auto(a) => format!("auto ({})", join(a.per_arm.iter())),
            },
            Study::Sweep(s) => s.replicates.to_string(),
        }
    }

    pub(super) fn sweep(&self) -> Option<&SweepManifest> {
        match &self.study {
            Study::Sweep(s) => Some(s),
            Study::Run(_) => None,
        }
    }

    /// The folder as summary.md names it.
    pub(super) fn folder(&self) -> Folder {
        Folder {
            name: self.name.clone(),
            words: side_words(self),
            seed: self.seed(),
            resolved: resolved(self),
            sweep: self.sweep().is_some(),
        }
    }

    /// The kind of folder in words, for refusals.
    pub(super) fn kind(&self) -> String {
        match &self.study {
            Study::Run(_) => "a run".into(),
            Study::Sweep(s) if s.design == "worlds" => "a worlds run (plausible worlds)".into(),
            Study::Sweep(s) => format!("a sweep (a {} design)", s.design),
        }
    }
}

fn join<T: std::fmt::Display>(xs: impl Iterator<Item = T>) -> String {
    xs.map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

/// A folder's own name (never a machine path).
fn folder_name(dir: &Path) -> String {
    dir.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "results".into())
}

/// Reads folder `dir` (study `which`, "A" or "B") under its shared lock:
/// a verified `run` folder, or the error naming what it is instead.
pub(super) fn read_side(dir: &Path, which: &str) -> Result<Side, JobError> {
    let usage = |m: String| JobError::Usage(format!("{which} ({}): {m}", dir.display()));
    match std::fs::metadata(dir) {
        Err(_) => {
            return Err(usage(
                "no such folder: compare reads two results folders of `tokenmaxx run` or `tokenmaxx sweep`".into(),
            ));
        }
        Ok(m) if !m.is_dir() => return Err(usage("is not a folder".into())),
        Ok(_) => {}
    }
    let lock = ReadLock::acquire(dir)?;
    // The kind first: a folder of another kind is named as such, whatever
    // state its files are in.
    let manifest = match Manifest::read(dir) {
        Ok(m) if !matches!(m.job, Job::Run(_) | Job::Sweep(_)) => m,
        _ => crate::jobs::plot::verify_files(dir)?,
    };
    let study = match &manifest.job {
        Job::Run(r) => Study::Run(r.clone()),
        Job::Sweep(s) => Study::Sweep(s.clone()),
        _ => {
            let name = manifest.name().map_or(String::new(), |n| format!(" of {n}"));
            return Err(usage(format!(
                "holds the results of `tokenmaxx {}`{name}: compare reads two runs, two sweeps or two worlds runs",
                manifest.command()
            )));
        }
    };
    let sweep = matches!(study, Study::Sweep(_));
    let path = dir.join("runs.csv");
    let bytes = output::read_capped(&path, 1 << 32).map_err(|e| JobError::read(&path, e))?;
    let manifest_path = dir.join("manifest.json");
    let manifest_bytes = std::fs::read(&manifest_path).map_err(|e| JobError::read(&manifest_path, e))?;
    let cols: Vec<&str> = METRICS.iter().skip(1).map(|(c, _)| *c).collect();
    let text: &[&str] = if sweep {
        &["point", "policy", "seed"]
    } else {
        &["policy", "seed"]
    };
    let runs = Table::parse(&path.display().to_string(), bytes.as_slice(), text, &cols)?;
    let whole = |col: &str| -> Result<Vec<u64>, JobError> {
        runs.t(col)
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.parse::<u64>().map_err(|_| JobError::Damaged {
                    path: path.clone(),
                    message: format!("line {}: {col} `{s}` is not a whole number", i + 2),
                })
            })
            .collect()
    };
    let seeds = whole("seed")?;
    let (points, grid) = if sweep {
        let points: Vec<usize> = whole("point")?.into_iter().map(|p| p as usize).collect();
        (points, Some(read_grid(dir)?))
    } else {
        (Vec::new(), None)
    };
    Ok(Side {
        name: folder_name(dir),
        study,
        manifest_sha256: output::sha256_hex(&manifest_bytes),
        runs_sha256: output::sha256_hex(&bytes),
        manifest,
        runs,
        seeds,
        points,
        grid,
        _lock: lock,
    })
}

/// A sweep's points.csv as written: its header and its rows of text.
fn read_grid(dir: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), JobError> {
    let path = dir.join("points.csv");
    let bytes = output::read_capped(&path, 1 << 30).map_err(|e| JobError::read(&path, e))?;
    Ok(crate::results::table::text_rows(&path.display().to_string(), &bytes)?)
}

/// Two folders can be compared when they are of one kind, and two sweeps
/// when they have one shape: the same design, number of points and varied
/// parameters. The refusal names every difference.
pub(super) fn check_shape(a: &Side, b: &Side) -> Result<(), JobError> {
    let (sa, sb) = match (a.sweep(), b.sweep()) {
        (None, None) => return Ok(()),
        (Some(sa), Some(sb)) => (sa, sb),
        _ => {
            return Err(JobError::Usage(format!(
                "A ({}) holds {} and B ({}) {}: compare reads two folders of one kind (two runs, two sweeps or two worlds runs)",
                a.name,
                a.kind(),
                b.name,
                b.kind()
            )));
        }
    };
    let mut what: Vec<String> = Vec::new();
    if sa.design != sb.design {
        what.push(format!("design: A {}, B {}", sa.design, sb.design));
    }
    if sa.points != sb.points {
        what.push(format!("points: A {}, B {}", sa.points, sb.points));
    }
    let keys = |s: &SweepManifest| -> Vec<String> { s.parameters.iter().map(|p| p.key().to_string()).collect() };
    let (ka, kb) = (keys(sa), keys(sb));
    let only = |x: &[String], y: &[String]| -> Vec<String> {
        x.iter().filter(|k| !y.contains(k)).map(|k| format!("`{k}`")).collect()
    };
    let (oa, ob) = (only(&ka, &kb), only(&kb, &ka));
    if !oa.is_empty() {
        what.push(format!("varied only in A: {}", oa.join(", ")));
    }
    if !ob.is_empty() {
        what.push(format!("varied only in B: {}", ob.join(", ")));
    }
    if what.is_empty() {
        return Ok(());
    }
    Err(JobError::Usage(format!(
        "A ({}, {}) and B ({}, {}) are studies of different shape ({}): compare matches two sweeps point by point and needs the same design, number of points and varied parameters",
        a.name,
        a.scenario(),
        b.name,
        b.scenario(),
        what.join("; ")
    )))
}

/// Whether two sweeps drew the same points (the same values of every
/// varied parameter at every point), so that they compare point by point.
pub(super) fn same_points(a: &Side, b: &Side) -> bool {
    match (&a.grid, &b.grid) {
        (Some(ga), Some(gb)) => ga == gb && !ga.1.is_empty(),
        _ => false,
    }
}

/// A folder in words, for the chart's source line and summary.md.
pub(super) fn side_words(s: &Side) -> String {
    match s.sweep() {
        None => format!("scenario \"{}\", seed {}, {} runs", s.scenario(), s.seed(), s.runs.rows),
        Some(w) => format!(
            "{} \"{}\", {}, seed {}, {} runs",
            if w.design == "worlds" { "worlds run" } else { "sweep" },
            s.scenario(),
            crate::human::count(w.points, if w.design == "worlds" { "world" } else { "point" }),
            s.seed(),
            s.runs.rows
        ),
    }
}

/// What differs between the two folders: the run's own settings from the
/// manifests (seed, replicates, arms, scenario file), then every key of the
/// resolved scenarios (`--set` amendments included) whose value differs.
pub(super) fn differences(a: &Side, b: &Side) -> Vec<KeyDifference> {
    let mut out: Vec<KeyDifference> = Vec::new();
    if let (Some(sa), Some(sb)) = (a.sweep(), b.sweep()) {
        // A sweep's settings and the manifest's record of its parameters.
        let settings = |s: &SweepManifest| {
            let mut v = vec![
                ("seed".to_string(), s.seed.to_string()),
                ("replicates".to_string(), s.replicates.to_string()),
                ("arms".to_string(), join(s.arms.iter())),
                ("common_random_numbers".to_string(), s.common_random_numbers.to_string()),
                ("amendments".to_string(), s.amendments.clone()),
                ("sweep_file".to_string(), output::manifest::file_name(&s.sweep_path)),
                ("sweep_sha256".to_string(), s.sweep_sha256.clone()),
                ("base_file".to_string(), output::manifest::file_name(&s.base_path)),
                ("base_sha256".to_string(), s.base_sha256.clone()),
                (
                    "worlds_from".to_string(),
                    s.worlds_from
                        .as_ref()
                        .map_or(String::new(), |w| serde_json::to_string(w).unwrap_or_default()),
                ),
            ];
            for p in &s.parameters {
                v.push((
                    format!("parameters.{}", p.key()),
                    serde_json::to_string(p).unwrap_or_default(),
                ));
            }
            v
        };
        let (la, lb) = (settings(sa), settings(sb));
        for (k, va) in &la {
            let vb = lb.iter().find(|(kb, _)| kb == k).map(|(_, v)| v.clone());
            if vb.as_ref() != Some(va) {
                out.push((k.clone(), va.clone(), vb.unwrap_or_else(|| "(absent)".into()), "sweep"));
            }
        }
        return out;
    }
    let (Study::Run(ra), Study::Run(rb)) = (&a.study, &b.study) else {
        return out;
    };
    let settings = |s: &Side, r: &RunManifest| {
        [
            ("seed", r.seed.to_string()),
            ("replicates", s.replicates()),
            ("arms", join(r.arms.iter())),
            ("scenario_file", output::manifest::file_name(&r.scenario_path)),
            ("scenario_sha256", r.scenario_sha256.clone()),
        ]
    };
    for ((k, va), (_, vb)) in settings(a, ra).into_iter().zip(settings(b, rb)) {
        if va != vb {
            out.push((k.to_string(), va, vb, "run"));
        }
    }
    if resolved(a) && resolved(b) {
        for (k, va, vb) in compare::differing_keys(&ra.scenario, &rb.scenario, &NOT_PARAMETERS) {
            let absent = || "(absent)".to_string();
            out.push((k, va.unwrap_or_else(absent), vb.unwrap_or_else(absent), "scenario"));
        }
    }
    out
}

/// Whether a folder's manifest keeps its resolved scenario (folders of
/// early versions do not).
fn resolved(s: &Side) -> bool {
    match &s.study {
        Study::Run(r) => r.scenario.is_object(),
        Study::Sweep(_) => true,
    }
}
