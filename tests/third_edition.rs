//! The third edition's promise (issue 23): both answers are reachable inside
//! the priors. In one world a usage leaderboard beats laissez-faire on net
//! value, and the channels say the win comes from what use discovers, not
//! from keeping the mandate from firing; in another it loses. Every
//! mechanism switched off gives the second edition's results.

mod common;

use tokenmaxx::experiment::{self, channels};
use tokenmaxx::scenario::{self, priors};

/// Two arms of a 200-person firm over three years.
const BASE: [&str; 2] = [
    "enterprises.acme.employees=200",
    "arms=[\"laissez_faire\", \"usage_leaderboard\"]",
];

/// A firm where half the staff do not use AI yet, adoption is slow, people
/// learn from use and each other, and exploration finds use cases that pay
/// the team: each set value lies inside its prior.
const EXPLORATION_PAYS: [&str; 15] = [
    "adoption.initial_share=0.3",
    "adoption.innovation_per_year=0.02",
    "adoption.imitation_per_year=0.2",
    "adoption.barrier_usd=20",
    "discovery.yield_per_run=0.02",
    "discovery.value_usd_per_week=50",
    "discovery.decay_per_week=0.01",
    "discovery.share_prob=0.7",
    "discovery.team_value_share=0.5",
    "learning.proficiency_rate=0.05",
    "learning.proficiency_speed=0.4",
    "learning.spillover_per_week=0.05",
    "automation.reuse_share=0.3",
    "behaviour.mandate_usd=5",
    "enterprises.acme.first_term_commit_per_employee_usd=720",
];

const REPLICATES: u32 = 8;

/// Every parameter with a prior lies inside it.
fn assert_inside_priors(s: &scenario::Scenario) {
    let provenance = scenario::provenance(&s.raw);
    let toml::Value::Table(params) = toml::Value::try_from(&s.raw).unwrap() else {
        unreachable!()
    };
    for p in &provenance.priors {
        let Some(v) = priors::value_at(&params, &p.key) else {
            continue;
        };
        let values: Vec<f64> = match v {
            toml::Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_float().or(x.as_integer().map(|i| i as f64)))
                .collect(),
            x => x.as_float().or(x.as_integer().map(|i| i as f64)).into_iter().collect(),
        };
        if p.key.ends_with("_beta") || p.key.ends_with("_tokens") {
            continue; // priors on pairs scale both numbers (a factor), checked by the defaults' test
        }
        for x in values {
            assert!(
                x >= p.low - 1e-12 && x <= p.high + 1e-12,
                "{} = {x} lies outside its prior {}-{}",
                p.key,
                p.low,
                p.high
            );
        }
    }
}

/// Runs both arms and returns the summary rows.
fn study(sets: &[&str]) -> (scenario::Scenario, Vec<experiment::SummaryRow>) {
    let all: Vec<&str> = BASE.iter().chain(sets).copied().collect();
    let s = common::load("baseline", &all);
    assert_inside_priors(&s);
    let runs = experiment::run_arms(&s.config, s.raw.seed, REPLICATES, 2, &|| {}).unwrap();
    for run in &runs {
        common::check_identities(&s.config, &run.result);
    }
    let metrics: Vec<_> = runs.iter().map(|r| &r.result.metrics).collect();
    let rows = experiment::summarise(&metrics, 2);
    (s, rows)
}

fn row<'a>(rows: &'a [experiment::SummaryRow], arm: usize, metric: &str) -> &'a experiment::SummaryRow {
    rows.iter().find(|r| r.arm == arm && r.metric == metric).unwrap()
}

#[test]
fn a_leaderboard_wins_where_exploration_discovers_and_the_channels_say_so() {
    let (_, rows) = study(&EXPLORATION_PAYS);
    let net = row(&rows, 1, experiment::NET_VALUE).diff;
    let reference = row(&rows, 0, experiment::NET_VALUE).estimate.mean;
    println!("net gain {net:?} against laissez-faire's {reference}");
    assert!(net.ci95_low > 0.0, "the win is not distinguishable from zero: {net:?}");
    assert!(
        net.mean >= 0.05 * reference.abs(),
        "a win of at least 5 %: {net:?} against {reference}"
    );
    // The channels add up to the net gain...
    let c = channels::contributions(&rows, 1);
    let total: f64 = c.iter().map(|x| x.diff.mean).sum();
    assert!(
        (total - net.mean).abs() < 1e-6 * net.mean.abs().max(1.0),
        "{total} != {}",
        net.mean
    );
    // ...and the largest gain comes through discovery, adoption, learning or
    // shared automation, which alone outweigh the whole net gain.
    let gains: f64 = c
        .iter()
        .filter(|x| channels::DISCOVERY_CHANNELS.contains(&x.channel.column))
        .map(|x| x.diff.mean)
        .sum();
    let best = c.iter().max_by(|a, b| a.diff.mean.total_cmp(&b.diff.mean)).unwrap();
    println!(
        "largest gain: {} {:?}; discovery channels {gains}",
        best.channel.label, best.diff
    );
    assert!(
        channels::DISCOVERY_CHANNELS.contains(&best.channel.column),
        "{}",
        best.channel.label
    );
    assert!(gains > net.mean);
    // Not by keeping laissez-faire's sunk-cost mandate from firing: the
    // mandate is weak here, and breakage saved is a small part of the gain.
    let breakage = c.iter().find(|x| x.channel.column == "breakage_usd").unwrap().diff.mean;
    assert!(breakage < 0.1 * net.mean, "breakage saved {breakage} of {}", net.mean);
}

#[test]
fn the_same_leaderboard_loses_where_exploration_finds_nothing() {
    let mut sets = EXPLORATION_PAYS;
    sets[4] = "discovery.yield_per_run=0.0";
    let (_, rows) = study(&sets);
    let net = row(&rows, 1, experiment::NET_VALUE).diff;
    println!("net gain {net:?}");
    assert!(net.ci95_high < 0.0, "{net:?}");
    // Its busywork hours are among what it loses by.
    let c = channels::contributions(&rows, 1);
    let busywork = c.iter().find(|x| x.channel.column == "value_busywork_usd").unwrap();
    assert!(busywork.diff.ci95_high < 0.0, "{busywork:?}");
}

/// Values as bits, so that two undefined ratios (NaN) compare equal.
fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|x| x.to_bits()).collect()
}

/// A mechanism's other parameters, changed while the mechanism is off,
/// leave every result bit for bit as the defaults give it.
#[test]
fn every_mechanism_switched_off_gives_the_second_editions_results() {
    let small = ["enterprises.acme.employees=40", "weeks=30", "term_weeks=10"];
    let off: [&[&str]; 6] = [
        &[
            "adoption.initial_share=1.0",
            "adoption.innovation_per_year=0.9",
            "adoption.barrier_usd=30",
        ],
        &[
            "discovery.yield_per_run=0.0",
            "discovery.value_usd_per_week=150",
            "discovery.share_prob=1.0",
        ],
        &[
            "learning.proficiency_rate=0.0",
            "learning.spillover_per_week=0.0",
            "learning.proficiency_speed=0.5",
        ],
        &[
            "technology.price_fall_per_year=1.0",
            "technology.capability_gain_per_year=0.0",
        ],
        &["automation.reuse_share=0.0", "employees.team_size=3"],
        &["employees.value_capture=1.0"],
    ];
    let base = common::load("baseline", &small);
    for sets in off {
        let all: Vec<&str> = small.iter().chain(sets).copied().collect();
        let s = common::load("baseline", &all);
        for arm in [0, 1] {
            let a = tokenmaxx::engine::run(&base.config, arm, 7);
            let b = tokenmaxx::engine::run(&s.config, arm, 7);
            assert_eq!(
                bits(&a.metrics.values()),
                bits(&b.metrics.values()),
                "{sets:?}, arm {arm}"
            );
            for (x, y) in a.weekly.iter().zip(&b.weekly) {
                assert_eq!(bits(&x.values()), bits(&y.values()), "{sets:?}, arm {arm}");
            }
        }
    }
    // And each switched on changes them.
    let on: [&[&str]; 6] = [
        &["adoption.initial_share=0.5"],
        &["discovery.yield_per_run=0.05"],
        &["learning.proficiency_rate=0.05"],
        &["technology.price_fall_per_year=5.0"],
        &["automation.reuse_share=0.5"],
        &["employees.value_capture=0.5"],
    ];
    for sets in on {
        let all: Vec<&str> = small.iter().chain(sets).copied().collect();
        let s = common::load("baseline", &all);
        let a = tokenmaxx::engine::run(&base.config, 1, 7);
        let b = tokenmaxx::engine::run(&s.config, 1, 7);
        assert_ne!(
            bits(&a.metrics.values()),
            bits(&b.metrics.values()),
            "{sets:?} changes nothing"
        );
    }
}

/// The policy forms seen in practice (issue 23, item 7), each as data in
/// `defaults.toml`, each moving behaviour the way its form says, against
/// laissez-faire in the same world (common random numbers).
#[test]
fn each_policy_form_seen_in_practice_does_what_its_form_says() {
    let arms = "arms=[\"laissez_faire\", \"rank_prize\", \"non_use_penalty\", \"active_use_target\", \"tool_cap\"]";
    let s = common::load(
        "baseline",
        &[
            "enterprises.acme.employees=100",
            "weeks=52",
            "adoption.initial_share=0.3",
            "adoption.innovation_per_year=0.05",
            "adoption.imitation_per_year=0.2",
            "policies.tool_cap.tool_monthly_cap_usd=20",
            "agent.card_limit_usd=5",
            arms,
        ],
    );
    let mean = |arm: usize, f: &dyn Fn(&tokenmaxx::engine::RunResult) -> f64| -> f64 {
        let xs: Vec<f64> = (0..4)
            .map(|seed| {
                let r = tokenmaxx::engine::run(&s.config, arm, seed);
                common::check_identities(&s.config, &r);
                f(&r)
            })
            .collect();
        xs.iter().sum::<f64>() / xs.len() as f64
    };
    let tokens = |r: &tokenmaxx::engine::RunResult| r.metrics.tokens;
    let users = |r: &tokenmaxx::engine::RunResult| r.metrics.ai_users_share_final;
    let lf = (mean(0, &tokens), mean(0, &users));
    // A rank prize makes people burn tokens to climb.
    assert!(mean(1, &tokens) > lf.0, "rank prize");
    // A penalty for non-use and a weekly-active target pull non-users in.
    for arm in [2, 3] {
        let u = mean(arm, &users);
        assert!(u > lf.1, "arm {arm}: {u} users against laissez-faire's {}", lf.1);
    }
    // A cap per tool bounds each employee's monthly spend on each tier: at
    // most the cap plus one run's card limit and the attempt that reached it, in each of 12 months.
    let tiers = s.config.labs[0].models.len() as f64;
    let bound = 12.0 * tiers * (20.0 + 2.0 * 5.0) * 100.0;
    let spent = mean(4, &|r| r.metrics.list_cost_usd);
    assert!(spent <= bound, "{spent} > {bound}");
    assert!(spent < mean(0, &|r| r.metrics.list_cost_usd), "the cap binds");
}

/// A spend guard, the policy's state-contingent rule (issue 28, item 3):
/// "after two months above $X of list-price spend per employee, cap agent
/// runs at $Y and weekly budgets at $B". Before it fires the run is the
/// unguarded run to the bit; once fired, spend falls; a trigger nobody
/// reaches changes nothing at all.
#[test]
fn a_spend_guard_fires_after_two_months_over_and_then_cuts_spend() {
    let sets = |extra: &[&str]| {
        let mut v = vec![
            "enterprises.acme.employees=100",
            "weeks=52",
            "arms=[\"usage_leaderboard\"]",
        ];
        v.extend_from_slice(extra);
        common::load("baseline", &v)
    };
    let plain = sets(&[]);
    let r0 = tokenmaxx::engine::run(&plain.config, 0, 7);
    // The unguarded leaderboard's spend per employee in its first month.
    let first_month: f64 = r0.weekly[..4].iter().map(|w| w.list_cost_usd).sum::<f64>() / 100.0;
    assert!(first_month > 0.0);
    let trigger = format!(
        "policies.usage_leaderboard.guard_spend_usd_per_month={}",
        first_month / 2.0
    );
    let guarded = sets(&[
        &trigger,
        "policies.usage_leaderboard.guard_months=2",
        "policies.usage_leaderboard.guard_card_limit_usd=0.5",
        "policies.usage_leaderboard.guard_weekly_budget_usd=2",
    ]);
    let r1 = tokenmaxx::engine::run(&guarded.config, 0, 7);
    common::check_identities(&guarded.config, &r1);
    let bits = |r: &tokenmaxx::engine::RunResult, weeks: std::ops::Range<usize>| -> Vec<u64> {
        r.weekly[weeks].iter().map(|w| w.list_cost_usd.to_bits()).collect()
    };
    // Months 0 and 1 (weeks 0-8) are judged at the start of months 1 and 2:
    // nothing fires before week 9 (the first week of month 2).
    assert_eq!(bits(&r0, 0..9), bits(&r1, 0..9), "the guard acted before it fired");
    let late = |r: &tokenmaxx::engine::RunResult| r.weekly[26..].iter().map(|w| w.list_cost_usd).sum::<f64>();
    assert!(
        late(&r1) < 0.5 * late(&r0),
        "guarded {} against unguarded {}",
        late(&r1),
        late(&r0)
    );
    // A trigger nobody reaches: the run is the unguarded run to the bit.
    let never = sets(&[
        "policies.usage_leaderboard.guard_spend_usd_per_month=1e15",
        "policies.usage_leaderboard.guard_card_limit_usd=0.5",
    ]);
    let r2 = tokenmaxx::engine::run(&never.config, 0, 7);
    assert_eq!(bits(&r0, 0..52), bits(&r2, 0..52));
    assert_eq!(r0.metrics.value_usd.to_bits(), r2.metrics.value_usd.to_bits());
}
