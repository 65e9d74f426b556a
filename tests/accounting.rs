//! The accounting identities of MODEL.md hold in every run of every bundled
//! scenario, and on random small scenarios.

mod common;

use proptest::prelude::*;
use tokenmaxx::engine;
use tokenmaxx::experiment;

#[test]
fn identities_hold_in_every_bundled_scenario() {
    for name in ["baseline", "good-fit", "market"] {
        let s = common::load(name, &[]);
        let runs = experiment::run_arms(&s.config, s.raw.seed, 2, 2, &|| {}).unwrap();
        assert_eq!(runs.len(), s.config.arms.len() * 2);
        for run in &runs {
            common::check_identities(&s.config, &run.result);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn identities_hold_for_random_parameters(
        employees in 1u32..60,
        weeks in 1u32..80,
        term in 1u32..30,
        breakage in 0.0f64..=1.0,
        lambda in 0.0f64..=1.0,
        commit in 0.0f64..20_000.0,
        card in prop_oneof![Just(f64::INFINITY), 0.5f64..50.0],
        budget in prop_oneof![Just(f64::INFINITY), 1.0f64..200.0],
        arm in 0usize..6,
        seed in any::<u64>(),
        hours in 1.0f64..60.0,
        backlog in 1u32..10,
        rule in prop_oneof![Just("escalate"), Just("track_usage"), Just("budget")],
        headroom in -1.0f64..1.0,
        review in 0.0f64..=1.0,
        friction in prop_oneof![Just(0.0), 1.0f64..200.0],
        quality in prop_oneof![Just(0.0), Just(20.0)],
        users in prop_oneof![Just(1.0), 0.0f64..=1.0],
        discovery in prop_oneof![Just(0.0), 0.0f64..=0.2],
        reuse in prop_oneof![Just(0.0), 0.0f64..=1.0],
        proficiency in prop_oneof![Just(0.0), 0.0f64..=0.3],
        spill in prop_oneof![Just(0.0), 0.0f64..=0.3],
        capture in 0.0f64..=1.0,
        price_fall in prop_oneof![Just(1.0), 1.0f64..20.0],
        team in 1u32..12,
    ) {
        let sets = [
            format!("enterprises.acme.employees={employees}"),
            format!("weeks={weeks}"),
            format!("term_weeks={term}"),
            format!("labs.frontier_lab.breakage={breakage}"),
            format!("enterprises.acme.spend_signal_weight={lambda}"),
            format!("enterprises.acme.first_term_commit_per_employee_usd={commit}"),
            format!("agent.card_limit_usd={card}"),
            format!("policies.budget_capped.weekly_budget_usd={budget}"),
            format!("employees.hours_per_week={hours}"),
            format!("employees.backlog_weeks={backlog}"),
            format!("enterprises.acme.renewal=\"{rule}\""),
            format!("enterprises.acme.renewal_headroom={headroom}"),
            format!("enterprises.acme.review_prob={review}"),
            format!("behaviour.ai_friction_usd={friction}"),
            format!("task_types.analytical.quality_gain_usd={quality}"),
            format!("task_types.research.quality_gain_usd={quality}"),
            format!("adoption.initial_share={users}"),
            format!("discovery.yield_per_run={discovery}"),
            format!("automation.reuse_share={reuse}"),
            format!("learning.proficiency_rate={proficiency}"),
            format!("learning.spillover_per_week={spill}"),
            format!("employees.value_capture={capture}"),
            format!("technology.price_fall_per_year={price_fall}"),
            format!("technology.capability_gain_per_year={}", (price_fall - 1.0) / 40.0),
            format!("employees.team_size={team}"),
        ];
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let s = common::load("baseline", &sets);
        let r = engine::run(&s.config, arm, seed);
        common::check_identities(&s.config, &r);
        prop_assert_eq!(r.weekly.len(), weeks as usize);
    }
}
