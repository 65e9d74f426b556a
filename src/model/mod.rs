//! The tokenmaxx model: what labs, enterprises, employees and agent runs
//! are, and the rules they follow, as pure functions. No I/O, no randomness
//! of its own (callers pass random draws in), no threads.
//!
//! - [`config`]: the typed, validated configuration.
//! - [`agent_run`]: an AI run's expected and drawn outcome (one source).
//! - [`choice`]: employees' nested-logit week plan and performative launches.
//! - [`policy`]: incentive policies' rewards, budgets and card limits.
//! - [`contract`]: commitment, stretch, discount, breakage, mandate, renewal.
//! - [`automation`]: valuing and building automations.
//! - [`learning`]: beliefs learnt from apparent success, friction.
//! - [`diffusion`]: adoption (Bass), discovery, proficiency and what teams share.
//! - [`technology`]: the path of prices and capability over a run.

pub mod agent_run;
pub mod automation;
pub mod choice;
pub mod config;
pub mod contract;
pub mod diffusion;
pub mod learning;
pub mod policy;
pub mod technology;

pub use config::*;

/// The logistic function, for binary choices (to launch or not).
#[inline]
pub(crate) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}
