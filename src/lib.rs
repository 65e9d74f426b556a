//! tokenmaxx: an agent-based simulation of the tokenmaxxing feedback loop.
//!
//! The crate is a library with a thin CLI on top (`src/main.rs`). Its layers:
//! [`scenario`] turns TOML into a typed [`model::Config`] (the model's rules
//! live in [`model`]); [`engine`] runs one (scenario, arm, seed);
//! [`experiment`] runs arms × replicates and sweeps in parallel and analyses
//! the results; [`output`] and [`plot`] turn results into files and charts;
//! [`jobs`] are the commands the CLI runs. See ARCHITECTURE.md for the code
//! map and the invariants.

pub mod calibrate;
pub mod engine;
pub mod experiment;
pub mod jobs;
pub mod model;
pub mod optimize;
pub mod output;
pub mod plot;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod stats;
