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

mod side;

use crate::experiment::compare::{self, Row, Sample};
use crate::jobs::error::JobError;
use crate::jobs::folder;
use crate::output;
use crate::output::compare::{OneSided, comparison_csv, differences_csv, point_comparison_csv};
use crate::output::folder::Holding;
use crate::output::manifest::{CompareManifest, ComparedFolder, Job, Manifest};
use crate::plot;
use crate::report::compare::{Sweeps, summary_md, sweep_sections};
use side::{Side, Study, check_shape, differences, read_side, same_points, side_words};
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

pub use crate::experiment::compare::METRICS;

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

/// B - A of one policy's metric from the two samples (pairing keys and
/// values), as a row.
fn row(policy: &str, metric: &str, (sa, va): (Vec<u64>, Vec<f64>), (sb, vb): (Vec<u64>, Vec<f64>)) -> Row {
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
    Row {
        policy: policy.to_string(),
        metric: metric.to_string(),
        d,
    }
}

/// Every arm both folders ran, each metric's B - A over all runs; and,
/// when two sweeps drew the same points, at each point. Two sweeps pair
/// runs (by point and seed) only when they drew the same points.
fn rows(a: &Side, b: &Side, arms: &[String], sweeps: bool, by_point: bool) -> (Vec<Row>, Vec<(usize, Row)>) {
    let mut rows: Vec<Row> = Vec::new();
    for p in arms {
        for (metric, _) in METRICS {
            let (mut sa, mut sb) = (a.sample(p, metric), b.sample(p, metric));
            if sweeps && !by_point {
                (sa.0, sb.0) = (Vec::new(), Vec::new());
            }
            rows.push(row(p, metric, sa, sb));
        }
    }
    let mut point_rows: Vec<(usize, Row)> = Vec::new();
    if by_point {
        let n = a.grid.as_ref().map_or(0, |g| g.1.len());
        for point in 0..n {
            for p in arms {
                for (metric, _) in METRICS {
                    let (sa, sb) = (a.sample_at(p, metric, Some(point)), b.sample_at(p, metric, Some(point)));
                    point_rows.push((point, row(p, metric, sa, sb)));
                }
            }
        }
    }
    (rows, point_rows)
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
    let (rows, point_rows) = rows(&a, &b, &arms, sweeps, by_point);
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

    // A policy only one folder ran: its estimates there.
    let one_sided: Vec<OneSided> = [(&a, &only_in_a, true), (&b, &only_in_b, false)]
        .into_iter()
        .flat_map(|(side, only, in_a)| {
            only.iter().flat_map(move |p| {
                METRICS.iter().map(move |(metric, _)| OneSided {
                    policy: p.clone(),
                    metric,
                    estimate: crate::stats::Estimate::of(&side.sample(p, metric).1),
                    in_a,
                })
            })
        })
        .collect();
    let (fa, fb) = (a.folder(), b.folder());
    let mut summary = summary_md(
        &fa,
        &fb,
        &rows,
        &findings,
        &differences,
        (&only_in_a, &only_in_b),
        &display,
    );
    if sweeps {
        let shape = Sweeps {
            points: a.grid.as_ref().map_or(0, |g| g.1.len()),
            worlds: a.sweep().is_some_and(|s| s.design == "worlds"),
            by_point,
        };
        summary = sweep_sections(summary, &fa, &fb, &point_rows, &shape, &arms, &display);
    }
    let mut files = vec![
        ("comparison.csv".to_string(), comparison_csv(&rows, &one_sided)),
        ("differences.csv".to_string(), differences_csv(&differences)),
        crate::report::summary_file(&summary),
    ];
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
