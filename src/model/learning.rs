//! How employees learn: beliefs about AI success revised from what they
//! observe, and the friction of an unfamiliar tool worn down by use.
//!
//! Beliefs are multipliers on an option's true chance of real success
//! (1 = calibrated, METR's optimism starts them above 1). An observation is
//! 1 when the output *looks* done (polished noise included, unless noticed or
//! measured) and 0 otherwise, so beliefs learn from apparent success. Pure
//! functions.

/// The highest chance of success an employee perceives for any option:
/// however optimistic, nobody plans on a sure thing. Keeps a belief
/// multiplier above 1 from making an option look certain.
pub const MAX_PERCEIVED_SUCCESS: f64 = 0.99;

/// The lowest belief multiplier: even after many failures an employee keeps
/// a sliver of hope in a tool (and the logit never sees a zero chance).
pub const MIN_BELIEF: f64 = 0.05;

/// The lowest chance of real success a belief is scaled against. Keeps the
/// update finite for options that (almost) never really succeed; their
/// belief is then capped at 1 / MIN_P_REAL.
pub const MIN_P_REAL: f64 = 1e-3;

/// The lowest initial belief multiplier, for employees whose drawn optimism
/// is below -95 %.
pub const MIN_INITIAL_BELIEF: f64 = 0.05;

/// A belief after one observation: an exponential moving average, with
/// weight `eta`, of the observation over the option's true chance of real
/// success, kept between [`MIN_BELIEF`] and 1 / p_real (an employee who sees
/// every output look done believes the option always works).
#[inline]
pub fn update_belief(belief: f64, observed: f64, p_real: f64, eta: f64) -> f64 {
    let p_real = p_real.max(MIN_P_REAL);
    ((1.0 - eta) * belief + eta * observed / p_real).clamp(MIN_BELIEF, 1.0 / p_real)
}

/// An employee's initial belief multiplier from a drawn optimism (+0.2 = believes AI is 20 % better).
#[inline]
pub fn initial_belief(optimism: f64) -> f64 {
    (1.0 + optimism).max(MIN_INITIAL_BELIEF)
}

/// The friction of an unfamiliar tool after `experience` uses on a kind of
/// task: `friction_usd` at first, falling by a factor e every `uses`. Felt
/// less by employees who chase the incentive (weight `w`).
#[inline]
pub fn friction(w: f64, friction_usd: f64, experience: f64, uses: f64) -> f64 {
    let scale = (1.0 - w) * friction_usd;
    if scale == 0.0 {
        // Without friction (the default) the factor is a finite
        // non-negative number, so the product is `scale` itself, sign and
        // all: no exp() on the hot path.
        return scale;
    }
    scale * (-experience / uses).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_belief_moves_toward_what_is_seen_over_the_true_rate() {
        // Calibrated belief 1, p_real 0.5, sees success: 0.9 x 1 + 0.1 x 2 = 1.1.
        assert!((update_belief(1.0, 1.0, 0.5, 0.1) - 1.1).abs() < 1e-15);
        // Sees failure: 0.9.
        assert!((update_belief(1.0, 0.0, 0.5, 0.1) - 0.9).abs() < 1e-15);
        // Capped at 1 / p_real, floored at MIN_BELIEF.
        assert_eq!(update_belief(1.9, 1.0, 0.5, 1.0), 2.0);
        assert_eq!(update_belief(0.06, 0.0, 0.5, 0.5), MIN_BELIEF);
        // An option that never works: p_real floored, no division by zero.
        assert_eq!(update_belief(1.0, 1.0, 0.0, 1.0), 1.0 / MIN_P_REAL);
    }

    #[test]
    fn beliefs_learnt_from_apparent_success_settle_at_apparent_over_real() {
        // Half the outputs really work, another quarter are unnoticed noise:
        // the belief settles near 0.75 / 0.5 = 1.5, an optimism that persists.
        let mut b = 1.2;
        for i in 0..20_000 {
            let seen = if i % 4 < 3 { 1.0 } else { 0.0 };
            b = update_belief(b, seen, 0.5, 0.01);
        }
        assert!((b - 1.5).abs() < 0.02, "{b}");
    }

    #[test]
    fn friction_falls_by_e_every_uses_and_spares_the_incentive_chasers() {
        assert_eq!(friction(0.0, 10.0, 0.0, 20.0), 10.0);
        assert!((friction(0.0, 10.0, 20.0, 20.0) - 10.0 / std::f64::consts::E).abs() < 1e-12);
        assert_eq!(friction(1.0, 10.0, 0.0, 20.0), 0.0);
        assert_eq!(initial_belief(-2.0), MIN_INITIAL_BELIEF);
        assert_eq!(initial_belief(0.2), 1.2);
    }
}
