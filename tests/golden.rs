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
    55993420592,
    43309,
    518033.5614849825,
    570824.4588460368,
    98268.63287185229,
);
const PIN1: Pin = (1, 313480795580, 133829, 2282706.224385886, 431470.622967204, 0.0);

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
