//! The end of a contract term for every enterprise at once: each judges
//! its last term, renews (or escalates), may review its incentive policy,
//! then imitates its peers and hears the lab's evangelism
//! ([`super::market`]). The rules live in [`crate::model::contract`].

use super::enterprise::Enterprise;
use super::market;
use crate::model::{Config, contract, policy};
use rand::RngExt;
use rand_distr::StandardNormal;

/// Contract renewal for every enterprise at the start of term `k`.
///
/// Every enterprise judges its last term first; peers are then imitated from
/// a snapshot taken before anyone renews, so the order of enterprises does
/// not matter.
pub fn renew_all(cfg: &Config, ents: &mut [Enterprise], k: u32) {
    if k == 0 {
        for e in ents.iter_mut() {
            let first = contract::first_commitment(e.lab, e.spec, e.employees.len());
            e.sign(first);
        }
        return;
    }
    let term_weeks = cfg.term_weeks as f64;
    let term_len = (cfg.weeks - (k - 1) * cfg.term_weeks).min(cfg.term_weeks) as f64;
    let mut judged = Vec::with_capacity(ents.len());
    for e in ents.iter_mut() {
        let reference = e.prev_term_usage.unwrap_or(e.commitment);
        let z: f64 = e.rng.sample(StandardNormal);
        let roi = contract::measured_roi(e.spec, e.term_value, e.term_spend, z);
        let j = contract::judge(e.lambda, e.term_usage, term_len, term_weeks, reference, roi);
        e.visible_growth = j.usage_signal;
        e.visible_roi = j.roi_signal;
        e.terms_judged += 1;
        e.terms_below_one += u64::from(j.measured_roi < 1.0);
        judged.push(j);
    }
    let peers = market::snapshot(ents);
    for (i, e) in ents.iter_mut().enumerate() {
        let j = &judged[i];
        let previous = e.commitment;
        e.budget = contract::revise_budget(e.spec, e.budget, j);
        let next = contract::renew(e.lab, e.spec, j, e.budget);
        if let Some(prev_roi) = e.prev_measured_roi {
            let reading = usize::from(e.lambda > 0.5);
            e.renewals_judged += 1;
            e.judged_by_reading[reading] += 1;
            if contract::is_escalation(next, previous, j.measured_roi, prev_roi) {
                e.escalations += 1;
                e.escalations_by_reading[reading] += 1;
            }
        }
        review(e, j);
        e.sign(next);
        e.prev_term_usage = Some(j.annual_usage);
        e.prev_measured_roi = Some(j.measured_roi);
        e.term_usage = 0.0;
        e.term_spend = 0.0;
        e.term_value = 0.0;
        market::imitate(cfg, e, i, &peers);
        market::evangelise(e);
    }
}

/// A policy review after a disappointing term: with probability
/// `review_prob`, leadership replaces the incentive policy by
/// `review_policy` (a policy the scenario fixes is never reviewed).
fn review(e: &mut Enterprise, j: &contract::Judgement) {
    let Some(to) = e.spec.review_policy else { return };
    if e.spec.policy.is_some() || e.policy == to || !contract::disappoints(e.spec, j) {
        return;
    }
    if e.rng.random::<f64>() < e.spec.review_prob {
        e.policy = to;
        // The new policy's guard counts from now.
        e.guard = policy::Guard {
            month: e.guard.month,
            ..policy::Guard::default()
        };
        e.policy_reviews += 1;
    }
}
