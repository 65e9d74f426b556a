//! The `compare` job: two results folders of `tokenmaxx run` side by side.
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
use crate::output::manifest::{CompareManifest, ComparedFolder, Job, Manifest, RunManifest, RunReplicates};
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

/// One folder read: its manifest, its runs and the locks that keep its
/// writers out while it is read.
struct Side {
    name: String,
    run: RunManifest,
    manifest: Manifest,
    manifest_sha256: String,
    runs_sha256: String,
    runs: Table,
    seeds: Vec<u64>,
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

    /// One policy's seeds and values of `metric` (net value computed).
    fn sample(&self, policy: &str, metric: &str) -> (Vec<u64>, Vec<f64>) {
        let rows: Vec<usize> = (0..self.runs.rows)
            .filter(|&i| self.runs.t("policy")[i] == policy)
            .collect();
        let value = |i: usize| match metric {
            "net_value_usd" => self.runs.n("value_usd")[i] - self.runs.n("spend_usd")[i],
            m => self.runs.n(m)[i],
        };
        (
            rows.iter().map(|&i| self.seeds[i]).collect(),
            rows.iter().map(|&i| value(i)).collect(),
        )
    }

    fn scenario(&self) -> String {
        self.run.scenario_name().unwrap_or("?").to_string()
    }

    fn replicates(&self) -> String {
        match &self.run.replicates {
            RunReplicates::Fixed(n) => n.to_string(),
            RunReplicates::Auto(a) => format!("auto ({})", join(a.per_arm.iter())),
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
                "no such folder: compare reads two results folders written by `tokenmaxx run`".into(),
            ));
        }
        Ok(m) if !m.is_dir() => return Err(usage("is not a folder".into())),
        Ok(_) => {}
    }
    let lock = ReadLock::acquire(dir)?;
    // The kind first: a folder of another kind is named as such, whatever
    // state its files are in.
    let manifest = match Manifest::read(dir) {
        Ok(m) if !matches!(m.job, Job::Run(_)) => m,
        _ => super::plot::verify_files(dir)?,
    };
    let run = match &manifest.job {
        Job::Run(r) => (**r).clone(),
        other => {
            let kind = match other {
                Job::Sweep(s) if s.design == "worlds" => {
                    "`tokenmaxx run --worlds` (a sweep over plausible worlds)".into()
                }
                Job::Sweep(s) => format!("`tokenmaxx sweep` (a {} design)", s.design),
                _ => format!("`tokenmaxx {}`", manifest.command()),
            };
            let name = manifest.name().map_or(String::new(), |n| format!(" of {n}"));
            return Err(usage(format!(
                "holds the results of {kind}{name}, not of `tokenmaxx run`: compare reads two single-scenario run folders"
            )));
        }
    };
    let path = dir.join("runs.csv");
    let bytes = output::read_capped(&path, 1 << 32).map_err(|e| JobError::read(&path, e))?;
    let manifest_path = dir.join("manifest.json");
    let manifest_bytes = std::fs::read(&manifest_path).map_err(|e| JobError::read(&manifest_path, e))?;
    let cols: Vec<&str> = METRICS.iter().skip(1).map(|(c, _)| *c).collect();
    let runs = Table::parse(
        &path.display().to_string(),
        bytes.as_slice(),
        &["policy", "seed"],
        &cols,
    )?;
    let seeds = runs
        .t("seed")
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.parse::<u64>().map_err(|_| JobError::Damaged {
                path: path.clone(),
                message: format!("line {}: seed `{s}` is not a whole number", i + 2),
            })
        })
        .collect::<Result<Vec<u64>, JobError>>()?;
    Ok(Side {
        name: folder_name(dir),
        run,
        manifest_sha256: output::sha256_hex(&manifest_bytes),
        runs_sha256: output::sha256_hex(&bytes),
        manifest,
        runs,
        seeds,
        _lock: lock,
    })
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
    let a = read_side(&opts.a, "A")?;
    let b = read_side(&opts.b, "B")?;
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
            let (sa, va) = a.sample(p, metric);
            let (sb, vb) = b.sample(p, metric);
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
        scenario_sha256: s.run.scenario_sha256.clone(),
        seed: s.run.seed,
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
        presentation: a.run.presentation.clone(),
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
    format!(
        "scenario \"{}\", seed {}, {} runs",
        s.scenario(),
        s.run.seed,
        s.runs.rows
    )
}

/// One difference between the folders' settings: (key, A, B, source).
type Difference = (String, String, String, &'static str);

/// What differs between the two folders: the run's own settings from the
/// manifests (seed, replicates, arms, scenario file), then every key of the
/// resolved scenarios (`--set` amendments included) whose value differs.
fn differences(a: &Side, b: &Side) -> Vec<Difference> {
    let mut out: Vec<Difference> = Vec::new();
    let settings = |s: &Side| {
        [
            ("seed", s.run.seed.to_string()),
            ("replicates", s.replicates()),
            ("arms", join(s.run.arms.iter())),
            ("scenario_file", output::manifest::file_name(&s.run.scenario_path)),
            ("scenario_sha256", s.run.scenario_sha256.clone()),
        ]
    };
    for ((k, va), (_, vb)) in settings(a).into_iter().zip(settings(b)) {
        if va != vb {
            out.push((k.to_string(), va, vb, "run"));
        }
    }
    if resolved(a) && resolved(b) {
        for (k, va, vb) in compare::differing_keys(&a.run.scenario, &b.run.scenario, &NOT_PARAMETERS) {
            let absent = || "(absent)".to_string();
            out.push((k, va.unwrap_or_else(absent), vb.unwrap_or_else(absent), "scenario"));
        }
    }
    out
}

/// Whether a folder's manifest keeps its resolved scenario (folders of
/// early versions do not).
fn resolved(s: &Side) -> bool {
    s.run.scenario.is_object()
}

fn comparison_csv(rows: &[Row], a: &Side, b: &Side, only_in_a: &[String], only_in_b: &[String]) -> Vec<u8> {
    let header = [
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
    let num = output::num;
    let mut cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let d = &r.d;
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
        })
        .collect();
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
        s.push_str(&format!(
            "{keys} (differences.csv): `run` rows are the run's own settings from the manifests, `scenario` rows keys of the resolved scenarios (every default and `--set` amendment applied).\n\n\
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
