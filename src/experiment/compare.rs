//! Two results side by side, as pure functions of their tables: each
//! policy's metric in study A and in study B, and the difference B - A with
//! a 95% interval, paired by seed when both studies ran the same seeds
//! (common random numbers across the two studies), Welch's otherwise; and
//! the keys in which two resolved scenarios differ. `tokenmaxx compare`
//! (`jobs/compare.rs`) reads the folders and writes the files.

use crate::stats::Estimate;
use serde_json::Value;

/// How a difference between the studies was estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Rows of equal seed paired: the same replicates of both studies.
    Paired,
    /// Two independent samples (Welch's interval).
    Welch,
}

impl Method {
    /// The name written in comparison.csv.
    pub fn name(self) -> &'static str {
        match self {
            Method::Paired => "paired",
            Method::Welch => "welch",
        }
    }
}

/// One policy's runs of one study: each run's seed and metric value, in
/// file order.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    pub seeds: &'a [u64],
    pub values: &'a [f64],
}

/// One policy's metric in both studies and their difference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    pub method: Method,
    /// The metric in study A, and in study B.
    pub a: Estimate,
    pub b: Estimate,
    /// B - A: the mean of paired differences, or the difference of means.
    pub diff: Estimate,
    /// Pairs compared (paired), or 0 (Welch).
    pub pairs: usize,
}

/// The metrics compared, as (column, words): net value (value - spend,
/// computed), then runs.csv's own columns, the ones a run's report states.
pub const METRICS: [(&str, &str); 5] = [
    ("net_value_usd", "net value (USD)"),
    ("spend_usd", "spend (USD)"),
    ("value_usd", "value delivered (USD)"),
    ("roi", "ROI (value / spend)"),
    ("waste_share", "waste share of spend"),
];

/// One row of a comparison: a policy's metric in both studies.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub policy: String,
    /// A runs.csv column, or `net_value_usd` (value - spend).
    pub metric: String,
    pub d: Difference,
}

/// Whether two samples ran the same seeds: every seed once in each and the
/// same set in both (replicate r of a policy has the same seed whenever the
/// master seed is the same, whatever else differs).
pub fn same_seeds(a: &[u64], b: &[u64]) -> bool {
    let sorted = |s: &[u64]| {
        let mut v = s.to_vec();
        v.sort_unstable();
        v
    };
    let (sa, sb) = (sorted(a), sorted(b));
    !sa.is_empty() && sa.windows(2).all(|w| w[0] != w[1]) && sa == sb
}

/// B - A for one policy's metric: paired by seed when both samples ran the
/// same seeds ([`same_seeds`]), Welch's interval otherwise.
pub fn difference(a: Sample, b: Sample) -> Difference {
    let (ea, eb) = (Estimate::of(a.values), Estimate::of(b.values));
    if same_seeds(a.seeds, b.seeds) {
        // B's values in the order of A's seeds.
        let b_by_a: Vec<f64> = a
            .seeds
            .iter()
            .map(|s| {
                let i = b.seeds.iter().position(|t| t == s).expect("the same seeds");
                b.values[i]
            })
            .collect();
        return Difference {
            method: Method::Paired,
            a: ea,
            b: eb,
            diff: Estimate::paired(&b_by_a, a.values),
            pairs: a.seeds.len(),
        };
    }
    Difference {
        method: Method::Welch,
        a: ea,
        b: eb,
        diff: Estimate::welch(b.values, a.values),
        pairs: 0,
    }
}

/// Whether a difference's 95% interval excludes zero.
pub fn excludes_zero(e: &Estimate) -> bool {
    e.ci95_low.is_finite() && (e.ci95_low > 0.0 || e.ci95_high < 0.0)
}

/// The keys in which two resolved scenarios (JSON, as a run's manifest
/// records them) differ, as (dotted key, A's value, B's value), sorted by
/// key; a key one side lacks has `None` there. Arrays are compared whole.
/// `skip` names top-level tables left out (documentation, not parameters).
pub fn differing_keys(a: &Value, b: &Value, skip: &[&str]) -> Vec<(String, Option<String>, Option<String>)> {
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    flatten("", a, &mut fa);
    flatten("", b, &mut fb);
    let kept = |k: &str| !skip.iter().any(|s| k == *s || k.starts_with(&format!("{s}.")));
    let mut keys: Vec<&String> = fa.iter().chain(&fb).map(|(k, _)| k).filter(|k| kept(k)).collect();
    keys.sort();
    keys.dedup();
    let value_of = |f: &[(String, String)], k: &str| f.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
    keys.into_iter()
        .filter_map(|k| {
            let (va, vb) = (value_of(&fa, k), value_of(&fb, k));
            (va != vb).then(|| (k.clone(), va, vb))
        })
        .collect()
}

/// Every leaf of a JSON value as (dotted key, JSON text); arrays are leaves.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) if !o.is_empty() => {
            for (k, x) in o {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seeds_pair_rows_by_seed_whatever_their_order() {
        let a = Sample {
            seeds: &[1, 2, 3],
            values: &[10.0, 20.0, 33.0],
        };
        // B lists the same seeds in another order.
        let b = Sample {
            seeds: &[3, 1, 2],
            values: &[36.0, 11.0, 22.0],
        };
        let d = difference(a, b);
        assert_eq!(d.method, Method::Paired);
        assert_eq!(d.pairs, 3);
        // Differences 1, 2, 3: mean 2, sd 1, half-width t(2) / sqrt(3).
        assert!((d.diff.mean - 2.0).abs() < 1e-12);
        let half = crate::stats::t_quantile_975(2) / 3f64.sqrt();
        assert!((d.diff.ci95_low - (2.0 - half)).abs() < 1e-12, "{d:?}");
        assert!((d.diff.ci95_high - (2.0 + half)).abs() < 1e-12, "{d:?}");
        assert!((d.a.mean - 21.0).abs() < 1e-12 && (d.b.mean - 23.0).abs() < 1e-12);
    }

    #[test]
    fn other_seeds_or_a_repeated_seed_give_welch() {
        let a = Sample {
            seeds: &[1, 2, 3],
            values: &[10.0, 20.0, 30.0],
        };
        let b = Sample {
            seeds: &[4, 5, 6],
            values: &[12.0, 22.0, 35.0],
        };
        let d = difference(a, b);
        assert_eq!(d.method, Method::Welch);
        assert_eq!(d.diff, Estimate::welch(b.values, a.values));
        assert!(!same_seeds(&[1, 1, 2], &[1, 1, 2]));
        assert!(!same_seeds(&[1, 2], &[1, 2, 3]));
        assert!(!same_seeds(&[], &[]));
    }

    #[test]
    fn a_sample_against_itself_differs_by_exactly_zero() {
        let a = Sample {
            seeds: &[7, 8, 9, 10],
            values: &[1.5, -2.25, 1e7, 3.0],
        };
        let d = difference(a, a);
        assert_eq!(d.method, Method::Paired);
        assert_eq!((d.diff.mean, d.diff.ci95_low, d.diff.ci95_high), (0.0, 0.0, 0.0));
        assert!(!excludes_zero(&d.diff));
    }

    #[test]
    fn differing_keys_are_dotted_sorted_and_name_a_missing_side() {
        let a = serde_json::json!({"weeks": 52, "name": "x", "enterprises": {"acme": {"employees": 10}},
            "arms": ["a", "b"], "sources": {"weeks": "doc"}});
        let b = serde_json::json!({"weeks": 26, "name": "x", "enterprises": {"acme": {"employees": 10}, "beta": {"employees": 5}},
            "arms": ["a"], "sources": {"weeks": "other doc"}});
        let d = differing_keys(&a, &b, &["sources"]);
        assert_eq!(
            d,
            vec![
                ("arms".into(), Some("[\"a\",\"b\"]".into()), Some("[\"a\"]".into())),
                ("enterprises.beta.employees".into(), None, Some("5".into())),
                ("weeks".into(), Some("52".into()), Some("26".into())),
            ]
        );
        assert!(differing_keys(&a, &a, &[]).is_empty());
    }
}
