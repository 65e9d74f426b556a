//! A comparison for people: its summary.md (findings, each policy's
//! metrics with B - A and its interval, the keys in which the two folders
//! differ, the method) and, for two sweeps, its Points section, from the
//! comparison's rows and what the job read of each folder. Pure: no I/O.

use crate::experiment::compare::{self, METRICS, Row};
use crate::output::compare::KeyDifference;
use crate::report::cell;

/// A folder compared, as summary.md names it.
pub struct Folder {
    pub name: String,
    /// The folder in words (its study, seed and runs).
    pub words: String,
    pub seed: u64,
    /// Whether its manifest keeps its resolved scenario (folders of early
    /// versions do not).
    pub resolved: bool,
    /// Whether it is a sweep (a worlds run included).
    pub sweep: bool,
}

/// Two sweeps' shape: their number of points, whether the points are
/// worlds, and whether both drew the same points.
pub struct Sweeps {
    pub points: usize,
    pub worlds: bool,
    pub by_point: bool,
}

/// A value cut to `n` characters (a long array of a scenario) for a table.
fn clip(v: &str, n: usize) -> String {
    if v.chars().count() <= n {
        v.to_string()
    } else {
        format!("{}...", v.chars().take(n).collect::<String>())
    }
}

/// A number of a metric for people: money for USD, a ratio, a share.
fn shown(metric: &str, v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    match metric {
        "roi" => format!("{v:.2}"),
        "waste_share" => format!("{:.1}%", 100.0 * v),
        _ => crate::human::money(v),
    }
}

/// `shown` with a sign, for differences (shares in percentage points).
fn shown_signed(metric: &str, v: f64) -> String {
    let s = match metric {
        "waste_share" if v.is_finite() => format!("{:.1} pp", 100.0 * v),
        _ => shown(metric, v),
    };
    if v > 0.0 { format!("+{s}") } else { s }
}

/// summary.md of two folders: the findings, each policy's metrics with
/// B - A and its interval, the keys in which they differ, the method.
pub fn summary_md(
    a: &Folder,
    b: &Folder,
    rows: &[Row],
    findings: &[String],
    differences: &[KeyDifference],
    (only_in_a, only_in_b): (&[String], &[String]),
    display: &dyn Fn(&str) -> String,
) -> String {
    let mut s = format!("# Comparison: {} against {}\n\n", b.name, a.name);
    s.push_str(&format!(
        "A is `{}` ({}); B is `{}` ({}). Differences are B - A.\n\n",
        a.name, a.words, b.name, b.words
    ));
    s.push_str("## Findings\n\n");
    if findings.is_empty() {
        s.push_str("- The two folders have no policy in common: nothing to compare.\n");
    }
    for f in findings {
        s.push_str(&format!("- {f}\n"));
    }
    for (side, only) in [(&a.name, only_in_a), (&b.name, only_in_b)] {
        if !only.is_empty() {
            s.push_str(&format!(
                "- Only in {side}: {}.\n",
                only.iter()
                    .map(|p| format!("**{}**", display(p)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    s.push_str("\n## Policies\n\n");
    s.push_str(&format!(
        "Means over replicates; B - A with its 95% CI, paired by seed where both folders ran the same seeds for the policy, Welch's interval otherwise.\n\n\
| policy | metric | {} (A) | {} (B) | B - A | 95% CI | method |\n|---|---|---:|---:|---:|---|---|\n",
        cell(&a.name),
        cell(&b.name)
    ));
    for r in rows {
        let words = METRICS.iter().find(|(m, _)| *m == r.metric).map_or("", |(_, w)| w);
        let d = &r.d;
        let ci = if d.diff.ci95_low.is_finite() {
            format!(
                "{} to {}",
                shown_signed(&r.metric, d.diff.ci95_low),
                shown_signed(&r.metric, d.diff.ci95_high)
            )
        } else {
            "-".into()
        };
        let method = match d.method {
            compare::Method::Paired => format!("paired ({} pairs)", d.pairs),
            compare::Method::Welch => format!("Welch ({} and {} runs)", d.a.n, d.b.n),
        };
        s.push_str(&format!(
            "| {} | {words} | {} | {} | {} | {ci} | {method} |\n",
            cell(&display(&r.policy)),
            shown(&r.metric, d.a.mean),
            shown(&r.metric, d.b.mean),
            shown_signed(&r.metric, d.diff.mean),
        ));
    }
    s.push_str("\n## Scenario differences\n\n");
    if !(a.resolved && b.resolved) {
        s.push_str(
            "One of the folders was written by a version that did not keep its resolved scenario: only the run settings (seed, replicates, arms, scenario file and its SHA-256) could be compared.\n\n",
        );
    }
    if differences.is_empty() {
        s.push_str("None: both folders ran the same resolved scenario with the same settings.\n");
    } else {
        let keys = match differences.len() {
            1 => "1 key differs".to_string(),
            n => format!("{n} keys differ"),
        };
        let rows = if a.sweep {
            "`sweep` rows are the sweeps' own settings from their manifests (`--set` amendments among them)"
        } else {
            "`run` rows are the run's own settings from the manifests, `scenario` rows keys of the resolved scenarios (every default and `--set` amendment applied)"
        };
        s.push_str(&format!(
            "{keys} (differences.csv): {rows}.\n\n\
| key | {} (A) | {} (B) | from |\n|---|---|---|---|\n",
            cell(&a.name),
            cell(&b.name)
        ));
        for (k, va, vb, src) in differences {
            s.push_str(&format!(
                "| `{}` | {} | {} | {src} |\n",
                cell(k),
                cell(&clip(va, 80)),
                cell(&clip(vb, 80))
            ));
        }
    }
    s.push_str(&format!(
        "\n## Method\n\n\
Each policy both folders ran is compared on {} from the folders' runs.csv. \
When both ran the same seeds for a policy (the same master seed: replicate r has the same seed), runs of equal seed are paired \
and the interval is the Student t interval of the paired differences (common random numbers across the two folders). \
Otherwise the two samples are independent and the interval is Welch's (unequal variances, Welch-Satterthwaite degrees of freedom). \
Each folder was checked against the SHA-256 its manifest records before it was read.\n",
        METRICS.iter().map(|(_, w)| *w).collect::<Vec<_>>().join(", ")
    ));
    s
}

/// summary.md of two sweeps: the run comparison's, with a finding per arm
/// on how many points gained, a Points section and the sweep's method.
pub fn sweep_sections(
    text: String,
    a: &Folder,
    b: &Folder,
    point_rows: &[(usize, Row)],
    shape: &Sweeps,
    arms: &[String],
    display: &dyn Fn(&str) -> String,
) -> String {
    let (n, by_point) = (shape.points, shape.by_point);
    let unit = |k: usize| crate::human::count(k, if shape.worlds { "world" } else { "point" });
    let mut findings = String::new();
    let mut points = String::from("\n## Points\n\n");
    if by_point {
        points.push_str(&format!(
            "Both studies drew the same {} (the same values of every varied parameter): net value compared point by point (point_comparison.csv has every metric). Points: B - A of each point's mean.\n\n\
| policy | higher in B | lower in B | median B - A | largest gain (point) | largest loss (point) |\n|---|---:|---:|---:|---:|---:|\n",
            unit(n)
        ));
        for p in arms {
            let mut d: Vec<(usize, f64)> = point_rows
                .iter()
                .filter(|(_, r)| r.policy == *p && r.metric == "net_value_usd")
                .map(|(k, r)| (*k, r.d.diff.mean))
                .filter(|(_, v)| v.is_finite())
                .collect();
            if d.is_empty() {
                continue;
            }
            let up = d.iter().filter(|(_, v)| *v > 0.0).count();
            let down = d.iter().filter(|(_, v)| *v < 0.0).count();
            d.sort_by(|x, y| x.1.total_cmp(&y.1));
            let median = if d.len() % 2 == 1 {
                d[d.len() / 2].1
            } else {
                0.5 * (d[d.len() / 2 - 1].1 + d[d.len() / 2].1)
            };
            let (lo, hi) = (d[0], d[d.len() - 1]);
            points.push_str(&format!(
                "| {} | {up} | {down} | {} | {} ({}) | {} ({}) |\n",
                cell(&display(p)),
                shown_signed("net_value_usd", median),
                shown_signed("net_value_usd", hi.1),
                hi.0,
                shown_signed("net_value_usd", lo.1),
                lo.0
            ));
            findings.push_str(&format!(
                "- {}'s net value is higher in {} than in {} at {up} of {} (lower at {down}; median difference {}).\n",
                display(p),
                b.name,
                a.name,
                unit(d.len()),
                shown_signed("net_value_usd", median)
            ));
        }
    } else {
        points.push_str(&format!(
            "The two studies drew different points (the values of their varied parameters differ, e.g. another seed or range): they are compared per arm over all their runs, as two independent samples (Welch's interval), not point by point. A drew {} with seed {}, B with seed {}.\n",
            unit(n),
            a.seed, b.seed
        ));
    }
    let method = format!(
        "Two sweeps: each arm's runs over all points are pooled; {}. Rows of differences.csv marked `sweep` are the sweeps' own settings from their manifests (seed, replicates, arms, amendments such as `--set`, the files and each varied parameter's range).\n",
        if by_point {
            "runs of the same point and seed are paired (both sweeps drew the same points with common random numbers), and each point is also compared on its own"
        } else {
            "the points differ, so nothing is paired"
        }
    );
    let mut out = String::new();
    for (i, part) in text.split("\n## ").enumerate() {
        if i > 0 {
            if part.starts_with("Scenario differences") {
                out.push_str(&points);
                out.push_str("\n## ");
                out.push_str(&part.replacen("Scenario differences", "Study differences", 1));
                continue;
            }
            out.push_str("\n## ");
        }
        if part.starts_with("Findings") {
            out.push_str(part.trim_end());
            out.push('\n');
            out.push_str(&findings);
        } else if part.starts_with("Method") {
            out.push_str(part.trim_end());
            out.push_str("\n\n");
            out.push_str(&method);
        } else {
            out.push_str(part);
        }
    }
    out
}
