//! What can go wrong reading a results folder back: a missing file, an
//! unreadable one, a missing column, a cell that is not a number.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{dir} holds no tokenmaxx results: {file} is missing (run `tokenmaxx run SCENARIO --out {dir}` first)")]
    NoResults { dir: PathBuf, file: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: column `{column}` is missing")]
    MissingColumn { file: String, column: String },
    #[error("{file}, line {line}: column `{column}`: `{value}` is not a number")]
    BadNumber {
        file: String,
        line: usize,
        column: String,
        value: String,
    },
    #[error("{file}: malformed CSV: {message}")]
    Csv { file: String, message: String },
    #[error("{file} holds no rows")]
    Empty { file: String },
    #[error("{dir} has no varied parameters (no points.csv): discover needs a `run --worlds` or a sweep")]
    NoPoints { dir: PathBuf },
    #[error("{file}: no numeric parameter varies across its points: nothing to discover")]
    NothingVaries { file: String },
    #[error("{file}: not the runs.csv of a sweep")]
    NotASweep { file: String },
    #[error("--metric {metric}: not a metric of runs.csv (net_value, or one of its columns){hint}")]
    UnknownMetric { metric: String, hint: String },
    #[error("{file}: a row of point `{point}`, not a point of points.csv")]
    UnknownPoint { file: String, point: String },
}
