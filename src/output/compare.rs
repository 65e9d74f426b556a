//! A comparison's tables: comparison.csv (each policy's metrics in A and
//! B and B - A with its interval), differences.csv (the keys in which the
//! two folders differ) and point_comparison.csv (two sweeps of the same
//! points, point by point), as bytes.

use crate::experiment::compare::Row;
use crate::output::csv::{csv_bytes, num};
use crate::stats::Estimate;

/// One difference between the folders' settings: (key, A, B, source).
pub type KeyDifference = (String, String, String, &'static str);

/// A policy's metric in one folder only: its estimate there.
#[derive(Debug, Clone)]
pub struct OneSided {
    pub policy: String,
    pub metric: &'static str,
    pub estimate: Estimate,
    /// In A (else in B).
    pub in_a: bool,
}

/// The columns of comparison.csv (point_comparison.csv puts `point` first).
pub const COMPARISON_COLUMNS: [&str; 11] = [
    "policy",
    "metric",
    "a_mean",
    "b_mean",
    "difference",
    "ci95_low",
    "ci95_high",
    "method",
    "a_n",
    "b_n",
    "pairs",
];

/// One row of comparison.csv, in [`COMPARISON_COLUMNS`] order.
fn row_cells(r: &Row) -> Vec<String> {
    let d = &r.d;
    vec![
        r.policy.clone(),
        r.metric.clone(),
        num(d.a.mean),
        num(d.b.mean),
        num(d.diff.mean),
        num(d.diff.ci95_low),
        num(d.diff.ci95_high),
        d.method.name().to_string(),
        d.a.n.to_string(),
        d.b.n.to_string(),
        d.pairs.to_string(),
    ]
}

/// comparison.csv: a row per policy both folders ran and metric, then a
/// row per metric of each policy only one of them ran (its mean and
/// count, no difference).
pub fn comparison_csv(rows: &[Row], one_sided: &[OneSided]) -> Vec<u8> {
    let mut cells: Vec<Vec<String>> = rows.iter().map(row_cells).collect();
    for o in one_sided {
        let e = &o.estimate;
        let (am, bm, an, bn) = if o.in_a {
            (num(e.mean), String::new(), e.n.to_string(), "0".into())
        } else {
            (String::new(), num(e.mean), "0".into(), e.n.to_string())
        };
        cells.push(vec![
            o.policy.clone(),
            o.metric.to_string(),
            am,
            bm,
            String::new(),
            String::new(),
            String::new(),
            if o.in_a { "only_in_a" } else { "only_in_b" }.to_string(),
            an,
            bn,
            "0".into(),
        ]);
    }
    csv_bytes(
        COMPARISON_COLUMNS.iter().map(|s| s.to_string()).collect(),
        cells.into_iter(),
    )
}

/// differences.csv: every key in which the folders differ, with A's and
/// B's values and where the key comes from.
pub fn differences_csv(d: &[KeyDifference]) -> Vec<u8> {
    csv_bytes(
        ["key", "a", "b", "source"].iter().map(|s| s.to_string()).collect(),
        d.iter()
            .map(|(k, a, b, s)| vec![k.clone(), a.clone(), b.clone(), s.to_string()]),
    )
}

/// point_comparison.csv: comparison.csv's columns for each point.
pub fn point_comparison_csv(rows: &[(usize, Row)]) -> Vec<u8> {
    let header: Vec<&str> = std::iter::once("point").chain(COMPARISON_COLUMNS).collect();
    csv_bytes(
        header.iter().map(|s| s.to_string()).collect(),
        rows.iter()
            .map(|(point, r)| std::iter::once(point.to_string()).chain(row_cells(r)).collect()),
    )
}
