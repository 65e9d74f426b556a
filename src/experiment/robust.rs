//! Robust verdicts: how policies compare across plausible worlds, not at one
//! point of the parameter space (Lempert, Popper & Bankes 2003; the
//! robustness metrics of McPhail et al. 2018 as EMA Workbench reports them).
//!
//! The input is each world's mean net value per policy (over its
//! replicates, which share seeds across policies). The uncertainty reported
//! is over worlds: a share of worlds gets a Wilson 95 % interval, a mean a
//! Student-t one. Replicate noise inside a world is not added: with common
//! random numbers it is small beside the spread between worlds, and a
//! verdict per world with its own interval is in verdicts.csv.

use crate::stats::Estimate;

/// One robustness measure of a policy (against another, for pairwise ones).
#[derive(Debug, Clone, PartialEq)]
pub struct RobustRow {
    pub policy: String,
    /// The other policy of a pairwise measure; empty otherwise.
    pub against: String,
    pub measure: &'static str,
    pub estimate: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    /// Worlds the measure is taken over.
    pub worlds: usize,
}

/// Share of worlds where the policy's net value beats the other's.
pub const P_BEATS: &str = "p_beats";
/// Mean over worlds of the paired difference in net value (USD).
pub const MEAN_NET_DIFFERENCE: &str = "mean_net_difference";
/// Share of worlds where the policy has the highest net value (ties count
/// for every tied policy).
pub const SHARE_BEST: &str = "share_best";
/// Mean over worlds of (best net value − this policy's), USD.
pub const EXPECTED_REGRET: &str = "expected_regret";
/// Largest regret over worlds, USD (no interval: a maximum).
pub const MAX_REGRET: &str = "max_regret";
/// Share of worlds where the policy's net value is above zero.
pub const SHARE_POSITIVE: &str = "share_positive_net";
/// Mean net value over worlds, USD.
pub const MEAN_NET: &str = "mean_net";

/// The Wilson score interval (95 %) of `k` successes in `n` trials.
pub fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let z = 1.959_963_984_540_054_f64;
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * ((p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt()) / denom;
    // At 0 or n successes the bound is exactly 0 or 1 (the formula leaves
    // rounding dust).
    let lo = if k == 0.0 { 0.0 } else { (centre - half).max(0.0) };
    let hi = if k == n { 1.0 } else { (centre + half).min(1.0) };
    (lo, hi)
}

/// The robust verdicts of `arms` from `net[world][arm]`, the mean net value
/// of each policy in each world. Per policy: mean net value, share of
/// worlds with positive net value, share of worlds where it is best,
/// expected and maximum regret; per pair (each policy against each other):
/// the share of worlds where it beats the other, and the mean difference.
pub fn analyse(arms: &[String], net: &[Vec<f64>]) -> Vec<RobustRow> {
    let n = net.len();
    let mut rows = Vec::new();
    let row = |policy: &str, against: &str, measure: &'static str, e: f64, lo: f64, hi: f64| RobustRow {
        policy: policy.to_string(),
        against: against.to_string(),
        measure,
        estimate: e,
        ci95_low: lo,
        ci95_high: hi,
        worlds: n,
    };
    let share = |k: usize| {
        let (lo, hi) = wilson(k, n);
        (k as f64 / n.max(1) as f64, lo, hi)
    };
    let best: Vec<f64> = net
        .iter()
        .map(|w| w.iter().copied().fold(f64::NEG_INFINITY, f64::max))
        .collect();
    for (a, name) in arms.iter().enumerate() {
        let mine: Vec<f64> = net.iter().map(|w| w[a]).collect();
        let e = Estimate::of(&mine);
        rows.push(row(name, "", MEAN_NET, e.mean, e.ci95_low, e.ci95_high));
        let (p, lo, hi) = share(mine.iter().filter(|&&x| x > 0.0).count());
        rows.push(row(name, "", SHARE_POSITIVE, p, lo, hi));
        let (p, lo, hi) = share(mine.iter().zip(&best).filter(|(x, b)| x >= b).count());
        rows.push(row(name, "", SHARE_BEST, p, lo, hi));
        let regret: Vec<f64> = mine.iter().zip(&best).map(|(x, b)| b - x).collect();
        let e = Estimate::of(&regret);
        rows.push(row(name, "", EXPECTED_REGRET, e.mean, e.ci95_low, e.ci95_high));
        let max = regret.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        rows.push(row(name, "", MAX_REGRET, max, f64::NAN, f64::NAN));
    }
    for (a, name) in arms.iter().enumerate() {
        for (b, other) in arms.iter().enumerate() {
            if a == b {
                continue;
            }
            let (p, lo, hi) = share(net.iter().filter(|w| w[a] > w[b]).count());
            rows.push(row(name, other, P_BEATS, p, lo, hi));
            let d: Vec<f64> = net.iter().map(|w| w[a] - w[b]).collect();
            let e = Estimate::of(&d);
            rows.push(row(name, other, MEAN_NET_DIFFERENCE, e.mean, e.ci95_low, e.ci95_high));
        }
    }
    rows
}

/// The robust verdicts as a plain table: per policy, then per pair against
/// the first policy (the reference).
///
/// `names` are the arms' display names (the arm keys where it is shorter).
pub fn table(arms: &[String], names: &[String], rows: &[RobustRow]) -> String {
    let get = |policy: &str, against: &str, measure: &str| {
        rows.iter()
            .find(|r| r.policy == policy && r.against == against && r.measure == measure)
    };
    // Percentages with one decimal below 10 % (1 of 250 worlds is 0.4 %,
    // not 0 %).
    let p = |x: f64| {
        let x = 100.0 * x;
        if x < 10.0 && x > 0.0 {
            format!("{x:.1}")
        } else {
            format!("{x:.0}")
        }
    };
    let pct = |r: Option<&RobustRow>| {
        r.map_or("n/a".to_string(), |r| {
            format!("{}% [{}, {}]", p(r.estimate), p(r.ci95_low), p(r.ci95_high))
        })
    };
    let musd = |r: Option<&RobustRow>| r.map_or("n/a".to_string(), |r| format!("{:.2}", r.estimate / 1e6));
    let worlds = rows.first().map_or(0, |r| r.worlds);
    let name = |i: usize| names.get(i).unwrap_or(&arms[i]).clone();
    let w = (0..arms.len())
        .map(|i| name(i).chars().count())
        .max()
        .unwrap_or(0)
        .max(22);
    let mut s = format!(
        "Across {worlds} plausible worlds (net value = value - spend; [95% interval over worlds]):\n{:<w$} {:>10} {:>18} {:>18} {:>12} {:>12}\n",
        "policy", "mean $M", "net value > 0", "best policy", "regret $M", "max regret"
    );
    for (i, a) in arms.iter().enumerate() {
        s.push_str(&format!(
            "{:<w$} {:>10} {:>18} {:>18} {:>12} {:>12}\n",
            name(i),
            musd(get(a, "", MEAN_NET)),
            pct(get(a, "", SHARE_POSITIVE)),
            pct(get(a, "", SHARE_BEST)),
            musd(get(a, "", EXPECTED_REGRET)),
            musd(get(a, "", MAX_REGRET)),
        ));
    }
    if let Some(reference) = arms.first() {
        for (i, a) in arms.iter().enumerate().skip(1) {
            s.push_str(&format!(
                "{} beats {} on net value in {} of worlds (mean difference {})\n",
                name(i),
                name(0),
                pct(get(a, reference, P_BEATS)),
                get(a, reference, MEAN_NET_DIFFERENCE).map_or("n/a".to_string(), |r| crate::human::money(r.estimate))
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_known_values() {
        // Wilson (1927) / Newcombe (1998) table: 15 of 148 -> [0.0624, 0.1605].
        let (lo, hi) = wilson(15, 148);
        assert!((lo - 0.0624).abs() < 5e-4 && (hi - 0.1605).abs() < 5e-4, "{lo} {hi}");
        // 0 of 10 -> [0, 0.2775].
        let (lo, hi) = wilson(0, 10);
        assert!(lo == 0.0 && (hi - 0.2775).abs() < 5e-4, "{lo} {hi}");
        assert_eq!(wilson(250, 250).1, 1.0);
    }

    #[test]
    fn measures_on_a_hand_made_table() {
        let arms = vec!["a".to_string(), "b".to_string()];
        // Four worlds: b beats a in the last two.
        let net = vec![vec![10.0, 4.0], vec![5.0, -1.0], vec![-2.0, 3.0], vec![1.0, 9.0]];
        let rows = analyse(&arms, &net);
        let get = |p: &str, o: &str, m: &str| {
            rows.iter()
                .find(|r| r.policy == p && r.against == o && r.measure == m)
                .unwrap()
                .estimate
        };
        assert_eq!(get("b", "a", P_BEATS), 0.5);
        assert_eq!(get("a", "b", P_BEATS), 0.5);
        assert_eq!(get("a", "", SHARE_POSITIVE), 0.75);
        assert_eq!(get("b", "", SHARE_POSITIVE), 0.75);
        assert_eq!(get("a", "", SHARE_BEST), 0.5);
        // Regrets of a: 0, 0, 5, 8; of b: 6, 6, 0, 0.
        assert_eq!(get("a", "", EXPECTED_REGRET), 13.0 / 4.0);
        assert_eq!(get("a", "", MAX_REGRET), 8.0);
        assert_eq!(get("b", "", MAX_REGRET), 6.0);
        assert_eq!(get("b", "a", MEAN_NET_DIFFERENCE), (-6.0 - 6.0 + 5.0 + 8.0) / 4.0);
        assert_eq!(get("a", "", MEAN_NET), 14.0 / 4.0);
        assert!(table(&arms, &[], &rows).contains("b beats a on net value in 50% [15, 85] of worlds"));
        assert!(table(&arms, &[], &[rows[0].clone()]).contains("n/a"));
        let names = ["Alpha policy".to_string(), "Beta".to_string()];
        assert!(table(&arms, &names, &rows).contains("Beta beats Alpha policy on net value in 50% [15, 85] of worlds"));
    }
}
