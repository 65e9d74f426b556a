//! tokenmaxx: an agent-based simulation of the tokenmaxxing feedback loop.
//!
//! The crate is a library with a thin CLI on top (`src/main.rs`, with its
//! flags and printing in `src/cli/`). Its layers: [`scenario`] turns TOML
//! into a typed [`model::Config`] (the model's rules live in [`model`]);
//! [`engine`] runs one (scenario, arm, seed), drawing from [`rng`];
//! [`experiment`] runs arms × replicates and sweeps in parallel and analyses
//! the results (with [`stats`]); [`calibrate`] fits parameters to evidence
//! (ABC-SMC); [`optimize`] searches policies (ε-NSGA-II); [`output`] and
//! [`plot`] turn results into files (a typed manifest last) and charts;
//! [`report`] makes a results folder a document or a deck; [`human`] words
//! numbers for people; [`digest`]
//! fingerprints bytes; [`jobs`] are the commands the CLI runs (run, sweep,
//! merge, validate, plot, report, calibrate, optimize, discover, compare;
//! `defaults` and `columns` print tables). See ARCHITECTURE.md for the code
//! map and the invariants.

pub mod calibrate;
pub mod digest;
pub mod engine;
pub mod experiment;
pub mod glyphs;
pub mod human;
pub mod jobs;
pub mod model;
pub mod optimize;
pub mod output;
pub mod plot;
pub mod report;
pub mod results;
pub mod rng;
pub mod scenario;
pub mod stats;
