//! CSV exporters: pure functions from results to bytes, one per file kind
//! (`runs.csv`, `weekly.csv`, `enterprises.csv`, `summary.csv`,
//! `verdicts.csv`, `sensitivity.csv`, and a sweep's `points.csv`,
//! `runs.csv`, `telemetry.csv`, `summary.csv`).

use crate::engine::metrics::{EnterpriseMetrics, RunMetrics, WeekMetrics};
use crate::experiment::plan::{ParamValue, SweepPlan};
use crate::experiment::sensitivity::SensitivityRow;
use crate::experiment::sweep::SweepRun;
use crate::experiment::{Run, SummaryRow, Verdict};
use crate::model::Config;

/// Formats a float for CSV: the shortest text that reads back to the same
/// f64, always with a decimal point (`0.0`, `5.0`), so CSV readers type the
/// column as a float whatever its first rows hold; negative zero as `0.0`,
/// and NaN (a value that does not exist, or a ratio that is not defined) as
/// an empty cell.
pub fn num(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else if x == 0.0 {
        "0.0".to_string()
    } else {
        let s = format!("{x}");
        if s.contains('.') || !x.is_finite() { s } else { s + ".0" }
    }
}

/// Formats a whole number held in an f64 (tokens, tasks, decisions) for
/// CSV: digits only.
pub fn count(x: f64) -> String {
    if x == 0.0 { "0".to_string() } else { format!("{x}") }
}

/// The CSV cells of a record's values, counts as whole numbers and the
/// rest as floats.
fn cells(names: &[&str], values: Vec<f64>) -> impl Iterator<Item = String> {
    let counts: Vec<bool> = names
        .iter()
        .map(|n| crate::engine::metrics::COUNTS.contains(n))
        .collect();
    values
        .into_iter()
        .zip(counts)
        .map(|(v, c)| if c { count(v) } else { num(v) })
}

/// A text cell a spreadsheet would read as a formula (starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`; numbers,
/// negative ones included, are left as they are.
pub fn text_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// The text a cell written by [`text_cell`] stands for: its guarding `'`
/// removed. (A text that itself began with `'` and a guarded character
/// reads without that quote: the one text the guard cannot tell apart.)
pub fn cell_text(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) && rest.parse::<f64>().is_err() => rest,
        _ => s,
    }
}

/// A CSV file from a header and rows of cells (text cells made safe).
pub fn csv_bytes(header: Vec<String>, rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header.iter().map(|c| text_cell(c).into_owned()))
        .expect("writing to memory");
    for row in rows {
        w.write_record(row.iter().map(|c| text_cell(c).into_owned()))
            .expect("writing to memory");
    }
    w.into_inner().expect("flushing to memory")
}

fn header(keys: &[&str], names: &[&str]) -> Vec<String> {
    keys.iter().chain(names).map(|s| s.to_string()).collect()
}

pub(crate) fn arm_name(cfg: &Config, arm: usize) -> &str {
    &cfg.policies[cfg.arms[arm]].name
}

/// `runs.csv`: one row per (policy, replicate).
pub fn runs_csv(cfg: &Config, runs: &[Run]) -> Vec<u8> {
    csv_bytes(
        header(&["policy", "replicate", "seed"], RunMetrics::NAMES),
        runs.iter().map(|r| {
            let mut row = vec![
                arm_name(cfg, r.arm).to_string(),
                r.replicate.to_string(),
                r.seed.to_string(),
            ];
            row.extend(cells(RunMetrics::NAMES, r.result.metrics.values()));
            row
        }),
    )
}

/// `weekly.csv`: one row per (policy, replicate, week).
pub fn weekly_csv(cfg: &Config, runs: &[Run]) -> Vec<u8> {
    csv_bytes(
        header(&["policy", "replicate", "week"], WeekMetrics::NAMES),
        runs.iter().flat_map(|r| {
            r.result.weekly.iter().enumerate().map(move |(w, m)| {
                let mut row = vec![arm_name(cfg, r.arm).to_string(), r.replicate.to_string(), w.to_string()];
                row.extend(cells(WeekMetrics::NAMES, m.values()));
                row
            })
        }),
    )
}

/// `enterprises.csv`: one row per (policy, replicate, enterprise).
pub fn enterprises_csv(cfg: &Config, runs: &[Run]) -> Vec<u8> {
    csv_bytes(
        header(
            &[
                "policy",
                "replicate",
                "enterprise",
                "lab",
                "policy_initial",
                "policy_final",
            ],
            EnterpriseMetrics::NAMES,
        ),
        runs.iter().flat_map(|r| {
            r.result.enterprises.iter().map(move |e| {
                let mut row = vec![
                    arm_name(cfg, r.arm).to_string(),
                    r.replicate.to_string(),
                    e.name.clone(),
                    e.lab.clone(),
                    e.policy_initial.clone(),
                    e.policy_final.clone(),
                ];
                row.extend(cells(EnterpriseMetrics::NAMES, e.metrics.values()));
                row
            })
        }),
    )
}

/// Columns of a summary row after its keys.
const SUMMARY_COLS: [&str; 9] = [
    "metric",
    "n",
    "mean",
    "sd",
    "ci95_low",
    "ci95_high",
    "diff_mean",
    "diff_ci95_low",
    "diff_ci95_high",
];

/// The cells of one summary row, after the policy: metric, n, the estimate
/// and the paired difference against the first arm.
fn summary_cells(r: &SummaryRow) -> Vec<String> {
    let (e, d) = (&r.estimate, &r.diff);
    vec![
        r.metric.clone(),
        e.n.to_string(),
        num(e.mean),
        num(e.sd),
        num(e.ci95_low),
        num(e.ci95_high),
        num(d.mean),
        num(d.ci95_low),
        num(d.ci95_high),
    ]
}

fn summary_header(keys: &[&str]) -> Vec<String> {
    header(keys, &SUMMARY_COLS)
}

/// `summary.csv`: one row per (policy, metric).
pub fn summary_csv(cfg: &Config, rows: &[SummaryRow]) -> Vec<u8> {
    csv_bytes(
        summary_header(&["policy"]),
        rows.iter().map(|r| {
            let mut row = vec![arm_name(cfg, r.arm).to_string()];
            row.extend(summary_cells(r));
            row
        }),
    )
}

/// CSV bytes of records without a header line.
fn csv_rows(rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    for row in rows {
        w.write_record(row.iter().map(|c| text_cell(c).into_owned()))
            .expect("writing to memory");
    }
    w.into_inner().expect("flushing to memory")
}

/// `points.csv` of a sweep: the point index and one column per parameter.
pub fn sweep_points_csv(spec: &SweepPlan, values: &[Vec<ParamValue>]) -> Vec<u8> {
    let mut head = vec!["point".to_string()];
    head.extend(spec.parameters.iter().map(|p| p.key.clone()));
    csv_bytes(
        head,
        values.iter().enumerate().map(|(i, v)| {
            let mut row = vec![i.to_string()];
            row.extend(v.iter().map(ParamValue::to_string));
            row
        }),
    )
}

/// The header line of a sweep's `runs.csv`.
pub fn sweep_runs_header() -> Vec<u8> {
    csv_rows(std::iter::once(header(
        &["point", "policy", "replicate", "seed"],
        RunMetrics::NAMES,
    )))
}

/// Rows of a sweep's `runs.csv`.
pub fn sweep_runs_rows(spec: &SweepPlan, runs: &[SweepRun]) -> Vec<u8> {
    csv_rows(runs.iter().map(|r| {
        let mut row = vec![
            r.point.to_string(),
            spec.arms[r.arm].clone(),
            r.replicate.to_string(),
            r.seed.to_string(),
        ];
        row.extend(cells(RunMetrics::NAMES, r.metrics.values()));
        row
    }))
}

/// The header line of a sweep's `telemetry.csv`.
pub fn sweep_telemetry_header() -> Vec<u8> {
    csv_rows(std::iter::once(
        ["point", "policy", "replicate", "seed", "wall_time_s", "task_decisions"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    ))
}

/// Rows of a sweep's `telemetry.csv`: timings, kept out of the deterministic files.
pub fn sweep_telemetry_rows(spec: &SweepPlan, runs: &[SweepRun]) -> Vec<u8> {
    csv_rows(runs.iter().map(|r| {
        vec![
            r.point.to_string(),
            spec.arms[r.arm].clone(),
            r.replicate.to_string(),
            r.seed.to_string(),
            format!("{:.6}", r.wall_seconds),
            r.decisions.to_string(),
        ]
    }))
}

/// The header line of a sweep's `summary.csv`.
pub fn sweep_summary_header() -> Vec<u8> {
    csv_rows(std::iter::once(summary_header(&["point", "policy"])))
}

/// Rows of a sweep's `summary.csv` for one point.
pub fn sweep_summary_rows(spec: &SweepPlan, point: usize, rows: &[SummaryRow]) -> Vec<u8> {
    csv_rows(rows.iter().map(|r| {
        let mut row = vec![point.to_string(), spec.arms[r.arm].clone()];
        row.extend(summary_cells(r));
        row
    }))
}

/// The header line of an adaptive sweep's `replicates.csv`.
pub fn sweep_replicates_header() -> Vec<u8> {
    csv_rows(std::iter::once(
        ["point", "policy", "replicates", "stopped", "batches", "pcs"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    ))
}

/// Rows of an adaptive sweep's `replicates.csv` for one point: each
/// policy's replicates, and why the point's rule stopped.
pub fn sweep_replicates_rows(spec: &SweepPlan, point: usize, o: &crate::experiment::adaptive::Outcome) -> Vec<u8> {
    csv_rows(o.per_arm.iter().enumerate().map(|(arm, n)| {
        vec![
            point.to_string(),
            spec.arms[arm].clone(),
            n.to_string(),
            o.stop.key().to_string(),
            o.batches.to_string(),
            num(o.pcs),
        ]
    }))
}

/// Header of `verdicts.csv`; sweeps add a leading `point` column.
pub fn verdicts_header(with_point: bool) -> Vec<u8> {
    let mut cols: Vec<String> = if with_point { vec!["point".into()] } else { Vec::new() };
    cols.extend(
        [
            "policy",
            "versus",
            "p_beats_roi",
            "net_value_usd",
            "regret_usd",
            "p_beats_net",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    csv_rows(std::iter::once(cols))
}

/// Rows of `verdicts.csv`: for each ordered pair of arms, the probability
/// that the first's ROI beats the second's over paired replicates, the
/// first's net value and regret against the best arm, and the probability
/// that its net value beats the second's (the column added last, so
/// readers by position keep working).
pub fn verdicts_rows(arms: &[String], point: Option<usize>, rows: &[Verdict]) -> Vec<u8> {
    csv_rows(rows.iter().map(|v| {
        let mut row: Vec<String> = point.map(|p| vec![p.to_string()]).unwrap_or_default();
        row.extend([
            arms[v.arm].clone(),
            arms[v.versus].clone(),
            num(v.p_beats_roi),
            num(v.net_value),
            num(v.regret),
            num(v.p_beats_net),
        ]);
        row
    }))
}

/// `sensitivity.csv`.
pub fn sensitivity_csv(rows: &[SensitivityRow]) -> Vec<u8> {
    let head = [
        "method",
        "metric",
        "policy",
        "parameter",
        "index",
        "value",
        "ci95_low",
        "ci95_high",
    ];
    csv_bytes(
        head.iter().map(|s| s.to_string()).collect(),
        rows.iter().map(|r| {
            vec![
                r.method.name().to_string(),
                r.metric.clone(),
                r.policy.clone(),
                r.parameter.clone(),
                r.index.name().to_string(),
                num(r.value),
                num(r.ci95_low),
                num(r.ci95_high),
            ]
        }),
    )
}

/// `robust_verdicts.csv` of a worlds sweep: one row per policy and measure
/// (and, for pairwise measures, the other policy), with its 95 % interval
/// over worlds.
pub fn robust_csv(rows: &[crate::experiment::robust::RobustRow]) -> Vec<u8> {
    csv_bytes(
        [
            "policy",
            "against",
            "measure",
            "estimate",
            "ci95_low",
            "ci95_high",
            "worlds",
        ]
        .map(String::from)
        .to_vec(),
        rows.iter().map(|r| {
            vec![
                r.policy.clone(),
                r.against.clone(),
                r.measure.to_string(),
                num(r.estimate),
                num(r.ci95_low),
                num(r.ci95_high),
                r.worlds.to_string(),
            ]
        }),
    )
}
