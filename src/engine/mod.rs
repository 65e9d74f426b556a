//! One run of the model: the weekly loop over enterprises, and nothing else.
//! Each week: renew contracts at a term's start, let every enterprise's
//! employees work, bill the week, book it, and let the shortfall press.
//!
//! A run is a pure function of (config, arm, seed): no I/O, no global state,
//! no dependence on threads. Every enterprise and employee draws from its own
//! stream, derived from the seed and its index, so a run's result never
//! depends on the order in which work is done elsewhere.
//!
//! - [`employee`]: an employee's traits and week of work.
//! - [`enterprise`]: an enterprise's state, bill, mandate and renewal.
//! - [`renewal`]: every enterprise's contract at a term's end.
//! - [`market`]: imitation between enterprises and lab evangelism.
//! - [`tally`]: one enterprise-week's sums and bill.
//! - [`accounting`]: the run's books.
//! - [`metrics`]: the run, week and enterprise records.
//! - [`team`]: what teammates pass on: use cases, automations, proficiency.

pub mod accounting;
pub mod employee;
pub mod enterprise;
pub mod market;
pub mod metrics;
pub mod renewal;
pub mod tally;
pub mod team;

pub use accounting::{EnterpriseRow, RunResult};

use crate::model::Config;
use crate::model::choice::WeekPlan;
use accounting::Books;
use enterprise::Enterprise;
use metrics::WeekMetrics;
use rand_distr::Poisson;
use tally::Tally;

/// The least task arrival rate the Poisson draw accepts; a scenario with
/// `tasks_per_week = 0` gets (almost) no tasks.
const MIN_TASK_RATE: f64 = 1e-12;

/// Employee-weeks one run simulates: every enterprise's employees times the
/// weeks (the unit of `employee_weeks_per_s` in manifests and benchmarks).
pub fn employee_weeks(cfg: &Config) -> u64 {
    cfg.enterprises.iter().map(|e| u64::from(e.employees)).sum::<u64>() * u64::from(cfg.weeks)
}

/// Runs one arm of a scenario with one seed.
pub fn run(cfg: &Config, arm: usize, seed: u64) -> RunResult {
    let arm_policy = cfg.arms[arm];
    let mut ents: Vec<Enterprise> = cfg
        .enterprises
        .iter()
        .enumerate()
        .map(|(i, spec)| Enterprise::new(cfg, spec, i as u64, seed, spec.policy.unwrap_or(arm_policy)))
        .collect();
    let mut books = Books::new(cfg);
    let mut plan = WeekPlan::default();
    let tasks_dist = Poisson::new(cfg.employees.tasks_per_week.max(MIN_TASK_RATE)).expect("validated rate");
    let total_employees: f64 = ents.iter().map(|e| e.employees.len() as f64).sum();

    for week in 0..cfg.weeks {
        if week % cfg.term_weeks == 0 {
            renewal::renew_all(cfg, &mut ents, week / cfg.term_weeks);
        }
        let mut row = WeekMetrics::default();
        for ent in ents.iter_mut() {
            ent.follow_technology(cfg, week);
            let mut tally = Tally::default();
            ent.work_week(cfg, week, &tasks_dist, &mut plan, &mut tally);
            let bill = ent.bill_week(cfg, week, &tally);
            let weight = ent.employees.len() as f64 / total_employees;
            books.book(cfg, &mut row, ent, &tally, &bill, weight);
            ent.press(cfg, week);
        }
        books.end_week(row);
    }
    books.finish(cfg, ents)
}
