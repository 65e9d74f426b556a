//! A golden run: a small run's totals, pinned. If this fails, the random
//! draws or the model changed. If the change is intended, update the pins
//! and say so in the commit message: results of older versions no longer
//! reproduce bit for bit.

mod common;

use tokenmaxx::engine;

/// (arm, tokens, decisions, spend, value, breakage) of seed 42.
type Pin = (usize, u64, u64, f64, f64, f64);

const GOLDEN: [Pin; 2] = [PIN0, PIN1];
const PIN0: Pin = (
    0,
    25976193156,
    41062,
    374686.8333644499,
    114726.7928344497,
    206532.46531117,
);
const PIN1: Pin = (
    1,
    33735681661,
    52055,
    398170.687917175,
    -313469.487425082,
    190555.65021012496,
);

#[test]
fn golden_small_run() {
    let s = common::load(
        "baseline",
        &["enterprises.acme.employees=80", "weeks=30", "term_weeks=10"],
    );
    // Every arm's pin is printed before any is checked, so an intended
    // change can be pinned from one run.
    let results: Vec<_> = GOLDEN.iter().map(|g| engine::run(&s.config, g.0, 42)).collect();
    for (g, r) in GOLDEN.iter().zip(&results) {
        let m = &r.metrics;
        println!(
            "({}, {}, {}, {:?}, {:?}, {:?})",
            g.0, m.tokens as u64, r.decisions, m.spend_usd, m.value_usd, m.breakage_usd
        );
    }
    for ((arm, tokens, decisions, spend, value, breakage), r) in GOLDEN.into_iter().zip(&results) {
        let m = &r.metrics;
        assert_eq!(
            (m.tokens as u64, r.decisions),
            (tokens, decisions),
            "arm {arm}: tokens and decisions"
        );
        for (g, w, what) in [
            (m.spend_usd, spend, "spend"),
            (m.value_usd, value, "value"),
            (m.breakage_usd, breakage, "breakage"),
        ] {
            assert!(
                (g - w).abs() <= 1e-9 * w.abs().max(1.0),
                "arm {arm} {what}: got {g}, pinned {w}"
            );
        }
    }
}
