//! The report's words and tables, computed from the result files: findings
//! with their 95% intervals, the policy tables, the methods and the
//! provenance of runs, sweeps, sensitivity studies, calibrations,
//! discoveries and comparisons of two runs.

use super::cell;
use crate::experiment::robust::{self, RobustRow};
use crate::experiment::sensitivity::{Index, Method, SensitivityRow};
use crate::human::money;
use crate::results::{RunData, SweepData};
use crate::stats::Estimate;
use serde_json::Value;

/// Money with a sign, for differences: "+$1.2M", "-$560k".
fn signed(v: f64) -> String {
    if v > 0.0 { format!("+{}", money(v)) } else { money(v) }
}

/// "95 % CI a to b" of an estimate, in money.
fn ci_money(e: &Estimate, sign: bool) -> String {
    let f = |v: f64| if sign { signed(v) } else { money(v) };
    if e.ci95_low.is_finite() {
        format!("95% CI {} to {}", f(e.ci95_low), f(e.ci95_high))
    } else {
        "no CI: one replicate".into()
    }
}

fn excludes_zero(e: &Estimate) -> bool {
    e.ci95_low.is_finite() && (e.ci95_low > 0.0 || e.ci95_high < 0.0)
}

fn net(d: &RunData, policy: &str) -> Vec<f64> {
    d.net_of(policy)
}

/// Per-arm means, best first by mean net value.
fn ranked(d: &RunData) -> Vec<(String, f64)> {
    let mut r: Vec<(String, f64)> = d
        .policies
        .iter()
        .map(|p| (p.clone(), Estimate::of(&net(d, p)).mean))
        .collect();
    r.sort_by(|a, b| b.1.total_cmp(&a.1));
    r
}

/// The findings of a run: each policy against the reference (the first
/// arm), paired by replicate, and which policy delivers the most net value.
pub fn run_findings(d: &RunData) -> Vec<String> {
    let mut out = Vec::new();
    let Some(reference) = d.policies.first() else {
        return out;
    };
    let r = d.name(reference);
    let (rs, rv) = (d.runs_of(reference, "spend_usd"), d.runs_of(reference, "value_usd"));
    let (rs_mean, rv_mean) = (Estimate::of(&rs).mean, Estimate::of(&rv).mean);
    for p in d.policies.iter().skip(1) {
        let (ps, pv) = (d.runs_of(p, "spend_usd"), d.runs_of(p, "value_usd"));
        let ds = Estimate::paired(&ps, &rs);
        let dv = Estimate::paired(&pv, &rv);
        let dn = Estimate::paired(&net(d, p), &net(d, reference));
        let spend = if !excludes_zero(&ds) {
            format!(
                "spends about as much as {r} ({}, {})",
                signed(ds.mean),
                ci_money(&ds, true)
            )
        } else {
            let ratio = Estimate::of(&ps).mean / rs_mean;
            format!(
                "spends {ratio:.2}x as much as {r} ({}, {})",
                signed(ds.mean),
                ci_money(&ds, true)
            )
        };
        let value = if !excludes_zero(&dv) {
            format!(
                "delivers about the same value ({}, {})",
                signed(dv.mean),
                ci_money(&dv, true)
            )
        } else {
            let pct = 100.0 * dv.mean / rv_mean.abs().max(f64::MIN_POSITIVE);
            format!(
                "delivers {:.0}% {} value ({}, {})",
                pct.abs(),
                if dv.mean > 0.0 { "more" } else { "less" },
                signed(dv.mean),
                ci_money(&dv, true)
            )
        };
        let verdict = if !excludes_zero(&dn) {
            format!(
                "no clear difference in net value ({}, {})",
                signed(dn.mean),
                ci_money(&dn, true)
            )
        } else if dn.mean > 0.0 {
            format!("a net gain of {} ({})", money(dn.mean), ci_money(&dn, true))
        } else {
            format!("a net loss of {} ({})", money(-dn.mean), ci_money(&dn, true))
        };
        let why = channel_sentence(d, p, reference);
        out.push(format!("**{}** {spend} and {value}: {verdict}.{why}", d.name(p)));
    }
    let order = ranked(d);
    if order.len() >= 2 {
        let (best, second) = (&order[0].0, &order[1].0);
        let e = Estimate::of(&net(d, best));
        let gap = Estimate::paired(&net(d, best), &net(d, second));
        let margin = if excludes_zero(&gap) {
            format!(
                "ahead of {} by {} ({})",
                d.name(second),
                money(gap.mean),
                ci_money(&gap, true)
            )
        } else {
            format!(
                "but not distinguishable from {} (difference {}, {})",
                d.name(second),
                signed(gap.mean),
                ci_money(&gap, true)
            )
        };
        out.push(format!(
            "Highest net value (value - spend): **{}**, {} ({}), {margin}.",
            d.name(best),
            money(e.mean),
            ci_money(&e, false)
        ));
    }
    out
}

/// The findings of a comparison of two runs (`tokenmaxx compare`): under
/// each policy both ran, how B's net value, spend and delivered value
/// differ from A's, with 95% CIs and how they were estimated ("paired over
/// 8 runs with the same seeds" when both ran the same seeds, Welch's
/// otherwise); "about
/// the same" when the interval spans zero. `name` gives a policy's display
/// name, `a` and `b` the studies' names.
pub fn comparison_findings(
    rows: &[crate::experiment::compare::Row],
    name: &dyn Fn(&str) -> String,
    a: &str,
    b: &str,
) -> Vec<String> {
    use crate::experiment::compare::Method;
    let mut policies: Vec<&str> = Vec::new();
    for r in rows {
        if !policies.contains(&r.policy.as_str()) {
            policies.push(&r.policy);
        }
    }
    let find = |p: &str, m: &str| rows.iter().find(|r| r.policy == p && r.metric == m).map(|r| r.d);
    let mut out = Vec::new();
    for p in policies {
        let Some(net) = find(p, "net_value_usd") else {
            continue;
        };
        let how = match net.method {
            // Runs, not replicates: a sweep's pairs are its points' runs.
            Method::Paired => format!(
                "paired over {} with the same seeds",
                crate::output::table::count(net.pairs, "run")
            ),
            Method::Welch => format!("Welch's interval over {} and {} runs", net.a.n, net.b.n),
        };
        let e = &net.diff;
        // Paired runs that agree to the last bit (a folder against itself,
        // a change that touches nothing this policy does).
        let identical = |e: &Estimate| e.mean == 0.0 && e.ci95_low == 0.0 && e.ci95_high == 0.0;
        let head = if identical(e) {
            format!("{b} and {a} deliver exactly the same net value in every run ({how})")
        } else if !excludes_zero(e) {
            format!(
                "{b} and {a} deliver about the same net value (difference {}, {}, {how})",
                signed(e.mean),
                ci_money(e, true)
            )
        } else {
            format!(
                "{b} delivers {} {} net value than {a} ({}, {how})",
                money(e.mean.abs()),
                if e.mean > 0.0 { "more" } else { "less" },
                ci_money(e, true)
            )
        };
        let mut parts = Vec::new();
        for (metric, more, less, same) in [
            ("spend_usd", "spends {} more", "spends {} less", "spends about as much"),
            (
                "value_usd",
                "delivers {} more value",
                "delivers {} less value",
                "delivers about as much value",
            ),
        ] {
            let Some(d) = find(p, metric) else { continue };
            let e = &d.diff;
            let words = if identical(e) {
                same.replace("about as much", "exactly as much")
            } else if !excludes_zero(e) {
                format!("{same} ({}, {})", signed(e.mean), ci_money(e, true))
            } else {
                let pattern = if e.mean > 0.0 { more } else { less };
                format!(
                    "{} ({})",
                    pattern.replace("{}", &money(e.mean.abs())),
                    ci_money(e, true)
                )
            };
            parts.push(words);
        }
        let rest = if parts.is_empty() {
            String::new()
        } else {
            format!("; {b} {}", parts.join(" and "))
        };
        out.push(format!("Under **{}**, {head}{rest}.", name(p)));
    }
    out
}

/// What carries a policy's net difference from the reference, in words:
/// the channels (third edition) whose paired difference has a 95 % CI
/// that excludes zero, the largest three first, each with its sign as it
/// enters net value ("discovery +$4.1M (95% CI ...); token spend on
/// busywork -$1.2M (...)"). Empty without channel columns or without such
/// a channel.
fn channel_sentence(d: &RunData, p: &str, reference: &str) -> String {
    let mut parts: Vec<(f64, String)> = Vec::new();
    for c in crate::experiment::channels::CHANNELS {
        let (x, r) = (d.channel_of(p, c.column), d.channel_of(reference, c.column));
        if x.is_empty() || x.len() != r.len() {
            return String::new();
        }
        let diff = Estimate::paired(&x, &r);
        let e = Estimate {
            n: diff.n,
            mean: c.sign * diff.mean,
            sd: diff.sd,
            ci95_low: if c.sign < 0.0 { -diff.ci95_high } else { diff.ci95_low },
            ci95_high: if c.sign < 0.0 { -diff.ci95_low } else { diff.ci95_high },
        };
        if excludes_zero(&e) {
            parts.push((
                e.mean.abs(),
                format!("{} {} ({})", c.label, signed(e.mean), ci_money(&e, true)),
            ));
        }
    }
    if parts.is_empty() {
        return String::new();
    }
    parts.sort_by(|a, b| b.0.total_cmp(&a.0));
    let list: Vec<String> = parts.into_iter().take(3).map(|(_, s)| s).collect();
    format!(" What carries it, by channel: {}.", list.join("; "))
}

/// The policy tables of a run: each policy's spend, value, net value and
/// ROI with CIs; each against the reference, paired by replicate; and the
/// share of replicates in which the row's net value beats the column's.
pub fn run_tables(d: &RunData) -> Vec<(String, String)> {
    let m = |v: f64| format!("{:.2}", v / 1e6);
    let est = |e: &Estimate| {
        if e.ci95_low.is_finite() {
            format!("{} [{}, {}]", m(e.mean), m(e.ci95_low), m(e.ci95_high))
        } else {
            m(e.mean)
        }
    };
    let mut t = String::from(
        "Means over replicates with 95% CIs; spend, value and net value in millions of USD over the whole run.\n\n\
| policy | spend $M | value $M | net value $M | ROI | waste share |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for p in &d.policies {
        let roi = Estimate::of(&d.runs_of(p, "roi"));
        t.push_str(&format!(
            "| {} | {} | {} | {} | {:.2} | {:.0}% |\n",
            cell(&d.name(p)),
            est(&Estimate::of(&d.runs_of(p, "spend_usd"))),
            est(&Estimate::of(&d.runs_of(p, "value_usd"))),
            est(&Estimate::of(&net(d, p))),
            roi.mean,
            100.0 * Estimate::of(&d.runs_of(p, "waste_share")).mean
        ));
    }
    let mut tables = vec![("Policies".to_string(), t)];
    let Some(reference) = d.policies.first() else {
        return tables;
    };
    let mut t = format!(
        "Differences against {}, paired by replicate (common random numbers), millions of USD with 95% CIs. \
Value per extra dollar is shown only where a policy surely spends more (its extra spend's CI excludes zero).\n\n\
| policy | extra spend | extra value | extra net value | value per extra $ |\n|---|---:|---:|---:|---:|\n",
        d.name(reference)
    );
    for p in d.policies.iter().skip(1) {
        let ds = Estimate::paired(&d.runs_of(p, "spend_usd"), &d.runs_of(reference, "spend_usd"));
        let dv = Estimate::paired(&d.runs_of(p, "value_usd"), &d.runs_of(reference, "value_usd"));
        let dn = Estimate::paired(&net(d, p), &net(d, reference));
        let per = if ds.ci95_low > 0.0 {
            format!("{:.2}", dv.mean / ds.mean)
        } else {
            "-".into()
        };
        t.push_str(&format!(
            "| {} | {} | {} | {} | {per} |\n",
            cell(&d.name(p)),
            est(&ds),
            est(&dv),
            est(&dn)
        ));
    }
    tables.push((format!("Against {}", d.name(reference)), t));
    let n = d.policies.len();
    let nets: Vec<Vec<f64>> = d.policies.iter().map(|p| net(d, p)).collect();
    let mut t = String::from(
        "Share of replicates in which the row policy's net value beats the column policy's (paired by replicate; ties count half).\n\n| policy |",
    );
    for p in &d.policies {
        t.push_str(&format!(" {} |", cell(&d.name(p))));
    }
    t.push_str("\n|---|");
    t.push_str(&"---:|".repeat(n));
    t.push('\n');
    for (i, p) in d.policies.iter().enumerate() {
        t.push_str(&format!("| {} |", cell(&d.name(p))));
        for j in 0..n {
            if i == j {
                t.push_str(" - |");
                continue;
            }
            t.push_str(&format!(" {:.2} |", crate::stats::share_greater(&nets[i], &nets[j])));
        }
        t.push('\n');
    }
    tables.push(("Verdicts on net value".to_string(), t));
    tables
}

/// The findings of a sweep: over its points (or plausible worlds), how
/// often each policy beats the reference on net value and by how much, and
/// how often each is the best.
pub fn sweep_findings(d: &SweepData, worlds: bool) -> Vec<String> {
    let arms = &d.runs.policies;
    let Some(reference) = arms.first() else {
        return Vec::new();
    };
    let nets = d.net_by_point();
    let n = nets.len();
    let unit = if worlds {
        "plausible worlds"
    } else {
        "points of the sweep"
    };
    let rows = robust::analyse(arms, &nets);
    let find = |p: &str, against: &str, measure: &str| -> Option<&RobustRow> {
        rows.iter()
            .find(|r| r.policy == p && r.against == against && r.measure == measure)
    };
    let pct = |x: f64| {
        let v = 100.0 * x;
        if v < 10.0 {
            format!("{v:.1}%")
        } else {
            format!("{v:.0}%")
        }
    };
    let mut out = Vec::new();
    for p in arms.iter().skip(1) {
        let (Some(b), Some(m)) = (
            find(p, reference, robust::P_BEATS),
            find(p, reference, robust::MEAN_NET_DIFFERENCE),
        ) else {
            continue;
        };
        out.push(format!(
            "**{}** beats {} on net value in {} of {n} {unit} ({}, 95% CI {} to {}); mean difference {} (95% CI {} to {}).",
            d.runs.name(p),
            d.runs.name(reference),
            (b.estimate * n as f64).round() as usize,
            pct(b.estimate),
            pct(b.ci95_low),
            pct(b.ci95_high),
            signed(m.estimate),
            signed(m.ci95_low),
            signed(m.ci95_high)
        ));
    }
    let mut best: Vec<&RobustRow> = rows.iter().filter(|r| r.measure == robust::SHARE_BEST).collect();
    best.sort_by(|a, b| b.estimate.total_cmp(&a.estimate));
    if let Some(top) = best.first() {
        out.push(format!(
            "The policy with the highest net value most often: **{}**, in {} of the {unit} (95% CI {} to {}).",
            d.runs.name(&top.policy),
            pct(top.estimate),
            pct(top.ci95_low),
            pct(top.ci95_high)
        ));
    }
    out
}

/// The sensitivity findings: for each policy, which parameters move its
/// spend and its delivered value most (Morris mu* or Sobol total index).
pub fn sensitivity_findings(rows: &[SensitivityRow], labels: &crate::scenario::labels::Labels) -> Vec<String> {
    let mut out = Vec::new();
    let mut policies: Vec<&str> = Vec::new();
    for r in rows {
        if !policies.contains(&r.policy.as_str()) {
            policies.push(&r.policy);
        }
    }
    for p in policies {
        for (metric, words) in [("spend_usd", "spend"), ("value_usd", "delivered value")] {
            let mut top: Vec<&SensitivityRow> = rows
                .iter()
                .filter(|r| r.policy == p && r.metric == metric && matches!(r.index, Index::MuStar | Index::ST))
                .collect();
            top.sort_by(|a, b| b.value.total_cmp(&a.value));
            let Some(first) = top.first() else { continue };
            let what = match first.method {
                Method::Morris => "mu*",
                _ => "total Sobol index",
            };
            let show = |r: &SensitivityRow| {
                let v = if first.method == Method::Morris {
                    if metric.ends_with("_usd") {
                        money(r.value)
                    } else {
                        format!("{:.3}", r.value)
                    }
                } else {
                    format!("{:.2}", r.value)
                };
                let label = labels.parameter(&r.parameter);
                format!("{} ({what} {v})", crate::scenario::labels::without_unit(&label))
            };
            let rest: Vec<String> = top.iter().skip(1).take(2).map(|r| show(r)).collect();
            out.push(format!(
                "Under **{}**, {words} moves most with {}{}.",
                labels.policy(p),
                show(first),
                if rest.is_empty() {
                    String::new()
                } else {
                    format!(", then {}", rest.join(" and "))
                }
            ));
        }
    }
    out
}

/// A results folder's own summary.md, without its title line, as a report
/// section (its headings one level down).
pub fn summary_section(text: &str) -> String {
    text.lines()
        .skip_while(|l| l.starts_with("# ") || l.trim().is_empty())
        .map(|l| {
            if l.starts_with('#') {
                format!("#{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first sentence paragraph of a discovery's summary.md.
pub fn discovery_finding(text: &str) -> Option<String> {
    text.lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#') && !l.starts_with('|'))
        .map(|l| l.trim().to_string())
}

/// Scenario parameters that differ from the defaults, as (key, default,
/// this scenario), from the resolved scenario a manifest records. Entries
/// of labs, enterprises and policies the defaults do not have are compared
/// with their templates.
pub fn differences_from_defaults(resolved: &Value) -> Vec<(String, String, String)> {
    let names = |map: &str| -> Vec<String> {
        resolved[map]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut text = String::from("name = \"defaults\"\n");
    for (map, table) in [
        ("labs", "labs"),
        ("enterprises", "enterprises"),
        ("policies", "policies"),
    ] {
        for n in names(map) {
            text.push_str(&format!("[{table}.\"{}\"]\n", n.replace('"', "")));
        }
    }
    let Ok((raw, _)) = crate::scenario::from_str(&text, "defaults", &[]) else {
        return Vec::new();
    };
    let defaults = crate::scenario::resolved_json(&raw);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    flatten("", &defaults, &mut a);
    flatten("", resolved, &mut b);
    let skip = |k: &str| {
        ["name", "description", "priors", "sources"]
            .iter()
            .any(|s| k == *s || k.starts_with(&format!("{s}.")))
            || k.ends_with(".label")
            || k.ends_with(".description")
    };
    b.into_iter()
        .filter(|(k, _)| !skip(k))
        .filter_map(|(k, v)| {
            let d = a.iter().find(|(ka, _)| *ka == k).map(|(_, v)| v.clone());
            (d.as_deref() != Some(v.as_str())).then(|| (k, d.unwrap_or_else(|| "-".into()), v))
        })
        .collect()
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// The file name of a path as a manifest records it.
pub fn file_name(path: &str) -> String {
    crate::output::manifest::file_name(path)
}

/// The provenance rows of a manifest: tool, version, command, target, time,
/// inputs' file names and hashes, RNG crates and every result file's
/// SHA-256; only what the manifest records.
pub fn provenance(manifest: &crate::output::Manifest) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = manifest
        .provenance()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let crates = &manifest.header.rng_crates;
    if !crates.is_empty() {
        let crates: Vec<String> = crates.iter().map(|(k, v)| format!("{k} {v}")).collect();
        out.push(("rng crates".into(), crates.join(", ")));
    }
    for (k, v) in manifest.header.files_sha256.iter().flatten() {
        out.push((format!("sha256 {k}"), v.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_at_the_defaults_differs_in_nothing_but_what_it_sets() {
        let (raw, _) = crate::scenario::from_str(
            "name = \"t\"\nweeks = 10\n[enterprises.acme]\nemployees = 50\n",
            "t.toml",
            &[],
        )
        .unwrap();
        let diff = differences_from_defaults(&crate::scenario::resolved_json(&raw));
        let keys: Vec<&str> = diff.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(keys, ["enterprises.acme.employees", "weeks"], "{diff:?}");
        assert_eq!(diff[0].2, "50");
    }

    #[test]
    fn summary_headings_move_one_level_down() {
        assert_eq!(summary_section("# t\n\nText\n## A\nx"), "Text\n### A\nx");
    }
}
