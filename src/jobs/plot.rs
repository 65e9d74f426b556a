//! The `plot` job: redraw the charts of a results folder from its files.

use crate::jobs::error::JobError;
use crate::output;
use crate::output::manifest::{Job, Manifest};
use crate::plot;
use std::path::Path;

/// Checks a results folder against its manifest before anything is drawn
/// from it: the manifest must parse, and every result file it lists (charts
/// aside, which `plot` redraws) must be there with the SHA-256 it records.
/// A cut, edited or missing file is named.
pub fn verify(results: &Path) -> Result<(), JobError> {
    let manifest = verify_files(results)?;
    if let Job::Discover(d) = &manifest.job {
        // Its charts are drawn from PRIM's trajectory by `discover`, in
        // the look recorded in the folder it studied: a new look is asked
        // of that folder, then the discovery run again, which replaces
        // discovery/ with the same result in that look.
        let parent = match results.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
            _ => "..".to_string(),
        };
        let mut again = format!("tokenmaxx discover {parent} --policy {}", d.policy);
        if let Some(a) = &d.against {
            again.push_str(&format!(" --against {a}"));
        }
        // The manifest records net value in words.
        let metric = if d.metric == "net value" {
            "net_value"
        } else {
            &d.metric
        };
        let cases = match &d.cases {
            Some(c) => format!("--cases {c}"),
            None => format!("--threshold={}", d.threshold),
        };
        again.push_str(&format!(
            " --metric {metric} {cases} --peel-alpha {} --bootstrap {}",
            d.peel_alpha, d.bootstrap
        ));
        return Err(JobError::WrongFolder {
            path: results.to_path_buf(),
            message: format!(
                "holds a scenario discovery: its charts are drawn by `tokenmaxx discover` in the look of the folder it studied; to restyle them, redraw that folder (`tokenmaxx plot {parent} --theme …`, which records the look) and run the discovery again (`{again}`)"
            ),
        });
    }
    if let Job::Compare(_) = manifest.job {
        return Err(JobError::WrongFolder {
            path: results.to_path_buf(),
            message: "holds a comparison: its chart is drawn by `tokenmaxx compare` itself; `plot` redraws the charts of runs, sweeps and calibrations".into(),
        });
    }
    if let Job::Optimize(_) = manifest.job {
        return Err(JobError::WrongFolder {
            path: results.to_path_buf(),
            message: format!(
                "holds a policy search: its charts (search_tradeoff, search_levers, search_convergence) are drawn by `tokenmaxx optimize` itself; `plot` redraws the charts of runs, sweeps and calibrations, and `tokenmaxx report {}` makes a page of the search",
                results.display()
            ),
        });
    }
    Ok(())
}

/// Checks every result file a folder's manifest lists (charts aside)
/// against the SHA-256 it records, and returns the manifest.
pub fn verify_files(results: &Path) -> Result<Manifest, JobError> {
    let path = results.join("manifest.json");
    let damaged = |path: &Path, message: String| JobError::Damaged {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            use crate::output::folder::{Holding, holding};
            let how = match holding(results) {
                Holding::InterruptedCalibration => "it holds an interrupted calibration: finish it with `tokenmaxx calibrate … --resume` (or `--gather` for a job array)",
                Holding::InterruptedOptimization => "it holds an interrupted policy search: finish it with `tokenmaxx optimize … --resume` (or `--gather` for a job array)",
                _ => "run `tokenmaxx run` or `tokenmaxx sweep` into it first; an interrupted sweep finishes with --resume",
            };
            JobError::WrongFolder {
                path: results.to_path_buf(),
                message: format!("holds no tokenmaxx results: manifest.json is missing ({how})"),
            }
        } else {
            JobError::read(&path, e)
        }
    })?;
    let manifest = Manifest::from_slice(&text)
        .map_err(|e| damaged(&path, format!("{e}: the folder's results cannot be trusted")))?;
    let files = manifest.header.files_sha256.as_ref().ok_or_else(|| {
        damaged(
            &path,
            "lists no files_sha256: the folder's results cannot be trusted".into(),
        )
    })?;
    for (name, want) in files {
        if name.starts_with("charts/") {
            continue;
        }
        let file = output::safe::inside(results, name)?;
        match std::fs::symlink_metadata(&file) {
            Err(_) => return Err(damaged(&file, "listed in manifest.json but missing".into())),
            Ok(m) if !m.file_type().is_file() => {
                return Err(damaged(&file, "is not a regular file".into()));
            }
            Ok(_) => {}
        }
        let got = output::sha256_file(&file).map_err(|e| JobError::read(&file, e))?;
        if got != *want {
            return Err(damaged(
                &file,
                "differs from the SHA-256 manifest.json records: it was cut or edited after the run; rerun to get a trustworthy result".into(),
            ));
        }
    }
    Ok(manifest)
}

/// What a command asks of its charts (the look flags): each setting given
/// goes over the `[presentation]` its scenario, sweep or results folder
/// records. Every job that draws takes one and resolves its own look
/// ([`LookAsked::over`]), so the command line and a library caller draw
/// the same charts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LookAsked {
    pub presentation: crate::scenario::Presentation,
    /// `--charts`: how many swept parameters get a chart.
    pub parameter_charts: Option<plot::ParameterCharts>,
}

impl LookAsked {
    /// The look of charts whose file or folder records `own`: what was
    /// asked, over `own`, over the defaults.
    pub fn over(&self, own: Option<crate::scenario::Presentation>) -> plot::Look {
        let p = own.unwrap_or_default().overridden_by(&self.presentation);
        let mut look = plot::Look::from_presentation(&p);
        if let Some(n) = self.parameter_charts {
            look.parameter_charts = n;
        }
        look
    }

    /// Whether anything was asked.
    pub fn given(&self) -> bool {
        *self != LookAsked::default()
    }
}

/// The `[presentation]` a results folder's manifest records (from its
/// scenario or sweep file), if any. A folder without a readable manifest
/// has none (the command reading it names the problem, as it does a
/// recorded presentation that does not parse); one out of range is named
/// as damage.
pub fn manifest_presentation(results: &Path) -> Result<Option<crate::scenario::Presentation>, JobError> {
    let path = results.join("manifest.json");
    let Ok(manifest) = Manifest::read(results) else {
        return Ok(None);
    };
    let Some(p) = manifest.presentation() else {
        return Ok(None);
    };
    let damaged = |message: String| JobError::Damaged {
        path: path.clone(),
        message: format!("its `presentation` {message}: the manifest was edited; rerun, or fix the value"),
    };
    p.check().map_err(|(k, m)| damaged(format!("has {k} {m}")))?;
    Ok(Some(p.clone()))
}

/// The display labels of a calibration's parameters and policies, from
/// its base scenario's text with the evidence file's `set` laid over it
/// (as the calibration ran it). A base that no longer reads (it was read
/// when the calibration ran, so only an edited manifest gets here) leaves
/// the labels made from the keys alone.
pub(crate) fn calibration_labels(
    base_text: &str,
    set: &[String],
    parameters: &[crate::output::manifest::CalibratedParameter],
) -> crate::scenario::labels::Labels {
    let keys: Vec<(&str, Option<&str>)> = parameters.iter().map(|p| (p.key.as_str(), None)).collect();
    let overrides: Vec<crate::scenario::Override> = set
        .iter()
        .filter_map(|t| crate::scenario::Override::parse(t).ok())
        .collect();
    match crate::scenario::from_str(base_text, "base", &overrides) {
        Ok((raw, _)) => crate::scenario::labels::Labels::of(&raw, &keys),
        Err(_) => crate::scenario::labels::Labels {
            policies: Default::default(),
            parameters: parameters
                .iter()
                .map(|p| (p.key.clone(), crate::scenario::labels::parameter_label(&p.key, None)))
                .collect(),
        },
    }
}

/// A calibration read from its folder (checked with [`verify`]): its
/// posterior.csv, generations.csv and ppc.csv, and what its manifest
/// records.
pub fn calibration(results: &Path, manifest: &Manifest) -> Result<crate::report::calibration::Calibration, JobError> {
    let Job::Calibrate(c) = &manifest.job else {
        return Err(JobError::WrongFolder {
            path: results.to_path_buf(),
            message: "holds no calibration".into(),
        });
    };
    let read = |name: &str| {
        let path = output::safe::inside(results, name)?;
        std::fs::read(&path).map_err(|e| JobError::read(&path, e))
    };
    let (posterior, generations, ppc) = (read("posterior.csv")?, read("generations.csv")?, read("ppc.csv")?);
    let labels = calibration_labels(&c.base_text, &c.set, &c.parameters);
    let rec = crate::report::calibration::Recorded {
        name: &c.name,
        particles: c.particles,
        generations_asked: c.generations_asked,
        stop: &c.stop,
        simulations: c.simulations,
        seed: c.seed,
        parameters: &c.parameters,
        labels: &labels,
    };
    Ok(crate::report::calibration::Calibration::from_csv(
        &rec,
        &posterior,
        &generations,
        &ppc,
    )?)
}

/// Draws the charts of a run's, sweep's or calibration's results folder
/// (checked with [`verify`]) in `look`.
pub(crate) fn draw(results: &Path, format: plot::Format, look: &plot::Look) -> Result<Vec<plot::Chart>, JobError> {
    if let Ok(manifest) = Manifest::read(results)
        && let Job::Calibrate(_) = manifest.job
    {
        return Ok(plot::calibration_charts(
            &calibration(results, &manifest)?.chart_data(),
            format,
            look,
        )?);
    }
    // A sweep's directory has points.csv; a run's does not.
    Ok(if results.join("points.csv").exists() {
        let data = plot::SweepData::from_dir(results)?;
        let mut charts = plot::sweep_charts(&data, format, look)?;
        let sens = results.join("sensitivity.csv");
        if sens.exists() {
            let rows = crate::results::read_sensitivity(&sens)?;
            let d = &data.runs;
            let source = plot::sensitivity_source(
                &d.scenario,
                d.points,
                d.policies.len(),
                d.replicates,
                d.n_runs(),
                &d.seed,
            );
            let sd = plot::SensitivityData {
                name: &d.scenario,
                source,
                policies: d.policies.clone(),
                rows: &rows,
                labels: d.labels.clone(),
            };
            charts.extend(plot::sensitivity_charts_from(&sd, format, look)?);
        }
        charts
    } else {
        plot::run_charts(&plot::RunData::from_dir(results)?, format, look)?
    })
}

/// Redraws the charts of a results directory from its CSV files alone, in
/// the look the folder records with what `asked` sets on top. Returns the
/// files written, relative to `out`.
///
/// Charts redrawn into the results folder itself keep the folder true:
/// under its lock, the new charts and the manifest listing exactly them
/// (with their SHA-256) and `look` are written atomically, the manifest
/// last; then charts of the redrawn formats that this drawing no longer
/// makes (listed or not) are removed. A later `plot` without look flags
/// draws in the look recorded, and a report's provenance lists exactly
/// the charts on disk.
pub fn plot(
    results: &Path,
    out: Option<&Path>,
    format: plot::Format,
    asked: &LookAsked,
) -> Result<Vec<String>, JobError> {
    let out = out.unwrap_or(results);
    if !results.join("manifest.json").exists() {
        return verify(results).map(|()| Vec::new()); // the error naming what is missing
    }
    // One writer per folder: charts are not drawn beside a job still
    // writing there.
    let _lock = output::folder::FolderLock::acquire(out)?;
    // Charts of one result never land in a folder holding another.
    let same = match (results.canonicalize(), out.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => results == out,
    };
    // The results are read under their lock (shared when they are not
    // where the charts go), so the charts show one whole result.
    let _read_lock = if same {
        None
    } else {
        output::folder::ReadLock::acquire(results)?
    };
    if !same {
        use output::folder::Holding;
        let holding = output::folder::holding(out);
        let charts_only = match &holding {
            Holding::Nothing => true,
            Holding::Debris(files) => files.iter().all(|f| f.starts_with("charts/")),
            _ => false,
        };
        if !charts_only {
            return Err(crate::jobs::folder::occupied(out, &holding));
        }
    }
    verify(results)?;
    let look = asked.over(manifest_presentation(results)?);
    let charts = draw(results, format, &look)?;
    let mut files = plot::chart_files(charts);
    let written: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    if !same {
        output::write_atomically(out, &files)?;
        return Ok(written);
    }
    let (manifest, stale) = redrawn(results, &files, format, &look)?;
    files.push(("manifest.json".into(), manifest));
    output::write_atomically(out, &files)?;
    for name in stale {
        output::atomic::remove(out, &name)?;
    }
    Ok(written)
}

/// The extensions of the chart files `format` draws.
fn extensions(format: plot::Format) -> &'static [&'static str] {
    match format {
        plot::Format::Svg => &[".svg"],
        plot::Format::Png => &[".png"],
        plot::Format::Both => &[".svg", ".png"],
    }
}

/// The folder's manifest after its charts were redrawn as `charts`
/// (relative names, bytes) in `look`: every chart of a redrawn format it
/// listed is replaced by the new ones, charts of a format not redrawn stay
/// as listed, and the look is recorded. Also returns the chart files of
/// the redrawn formats in the folder (listed or not) that the new drawing
/// does not make, to remove once the manifest is written.
fn redrawn(
    results: &Path,
    charts: &[(String, Vec<u8>)],
    format: plot::Format,
    look: &plot::Look,
) -> Result<(Vec<u8>, Vec<String>), JobError> {
    let path = results.join("manifest.json");
    let text = std::fs::read(&path).map_err(|e| JobError::read(&path, e))?;
    let mut manifest = Manifest::from_slice(&text).map_err(|e| JobError::Damaged {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let redrawn_format =
        |name: &str| name.starts_with("charts/") && extensions(format).iter().any(|x| name.ends_with(x));
    let drawn = |name: &str| charts.iter().any(|(n, _)| n == name);
    let mut stale: Vec<String> = output::folder::result_files(results)
        .into_iter()
        .filter(|n| redrawn_format(n) && !drawn(n) && !n.rsplit('/').next().unwrap_or("").starts_with('.'))
        .collect();
    if let Some(files) = manifest.header.files_sha256.as_mut() {
        files.retain(|name, _| !redrawn_format(name) || drawn(name));
        for (name, bytes) in charts {
            files.insert(name.clone(), output::sha256_hex(bytes));
        }
    }
    let recorded = look.recorded();
    match &mut manifest.job {
        Job::Run(r) => r.presentation = recorded,
        Job::Sweep(s) => s.presentation = recorded,
        Job::Calibrate(c) => c.presentation = recorded,
        _ => {}
    }
    stale.sort();
    stale.dedup();
    Ok((manifest.to_bytes(), stale))
}
