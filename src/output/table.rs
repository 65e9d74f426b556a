//! The plain-text tables printed after a run: headline metrics per arm, and
//! the verdicts.

use super::csv::arm_name;
use crate::experiment::{SummaryRow, Verdict};
use crate::model::Config;

/// A short plain-text table of the headline metrics per arm, for stdout.
pub fn summary_table(cfg: &Config, rows: &[SummaryRow]) -> String {
    use std::fmt::Write as _;
    let find = |arm: usize, metric: &str| {
        rows.iter()
            .find(|r| r.arm == arm && r.metric == metric)
            .map(|r| r.estimate)
    };
    let musd = |x: f64| format!("{:.2}", x / 1e6);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<20} {:>10} {:>10} {:>19} {:>7} {:>12} {:>21}",
        "policy", "spend $M", "value $M", "ROI (95% CI)", "waste", "Mtok/emp/mo", "incremental ROI"
    );
    for arm in 0..cfg.arms.len() {
        let (Some(spend), Some(value), Some(roi), Some(waste), Some(tok), Some(inc)) = (
            find(arm, "spend_usd"),
            find(arm, "value_usd"),
            find(arm, "roi"),
            find(arm, "waste_share"),
            find(arm, "tokens_per_employee_month"),
            find(arm, crate::experiment::INCREMENTAL_ROI),
        ) else {
            continue;
        };
        let ci = |e: crate::stats::Estimate| {
            if e.mean.is_nan() {
                "n/a".to_string() // not defined: e.g. the ROI of no spend
            } else if e.ci95_low.is_nan() {
                format!("{:.2}", e.mean)
            } else {
                format!("{:.2} [{:.2}, {:.2}]", e.mean, e.ci95_low, e.ci95_high)
            }
        };
        let inc_text = if arm == 0 { "(reference)".to_string() } else { ci(inc) };
        let waste_text = if waste.mean.is_nan() {
            "n/a".to_string()
        } else {
            format!("{:.0}%", waste.mean * 100.0)
        };
        let _ = writeln!(
            s,
            "{:<20} {:>10} {:>10} {:>19} {:>7} {:>12.1} {:>21}",
            arm_name(cfg, arm),
            musd(spend.mean),
            musd(value.mean),
            ci(roi),
            waste_text,
            tok.mean / 1e6,
            inc_text
        );
    }
    s
}

/// A plain-text verdict summary for stdout: who beats whom on ROI, and the
/// regret of each arm.
pub fn verdict_table(arms: &[String], rows: &[Verdict]) -> String {
    use std::fmt::Write as _;
    let mut s = String::from(
        "P(row's ROI beats column's), paired by replicate; regret = net value lost against the best policy\n",
    );
    let _ = write!(s, "{:<20}", "");
    for a in arms {
        let _ = write!(s, " {:>10.10}", a);
    }
    let _ = writeln!(s, " {:>12}", "regret $M");
    for (i, a) in arms.iter().enumerate() {
        let _ = write!(s, "{:<20}", a);
        for j in 0..arms.len() {
            match rows.iter().find(|v| v.arm == i && v.versus == j) {
                Some(v) if v.p_beats_roi.is_nan() => {
                    let _ = write!(s, " {:>10}", "n/a");
                }
                Some(v) => {
                    let _ = write!(s, " {:>10.2}", v.p_beats_roi);
                }
                None => {
                    let _ = write!(s, " {:>10}", "-");
                }
            }
        }
        let regret = rows.iter().find(|v| v.arm == i).map_or(0.0, |v| v.regret);
        let _ = writeln!(s, " {:>12.2}", regret / 1e6);
    }
    s
}
