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
    26373281330,
    38362,
    345509.50256207504,
    343076.80903943867,
    171466.321283285,
);
const PIN1: Pin = (
    1,
    59800833941,
    46471,
    520212.4317271754,
    -74360.6782312605,
    108208.92456684497,
);

#[test]
fn golden_small_run() {
    let s = common::load(
        "baseline",
        &["enterprises.acme.employees=80", "weeks=30", "term_weeks=10"],
    );
    for (arm, tokens, decisions, spend, value, breakage) in GOLDEN {
        let r = engine::run(&s.config, arm, 42);
        let m = &r.metrics;
        println!(
            "({arm}, {}, {}, {:?}, {:?}, {:?})",
            m.tokens as u64, r.decisions, m.spend_usd, m.value_usd, m.breakage_usd
        );
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
