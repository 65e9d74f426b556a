//! The plain-text tables printed after a run: headline metrics per arm, and
//! the verdicts.

use super::csv::arm_name;
use crate::experiment::{SummaryRow, Verdict, channels};
pub use crate::human::{count, money, significant, trim};
use crate::model::Config;

/// A short plain-text table of the headline metrics per arm, for stdout,
/// then each policy against the first arm, paired by replicate: the extra
/// spend, the extra value and the net gain with their 95% CIs, and the
/// value per extra dollar only where a policy surely spends more (its
/// extra spend's CI lies above zero): a ratio of differences has no
/// meaning when spend falls, and explodes near zero extra spend.
///
/// `names` are the arms' display names (see `scenario::labels`), in arm
/// order.
pub fn summary_table(cfg: &Config, rows: &[SummaryRow], names: &[String]) -> String {
    use crate::stats::Estimate;
    use std::fmt::Write as _;
    let find = |arm: usize, metric: &str| rows.iter().find(|r| r.arm == arm && r.metric == metric);
    let musd = |x: f64| format!("{:.2}", x / 1e6);
    // Two decimals, never "-0.00".
    let fmt = |x: f64| format!("{:.2}", if x.abs() < 0.005 { 0.0 } else { x });
    let ci = |e: Estimate, scale: f64| {
        if e.mean.is_nan() {
            "n/a".to_string() // not defined: e.g. the ROI of no spend
        } else if e.ci95_low.is_nan() {
            fmt(e.mean / scale)
        } else {
            format!(
                "{} [{}, {}]",
                fmt(e.mean / scale),
                fmt(e.ci95_low / scale),
                fmt(e.ci95_high / scale)
            )
        }
    };
    let name = |arm: usize| {
        names
            .get(arm)
            .cloned()
            .unwrap_or_else(|| arm_name(cfg, arm).to_string())
    };
    let w = (0..cfg.arms.len())
        .map(|a| name(a).chars().count())
        .max()
        .unwrap_or(0)
        .max(20);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<w$} {:>10} {:>10} {:>19} {:>7} {:>12}",
        "policy", "spend $M", "value $M", "ROI (95% CI)", "waste", "Mtok/emp/mo"
    );
    for arm in 0..cfg.arms.len() {
        let (Some(spend), Some(value), Some(roi), Some(waste), Some(tok)) = (
            find(arm, "spend_usd"),
            find(arm, "value_usd"),
            find(arm, "roi"),
            find(arm, "waste_share"),
            find(arm, "tokens_per_employee_month"),
        ) else {
            continue;
        };
        let waste_text = if waste.estimate.mean.is_nan() {
            "n/a".to_string()
        } else {
            format!("{:.0}%", waste.estimate.mean * 100.0)
        };
        let _ = writeln!(
            s,
            "{:<w$} {:>10} {:>10} {:>19} {:>7} {:>12.1}",
            name(arm),
            musd(spend.estimate.mean),
            musd(value.estimate.mean),
            ci(roi.estimate, 1.0),
            waste_text,
            tok.estimate.mean / 1e6
        );
    }
    if cfg.arms.len() < 2 {
        return s;
    }
    let _ = writeln!(s, "against {}, paired by replicate ($M, 95% CI):", name(0));
    let _ = writeln!(
        s,
        "{:<w$} {:>24} {:>24} {:>24} {:>14}",
        "policy", "extra spend", "extra value", "net gain", "value per $"
    );
    for arm in 1..cfg.arms.len() {
        let (Some(spend), Some(value), Some(net), Some(inc)) = (
            find(arm, "spend_usd"),
            find(arm, "value_usd"),
            find(arm, crate::experiment::NET_VALUE),
            find(arm, crate::experiment::INCREMENTAL_ROI),
        ) else {
            continue;
        };
        let per_dollar = if spend.diff.ci95_low > 0.0 {
            fmt(inc.estimate.mean)
        } else {
            "-".to_string()
        };
        let _ = writeln!(
            s,
            "{:<w$} {:>24} {:>24} {:>24} {:>14}",
            name(arm),
            ci(spend.diff, 1e6),
            ci(value.diff, 1e6),
            ci(net.diff, 1e6),
            per_dollar
        );
    }
    let carried: Vec<(usize, Vec<channels::Contribution>)> = (1..cfg.arms.len())
        .map(|arm| (arm, channels::decisive(&channels::contributions(rows, arm), 4)))
        .filter(|(_, c)| !c.is_empty())
        .collect();
    if !carried.is_empty() {
        let _ = writeln!(
            s,
            "what carries each net gain, by channel ($M, 95% CI; the largest four that are not zero):"
        );
        for (arm, contributions) in carried {
            let parts: Vec<String> = contributions
                .iter()
                .map(|c| format!("{} {}", c.channel.label, ci(c.diff, 1e6)))
                .collect();
            let _ = writeln!(s, "{:<w$} {}", name(arm), parts.join("; "));
        }
    }
    s
}

/// A plain-text verdict summary for stdout: the share of paired
/// replicates in which each arm's net value (value - spend) beats each
/// other's, and the regret of each arm. `names` are the arms' display
/// names; columns are numbered to keep them narrow.
pub fn verdict_table(names: &[String], rows: &[Verdict]) -> String {
    use std::fmt::Write as _;
    let mut s = String::from(
        "P(row's net value beats column's), paired by replicate; regret = net value lost against the best policy\n",
    );
    let label = |i: usize| format!("({}) {}", i + 1, names[i]);
    let w = (0..names.len())
        .map(|i| label(i).chars().count())
        .max()
        .unwrap_or(0)
        .max(20);
    let _ = write!(s, "{:<w$}", "");
    for i in 0..names.len() {
        let _ = write!(s, " {:>6}", format!("({})", i + 1));
    }
    let _ = writeln!(s, " {:>12}", "regret $M");
    for i in 0..names.len() {
        let _ = write!(s, "{:<w$}", label(i));
        for j in 0..names.len() {
            match rows.iter().find(|v| v.arm == i && v.versus == j) {
                Some(v) if v.p_beats_net.is_nan() => {
                    let _ = write!(s, " {:>6}", "n/a");
                }
                Some(v) => {
                    let _ = write!(s, " {:>6.2}", v.p_beats_net);
                }
                None => {
                    let _ = write!(s, " {:>6}", "-");
                }
            }
        }
        let regret = rows.iter().find(|v| v.arm == i).map_or(0.0, |v| v.regret);
        let _ = writeln!(s, " {:>12.2}", regret / 1e6);
    }
    s
}

/// Top-level keys `tokenmaxx defaults` does not list as parameters: run
/// settings, the provenance tables themselves, and the policies (the
/// treatments compared, listed by `tokenmaxx validate`).
pub const NOT_PARAMETERS: [&str; 9] = [
    "seed",
    "replicates",
    "auto_replicates",
    "weeks",
    "priors",
    "sources",
    "policies",
    "arms",
    "name",
];

/// Every built-in default with its plausible range (estimates) and source
/// (published facts), one line each, numbers to three significant digits.
pub fn defaults() -> String {
    use crate::scenario::{default_provenance, priors};
    let (table, prov) = default_provenance();
    // Every numeric parameter, the policy template's fields (what every
    // policy, built-in or new, starts from) among them.
    let mut keys: Vec<String> = priors::numeric_keys(table, &NOT_PARAMETERS);
    keys.extend(
        priors::numeric_keys(table, &[])
            .into_iter()
            .filter(|k| k.starts_with("policies.")),
    );
    let is_policy = |k: &str| k.starts_with("policies.") || k.starts_with("templates.policy.");
    let width = keys.iter().map(String::len).max().unwrap_or(10);
    let mut out = format!(
        "{:<width$}  {:>14}  {:<28}  source or note\n",
        "parameter", "default", "plausible range"
    );
    for key in &keys {
        let value =
            priors::value_at(table, key).map_or(String::new(), |v| priors::show_with(v, &|f| significant(f, 3)));
        let range = prov.prior(key).map_or("-".to_string(), |p| {
            format!(
                "{} to {}{}",
                significant(p.low, 3),
                significant(p.high, 3),
                if p.log { " (log)" } else { "" }
            )
        });
        let source = match (prov.source(key), prov.prior(key)) {
            (Some(s), _) => s.to_string(),
            (None, Some(p)) if !p.note.is_empty() => format!("est.: {}", p.note),
            (None, Some(_)) => "est.".to_string(),
            (None, None) if is_policy(key) => "policy setting (a treatment compared, not an estimate)".to_string(),
            (None, None) => "(no source and no prior)".to_string(),
        };
        out.push_str(&format!("{key:<width$}  {value:>14}  {range:<28}  {source}\n"));
    }
    out.push_str(
        "\nest. = an estimate, carried with its plausible range; sources are facts of CALIBRATION.md (docs/model.md).\n\
         `tokenmaxx defaults --toml` prints the defaults file itself.\n",
    );
    out
}

/// A box limit or threshold of scenario discovery, as its sentence in
/// summary.md and its chart both show it: millions with three decimals
/// (`2.500M`: limits are often money), thousands whole, tens with one
/// decimal, below that three. One function, so a sentence and its chart
/// never disagree.
pub fn limit(x: f64) -> String {
    let a = x.abs();
    if a >= 1e6 {
        format!("{:.3}M", x / 1e6)
    } else if a >= 1e3 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::metrics::RunMetrics;

    #[test]
    fn money_puts_the_sign_before_the_dollar() {
        assert_eq!(money(-1_650_000.0), "-$1.65M");
        assert_eq!(money(1_650_000.0), "$1.65M");
        assert_eq!(money(2.5e9), "$2.5B");
        assert_eq!(money(-560.0e3), "-$560k");
        assert_eq!(money(12.0), "$12");
        assert_eq!(money(0.0), "$0");
    }

    #[test]
    fn count_uses_the_singular_for_one_only() {
        assert_eq!(count(1, "replicate"), "1 replicate");
        assert_eq!(count(2, "replicate"), "2 replicates");
        assert_eq!(count(0, "run"), "0 runs");
        assert_eq!(count(1u32, "policy"), "1 policy");
        assert_eq!(count(3usize, "policy"), "3 policies");
        assert_eq!(count(2, "day"), "2 days");
    }

    fn runs(spend_value: &[(f64, f64)]) -> Vec<RunMetrics> {
        spend_value
            .iter()
            .map(|&(spend_usd, value_usd)| RunMetrics {
                spend_usd,
                value_usd,
                roi: value_usd / spend_usd,
                ..Default::default()
            })
            .collect()
    }

    /// The row of `policy` in the table's paired part.
    fn paired_row(table: &str, policy: &str) -> Vec<String> {
        let paired = table.split("paired by replicate").nth(1).unwrap();
        let line = paired.lines().find(|l| l.starts_with(policy)).unwrap();
        let mut cells: Vec<String> = line[policy.len()..].split_whitespace().map(str::to_string).collect();
        cells.insert(0, policy.to_string());
        cells
    }

    #[test]
    fn a_discovery_limit_reads_the_same_in_its_sentence_and_its_chart() {
        assert_eq!(limit(2_456_789.0), "2.457M");
        assert_eq!(limit(-1_500_000.0), "-1.500M");
        assert_eq!(limit(12_345.6), "12346");
        assert_eq!(limit(12.34), "12.3");
        assert_eq!(limit(0.25), "0.250");
    }

    #[test]
    fn numbers_read_in_four_significant_digits() {
        for (x, want) in [
            (0.2333333333333333, "0.2333"),
            (2.0999999999999996, "2.1"),
            (2000.0, "2000"),
            (123456.0, "123500"),
            (0.002, "0.002"),
            (-1.5, "-1.5"),
            (9.99996, "10"),
            (1e-6, "1e-6"),
            (0.0, "0"),
        ] {
            assert_eq!(significant(x, 4), want, "{x}");
        }
    }

    #[test]
    fn a_policy_that_spends_less_and_delivers_more_shows_the_signs_and_no_ratio() {
        let text =
            "name = \"t\"\narms = [\"laissez_faire\", \"efficiency\", \"usage_leaderboard\"]\n[enterprises.acme]\n";
        let (_, cfg) = crate::scenario::from_str(text, "t.toml", &[]).unwrap();
        // Paired replicates: efficiency saves $1-2M and adds $1-2M; the
        // leaderboard surely spends $10M more for $1M more value.
        let base = runs(&[(10e6, 40e6), (11e6, 42e6), (9e6, 39e6)]);
        let eff = runs(&[(8.5e6, 41.5e6), (9.2e6, 43.8e6), (7.4e6, 40.2e6)]);
        let lead = runs(&[(20e6, 41e6), (21.2e6, 43.1e6), (18.9e6, 39.9e6)]);
        let all: Vec<&RunMetrics> = base.iter().chain(&eff).chain(&lead).collect();
        let names = ["Laissez-faire", "Efficiency reward", "Usage leaderboard"].map(String::from);
        let table = summary_table(&cfg, &crate::experiment::summarise(&all, 3), &names);
        assert!(!table.contains("usage_leaderboard"), "display names, not keys: {table}");
        let e = paired_row(&table, "Efficiency reward");
        assert!(e[1].starts_with('-'), "extra spend is negative: {e:?}");
        assert!(!e[4].starts_with('-'), "extra value is positive: {e:?}");
        assert!(!e[7].starts_with('-'), "net gain is positive: {e:?}");
        assert_eq!(e.last().unwrap(), "-", "no ratio where spend falls: {e:?}");
        let l = paired_row(&table, "Usage leaderboard");
        let per_dollar: f64 = l.last().unwrap().parse().unwrap();
        assert!((per_dollar - 0.1).abs() < 0.02, "value per extra dollar: {l:?}");
        assert!(!table.contains("-0.00"), "{table}");
    }

    #[test]
    fn the_verdict_table_ranks_on_net_value_under_display_names() {
        // Arm 1 has the higher ROI in every replicate but the lower net value.
        let a = runs(&[(10e6, 40e6), (11e6, 42e6)]);
        let b = runs(&[(1e6, 10e6), (1e6, 11e6)]);
        let all: Vec<&RunMetrics> = a.iter().chain(&b).collect();
        let v = crate::experiment::verdicts(&all, 2);
        let names = ["Big spender", "Thrift"].map(String::from);
        let t = verdict_table(&names, &v);
        assert!(t.starts_with("P(row's net value beats column's)"), "{t}");
        let row = |n: &str| -> Vec<String> {
            let l = t.lines().find(|l| l.contains(n)).unwrap();
            l.split_whitespace().map(str::to_string).collect()
        };
        // "(1) Big spender - 1.00 0.00": beats Thrift on net value in every replicate.
        assert_eq!(row("Big spender")[3..5], ["-".to_string(), "1.00".to_string()]);
        assert_eq!(row("(2) Thrift")[2], "0.00");
        assert!(t.lines().nth(1).unwrap().contains("(1)") && t.lines().nth(1).unwrap().contains("(2)"));
    }
}
