//! Reading a results folder back: the one layer through which charts,
//! reports, discovery and comparisons read what a job wrote, so that
//! `plot`, `report`, `discover` and `compare` work on old folders without
//! rerunning anything. Every reader takes bytes or a path and returns typed
//! data; none writes.
//!
//! - [`table`]: a CSV table with the columns asked for.
//! - [`run`]: a `run`'s runs, weekly rows, enterprises and verdicts.
//! - [`sweep`]: a sweep's or worlds run's points and their runs.
//! - [`sensitivity`]: a sensitivity study's indices.
//! - [`calibration`]: a calibration's generations, posterior and
//!   posterior predictive.
//! - [`posterior`]: a calibration's posterior.csv as a worlds study draws
//!   from it (handed to the scenario layer as a function).
//! - [`worlds`]: a worlds run's points and per-point means, as discovery
//!   reads them.

pub mod calibration;
pub mod error;
pub mod posterior;
pub mod run;
pub mod sensitivity;
pub mod sweep;
pub mod table;
pub mod worlds;

pub use calibration::{Calibration, CalibrationData, Fact, FactCheck, GenerationRow, Marginal, Recorded};
pub use error::ReadError;
pub use run::RunData;
pub use sensitivity::read_sensitivity;
pub use sweep::SweepData;
pub use table::Table;
