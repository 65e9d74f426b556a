//! `tokenmaxx validate`: checks input files without running them. Each
//! file's kind (scenario, sweep, evidence, optimization study) is told by
//! its top-level keys and the file is checked by that kind's own loader,
//! with an estimate of the work where one exists: a run's or a sweep's
//! memory and time against the size limits, a calibration's or a policy
//! search's plan.

use crate::jobs::error::JobError;
use crate::jobs::{limits, run};
use crate::scenario::{self, FileKind, Override, Scenario};
use std::path::{Path, PathBuf};

/// A scenario file that loads and fits the limits.
pub struct Validated {
    pub path: PathBuf,
    pub scenario: Scenario,
    /// A run's estimated memory and time on this machine's threads.
    pub estimate: limits::Estimate,
    /// Overrides that change nothing in this scenario.
    pub warnings: Vec<String>,
}

/// A file of any kind that loads and fits the limits: its kind and what
/// it would do, in one line.
pub struct Checked {
    pub path: PathBuf,
    pub kind: FileKind,
    /// What the file asks for and its estimate, e.g. "3 arms, 1 enterprise,
    /// 200 employees, 156 weeks; a run: 5 runs, about 20 MB of memory …".
    pub summary: String,
    /// Overrides that change nothing in this scenario.
    pub warnings: Vec<String>,
}

/// Checks one scenario file with `overrides` laid over it.
pub fn validate_file(path: &Path, overrides: &[Override], allow_large: bool) -> Result<Validated, JobError> {
    let scenario = scenario::load(path, overrides)?;
    let estimate = limits::check_run(
        path,
        &scenario.config,
        u64::from(match scenario::replicates(&scenario.raw) {
            crate::experiment::adaptive::Replicates::Fixed(n) => n,
            crate::experiment::adaptive::Replicates::Auto(r) => r.max,
        }),
        run::default_threads(),
        allow_large,
    )?
    .measured(&scenario.config, limits::measure(&scenario.config));
    let warnings = scenario::override_warnings(&scenario.config, overrides);
    Ok(Validated {
        path: path.to_path_buf(),
        scenario,
        estimate,
        warnings,
    })
}

/// Checks one file of any kind, told by its top-level keys, with its own
/// loader; `set` (the `--set` texts) is laid over a scenario, and over a
/// sweep's or study's base, as `run`, `sweep` and `optimize` lay it.
pub fn check_file(path: &Path, set: &[String], allow_large: bool) -> Result<Checked, JobError> {
    let source = scenario::read_input(path).map_err(|e| JobError::read(path, e))?;
    let kind = scenario::kind_of(&source);
    let checked = |summary: String, warnings: Vec<String>| Checked {
        path: path.to_path_buf(),
        kind,
        summary,
        warnings,
    };
    match kind {
        FileKind::Scenario => {
            let overrides = run::parse_overrides(set)?;
            let v = validate_file(path, &overrides, allow_large)?;
            let cfg = &v.scenario.config;
            let employees: u64 = cfg.enterprises.iter().map(|e| e.employees as u64).sum();
            use crate::output::table::count;
            Ok(checked(
                format!(
                    "{}, {}, {}, {}; a run: {}",
                    count(cfg.arms.len(), "arm"),
                    count(cfg.enterprises.len(), "enterprise"),
                    count(employees, "employee"),
                    count(cfg.weeks, "week"),
                    v.estimate.describe()
                ),
                v.warnings,
            ))
        }
        FileKind::Sweep => {
            use scenario::sweep as spec;
            let amend = spec::Amendments {
                set: set.to_vec(),
                ..Default::default()
            };
            let plan = spec::load(path, &amend, &crate::results::posterior::read)?;
            crate::jobs::sweep::verify_posterior(&plan)?;
            let base = spec::base_config(&plan)?;
            let estimate = limits::check_sweep(&plan, &base, run::default_threads(), allow_large)?
                .measured(&base, limits::measure(&base));
            // Every point must make a valid scenario, as `sweep` checks
            // before it runs anything; the first that does not is named.
            let (values, _) = spec::point_values(&plan)?;
            let points = spec::PointConfigs::new(&plan)?;
            for (i, v) in values.iter().enumerate() {
                let cfg = points.get(v).map_err(|source| JobError::Point {
                    point: i,
                    file: plan.path.clone(),
                    source: Box::new(source),
                })?;
                limits::check_point(&plan, i, &cfg, allow_large)?;
            }
            use crate::output::table::count;
            Ok(checked(
                format!(
                    "{} design, {}, {} x {} x {}; the sweep: {}",
                    plan.design.name(),
                    count(plan.parameters.len(), "parameter"),
                    count(plan.points, "point"),
                    count(plan.arms.len(), "arm"),
                    match plan.auto {
                        Some(_) => format!("at most {} (auto)", count(plan.replicates, "replicate")),
                        None => count(plan.replicates, "replicate"),
                    },
                    estimate.describe()
                ),
                Vec::new(),
            ))
        }
        FileKind::Evidence => {
            if !set.is_empty() {
                return Err(JobError::Usage(format!(
                    "{}: --set does not apply to an evidence file (`tokenmaxx calibrate` takes none): put the overrides in its [calibrate] `set` list",
                    path.display()
                )));
            }
            let plan = std::sync::Mutex::new(String::new());
            let opts = crate::jobs::calibrate::CalibrateOptions {
                evidence: path.to_path_buf(),
                dry_run: true,
                ..Default::default()
            };
            crate::jobs::calibrate::calibrate(
                &opts,
                &|s| *plan.lock().expect("not poisoned") = s.to_string(),
                &|_, _| {},
            )?;
            Ok(checked(plan.into_inner().expect("not poisoned"), Vec::new()))
        }
        FileKind::Optimization => {
            let opts = crate::jobs::optimize::OptimizeOptions {
                file: path.to_path_buf(),
                dry_run: true,
                allow_large,
                amend: scenario::optimize::Amendments {
                    set: set.to_vec(),
                    ..Default::default()
                },
                ..Default::default()
            };
            match crate::jobs::optimize::optimize(&opts, &|_| {}, &|_| {})? {
                crate::jobs::optimize::Optimized::Planned(text) => Ok(checked(text, Vec::new())),
                _ => unreachable!("a dry run only plans"),
            }
        }
    }
}

/// Checks every file with the `--set` texts laid over each: one outcome per
/// file, in order. Only `--set` texts that do not parse fail the whole.
pub fn validate(
    files: &[PathBuf],
    set: &[String],
    allow_large: bool,
) -> Result<Vec<Result<Checked, JobError>>, JobError> {
    run::parse_overrides(set)?;
    Ok(files.iter().map(|f| check_file(f, set, allow_large)).collect())
}
