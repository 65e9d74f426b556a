//! The `compare` job: two results folders side by side: two runs, or two
//! sweeps (worlds runs included) of one shape, per arm over all points and,
//! when both drew the same points, point by point.
//! Each folder is read under its shared lock and checked against its
//! manifest first; the statistics are `experiment::compare`'s, the words
//! `report::findings`', the chart `plot::charts::compare`'s. The job writes
//! comparison.csv, differences.csv, summary.md, the chart and the manifest
//! into its own folder (claimed like any result: its lock, never over
//! another result without `--force`), then the folder's report.html as
//! `tokenmaxx report` writes it.

use crate::experiment::compare::{self, Row, Sample};
use crate::jobs::error::JobError;
use crate::jobs::folder;
use crate::output;
use crate::output::folder::{Holding, ReadLock};
use crate::output::manifest::{
    CompareManifest, ComparedFolder, Job, Manifest, RunManifest, RunReplicates, SweepManifest,
};
use crate::plot;
use crate::results::Table;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What `tokenmaxx compare` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct CompareOptions {
    pub a: PathBuf,
    pub b: PathBuf,
    /// Output folder [default: output/compare/A-vs-B/].
    pub out: Option<PathBuf>,
    pub force: bool,
}

/// What a finished comparison reports back.
#[derive(Debug)]
pub struct Compared {
    pub out: PathBuf,
    pub findings: Vec<String>,
    /// Keys in which the scenarios (or run settings) differ.
    pub differing_keys: usize,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
}

/// The metrics compared, as (column, words): net value (value - spend,
/// computed), then runs.csv's own columns, the ones a run's report states.
pub const METRICS: [(&str, &str); 5] = [
    ("net_value_usd", "net value (USD)"),
    ("spend_usd", "spend (USD)"),
    ("value_usd", "value delivered (USD)"),
    ("roi", "ROI (value / spend)"),
    ("waste_share", "waste share of spend"),
];

/// Top-level tables of a resolved scenario that document it and set
/// nothing a run uses.
const NOT_PARAMETERS: [&str; 2] = ["sources", "priors"];

/// What a folder compared holds: a run's results or a sweep's (a worlds
/// run is a sweep of the worlds design).
enum Study {
    Run(Box<RunManifest>),
    Sweep(Box<SweepManifest>),
}

/// One folder read: its manifest, its runs and the locks that keep its
/// writers out while it is read.
struct Side {
    name: String,
    study: Study,
    manifest: Manifest,
    manifest_sha256: String,
    runs_sha256: String,
    runs: Table,
    seeds: Vec<u64>,
    /// Each run's point (a sweep's), in runs.csv's order; empty for a run.
    points: Vec<usize>,
    /// A sweep's points.csv: its header and rows as written.
    grid: Option<(Vec<String>, Vec<Vec<String>>)>,
    _lock: Option<ReadLock>,
}

impl Side {
    fn policies(&self) -> Vec<String> {
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
    fn sample_at(&self, policy: &str, metric: &str, point: Option<usize>) -> (Vec<u64>, Vec<f64>) {
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

    fn sample(&self, policy: &str, metric: &str) -> (Vec<u64>, Vec<f64>) {
        self.sample_at(policy, metric, None)
    }

    /// The study's name: the scenario of a run, the sweep (or worlds run).
    fn scenario(&self) -> String {
        match &self.study {
            Study::Run(r) => r.scenario_name().unwrap_or("?").to_string(),
            Study::Sweep(s) => s.name.clone(),
        }
    }

    fn scenario_sha256(&self) -> String {
        match &self.study {
            Study::Run(r) => r.scenario_sha256.clone(),
            Study::Sweep(s) => s.sweep_and_base_sha256.clone(),
        }
    }

    fn seed(&self) -> u64 {
        match &self.study {
            Study::Run(r) => r.seed,
            Study::Sweep(s) => s.seed,
        }
    }

    fn replicates(&self) -> String {
        match &self.study {
            Study::Run(r) => match &r.replicates {
                RunReplicates::Fixed(n) => n.to_string(),
                RunReplicates::Auto(a) => format!("auto ({})", join(a.per_arm.iter())),
            },
            Study::Sweep(s) => s.replicates.to_string(),
        }
    }

    fn sweep(&self) -> Option<&SweepManifest> {
        match &self.study {
            Study::Sweep(s) => Some(s),
            Study::Run(_) => None,
        }
    }

    /// The kind of folder in words, for refusals.
    fn kind(&self) -> String {
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

/// A name made safe for a folder: letters, digits, `-`, `_` and `.` kept
/// (no leading dot), anything else `_`, at most 60 characters.
pub fn sanitise(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() { "results".into() } else { s }
}

/// Reads folder `dir` (study `which`, "A" or "B") under its shared lock:
/// a verified `run` folder, or the error naming what it is instead.
fn read_side(dir: &Path, which: &str) -> Result<Side, JobError> {
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
        _ => super::plot::verify_files(dir)?,
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
fn check_shape(a: &Side, b: &Side) -> Result<(), JobError> {
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
fn same_points(a: &Side, b: &Side) -> bool {
    match (&a.grid, &b.grid) {
        (Some(ga), Some(gb)) => ga == gb && !ga.1.is_empty(),
        _ => false,
    }
}

/// Refuses an output folder that is one of the folders compared or lies
/// inside a results folder.
fn check_out(out: &Path, a: &Path, b: &Path) -> Result<(), JobError> {
    let canon = |p: &Path| p.canonicalize().ok();
    if let Some(o) = canon(out) {
        for (which, dir) in [("A", a), ("B", b)] {
            if canon(dir).as_ref() == Some(&o) {
                return Err(JobError::Usage(format!(
                    "--out {} is the folder {which} itself: a comparison goes into a folder of its own",
                    out.display()
                )));
            }
        }
    }
    let mut at = out.parent().map(Path::to_path_buf);
    while let Some(d) = at {
        if !d.as_os_str().is_empty()
            && [output::folder::LOCK, "manifest.json"]
                .iter()
                .any(|f| std::fs::symlink_metadata(d.join(f)).is_ok())
        {
            return Err(JobError::Usage(format!(
                "--out {} lies inside the results folder {}: choose a folder outside any result",
                out.display(),
                d.display()
            )));
        }
        at = d.parent().map(Path::to_path_buf);
    }
    Ok(())
}

/// Compares two `run` folders and writes the comparison.
pub fn compare(opts: &CompareOptions) -> Result<Compared, JobError> {
    // Two folders of different kinds are refused by their manifests alone,
    // before either is verified and read.
    let kind = |dir: &Path| match Manifest::read(dir).map(|m| m.job) {
        Ok(Job::Run(_)) => Some("a run".to_string()),
        Ok(Job::Sweep(s)) if s.design == "worlds" => Some("a worlds run (plausible worlds)".to_string()),
        Ok(Job::Sweep(s)) => Some(format!("a sweep (a {} design)", s.design)),
        _ => None,
    };
    if let (Some(ka), Some(kb)) = (kind(&opts.a), kind(&opts.b)) {
        let run = |k: &str| k == "a run";
        if run(&ka) != run(&kb) {
            return Err(JobError::Usage(format!(
                "A ({}) holds {ka} and B ({}) {kb}: compare reads two folders of one kind (two runs, two sweeps or two worlds runs)",
                opts.a.display(),
                opts.b.display()
            )));
        }
    }
    let a = read_side(&opts.a, "A")?;
    let b = read_side(&opts.b, "B")?;
    check_shape(&a, &b)?;
    // Two sweeps pair runs (by point and seed) only when they drew the same
    // points; otherwise their runs are two independent samples.
    let sweeps = a.sweep().is_some();
    let by_point = sweeps && same_points(&a, &b);
    let name = format!("{}-vs-{}", sanitise(&a.name), sanitise(&b.name));
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join("compare").join(&name));
    check_out(&out, &opts.a, &opts.b)?;
    let started = SystemTime::now();
    let (pa, pb) = (a.policies(), b.policies());
    let arms: Vec<String> = pa.iter().filter(|p| pb.contains(p)).cloned().collect();
    let only_in_a: Vec<String> = pa.iter().filter(|p| !pb.contains(p)).cloned().collect();
    let only_in_b: Vec<String> = pb.iter().filter(|p| !pa.contains(p)).cloned().collect();
    let mut rows: Vec<Row> = Vec::new();
    for p in &arms {
        for (metric, _) in METRICS {
            let (mut sa, va) = a.sample(p, metric);
            let (mut sb, vb) = b.sample(p, metric);
            if sweeps && !by_point {
                (sa, sb) = (Vec::new(), Vec::new());
            }
            let d = compare::difference(
                Sample {
                    seeds: &sa,
                    values: &va,
                },
                Sample {
                    seeds: &sb,
                    values: &vb,
                },
            );
            rows.push(Row {
                policy: p.clone(),
                metric: metric.to_string(),
                d,
            });
        }
    }
    // Point by point: each arm's metrics at each point both sweeps drew.
    let mut point_rows: Vec<(usize, Row)> = Vec::new();
    if by_point {
        let n = a.grid.as_ref().map_or(0, |g| g.1.len());
        for point in 0..n {
            for p in &arms {
                for (metric, _) in METRICS {
                    let (sa, va) = a.sample_at(p, metric, Some(point));
                    let (sb, vb) = b.sample_at(p, metric, Some(point));
                    let d = compare::difference(
                        Sample {
                            seeds: &sa,
                            values: &va,
                        },
                        Sample {
                            seeds: &sb,
                            values: &vb,
                        },
                    );
                    point_rows.push((
                        point,
                        Row {
                            policy: p.clone(),
                            metric: metric.to_string(),
                            d,
                        },
                    ));
                }
            }
        }
    }
    let differences = differences(&a, &b);
    let mut labels = b.manifest.labels();
    let la = a.manifest.labels();
    labels.policies.extend(la.policies);
    let display = |p: &str| labels.policy(p);
    let findings = crate::report::findings::comparison_findings(&rows, &display, &a.name, &b.name);
    let methods: Vec<String> = arms
        .iter()
        .map(|p| {
            rows.iter()
                .find(|r| r.policy == *p)
                .map_or(String::new(), |r| r.d.method.name().to_string())
        })
        .collect();

    let mut files = vec![
        (
            "comparison.csv".to_string(),
            comparison_csv(&rows, &a, &b, &only_in_a, &only_in_b),
        ),
        ("differences.csv".to_string(), differences_csv(&differences)),
        (
            "summary.md".to_string(),
            summary_md(
                &a,
                &b,
                &rows,
                &findings,
                &differences,
                (&only_in_a, &only_in_b),
                &display,
            )
            .into_bytes(),
        ),
    ];
    if sweeps {
        let summary = files
            .iter_mut()
            .find(|(n, _)| n == "summary.md")
            .expect("written above");
        let text = String::from_utf8(std::mem::take(&mut summary.1)).expect("text");
        summary.1 = sweep_sections(text, &a, &b, &point_rows, by_point, &arms, &display).into_bytes();
    }
    if by_point {
        files.push(("point_comparison.csv".to_string(), point_comparison_csv(&point_rows)));
    }
    output::columns::add_to(&mut files);
    let source = format!(
        "Source: tokenmaxx {} comparison of {} ({}) and {} ({}). Means with 95% confidence intervals.",
        env!("CARGO_PKG_VERSION"),
        a.name,
        side_words(&a),
        b.name,
        side_words(&b)
    );
    let chart = plot::CompareData {
        a: a.name.clone(),
        b: b.name.clone(),
        policies: arms.clone(),
        labels: labels.clone(),
        rows: rows.clone(),
        source,
    };
    // A chart that cannot be drawn never blocks the results. It looks like
    // folder A's charts.
    let look = plot::Look::from_presentation(&super::plot::manifest_presentation(&opts.a)?.unwrap_or_default());
    let chart_error = match plot::compare_charts(&chart, plot::Format::Both, &look) {
        Ok(charts) => {
            files.extend(plot::chart_files(charts));
            None
        }
        Err(e) => Some(e),
    };
    let folder_of = |s: &Side| ComparedFolder {
        name: s.name.clone(),
        command: s.manifest.command().to_string(),
        scenario: s.scenario(),
        scenario_sha256: s.scenario_sha256(),
        seed: s.seed(),
        runs: s.runs.rows,
        runs_sha256: s.runs_sha256.clone(),
        manifest_sha256: s.manifest_sha256.clone(),
    };
    let job = CompareManifest {
        name: name.clone(),
        a: folder_of(&a),
        b: folder_of(&b),
        arms: arms.clone(),
        only_in_a: only_in_a.clone(),
        only_in_b: only_in_b.clone(),
        metrics: METRICS.iter().map(|(m, _)| m.to_string()).collect(),
        differing_keys: differences.len(),
        methods,
        started_at: humantime::format_rfc3339_seconds(started).to_string(),
        presentation: match &a.study {
            Study::Run(r) => r.presentation.clone(),
            Study::Sweep(s) => s.presentation.clone(),
        },
    };
    let manifest = Manifest::new(Job::Compare(Box::new(job)), output::manifest::hashes(&files)).to_bytes();
    files.push(("manifest.json".to_string(), manifest));
    {
        // One writer per folder; a previous comparison of the same two
        // folders is replaced, anything else needs --force.
        let (_lock, _, claim) = folder::claim(
            &out,
            opts.force,
            |h| matches!(h, Holding::Result { job, name: n } if job == "compare" && *n == name),
        )?;
        folder::clear_if(&out, claim)?;
        output::write_atomically(&out, &files)?;
    }
    if let Some(source) = chart_error {
        return Err(JobError::Charts {
            out: out.clone(),
            source: Box::new(source),
            redraw: format!(
                "run `tokenmaxx compare {} {} --out {}` again",
                opts.a.display(),
                opts.b.display(),
                out.display()
            ),
        });
    }
    // The report, exactly as `tokenmaxx report OUT` writes it.
    super::report::report(&out, None, super::report::ReportFormat::Html, &Default::default())?;
    Ok(Compared {
        out,
        findings,
        differing_keys: differences.len(),
        only_in_a,
        only_in_b,
    })
}

/// A folder in words, for the chart's source line and summary.md.
fn side_words(s: &Side) -> String {
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

/// One difference between the folders' settings: (key, A, B, source).
type Difference = (String, String, String, &'static str);

/// What differs between the two folders: the run's own settings from the
/// manifests (seed, replicates, arms, scenario file), then every key of the
/// resolved scenarios (`--set` amendments included) whose value differs.
fn differences(a: &Side, b: &Side) -> Vec<Difference> {
    let mut out: Vec<Difference> = Vec::new();
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

/// The columns of comparison.csv (point_comparison.csv puts `point` first).
const COMPARISON_COLUMNS: [&str; 11] = [
    "policy",
    "metric",
    "a_mean",
    "b_mean",
    "difference",
    "ci95_low",
    "ci95_high",
    "method",
    "a_n",
    "b_n",
    "pairs",
];

/// One row of comparison.csv, in [`COMPARISON_COLUMNS`] order.
fn row_cells(r: &Row) -> Vec<String> {
    let (d, num) = (&r.d, output::num);
    vec![
        r.policy.clone(),
        r.metric.clone(),
        num(d.a.mean),
        num(d.b.mean),
        num(d.diff.mean),
        num(d.diff.ci95_low),
        num(d.diff.ci95_high),
        d.method.name().to_string(),
        d.a.n.to_string(),
        d.b.n.to_string(),
        d.pairs.to_string(),
    ]
}

fn comparison_csv(rows: &[Row], a: &Side, b: &Side, only_in_a: &[String], only_in_b: &[String]) -> Vec<u8> {
    let header = COMPARISON_COLUMNS;
    let num = output::num;
    let mut cells: Vec<Vec<String>> = rows.iter().map(row_cells).collect();
    for (side, only, in_a) in [(a, only_in_a, true), (b, only_in_b, false)] {
        for p in only {
            for (metric, _) in METRICS {
                let e = crate::stats::Estimate::of(&side.sample(p, metric).1);
                let (am, bm, an, bn) = if in_a {
                    (num(e.mean), String::new(), e.n.to_string(), "0".into())
                } else {
                    (String::new(), num(e.mean), "0".into(), e.n.to_string())
                };
                cells.push(vec![
                    p.clone(),
                    metric.to_string(),
                    am,
                    bm,
                    String::new(),
                    String::new(),
                    String::new(),
                    if in_a { "only_in_a" } else { "only_in_b" }.to_string(),
                    an,
                    bn,
                    "0".into(),
                ]);
            }
        }
    }
    output::csv_bytes(header.iter().map(|s| s.to_string()).collect(), cells.into_iter())
}

fn differences_csv(d: &[Difference]) -> Vec<u8> {
    output::csv_bytes(
        ["key", "a", "b", "source"].iter().map(|s| s.to_string()).collect(),
        d.iter()
            .map(|(k, a, b, s)| vec![k.clone(), a.clone(), b.clone(), s.to_string()]),
    )
}

/// A value cut to `n` characters (a long array of a scenario) for a table.
fn clip(v: &str, n: usize) -> String {
    if v.chars().count() <= n {
        v.to_string()
    } else {
        format!("{}...", v.chars().take(n).collect::<String>())
    }
}

/// A number of a metric for people: money for USD, a ratio, a share.
fn shown(metric: &str, v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    match metric {
        "roi" => format!("{v:.2}"),
        "waste_share" => format!("{:.1}%", 100.0 * v),
        _ => plot::money(v),
    }
}

/// `shown` with a sign, for differences (shares in percentage points).
fn shown_signed(metric: &str, v: f64) -> String {
    let s = match metric {
        "waste_share" if v.is_finite() => format!("{:.1} pp", 100.0 * v),
        _ => shown(metric, v),
    };
    if v > 0.0 { format!("+{s}") } else { s }
}

#[allow(clippy::too_many_arguments)]
fn summary_md(
    a: &Side,
    b: &Side,
    rows: &[Row],
    findings: &[String],
    differences: &[Difference],
    (only_in_a, only_in_b): (&[String], &[String]),
    display: &dyn Fn(&str) -> String,
) -> String {
    use crate::report::cell;
    let mut s = format!("# Comparison: {} against {}\n\n", b.name, a.name);
    s.push_str(&format!(
        "A is `{}` ({}); B is `{}` ({}). Differences are B - A.\n\n",
        a.name,
        side_words(a),
        b.name,
        side_words(b)
    ));
    s.push_str("## Findings\n\n");
    if findings.is_empty() {
        s.push_str("- The two folders have no policy in common: nothing to compare.\n");
    }
    for f in findings {
        s.push_str(&format!("- {f}\n"));
    }
    for (side, only) in [(&a.name, only_in_a), (&b.name, only_in_b)] {
        if !only.is_empty() {
            s.push_str(&format!(
                "- Only in {side}: {}.\n",
                only.iter()
                    .map(|p| format!("**{}**", display(p)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    s.push_str("\n## Policies\n\n");
    s.push_str(&format!(
        "Means over replicates; B - A with its 95% CI, paired by seed where both folders ran the same seeds for the policy, Welch's interval otherwise.\n\n\
| policy | metric | {} (A) | {} (B) | B - A | 95% CI | method |\n|---|---|---:|---:|---:|---|---|\n",
        cell(&a.name),
        cell(&b.name)
    ));
    for r in rows {
        let words = METRICS.iter().find(|(m, _)| *m == r.metric).map_or("", |(_, w)| w);
        let d = &r.d;
        let ci = if d.diff.ci95_low.is_finite() {
            format!(
                "{} to {}",
                shown_signed(&r.metric, d.diff.ci95_low),
                shown_signed(&r.metric, d.diff.ci95_high)
            )
        } else {
            "-".into()
        };
        let method = match d.method {
            compare::Method::Paired => format!("paired ({} pairs)", d.pairs),
            compare::Method::Welch => format!("Welch ({} and {} runs)", d.a.n, d.b.n),
        };
        s.push_str(&format!(
            "| {} | {words} | {} | {} | {} | {ci} | {method} |\n",
            cell(&display(&r.policy)),
            shown(&r.metric, d.a.mean),
            shown(&r.metric, d.b.mean),
            shown_signed(&r.metric, d.diff.mean),
        ));
    }
    s.push_str("\n## Scenario differences\n\n");
    if !(resolved(a) && resolved(b)) {
        s.push_str(
            "One of the folders was written by a version that did not keep its resolved scenario: only the run settings (seed, replicates, arms, scenario file and its SHA-256) could be compared.\n\n",
        );
    }
    if differences.is_empty() {
        s.push_str("None: both folders ran the same resolved scenario with the same settings.\n");
    } else {
        let keys = match differences.len() {
            1 => "1 key differs".to_string(),
            n => format!("{n} keys differ"),
        };
        let rows = if a.sweep().is_some() {
            "`sweep` rows are the sweeps' own settings from their manifests (`--set` amendments among them)"
        } else {
            "`run` rows are the run's own settings from the manifests, `scenario` rows keys of the resolved scenarios (every default and `--set` amendment applied)"
        };
        s.push_str(&format!(
            "{keys} (differences.csv): {rows}.\n\n\
| key | {} (A) | {} (B) | from |\n|---|---|---|---|\n",
            cell(&a.name),
            cell(&b.name)
        ));
        for (k, va, vb, src) in differences {
            s.push_str(&format!(
                "| `{}` | {} | {} | {src} |\n",
                cell(k),
                cell(&clip(va, 80)),
                cell(&clip(vb, 80))
            ));
        }
    }
    s.push_str(&format!(
        "\n## Method\n\n\
Each policy both folders ran is compared on {} from the folders' runs.csv. \
When both ran the same seeds for a policy (the same master seed: replicate r has the same seed), runs of equal seed are paired \
and the interval is the Student t interval of the paired differences (common random numbers across the two folders). \
Otherwise the two samples are independent and the interval is Welch's (unequal variances, Welch-Satterthwaite degrees of freedom). \
Each folder was checked against the SHA-256 its manifest records before it was read.\n",
        METRICS.iter().map(|(_, w)| *w).collect::<Vec<_>>().join(", ")
    ));
    s
}

/// point_comparison.csv: comparison.csv's columns for each point.
fn point_comparison_csv(rows: &[(usize, Row)]) -> Vec<u8> {
    let header: Vec<&str> = std::iter::once("point").chain(COMPARISON_COLUMNS).collect();
    output::csv_bytes(
        header.iter().map(|s| s.to_string()).collect(),
        rows.iter()
            .map(|(point, r)| std::iter::once(point.to_string()).chain(row_cells(r)).collect()),
    )
}

/// summary.md of two sweeps: the run comparison's, with a finding per arm
/// on how many points gained, a Points section and the sweep's method.
fn sweep_sections(
    text: String,
    a: &Side,
    b: &Side,
    point_rows: &[(usize, Row)],
    by_point: bool,
    arms: &[String],
    display: &dyn Fn(&str) -> String,
) -> String {
    use crate::report::cell;
    let n = a.grid.as_ref().map_or(0, |g| g.1.len());
    let unit = |k: usize| {
        let world = a.sweep().is_some_and(|s| s.design == "worlds");
        crate::human::count(k, if world { "world" } else { "point" })
    };
    let mut findings = String::new();
    let mut points = String::from("\n## Points\n\n");
    if by_point {
        points.push_str(&format!(
            "Both studies drew the same {} (the same values of every varied parameter): net value compared point by point (point_comparison.csv has every metric). Points: B - A of each point's mean.\n\n\
| policy | higher in B | lower in B | median B - A | largest gain (point) | largest loss (point) |\n|---|---:|---:|---:|---:|---:|\n",
            unit(n)
        ));
        for p in arms {
            let mut d: Vec<(usize, f64)> = point_rows
                .iter()
                .filter(|(_, r)| r.policy == *p && r.metric == "net_value_usd")
                .map(|(k, r)| (*k, r.d.diff.mean))
                .filter(|(_, v)| v.is_finite())
                .collect();
            if d.is_empty() {
                continue;
            }
            let up = d.iter().filter(|(_, v)| *v > 0.0).count();
            let down = d.iter().filter(|(_, v)| *v < 0.0).count();
            d.sort_by(|x, y| x.1.total_cmp(&y.1));
            let median = if d.len() % 2 == 1 {
                d[d.len() / 2].1
            } else {
                0.5 * (d[d.len() / 2 - 1].1 + d[d.len() / 2].1)
            };
            let (lo, hi) = (d[0], d[d.len() - 1]);
            points.push_str(&format!(
                "| {} | {up} | {down} | {} | {} ({}) | {} ({}) |\n",
                cell(&display(p)),
                shown_signed("net_value_usd", median),
                shown_signed("net_value_usd", hi.1),
                hi.0,
                shown_signed("net_value_usd", lo.1),
                lo.0
            ));
            findings.push_str(&format!(
                "- {}'s net value is higher in {} than in {} at {up} of {} (lower at {down}; median difference {}).\n",
                display(p),
                b.name,
                a.name,
                unit(d.len()),
                shown_signed("net_value_usd", median)
            ));
        }
    } else {
        points.push_str(&format!(
            "The two studies drew different points (the values of their varied parameters differ, e.g. another seed or range): they are compared per arm over all their runs, as two independent samples (Welch's interval), not point by point. A drew {} with seed {}, B with seed {}.\n",
            unit(n),
            a.seed(),
            b.seed()
        ));
    }
    let method = format!(
        "Two sweeps: each arm's runs over all points are pooled; {}. Rows of differences.csv marked `sweep` are the sweeps' own settings from their manifests (seed, replicates, arms, amendments such as `--set`, the files and each varied parameter's range).\n",
        if by_point {
            "runs of the same point and seed are paired (both sweeps drew the same points with common random numbers), and each point is also compared on its own"
        } else {
            "the points differ, so nothing is paired"
        }
    );
    let mut out = String::new();
    for (i, part) in text.split("\n## ").enumerate() {
        if i > 0 {
            if part.starts_with("Scenario differences") {
                out.push_str(&points);
                out.push_str("\n## ");
                out.push_str(&part.replacen("Scenario differences", "Study differences", 1));
                continue;
            }
            out.push_str("\n## ");
        }
        if part.starts_with("Findings") {
            out.push_str(part.trim_end());
            out.push('\n');
            out.push_str(&findings);
        } else if part.starts_with("Method") {
            out.push_str(part.trim_end());
            out.push_str("\n\n");
            out.push_str(&method);
        } else {
            out.push_str(part);
        }
    }
    out
}
