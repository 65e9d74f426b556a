//! What teammates pass on, at the end of each enterprise-week: use cases a
//! colleague found and shared, automations a colleague built (shared
//! automation), and proficiency that spills over from heavy users.
//!
//! Employee `i` belongs to team `i / team_size`; the last team may be
//! smaller. Everything here runs after every employee's week, in employee
//! order, so a run stays a pure function of its seed.

use super::employee::{Employee, Shared};
use crate::model::{Config, automation, diffusion};

/// The employees of employee `i`'s team: `start..end`.
#[inline]
pub fn team_of(i: usize, team_size: usize, n: usize) -> (usize, usize) {
    let start = i / team_size * team_size;
    (start, (start + team_size).min(n))
}

/// Counts AI users per team into `users` (one entry per team).
pub fn count_users(employees: &[Employee], team_size: usize, users: &mut Vec<u32>) {
    users.clear();
    users.resize(employees.len().div_ceil(team_size), 0);
    for (i, e) in employees.iter().enumerate() {
        users[i / team_size] += u32::from(e.user);
    }
}

/// Hands this week's shared use cases and builds to teammates (never back to
/// the one who shared), then lets proficiency spill over within each team.
pub fn end_week(cfg: &Config, employees: &mut [Employee], shared: &mut Vec<Shared>) {
    let size = cfg.employees.team_size as usize;
    let n = employees.len();
    for s in shared.drain(..) {
        let from = match s {
            Shared::UseCase { from, .. } | Shared::Build { from, .. } => from as usize,
        };
        let (start, end) = team_of(from, size, n);
        for (k, e) in employees[start..end].iter_mut().enumerate() {
            if start + k == from {
                continue;
            }
            match s {
                Shared::UseCase { usd_per_week, .. } => {
                    let cap = diffusion::use_case_cap(cfg, e.engineer);
                    e.use_cases = diffusion::add_use_case(e.use_cases, usd_per_week, cap);
                }
                Shared::Build { task, .. } => {
                    let j = task as usize;
                    e.automated[j] = automation::after_reuse(e.automated[j], cfg, &cfg.task_types[j]);
                }
            }
        }
    }
    let rate = cfg.learning.spillover_per_week;
    if rate > 0.0 {
        for team in employees.chunks_mut(size) {
            spill(team, rate);
        }
    }
}

/// Pulls each user's proficiency toward the team's mean weighted by last
/// week's tokens, booking the gain as learnt from peers.
fn spill(team: &mut [Employee], rate: f64) {
    let (mut weighted, mut weight) = (0.0, 0.0);
    for e in team.iter().filter(|e| e.user) {
        let w = e.tokens_last_week as f64;
        weighted += w * e.proficiency;
        weight += w;
    }
    if weight == 0.0 {
        return;
    }
    let mean = weighted / weight;
    for e in team.iter_mut().filter(|e| e.user) {
        let gain = diffusion::spillover(e.proficiency, mean, rate);
        e.proficiency += gain;
        e.proficiency_peer += gain;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teams_are_consecutive_blocks_and_the_last_may_be_short() {
        assert_eq!(team_of(0, 8, 20), (0, 8));
        assert_eq!(team_of(9, 8, 20), (8, 16));
        assert_eq!(team_of(19, 8, 20), (16, 20));
    }
}
