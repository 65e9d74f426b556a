//! tokenmaxx: an agent-based simulation of the tokenmaxxing feedback loop.
//!
//! The crate is a library with a thin CLI on top (`src/main.rs`). Its layers:
//! [`scenario`] turns TOML into a typed [`model::Config`]; [`engine`] runs one
//! (scenario, arm, seed); [`experiment`] runs arms × replicates in parallel
//! and aggregates; [`output`] writes CSV files and the manifest atomically.
//! See ARCHITECTURE.md for the invariants.

pub mod engine;
pub mod experiment;
pub mod jobs;
pub mod model;
pub mod output;
pub mod plot;
pub mod rng;
pub mod scenario;
pub mod stats;
