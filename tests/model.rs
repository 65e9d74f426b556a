//! The model is not scripted: whether usage incentives pay comes out of the
//! agents' decisions, and the bundled scenarios stay near the published
//! facts they were calibrated on (MODEL.md, "Calibration targets").

mod common;

use tokenmaxx::experiment::{self, Run};
use tokenmaxx::stats::Estimate;

fn arm_index(s: &tokenmaxx::scenario::Scenario, policy: &str) -> usize {
    s.config
        .arms
        .iter()
        .position(|&a| s.config.policies[a].name == policy)
        .unwrap()
}

/// Net benefit (value - spend) of `arm` minus that of laissez-faire, paired by replicate.
fn net_gain(runs: &[Run], arm: usize, reference: usize) -> Estimate {
    let net = |a: usize| -> Vec<f64> {
        runs.iter()
            .filter(|r| r.arm == a)
            .map(|r| r.result.metrics.value_usd - r.result.metrics.spend_usd)
            .collect()
    };
    Estimate::paired(&net(arm), &net(reference))
}

fn mean(runs: &[Run], arm: usize, f: impl Fn(&Run) -> f64) -> f64 {
    let xs: Vec<f64> = runs.iter().filter(|r| r.arm == arm).map(f).collect();
    xs.iter().sum::<f64>() / xs.len() as f64
}

#[test]
fn baseline_usage_incentives_cost_more_than_they_return() {
    let s = common::load("baseline", &[]);
    let runs = experiment::run_arms(&s.config, s.raw.seed, 4, 2, &|| {}).unwrap();
    let lf = arm_index(&s, "laissez_faire");
    for policy in ["usage_leaderboard", "usage_quota"] {
        let arm = arm_index(&s, policy);
        let gain = net_gain(&runs, arm, lf);
        assert!(
            gain.ci95_high < 0.0,
            "{policy} should lose money against laissez-faire, got {gain:?}"
        );
        let extra_spend =
            mean(&runs, arm, |r| r.result.metrics.spend_usd) - mean(&runs, lf, |r| r.result.metrics.spend_usd);
        assert!(extra_spend > 0.0, "{policy} should raise spend");
    }
}

#[test]
fn good_fit_usage_leaderboard_pays_off() {
    let s = common::load("good-fit", &[]);
    let runs = experiment::run_arms(&s.config, s.raw.seed, 4, 2, &|| {}).unwrap();
    let lf = arm_index(&s, "laissez_faire");
    let arm = arm_index(&s, "usage_leaderboard");
    let gain = net_gain(&runs, arm, lf);
    assert!(
        gain.ci95_low > 0.0,
        "the leaderboard should pay off in good-fit, got {gain:?}"
    );
}

/// Checks a simulated value against a published target within a factor.
fn within(name: &str, simulated: f64, target: f64, factor: f64) {
    assert!(
        simulated >= target / factor && simulated <= target * factor,
        "{name}: simulated {simulated}, target {target} (within x{factor})"
    );
}

#[test]
fn baseline_reproduces_calibration_targets() {
    let s = common::load("baseline", &[]);
    let runs = experiment::run_arms(&s.config, s.raw.seed, 3, 2, &|| {}).unwrap();
    let lf = arm_index(&s, "laissez_faire");
    let lb = arm_index(&s, "usage_leaderboard");
    let m =
        |arm: usize, f: fn(&tokenmaxx::engine::metrics::RunMetrics) -> f64| mean(&runs, arm, |r| f(&r.result.metrics));
    // Claude Code: $150-250 per developer-month (mid-point 200).
    within(
        "engineer spend per month, laissez-faire",
        m(lf, |x| x.engineer_list_cost_per_month),
        200.0,
        2.0,
    );
    // Token spend a few percent of payroll ($64/h x 2,080 h a year).
    let payroll_month = 64.0 * 2080.0 / 12.0;
    within(
        "spend share of payroll, laissez-faire",
        m(lf, |x| x.spend_per_employee_month) / payroll_month,
        0.03,
        2.0,
    );
    // Meta's leaderboard: 60T tokens / 85,000 employees / 30 days = 706M per employee-month.
    within(
        "tokens per employee-month, leaderboard",
        m(lb, |x| x.tokens_per_employee_month),
        706e6,
        2.0,
    );
    // The top users at 100x the median or more.
    assert!(
        m(lb, |x| x.top_to_median_usage) >= 50.0,
        "leaderboard top user / median below 50"
    );
    // Workslop: about 15% of AI output received is polished noise.
    within("noise share, laissez-faire", m(lf, |x| x.noise_share), 0.15, 2.0);
}

#[test]
fn market_escalation_among_usage_readers_near_a_third() {
    let s = common::load(
        "market",
        &[
            "enterprises.early_adopter.employees=100",
            "enterprises.mainstream.employees=100",
            "enterprises.pragmatist.employees=100",
        ],
    );
    let runs = experiment::run_arms(&s.config, s.raw.seed, 3, 2, &|| {}).unwrap();
    let lf = arm_index(&s, "laissez_faire");
    let readers: Vec<_> = runs
        .iter()
        .filter(|r| r.arm == lf)
        .flat_map(|r| r.result.enterprises.iter())
        .filter(|e| e.metrics.spend_signal_weight_final > 0.5)
        .collect();
    assert!(
        readers.len() >= 10,
        "too few usage-reading enterprises: {}",
        readers.len()
    );
    let escalated = readers.iter().filter(|e| e.metrics.escalations >= 1.0).count() as f64 / readers.len() as f64;
    // Keil et al.: 30-40% of IT projects escalate.
    within("escalation share among usage readers", escalated, 0.35, 2.0);
    // The meme spreads: more enterprises end on a usage leaderboard than start on one.
    let start = runs
        .iter()
        .filter(|r| r.arm == lf)
        .flat_map(|r| r.result.enterprises.iter())
        .filter(|e| e.policy_initial == "usage_leaderboard")
        .count();
    let end = runs
        .iter()
        .filter(|r| r.arm == lf)
        .flat_map(|r| r.result.enterprises.iter())
        .filter(|e| e.policy_final == "usage_leaderboard")
        .count();
    assert!(end > start, "leaderboards should spread by imitation: {start} -> {end}");
}
