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

/// One row of the calibration table in docs/model.md: a published target,
/// the band a simulated value must fall in to count as a fit, and the
/// simulated value the table shows. The test holds the simulation within
/// 15 % of the value shown (so the table is current) and checks that the
/// table's fit-or-miss verdict is the simulation's: a miss stays a miss on
/// the page until the model fits.
struct Target {
    name: &'static str,
    band: (f64, f64),
    shown: f64,
    fits: bool,
}

fn check(targets: &[Target], simulated: &[f64]) {
    let mut problems = Vec::new();
    for (t, &sim) in targets.iter().zip(simulated) {
        println!(
            "{:<55} simulated {sim:.4}  band {:?}  shown {}",
            t.name, t.band, t.shown
        );
        if (sim - t.shown).abs() > 0.15 * t.shown.abs() {
            problems.push(format!(
                "{}: simulated {sim:.4}, docs/model.md shows {}",
                t.name, t.shown
            ));
        }
        let fits = sim >= t.band.0 && sim <= t.band.1;
        if fits != t.fits {
            problems.push(format!(
                "{}: simulated {sim:.4} {} the band {:?}, docs/model.md says it {}",
                t.name,
                if fits { "is inside" } else { "is outside" },
                t.band,
                if t.fits { "fits" } else { "misses" }
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "calibration table out of date:\n{}",
        problems.join("\n")
    );
}

/// Payroll a month: $64/h x 2,080 h a year.
const PAYROLL_MONTH: f64 = 64.0 * 2080.0 / 12.0;

#[test]
fn baseline_calibration_table_is_current() {
    let s = common::load("baseline", &[]);
    let runs = experiment::run_arms(&s.config, s.raw.seed, 3, 2, &|| {}).unwrap();
    let lf = arm_index(&s, "laissez_faire");
    let lb = arm_index(&s, "usage_leaderboard");
    let m =
        |arm: usize, f: fn(&tokenmaxx::engine::metrics::RunMetrics) -> f64| mean(&runs, arm, |r| f(&r.result.metrics));
    let targets = [
        // Claude Code docs: $150-250 per developer-month.
        Target {
            name: "engineer spend per month, laissez-faire ($150-250)",
            band: (150.0, 250.0),
            shown: 235.0,
            fits: true,
        },
        // No published figure: reported.
        Target {
            name: "non-engineer spend per month, laissez-faire (no target)",
            band: (0.0, f64::INFINITY),
            shown: 247.0,
            fits: true,
        },
        // Token spend a few percent of payroll.
        Target {
            name: "spend share of payroll, laissez-faire (1-5 %)",
            band: (0.01, 0.05),
            shown: 0.0203,
            fits: true,
        },
        // Meta: 60T tokens / 85,000 employees / 30 days = 706M per employee-month (within x2).
        Target {
            name: "tokens per employee-month, leaderboard (706M)",
            band: (353e6, 1412e6),
            shown: 41.2e6,
            fits: false,
        },
        // Meta's top user: 281B tokens in 30 days, ~400x the mean.
        Target {
            name: "top user / median user, leaderboard (>= 100)",
            band: (100.0, f64::INFINITY),
            shown: 5.3,
            fits: false,
        },
        // Workslop: about 15 % of AI output received is polished noise (within a third).
        Target {
            name: "polished noise share, laissez-faire (15 %)",
            band: (0.10, 0.20),
            shown: 0.208,
            fits: false,
        },
        // Humlum & Vestergaard: 2.8 % of working hours saved (within x2).
        Target {
            name: "hours saved share, laissez-faire (2.8 %)",
            band: (0.014, 0.056),
            shown: 0.071,
            fits: false,
        },
        // No published figure: reported.
        Target {
            name: "performative token share, laissez-faire (no target)",
            band: (0.0, 1.0),
            shown: 0.091,
            fits: true,
        },
        Target {
            name: "performative token share, leaderboard (no target)",
            band: (0.0, 1.0),
            shown: 0.159,
            fits: true,
        },
    ];
    let simulated = [
        m(lf, |x| x.engineer_list_cost_per_month),
        m(lf, |x| x.non_engineer_list_cost_per_month),
        m(lf, |x| x.spend_per_employee_month) / PAYROLL_MONTH,
        m(lb, |x| x.tokens_per_employee_month),
        m(lb, |x| x.top_to_median_usage),
        m(lf, |x| x.noise_share),
        m(lf, |x| x.hours_saved_share),
        m(lf, |x| x.performative_share),
        m(lb, |x| x.performative_share),
    ];
    check(&targets, &simulated);
}

/// Keil, Mann & Rai: 30-40 % of IT projects escalate. Escalation as they
/// measure it (more commitment after a term whose measured ROI fell), per
/// enterprise, laissez-faire arm of the market, with imitation on (the
/// bundled scenario) and off, by leadership's reading at the end.
#[test]
fn market_escalation_table_is_current() {
    let small = [
        "enterprises.early_adopter.employees=100",
        "enterprises.mainstream.employees=100",
        "enterprises.pragmatist.employees=100",
        "arms=[\"laissez_faire\"]",
    ];
    let mut simulated = Vec::new();
    for imitation in ["0.4", "0.0"] {
        let rate = format!("market.imitation_rate={imitation}");
        let mut sets: Vec<&str> = small.to_vec();
        sets.push(&rate);
        let s = common::load("market", &sets);
        let runs = experiment::run_arms(&s.config, s.raw.seed, 3, 2, &|| {}).unwrap();
        let ents: Vec<_> = runs.iter().flat_map(|r| r.result.enterprises.iter()).collect();
        let share = |f: &dyn Fn(f64) -> bool| {
            let group: Vec<_> = ents.iter().filter(|e| f(e.metrics.spend_signal_weight_final)).collect();
            group.iter().filter(|e| e.metrics.escalations >= 1.0).count() as f64 / group.len().max(1) as f64
        };
        simulated.push(share(&|_| true));
        simulated.push(share(&|l| l > 0.5));
        simulated.push(share(&|l| l <= 0.5));
        if imitation != "0.0" {
            // The meme spreads: more enterprises end on a usage leaderboard than start on one.
            let start = ents.iter().filter(|e| e.policy_initial == "usage_leaderboard").count();
            let end = ents.iter().filter(|e| e.policy_final == "usage_leaderboard").count();
            assert!(end > start, "leaderboards should spread by imitation: {start} -> {end}");
        }
    }
    let keil = (0.2, 0.6); // 30-40 %, within x1.5
    let any = (0.0, 1.0);
    let targets = [
        Target {
            name: "escalated, all enterprises, imitation on (30-40 %)",
            band: keil,
            shown: 0.056,
            fits: false,
        },
        Target {
            name: "escalated, spend readers, imitation on",
            band: any,
            shown: 0.074,
            fits: true,
        },
        Target {
            name: "escalated, ROI readers, imitation on",
            band: any,
            shown: 0.044,
            fits: true,
        },
        Target {
            name: "escalated, all enterprises, imitation off (30-40 %)",
            band: keil,
            shown: 0.014,
            fits: false,
        },
        Target {
            name: "escalated, spend readers, imitation off",
            band: any,
            shown: 0.045,
            fits: true,
        },
        Target {
            name: "escalated, ROI readers, imitation off",
            band: any,
            shown: 0.0,
            fits: true,
        },
    ];
    check(&targets, &simulated);
}

/// The working week: chasing a reward takes hours, and when the week runs
/// short, real tasks wait and are dropped; with hours to spare nothing is.
#[test]
fn chasing_tokens_displaces_real_work_when_the_week_runs_short() {
    let small = [
        "enterprises.acme.employees=150",
        "weeks=52",
        "arms=[\"laissez_faire\", \"usage_leaderboard\"]",
        // Every build weighed every week, as the second edition: the
        // leaderboard's token-farming builds compete for the week's hours.
        "automation.idea_per_week=1.0",
    ];
    let total = |hours: &str, policy: &str, f: fn(&tokenmaxx::engine::metrics::RunMetrics) -> f64| {
        let h = format!("employees.hours_per_week={hours}");
        let mut sets = small.to_vec();
        sets.push(&h);
        let s = common::load("baseline", &sets);
        let runs = experiment::run_arms(&s.config, s.raw.seed, 2, 2, &|| {}).unwrap();
        mean(&runs, arm_index(&s, policy), |r| f(&r.result.metrics))
    };
    let dropped = |hours, policy| total(hours, policy, |m| m.tasks_dropped);
    let chasing = |hours, policy| total(hours, policy, |m| m.hours_performative + m.hours_builds);
    assert!(chasing("20", "usage_leaderboard") > 2.0 * chasing("20", "laissez_faire"));
    let (lf, lb) = (dropped("20", "laissez_faire"), dropped("20", "usage_leaderboard"));
    println!("dropped: laissez-faire {lf}, leaderboard {lb}");
    assert!(
        lb > 1.2 * lf && lf > 0.0,
        "a short week: dropped {lf} (laissez-faire) vs {lb} (leaderboard)"
    );
    assert_eq!(
        dropped("168", "usage_leaderboard"),
        0.0,
        "a week of 168 hours drops nothing"
    );
}
