//! Adoption, discovery and what teammates pass on: the third edition's
//! channels through which use can create value a single employee's choice
//! does not see.
//!
//! - Adoption (Bass 1969): a non-user adopts with a yearly hazard
//!   p + q · (share of the team using AI), raised by what using would pay
//!   them now (the policy's reward and the mandate's pull), which doubles
//!   the hazard at `barrier_usd` a week. Humlum & Vestergaard find training
//!   needs and employer restrictions, not expected gains, holding non-users
//!   back, so the employee's own expected gain does not enter.
//! - Discovery: an exploratory run finds a recurring use case with a fixed
//!   chance; a use case pays its finder a weekly value that fades, and
//!   teammates a share of it once shared.
//! - Learning from use: proficiency grows with each real success and is
//!   pulled toward the team's usage-weighted mean.
//!
//! Pure functions; the engine draws and books.

/// Weeks in a year, for per-year rates.
pub const WEEKS_PER_YEAR: f64 = 52.0;

/// The chance that a non-user adopts this week: a yearly Bass hazard
/// `(p + q · team_share) · (1 + pull / barrier)`, turned into a weekly
/// probability `1 − exp(−hazard / 52)`. A negative pull (a policy that
/// penalises use) does not slow adoption below the Bass rate.
#[inline]
pub fn adoption_probability(p: f64, q: f64, team_share: f64, pull_usd: f64, barrier_usd: f64) -> f64 {
    let hazard = (p + q * team_share) * (1.0 + pull_usd.max(0.0) / barrier_usd);
    1.0 - (-hazard / WEEKS_PER_YEAR).exp()
}

/// Proficiency after one real success: a share `rate` of the gap to 1 closed.
#[inline]
pub fn learn_by_doing(proficiency: f64, rate: f64) -> f64 {
    proficiency + rate * (1.0 - proficiency)
}

/// What a week with the team adds to proficiency: a share `rate` of the gap
/// to the team's usage-weighted mean, when the mean is above it.
#[inline]
pub fn spillover(proficiency: f64, team_mean: f64, rate: f64) -> f64 {
    rate * (team_mean - proficiency).max(0.0)
}

/// The human time AI work takes at a proficiency, as a share of a novice's.
#[inline]
pub fn speed(proficiency: f64, speed_at_full: f64) -> f64 {
    1.0 - speed_at_full * proficiency
}

/// An employee's weekly use-case value after one more use case worth `v` a
/// week: use cases save time on the employee's own AI-addressable work, so
/// together they cannot be worth more than that work (`cap`, USD a week),
/// and each new one is found in what the others have not yet covered:
/// it adds v·(1 − current/cap). Without the cap, a heavy explorer's found
/// value would grow past the hours of their week.
#[inline]
pub fn add_use_case(current: f64, v: f64, cap: f64) -> f64 {
    if cap <= 0.0 {
        return current;
    }
    current + v * (1.0 - current / cap).max(0.0)
}

/// The most a week's use cases can be worth to an employee of a role: the
/// value of the hours of their AI-addressable work a week (arrivals times
/// each task type's share and manual hours, at the hourly value), USD.
pub fn use_case_cap(cfg: &super::Config, engineer: bool) -> f64 {
    let role = usize::from(engineer);
    let hours: f64 = cfg.task_types.iter().map(|t| t.share[role] * t.manual_hours).sum();
    cfg.employees.tasks_per_week * hours * cfg.employees.hourly_cost_usd * cfg.employees.value_capture
}

/// Expected total value of one use case found by an employee with
/// `teammates` colleagues, USD, over its fading life (finder's weekly value
/// v over decay d: v / d; teammates' shares once shared). The break-even of
/// an exploratory run is its cost over this value (docs/model.md).
pub fn use_case_value(v: f64, decay: f64, share_prob: f64, team_share: f64, teammates: f64) -> f64 {
    if decay <= 0.0 {
        return f64::INFINITY;
    }
    v / decay * (1.0 + share_prob * team_share * teammates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bass_hazard_by_hand() {
        // p = 0.3, q = 0.4, half the team uses AI, no pull:
        // hazard 0.5 a year, weekly 1 - exp(-0.5/52) = 0.0095694...
        let h = adoption_probability(0.3, 0.4, 0.5, 0.0, 200.0);
        assert!((h - (1.0 - (-0.5f64 / 52.0).exp())).abs() < 1e-15);
        assert!((h - 0.009569_4).abs() < 1e-6, "{h}");
        // A pull of one barrier doubles the hazard; a penalty does not slow it.
        let doubled = adoption_probability(0.3, 0.4, 0.5, 200.0, 200.0);
        assert!((doubled - (1.0 - (-1.0f64 / 52.0).exp())).abs() < 1e-15);
        assert_eq!(adoption_probability(0.3, 0.4, 0.5, -500.0, 200.0), h);
        // No innovation and nobody to imitate: nobody adopts.
        assert_eq!(adoption_probability(0.0, 0.4, 0.0, 1e6, 200.0), 0.0);
    }

    #[test]
    fn proficiency_by_hand() {
        // 0.2 + 0.1 x 0.8 = 0.28; the team at 0.5 pulls 0.05 x 0.3 = 0.015.
        assert!((learn_by_doing(0.2, 0.1) - 0.28).abs() < 1e-15);
        assert!((spillover(0.2, 0.5, 0.05) - 0.015).abs() < 1e-15);
        // Nobody learns from a team that knows less.
        assert_eq!(spillover(0.6, 0.5, 0.05), 0.0);
        // At full proficiency with a 30 % speed-up, AI work takes 0.7 of the time.
        assert!((speed(1.0, 0.3) - 0.7).abs() < 1e-15);
        assert_eq!(speed(0.0, 0.3), 1.0);
    }

    #[test]
    fn use_cases_saturate_at_the_weeks_addressable_work() {
        // $50 a week on top of $200 of a $1,000 cap: 50 x 0.8 = 40.
        assert!((add_use_case(200.0, 50.0, 1000.0) - 240.0).abs() < 1e-12);
        assert_eq!(add_use_case(0.0, 50.0, 1000.0), 50.0);
        // At the cap nothing more is found; a value past it is not raised.
        assert_eq!(add_use_case(1000.0, 50.0, 1000.0), 1000.0);
        let mut u = 0.0;
        for _ in 0..10_000 {
            u = add_use_case(u, 50.0, 1000.0);
        }
        assert!(u <= 1000.0 && u > 999.0, "{u}");
    }

    #[test]
    fn a_use_case_value_by_hand() {
        // $25 a week fading 2 % a week: $1,250 to the finder; shared half the
        // time at half value with 7 teammates: x (1 + 0.5 x 0.5 x 7) = x 2.75.
        let v = use_case_value(25.0, 0.02, 0.5, 0.5, 7.0);
        assert!((v - 3437.5).abs() < 1e-9, "{v}");
    }
}
