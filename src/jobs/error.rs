//! The errors of the jobs, by kind: a scenario or sweep file that is wrong,
//! a file that cannot be read or written, a results folder whose files are
//! damaged, a resume that cannot go on, shards that do not fit together,
//! and flags that do not make sense. Each message names what to fix.

use crate::output::OutputError;
use crate::plot::PlotError;
use crate::results::ReadError;
use crate::scenario::ScenarioError;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A scenario or sweep file is invalid (with file, key, line, column).
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// One point of a sweep makes an invalid scenario.
    #[error("point {point} of {}: {source}", file.display())]
    Point {
        point: usize,
        file: PathBuf,
        #[source]
        source: Box<ScenarioError>,
    },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A result file cannot be written (or a folder made).
    #[error(transparent)]
    Write(#[from] OutputError),
    /// A results file is not what the job that wrote it leaves.
    #[error("{}: {message}", path.display())]
    Damaged { path: PathBuf, message: String },
    /// An interrupted sweep cannot be resumed, or is in the way.
    #[error("{0}")]
    Resume(String),
    /// The results folder holds another result (or a sweep to resume).
    #[error("{0}")]
    Occupied(String),
    /// The results are written and complete, but a chart could not be
    /// drawn: every job commits its results first and then reports this
    /// (exit status 1), whatever the job. `redraw` says how to draw them.
    #[error("the results in {} are complete, but a chart could not be drawn: {source}; {redraw}", out.display())]
    Charts {
        out: PathBuf,
        #[source]
        source: Box<PlotError>,
        redraw: String,
    },
    /// A folder that holds something other than what the command reads (a
    /// discovery given to `plot`, no calibration where a shard expects
    /// one, no results at all).
    #[error("{} {message}", path.display())]
    WrongFolder { path: PathBuf, message: String },
    /// A calibration that cannot go on from its first generation.
    #[error("{0}")]
    Calibration(String),
    /// Shards that cannot be merged.
    #[error("{0}")]
    Shard(String),
    /// A run produced a number that is not finite (an overflow): nothing is
    /// written.
    #[error(
        "{run} gave {metric} = {value}: a result is not a finite number (an input is too large, e.g. a price near the float limit, or tokens past 2^53, which no total counts exactly); {inputs}; nothing was written"
    )]
    NonFinite {
        run: String,
        metric: String,
        value: f64,
        inputs: String,
    },
    #[error("cannot start {threads} worker threads: {source}")]
    Threads {
        threads: usize,
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A results folder cannot be read back (a missing file or column, a
    /// cell that is not a number, a study of the wrong kind).
    #[error(transparent)]
    Results(#[from] ReadError),
    /// Flags or arguments that do not make sense (alone or together).
    #[error("{0}")]
    Usage(String),
    /// A library caller (the Python package) set the job's cancellation
    /// flag: a sweep stopped between two chunks of runs, every finished run
    /// recorded, and resumes where it stopped; a run wrote nothing. The
    /// command line never sets the flag.
    #[error("cancelled: the job writing {} stopped between runs (a sweep or calibration resumes with --resume; a run wrote nothing)", out.display())]
    Cancelled { out: PathBuf },
}

impl JobError {
    /// Charts of a run's or sweep's committed results that could not be
    /// drawn; `tokenmaxx plot` redraws them.
    pub fn charts_to_replot(out: &std::path::Path, source: PlotError) -> JobError {
        JobError::Charts {
            out: out.to_path_buf(),
            source: Box::new(source),
            redraw: format!("redraw the charts with `tokenmaxx plot {}`", out.display()),
        }
    }

    /// A failed read of `path`.
    pub fn read(path: &Path, source: std::io::Error) -> Self {
        JobError::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A failed write of `path`.
    pub fn write(path: &Path, source: std::io::Error) -> Self {
        JobError::Write(OutputError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}
