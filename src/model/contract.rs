//! The contract between an enterprise and its lab: the first commitment,
//! stretching to a discount tier, the discount, breakage at term end, the
//! sunk-cost mandate, and renewal from perceived success.
//!
//! Pure functions of numbers and the typed configuration: the engine keeps
//! the state, draws the randomness and passes it in.

use super::{EnterpriseSpec, Lab, RenewalRule};

/// Both renewal signals (log usage growth, log measured ROI) are bounded to
/// ±this, so that one extreme term (usage from nothing, ROI near zero) cannot
/// swamp leadership's reading: e^3 ≈ 20x.
pub const SIGNAL_BOUND: f64 = 3.0;

/// Measured ROI below this reads as this before its log is taken: leadership
/// does not tell a return of 1 % from one of 5 %, and the log stays finite.
pub const MIN_MEASURED_ROI: f64 = 0.05;

/// The measured ROI of a term in which nothing was spent (a cancelled
/// contract): read as break-even, neither a success nor a failure, so the
/// log-ROI signal is 0.
pub const ROI_WHEN_NOTHING_SPENT: f64 = 1.0;

/// The usage-growth signal when there was no reference usage to grow from
/// (a first renewal after a zero commitment): any usage reads as strong
/// growth (+1, e-fold), none as flat.
pub const GROWTH_FROM_NOTHING: f64 = 1.0;

/// Usage below this (USD) counts as zero in the growth signal's log.
pub const MIN_USAGE_USD: f64 = 1e-9;

impl Lab {
    /// The discount for an annual commitment: the deepest tier whose minimum
    /// the commitment reaches.
    pub fn discount_for(&self, annual_commit_usd: f64) -> f64 {
        self.discount_tiers
            .iter()
            .rev()
            .find(|t| annual_commit_usd >= t.min_commit_usd)
            .map_or(0.0, |t| t.discount)
    }

    /// The smallest tier minimum strictly above `annual_commit_usd`.
    pub fn next_tier_above(&self, annual_commit_usd: f64) -> Option<f64> {
        self.discount_tiers
            .iter()
            .map(|t| t.min_commit_usd)
            .find(|&m| m > annual_commit_usd)
    }
}

/// Commit to the next discount tier when within `tier_stretch` of it.
pub fn stretch(lab: &Lab, spec: &EnterpriseSpec, commit: f64) -> f64 {
    match lab.next_tier_above(commit) {
        Some(next) if commit >= (1.0 - spec.tier_stretch) * next => next,
        _ => commit,
    }
}

/// The first term's commitment. With no usage history, leadership plans
/// from a per-employee budget (the published per-developer averages),
/// stretched to a discount tier.
pub fn first_commitment(lab: &Lab, spec: &EnterpriseSpec, employees: usize) -> f64 {
    stretch(lab, spec, spec.first_term_commit_per_employee_usd * employees as f64)
}

/// Where a week falls in its contract term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermWeek {
    /// The term's first week.
    pub start: u32,
    /// The term's length: `term_weeks`, or fewer for a last partial term.
    pub len: u32,
    /// Weeks of the term elapsed at the end of this week (1 in its first).
    pub elapsed: u32,
}

impl TermWeek {
    pub fn of(week: u32, weeks: u32, term_weeks: u32) -> Self {
        let start = week / term_weeks * term_weeks;
        TermWeek {
            start,
            len: (weeks - start).min(term_weeks),
            elapsed: week + 1 - start,
        }
    }

    /// True in the term's last week, when breakage is billed.
    pub fn is_last(&self) -> bool {
        self.elapsed == self.len
    }
}

/// Breakage billed at the end of a term: the lab's `breakage` share of the
/// commitment left unused, the commitment prorated for a partial last term.
pub fn breakage(lab: &Lab, commitment: f64, term_usage: f64, term: TermWeek, term_weeks: u32) -> f64 {
    let prorated = commitment * term.len as f64 / term_weeks as f64;
    lab.breakage * (prorated - term_usage).max(0.0)
}

/// Next week's mandate: this week's, decayed, plus `mandate_kappa` times the
/// shortfall of usage against the commitment prorated to date (as a share of
/// it), within [0, `mandate_max`]. Leadership's sunk-cost pressure; it acts
/// under every incentive policy.
pub fn next_mandate(
    spec: &EnterpriseSpec,
    mandate: f64,
    commitment: f64,
    term_usage: f64,
    term: TermWeek,
    term_weeks: u32,
) -> f64 {
    let expected = commitment * term.elapsed as f64 / term_weeks as f64;
    let shortfall = if expected > 0.0 {
        ((expected - term_usage) / expected).max(0.0)
    } else {
        0.0
    };
    (mandate * (1.0 - spec.mandate_decay) + spec.mandate_kappa * shortfall).clamp(0.0, spec.mandate_max)
}

/// ln(a / b), bounded by [`SIGNAL_BOUND`]; from no reference, any usage is
/// [`GROWTH_FROM_NOTHING`].
pub fn log_ratio(a: f64, b: f64) -> f64 {
    if b <= 0.0 {
        return if a > 0.0 { GROWTH_FROM_NOTHING } else { 0.0 };
    }
    (a.max(MIN_USAGE_USD) / b).ln().clamp(-SIGNAL_BOUND, SIGNAL_BOUND)
}

/// The ROI leadership measures for a term: the visible share of delivered
/// value over spend, times a mean-one lognormal noise of log-sd
/// `roi_noise_sigma` from the standard normal draw `z`.
pub fn measured_roi(spec: &EnterpriseSpec, term_value: f64, term_spend: f64, z: f64) -> f64 {
    let sigma = spec.roi_noise_sigma;
    let noise = (sigma * z - 0.5 * sigma * sigma).exp();
    if term_spend > 0.0 {
        spec.roi_visibility * term_value * noise / term_spend
    } else {
        ROI_WHEN_NOTHING_SPENT
    }
}

/// What leadership reads at a renewal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judgement {
    /// Perceived success π = λ · usage signal + (1 − λ) · log measured ROI.
    pub perceived: f64,
    /// Last term's usage cost, annualised (USD).
    pub annual_usage: f64,
    pub measured_roi: f64,
    /// The usage-growth signal: what peers see of this enterprise.
    pub usage_signal: f64,
    /// ln(measured ROI), bounded: what an ROI-reading leadership sees.
    pub roi_signal: f64,
}

/// Judges a finished term: usage growth against the previous term's usage
/// (or the commitment, at the first renewal) and the measured ROI, mixed by
/// the leadership's spend-signal weight `lambda`.
pub fn judge(
    lambda: f64,
    term_usage: f64,
    term_len: f64,
    term_weeks: f64,
    reference: f64,
    measured_roi: f64,
) -> Judgement {
    let annual_usage = term_usage * term_weeks / term_len;
    let usage_signal = log_ratio(annual_usage, reference);
    let roi_signal = roi_signal(measured_roi);
    Judgement {
        perceived: lambda * usage_signal + (1.0 - lambda) * roi_signal,
        annual_usage,
        measured_roi,
        usage_signal,
        roi_signal,
    }
}

/// ln(measured ROI), the ROI floored at [`MIN_MEASURED_ROI`] and the log
/// bounded by [`SIGNAL_BOUND`].
pub fn roi_signal(measured_roi: f64) -> f64 {
    measured_roi
        .max(MIN_MEASURED_ROI)
        .ln()
        .clamp(-SIGNAL_BOUND, SIGNAL_BOUND)
}

/// The `budget` rule's planned annual budget after a term: revised by
/// e^(commit_gain · ln measured ROI), up when the measured return beat
/// break-even, down when it fell short.
pub fn revise_budget(spec: &EnterpriseSpec, budget: f64, j: &Judgement) -> f64 {
    budget * (spec.commit_gain * j.roi_signal).exp()
}

/// Next term's commitment: nothing when perceived success is below
/// `cancel_below` (disillusionment); otherwise, by the enterprise's rule,
/// annualised usage grown by e^(commit_gain · π) (`escalate`), annualised
/// usage × (1 + renewal_headroom) (`track_usage`), or the planned `budget`
/// (`budget`); stretched to a discount tier.
pub fn renew(lab: &Lab, spec: &EnterpriseSpec, j: &Judgement, budget: f64) -> f64 {
    if j.perceived < spec.cancel_below {
        return 0.0;
    }
    let next = match spec.renewal {
        RenewalRule::Escalate => j.annual_usage * (spec.commit_gain * j.perceived).exp(),
        RenewalRule::TrackUsage => j.annual_usage * (1.0 + spec.renewal_headroom),
        RenewalRule::Budget => budget,
    };
    if next > 0.0 { stretch(lab, spec, next) } else { 0.0 }
}

/// Whether a term's measured ROI disappoints enough for a review, which
/// then (with probability `review_prob`, drawn by the caller) replaces the
/// policy by `review_policy`.
pub fn disappoints(spec: &EnterpriseSpec, j: &Judgement) -> bool {
    spec.review_prob > 0.0 && j.measured_roi < spec.review_roi_below
}

/// An escalation as the model counts it: more commitment after a term whose
/// measured ROI fell.
pub fn is_escalation(next: f64, previous: f64, measured_roi: f64, previous_roi: f64) -> bool {
    next > previous && measured_roi < previous_roi
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DiscountTier;

    fn lab() -> Lab {
        Lab {
            name: "l".into(),
            breakage: 0.5,
            evangelism: 0.0,
            serving_cost_share: 0.3,
            discount_tiers: vec![
                DiscountTier {
                    min_commit_usd: 0.0,
                    discount: 0.0,
                },
                DiscountTier {
                    min_commit_usd: 100.0,
                    discount: 0.1,
                },
                DiscountTier {
                    min_commit_usd: 1000.0,
                    discount: 0.2,
                },
            ],
            models: vec![],
        }
    }

    fn spec() -> EnterpriseSpec {
        EnterpriseSpec {
            name: "e".into(),
            employees: 10,
            lab: 0,
            policy: None,
            spend_signal_weight: 0.5,
            spend_signal_sd: 0.0,
            first_term_commit_per_employee_usd: 9.0,
            tier_stretch: 0.2,
            mandate_decay: 0.5,
            mandate_kappa: 2.0,
            mandate_max: 1.0,
            roi_visibility: 0.5,
            roi_noise_sigma: 0.0,
            commit_gain: 0.5,
            cancel_below: -1.0,
            renewal: RenewalRule::Escalate,
            renewal_headroom: 0.1,
            review_prob: 0.0,
            review_roi_below: 1.0,
            review_policy: None,
        }
    }

    #[test]
    fn discount_is_the_deepest_tier_reached() {
        let l = lab();
        assert_eq!(
            (l.discount_for(99.0), l.discount_for(100.0), l.discount_for(5000.0)),
            (0.0, 0.1, 0.2)
        );
        assert_eq!(
            (l.next_tier_above(100.0), l.next_tier_above(1000.0)),
            (Some(1000.0), None)
        );
    }

    #[test]
    fn commitments_within_the_stretch_of_a_tier_rise_to_it() {
        let (l, s) = (lab(), spec());
        assert_eq!(stretch(&l, &s, 80.0), 100.0); // 80 >= 0.8 x 100
        assert_eq!(stretch(&l, &s, 79.0), 79.0);
        assert_eq!(stretch(&l, &s, 5000.0), 5000.0); // no tier above
        assert_eq!(first_commitment(&l, &s, 10), 100.0); // 90, stretched
    }

    #[test]
    fn breakage_bills_the_unused_prorated_commitment_in_the_last_week() {
        let l = lab();
        // Weeks 0..60 with 52-week terms: the second term is 8 weeks long.
        let t = TermWeek::of(59, 60, 52);
        assert_eq!(
            t,
            TermWeek {
                start: 52,
                len: 8,
                elapsed: 8
            }
        );
        assert!(t.is_last() && !TermWeek::of(58, 60, 52).is_last());
        // 520 committed a year, 8/52 of it = 80; 30 used; half of 50 billed.
        assert_eq!(breakage(&l, 520.0, 30.0, t, 52), 25.0);
        assert_eq!(breakage(&l, 520.0, 90.0, t, 52), 0.0);
    }

    #[test]
    fn the_mandate_decays_and_rises_with_the_shortfall_within_its_cap() {
        let s = spec();
        let t = TermWeek::of(12, 156, 52); // 13 weeks in: a quarter of the commitment expected
        // Expected 100, used 60: shortfall 0.4; 0.2 x 0.5 + 2 x 0.4 = 0.9.
        assert!((next_mandate(&s, 0.2, 400.0, 60.0, t, 52) - 0.9).abs() < 1e-12);
        assert_eq!(next_mandate(&s, 0.9, 400.0, 0.0, t, 52), 1.0); // capped
        assert_eq!(next_mandate(&s, 0.4, 400.0, 500.0, t, 52), 0.2); // no shortfall: decays
        assert_eq!(next_mandate(&s, 0.4, 0.0, 0.0, t, 52), 0.2); // nothing committed
    }

    #[test]
    fn renewal_grows_with_perceived_success_and_cancels_below_the_floor() {
        let (l, s) = (lab(), spec());
        // Usage 300 over a 26-week term: 600 a year; grew from 300: ln 2.
        // Measured ROI 0.5 x 1200 / 300 = 2: ln 2. Perceived ln 2 at any lambda.
        let roi = measured_roi(&s, 1200.0, 300.0, 0.7);
        assert_eq!(roi, 2.0);
        let j = judge(0.3, 300.0, 26.0, 52.0, 300.0, roi);
        assert!((j.perceived - 2f64.ln()).abs() < 1e-12);
        // 600 e^(0.5 ln 2) = 848.5, within 20 % of 1000: stretched.
        assert_eq!(renew(&l, &s, &j, 0.0), 1000.0);
        let gloomy = Judgement { perceived: -1.5, ..j };
        assert_eq!(renew(&l, &s, &gloomy, 0.0), 0.0);
        assert_eq!(measured_roi(&s, 5.0, 0.0, 0.0), ROI_WHEN_NOTHING_SPENT);
        // Signals are bounded.
        assert_eq!(log_ratio(1e9, 1.0), SIGNAL_BOUND);
        assert_eq!(log_ratio(0.0, 1.0), -SIGNAL_BOUND);
        assert_eq!((log_ratio(5.0, 0.0), log_ratio(0.0, 0.0)), (GROWTH_FROM_NOTHING, 0.0));
    }

    #[test]
    fn each_renewal_rule_sets_the_next_commitment_its_own_way() {
        let l = lab();
        let mut s = spec();
        // 600 a year used, grew ln 2, measured ROI 2 (ln 2).
        let j = judge(0.5, 300.0, 26.0, 52.0, 300.0, 2.0);
        assert!((j.roi_signal - 2f64.ln()).abs() < 1e-15);
        s.tier_stretch = 0.0;
        s.renewal = RenewalRule::TrackUsage;
        s.renewal_headroom = 0.1;
        assert!((renew(&l, &s, &j, 0.0) - 660.0).abs() < 1e-9);
        s.renewal_headroom = -0.5; // commit half of usage
        assert!((renew(&l, &s, &j, 0.0) - 300.0).abs() < 1e-9);
        s.renewal_headroom = -1.0; // commit nothing
        assert_eq!(renew(&l, &s, &j, 0.0), 0.0);
        // Budget: revised by e^(0.5 ln 2) = sqrt 2; the usage does not matter.
        s.renewal = RenewalRule::Budget;
        let b = revise_budget(&s, 400.0, &j);
        assert!((b - 400.0 * 2f64.sqrt()).abs() < 1e-9);
        assert_eq!(renew(&l, &s, &j, b), b);
        let poor = judge(0.5, 300.0, 26.0, 52.0, 300.0, 0.25);
        assert!((revise_budget(&s, 400.0, &poor) - 200.0).abs() < 1e-9);
        // Every rule cancels when leadership is disillusioned.
        let gloomy = Judgement { perceived: -1.5, ..j };
        assert_eq!(renew(&l, &s, &gloomy, b), 0.0);
        // Reviews only when on, and only below the threshold.
        assert!(!disappoints(&s, &poor));
        s.review_prob = 0.5;
        assert!(disappoints(&s, &poor) && !disappoints(&s, &j));
        for (rule, name) in RenewalRule::ALL {
            assert_eq!((RenewalRule::parse(name), rule.name()), (Some(rule), name));
        }
        assert_eq!(RenewalRule::parse("escalation"), None);
    }

    #[test]
    fn escalation_is_more_commitment_after_a_falling_return() {
        assert!(is_escalation(2.0, 1.0, 0.5, 0.8));
        assert!(!is_escalation(2.0, 1.0, 0.9, 0.8));
        assert!(!is_escalation(1.0, 1.0, 0.5, 0.8));
    }
}
