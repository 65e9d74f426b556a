//! `tokenmaxx validate`: checks scenario files without running them, each
//! with an estimate of a run's memory and time against the size limits.

use crate::jobs::error::JobError;
use crate::jobs::{limits, run};
use crate::scenario::{self, Override, Scenario};
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
    )?;
    let warnings = scenario::override_warnings(&scenario.config, overrides);
    Ok(Validated {
        path: path.to_path_buf(),
        scenario,
        estimate,
        warnings,
    })
}

/// Checks every file with the `--set` texts laid over each: one outcome per
/// file, in order. Only `--set` texts that do not parse fail the whole.
pub fn validate(
    files: &[PathBuf],
    set: &[String],
    allow_large: bool,
) -> Result<Vec<Result<Validated, JobError>>, JobError> {
    let overrides = run::parse_overrides(set)?;
    Ok(files
        .iter()
        .map(|f| validate_file(f, &overrides, allow_large))
        .collect())
}
