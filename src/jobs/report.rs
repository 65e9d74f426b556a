//! The `report` job: a results folder (run, market run, sweep, sensitivity
//! study, worlds, calibration, policy search, comparison, with its
//! discovery when there is one) as one self-contained HTML page, a
//! Markdown file with its charts beside it, or a slide deck (PowerPoint).
//!
//! The folder is checked against its manifest first (a cut or edited file
//! is refused by name), then read; the report is written atomically, so a
//! reader never sees half a report.

use crate::jobs::error::JobError;
use crate::output;
use crate::output::manifest::{Job, Manifest, RunManifest, SweepManifest, SweptParameter, WorldsFrom};
use crate::output::table::count;
use crate::report::{Figure, Report, findings};
use crate::results::{RunData, SweepData};
use std::path::{Path, PathBuf};

/// The report's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Html,
    Markdown,
    /// A PowerPoint deck (`.pptx`).
    Pptx,
}

impl ReportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Markdown => "md",
            ReportFormat::Pptx => "pptx",
        }
    }
}

/// Writes the report of `results` to `out` (default `results/report.html`,
/// `.md` or `.pptx`). A Markdown report written outside the results folder gets the
/// charts copied beside it, into `STEM-charts/`. Returns the files written.
///
/// When `look` asks for anything, the charts are drawn anew in the
/// folder's look with it on top (for the report only; the folder's charts
/// stay as they are), else the folder's charts are embedded.
pub fn report(
    results: &Path,
    out: Option<&Path>,
    format: ReportFormat,
    look: &super::plot::LookAsked,
) -> Result<Vec<PathBuf>, JobError> {
    let redraw = look.given();
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| results.join(format!("report.{}", format.extension())));
    if out.is_dir() {
        return Err(JobError::Usage(format!(
            "--out {} is a folder: give the report's file name (e.g. {}/report.{})",
            out.display(),
            out.display(),
            format.extension()
        )));
    }
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| JobError::Usage(format!("--out {}: not a file name", out.display())))?;
    let in_results = match (dir.canonicalize(), results.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    check_out(results, &dir, &name, in_results)?;
    // The folder is read under its lock, so the report shows one whole
    // result: exclusive when the report lands in the folder (one writer per
    // folder), shared otherwise (readers exclude writers, not each other).
    let (_write_lock, _read_lock) = if in_results {
        (Some(output::folder::FolderLock::acquire(results)?), None)
    } else {
        (None, output::folder::ReadLock::acquire(results)?)
    };
    // A discovery inside the folder is written under its own lock.
    let _discovery_lock = output::folder::ReadLock::acquire(&results.join("discovery"))?;
    let manifest = super::plot::verify_files(results)?;
    if redraw && matches!(manifest.job, Job::Compare(_)) {
        return Err(JobError::Usage(format!(
            "{}: a comparison's chart is drawn by `compare` (in the look of folder A's `[presentation]`) and embedded as it is; drop --theme, --aspect, --width, --font-scale and --svg-text",
            results.display()
        )));
    }
    if !redraw {
        charts_present(results, &manifest)?;
    }
    let charts = if redraw {
        let look = look.over(super::plot::manifest_presentation(results)?);
        let drawn = super::plot::draw(results, crate::plot::Format::Png, &look)?;
        drawn
            .into_iter()
            .filter_map(|c| c.png.map(|png| (format!("{}.png", c.name), png)))
            .collect()
    } else {
        read_charts(results, &manifest)?
    };
    let r = build(results, &manifest, charts)?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    match format {
        ReportFormat::Html => files.push((name.clone(), r.html().into_bytes())),
        ReportFormat::Markdown => {
            let prefix = if in_results {
                String::new()
            } else {
                let stem = out
                    .file_stem()
                    .map_or("report".into(), |s| s.to_string_lossy().into_owned());
                format!("{stem}-charts/")
            };
            for f in &r.figures {
                if !prefix.is_empty() {
                    files.push((format!("{prefix}{}", f.path), f.png.clone()));
                }
            }
            files.push((name.clone(), r.markdown(&prefix).into_bytes()));
        }
        ReportFormat::Pptx => {
            let bytes = r
                .deck()
                .to_pptx()
                .map_err(|e| JobError::write(&out, std::io::Error::other(e)))?;
            files.push((name.clone(), bytes));
        }
    }
    output::write_atomically(&dir, &files)?;
    Ok(files.into_iter().map(|(n, _)| dir.join(n)).collect())
}

/// Every PNG chart the manifest lists must be there: a report silently
/// short of a chart would misreport the folder. (Their bytes may differ:
/// `plot` redraws charts, in another theme or size.)
fn charts_present(results: &Path, manifest: &Manifest) -> Result<(), JobError> {
    let listed = manifest.header.files_sha256.iter().flatten();
    for (name, _) in listed {
        if name.starts_with("charts/") && name.ends_with(".png") && !results.join(name).exists() {
            return Err(JobError::Damaged {
                path: results.join(name),
                message: format!(
                    "listed in manifest.json but missing: redraw the charts with `tokenmaxx plot {}` first",
                    results.display()
                ),
            });
        }
    }
    Ok(())
}

/// The report of a verified results folder.
/// The report of `results`, with `charts` (file name, PNG bytes) as the
/// folder's own figures.
fn build(results: &Path, manifest: &Manifest, charts: Vec<(String, Vec<u8>)>) -> Result<Report, JobError> {
    let read_text = |name: &str| std::fs::read_to_string(results.join(name)).ok();
    let mut r = Report::default();
    let mut sweep: Option<SweepData> = None;
    let labels = manifest.labels();
    let version = manifest.header.version.as_str();
    match &manifest.job {
        Job::Run(run) => {
            let d = RunData::from_dir(results)?;
            r.title = format!("{}: spend and value by incentive policy", d.scenario);
            r.lead = run.scenario["description"].as_str().unwrap_or("").to_string();
            r.findings = findings::run_findings(&d);
            r.sections = findings::run_tables(&d);
            r.methods = run_methods(&d, version, run);
        }
        Job::Sweep(m) => {
            let d = SweepData::from_dir(results)?;
            let worlds = m.design == "worlds";
            let design = m.design.as_str();
            r.title = format!(
                "{}: a {design} sweep over {}",
                d.runs.scenario,
                count(d.point_values.len(), "point")
            );
            if worlds {
                r.title = format!(
                    "{}: policies across {} plausible worlds",
                    d.runs.scenario,
                    d.point_values.len()
                );
            }
            r.findings = findings::sweep_findings(&d, worlds);
            let sens = results.join("sensitivity.csv");
            if sens.exists() {
                let rows = crate::results::read_sensitivity(&sens)?;
                r.findings.extend(findings::sensitivity_findings(&rows, &labels));
            }
            if let Some(text) = read_text("summary.md") {
                r.sections.push(("Summary".into(), findings::summary_section(&text)));
            }
            r.methods = sweep_methods(&d, version, m, &labels);
            sweep = Some(d);
        }
        Job::Calibrate(_) => {
            r.title = format!("Calibration `{}`", study_name(results, manifest));
            let cal = super::plot::calibration(results, manifest)?;
            r.lead = cal.lead();
            r.findings = cal.findings();
            r.sections.extend(cal.tables());
            r.methods = format!(
                "Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC; Beaumont et al. 2009), as docs/calibration.md describes: \
the priors of the calibrated parameters, the public facts of the evidence file as fit targets (and check targets held out), \
and a posterior predictive on fresh seeds. Each generation's tolerance is a quantile of the previous generation's distances; \
proposals are perturbed with a Gaussian kernel from the population's covariance and weighted by importance. \
A population of fewer than {} particles, or a final effective sample size below {}, is flagged as too small to trust. \
posterior.csv holds every generation's particles and weights, generations.csv each generation's tolerance, acceptance and effective sample size, ppc.csv the posterior predictive of every fact.",
                crate::report::calibration::MIN_PARTICLES,
                crate::report::calibration::MIN_ESS
            );
        }
        Job::Optimize(o) => {
            r.title = format!(
                "Policy search `{}`: what to pay for instead",
                study_name(results, manifest)
            );
            let text = read_text("summary.md").unwrap_or_default();
            // The findings: the paragraphs under "Best on ...", in words.
            r.findings = text
                .split("\n## ")
                .find(|s| s.starts_with("Best on"))
                .map(|s| {
                    s.lines()
                        .skip(1)
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            r.sections.push(("Summary".into(), findings::summary_section(&text)));
            r.methods = format!(
                "{} (Deb et al. 2002; ε-NSGA-II after Kollat & Reed 2006) over {} of the policy `{}`: {} in {}, \
each candidate run in the same {} from {} with {} (common random numbers), objectives robustness measures across worlds. \
Every front candidate and every reference preset ran again on {} with fresh seeds (validation.csv). \
archive.csv holds every evaluation, front.csv the front, convergence.csv the hypervolume by generation.",
                o.algorithm,
                count(o.levers.len(), "lever"),
                o.policy,
                count(o.evaluations, "evaluation"),
                count(o.generations, "generation"),
                count(o.worlds, "world"),
                if o.from == "prior" {
                    "the priors".to_string()
                } else {
                    "a posterior".to_string()
                },
                count(o.replicates, "replicate"),
                count(o.validation_worlds, "fresh world")
            );
        }
        Job::Compare(c) => {
            // The comparison's own summary.md, written by `compare`: its
            // findings, its tables, its method.
            let text = read_text("summary.md").unwrap_or_default();
            r.title = format!("Comparison: {} against {}", c.b.name, c.a.name);
            for part in text.split("\n## ") {
                let (heading, body) = part.split_once('\n').unwrap_or((part, ""));
                let body = body.trim();
                match heading.trim() {
                    h if h.starts_with("# ") => r.lead = body.to_string(),
                    "Findings" => {
                        r.findings = body
                            .lines()
                            .filter_map(|l| l.strip_prefix("- "))
                            .map(str::to_string)
                            .collect()
                    }
                    "Method" => r.methods = body.to_string(),
                    h => r.sections.push((h.to_string(), body.to_string())),
                }
            }
        }
        Job::Discover(_) | Job::Unknown => {
            return Err(JobError::WrongFolder {
                path: results.to_path_buf(),
                message: format!(
                    "holds a `{}` result, which has no report; report reads the folders of run, sweep, calibrate, optimize and compare (a discovery is reported with its sweep)",
                    manifest.command()
                ),
            });
        }
    }
    r.figures = ordered("charts", charts);
    if let Some(d) = &sweep {
        name_parameter_figures(&mut r.figures, d);
    }
    // A discovery inside the folder: its sentence, table and charts.
    let disc = results.join("discovery");
    let disc_manifest = if disc.join("manifest.json").exists() {
        Some(super::plot::verify_files(&disc)?)
    } else {
        None
    };
    // A discovery made from another result of this folder (or written
    // before discoveries recorded their sources) is left out, and said so.
    let disc_manifest = match disc_manifest {
        Some(m) if matches!(&m.job, Job::Discover(d) if !d.belongs_to(manifest)) => {
            r.findings.push(
                "A scenario discovery in this folder (discovery/) was not made from this result (its sources' SHA-256 differ from the files here): it is left out; run `tokenmaxx discover` again to include one."
                    .into(),
            );
            None
        }
        m => m,
    };
    if let Some(m) = disc_manifest {
        charts_present(&disc, &m)?;
        if let Ok(text) = std::fs::read_to_string(disc.join("summary.md")) {
            if let Some(f) = findings::discovery_finding(&text) {
                r.findings.push(format!("Scenario discovery (PRIM): {f}"));
            }
            r.sections
                .push(("Scenario discovery".into(), findings::summary_section(&text)));
        }
        r.figures.extend(ordered("discovery/charts", read_charts(&disc, &m)?));
    }
    r.provenance = findings::provenance(manifest);
    Ok(r)
}

/// The name of the study a results folder holds, never a path: the name
/// its manifest records (the scenario's, sweep's or evidence's), else the
/// file name of its evidence, else the folder's own name.
fn study_name(results: &Path, manifest: &Manifest) -> String {
    let file_name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    let evidence = match &manifest.job {
        Job::Calibrate(c) => Path::new(&c.evidence_path)
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned()),
        _ => None,
    };
    manifest
        .name()
        .map(str::to_string)
        .or(evidence)
        .or_else(|| results.canonicalize().ok().and_then(|p| file_name(&p)))
        .unwrap_or_else(|| "results".to_string())
}

/// The PNG charts of the folder `dir` that its manifest lists, as (file
/// name, bytes), unordered (see [`ordered`]). Each must be a regular file,
/// reached through no link, with the SHA-256 the manifest records: a chart
/// the manifest does not list (or a link) is never embedded, and an edited
/// one is named.
fn read_charts(dir: &Path, manifest: &Manifest) -> Result<Vec<(String, Vec<u8>)>, JobError> {
    let listed = manifest.header.files_sha256.iter().flatten();
    let mut charts = Vec::new();
    for (name, want) in listed {
        let Some(file) = name.strip_prefix("charts/") else {
            continue;
        };
        if !file.ends_with(".png") || file.contains('/') {
            continue;
        }
        let path = output::safe::inside(dir, name)?;
        let damaged = |message: &str| JobError::Damaged {
            path: path.clone(),
            message: message.to_string(),
        };
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_file() => {}
            Ok(_) => return Err(damaged("is not a regular file: the chart is not embedded")),
            Err(e) => return Err(JobError::read(&path, e)),
        }
        let png = output::read_capped(&path, MAX_CHART_BYTES).map_err(|e| JobError::read(&path, e))?;
        if output::sha256_hex(&png) != *want {
            return Err(damaged(&format!(
                "differs from the SHA-256 manifest.json records: it was replaced or edited; redraw the charts with `tokenmaxx plot {}`",
                dir.display()
            )));
        }
        charts.push((file.to_string(), png));
    }
    Ok(charts)
}

/// The largest chart a report embeds.
const MAX_CHART_BYTES: u64 = 64 << 20;

/// Refuses a report file that would land in a results folder (other than
/// the default `report.html` or `report.md` of the folder reported) or
/// replace a file tokenmaxx did not write as a report.
fn check_out(results: &Path, dir: &Path, name: &str, in_results: bool) -> Result<(), JobError> {
    let out = dir.join(name);
    let refuse = |why: String| Err(JobError::Usage(format!("--out {}: {why}", out.display())));
    let own_default = in_results && matches!(name, "report.html" | "report.md" | "report.pptx");
    if !own_default {
        let mut at = dir.canonicalize().ok();
        while let Some(d) = at {
            if [output::folder::LOCK, "manifest.json"]
                .iter()
                .any(|f| std::fs::symlink_metadata(d.join(f)).is_ok())
            {
                return refuse(format!(
                    "lies in the results folder {}: a report goes outside any results folder, or into {} as report.html, report.md or report.pptx",
                    d.display(),
                    results.display()
                ));
            }
            at = d.parent().map(Path::to_path_buf);
        }
    }
    match std::fs::symlink_metadata(&out) {
        Err(_) => Ok(()),
        Ok(m) if !m.file_type().is_file() => refuse("exists and is not a regular file".into()),
        Ok(_) => {
            let bytes = output::read_capped(&out, 256 << 20).map_err(|e| JobError::read(&out, e))?;
            if crate::report::is_report(&bytes) {
                Ok(())
            } else {
                refuse("exists and is not a report tokenmaxx wrote: choose another file name".into())
            }
        }
    }
}

/// PNG charts (file name, bytes) of `sub` as figures, in the order the job
/// draws them (the captions' order), then by name.
fn ordered(sub: &str, mut files: Vec<(String, Vec<u8>)>) -> Vec<Figure> {
    const ORDER: [&str; 18] = [
        "comparison",
        "spend_vs_value",
        "policy_comparison",
        "verdicts",
        "weekly",
        "commitment",
        "market",
        "heatmap",
        "by_parameter",
        "tornado",
        "sobol",
        "posterior_predictive",
        "posterior_marginals",
        "search_tradeoff",
        "search_levers",
        "search_convergence",
        "tradeoff",
        "box",
    ];
    let rank = |n: &str| ORDER.iter().position(|o| n.starts_with(o)).unwrap_or(ORDER.len());
    files.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then(a.0.cmp(&b.0)));
    files
        .into_iter()
        .map(|(n, png)| {
            let stem = n.trim_end_matches(".png");
            let (title, caption) = crate::report::caption_of(stem);
            Figure {
                path: format!("{sub}/{n}"),
                title,
                caption,
                png,
            }
        })
        .collect()
}

/// The `by_parameter` figures of a sweep titled by their parameter's
/// display label, captioned with their rank, and in rank order (the
/// parameters that move net value most first).
fn name_parameter_figures(figures: &mut [Figure], d: &SweepData) {
    let ranked = d.ranked_parameters();
    let measure = d.ranking_measure();
    let rank_of = |path: &str| {
        ranked.iter().position(|s| {
            path == format!(
                "charts/{}.png",
                crate::plot::charts::sweep::parameter_chart_name(d, s.parameter)
            )
        })
    };
    let slots: Vec<usize> = (0..figures.len())
        .filter(|&k| figures[k].path.starts_with("charts/by_parameter_"))
        .collect();
    let mut picked: Vec<Figure> = slots.iter().map(|&k| std::mem::take(&mut figures[k])).collect();
    picked.sort_by_key(|f| rank_of(&f.path).unwrap_or(usize::MAX));
    for (slot, mut f) in slots.into_iter().zip(picked) {
        if let Some(k) = rank_of(&f.path) {
            let s = ranked[k];
            let label = d.parameter_name(s.parameter);
            f.caption = format!(
                "Return and spend per policy across the range of {label} (other swept parameters pooled), means with 95% bands. \
Ranked {} of {} swept parameters by {measure} (|\u{3c1}| = {:.2}).",
                k + 1,
                ranked.len(),
                s.abs_rho
            );
            f.title = label;
        }
        figures[slot] = f;
    }
}

fn run_methods(d: &RunData, version: &str, manifest: &RunManifest) -> String {
    let scenario = &manifest.scenario;
    let mut s = format!(
        "tokenmaxx {} simulation of the scenario `{}` ({}, contract terms of {}). \
Each policy arm was run {} (replicates) from master seed {}; replicate r of every arm shares its random numbers \
(common random numbers), so differences between policies are paired by replicate. Intervals are 95% Student t intervals over replicates. \
Results are identical on any number of threads.\n\n",
        version,
        d.scenario,
        count(&scenario["weeks"], "week"),
        count(&scenario["term_weeks"], "week"),
        count(d.replicates, "time"),
        d.seed
    );
    s.push_str("Policies:\n\n");
    for p in &d.policies {
        let desc = scenario["policies"][p.as_str()]["description"].as_str().unwrap_or("");
        s.push_str(&format!("- **{}** (`{p}`): {desc}\n", d.name(p)));
    }
    let diff = findings::differences_from_defaults(scenario);
    if diff.is_empty() {
        s.push_str(
            "\nThe scenario keeps every default of the model (`tokenmaxx defaults` lists them with their sources).\n",
        );
    } else {
        s.push_str(&format!(
            "\nThe scenario's {} differences from the model's defaults (`tokenmaxx defaults` lists every default with its source):\n\n| parameter | key | default | this scenario |\n|---|---|---|---|\n",
            diff.len()
        ));
        for (k, def, v) in diff {
            s.push_str(&format!(
                "| {} | `{}` | {} | {} |\n",
                crate::report::cell(&crate::scenario::labels::parameter_label(&k, None)),
                k,
                crate::report::cell(&def),
                crate::report::cell(&v)
            ));
        }
    }
    s
}

/// A swept parameter's range or values as the sweep manifest records them
/// (`"range": [low, high]` with `log`, or `"values"`), for people to read.
fn parameter_range(p: &SweptParameter) -> String {
    let number = |x: f64| crate::output::table::significant(x, 4);
    match p {
        SweptParameter::Values { values, .. } => values.join(", "),
        SweptParameter::Range { range, log, .. } => format!(
            "{} to {}{}",
            number(range[0]),
            number(range[1]),
            if *log { " (log)" } else { "" }
        ),
    }
}

fn sweep_methods(
    d: &SweepData,
    version: &str,
    manifest: &SweepManifest,
    labels: &crate::scenario::labels::Labels,
) -> String {
    let mut s = format!(
        "tokenmaxx {} sweep `{}` of the base scenario `{}`: a {} design of {}, each policy arm run {} per point \
(replicates, common random numbers across arms), master seed {}; {} runs in all. Results are identical on any number of threads or shards.\n\n",
        version,
        manifest.name,
        findings::file_name(&manifest.base_path),
        manifest.design,
        count(d.point_values.len(), "point"),
        count(d.runs.replicates, "time"),
        d.runs.seed,
        d.runs.n_runs()
    );
    if manifest.design == "worlds" {
        let from = match &manifest.worlds_from {
            Some(WorldsFrom::Named(s)) => s.clone(),
            Some(WorldsFrom::Posterior { posterior, .. }) => format!("the posterior {posterior}"),
            None => "the posterior ".to_string(),
        };
        s.push_str(&format!(
            "Worlds are drawn from {from}: each parameter below uniform (or log-uniform) on its range, every parameter of a world shared by all policy arms.\n\n"
        ));
    }
    if let Some(amend) = Some(manifest.amendments.as_str()).filter(|a| !a.is_empty()) {
        s.push_str(&format!("Command-line amendments: `{amend}`.\n\n"));
    }
    s.push_str("| parameter | key | range or values |\n|---|---|---|\n");
    for p in &manifest.parameters {
        let key = p.key();
        let range = parameter_range(p);
        s.push_str(&format!(
            "| {} | `{key}` | {} |\n",
            crate::report::cell(&labels.parameter(key)),
            crate::report::cell(&range)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_range_reads_as_the_sweep_file_gives_it() {
        // As the sweep manifest records them (jobs/sweep/finalize.rs).
        let range: SweptParameter = serde_json::from_value(
            serde_json::json!({"key": "a", "range": [0.2333333333333333, 2.0999999999999996], "log": true, "integer": false, "steps": null}),
        )
        .unwrap();
        assert_eq!(parameter_range(&range), "0.2333 to 2.1 (log)");
        let values: SweptParameter =
            serde_json::from_value(serde_json::json!({"key": "b", "values": ["0", "0.25", "usage_leaderboard"]}))
                .unwrap();
        assert_eq!(parameter_range(&values), "0, 0.25, usage_leaderboard");
    }
}
