//! The jobs the CLI runs, as library functions: each reads its inputs,
//! calls the model, engine and analyses, and writes its results folder.
//! Jobs are the only layer that touches the file system for results (through
//! [`crate::output::atomic`]); the CLI only parses flags and prints.
//!
//! - [`error`]: the typed errors of every job.
//! - [`limits`]: size bounds and estimates checked before any work.
//! - [`folder`]: claiming a results folder (its lock, what it holds, `--force`).
//! - [`run`]: `tokenmaxx run`.
//! - [`sweep`]: `tokenmaxx sweep` and `merge`.
//! - [`plot`]: `tokenmaxx plot`.
//! - [`calibrate`]: `tokenmaxx calibrate`.
//! - [`report`]: `tokenmaxx report`.
//! - [`discover`]: `tokenmaxx discover`.
//! - [`validate`]: `tokenmaxx validate`.
//! - [`compare`]: `tokenmaxx compare`.
//! - [`optimize`]: `tokenmaxx optimize`.

pub mod calibrate;
pub mod compare;
pub mod discover;
pub mod error;
pub mod folder;
pub mod limits;
pub mod optimize;
pub mod plot;
pub mod report;
pub mod run;
pub mod sweep;
pub mod validate;

pub use error::JobError;
