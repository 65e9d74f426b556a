//! A policy search as typed data (no TOML): the levers a candidate policy
//! is made of, the objectives and constraints it is judged by, and how
//! many worlds, replicates and evaluations the search may spend. Parsed
//! from an optimization file by `scenario::optimize`.

use super::Algorithm;
use super::measure::Measure;
use std::path::PathBuf;

/// What values a lever takes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LeverDomain {
    Range {
        low: f64,
        high: f64,
        log: bool,
        integer: bool,
    },
    Values {
        values: Vec<f64>,
    },
}

/// A number of the scenario the search sets for its candidate policy.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Lever {
    pub key: String,
    pub label: String,
    pub domain: LeverDomain,
}

impl Lever {
    /// The lever's value at `u` on [0, 1].
    pub fn decode(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match &self.domain {
            LeverDomain::Range {
                low,
                high,
                log,
                integer,
            } => {
                let x = if *log {
                    (low.ln() + u * (high.ln() - low.ln())).exp().clamp(*low, *high)
                } else {
                    low + u * (high - low)
                };
                if *integer { x.round() } else { x }
            }
            LeverDomain::Values { values } => {
                let k = ((u * values.len() as f64).floor() as usize).min(values.len() - 1);
                values[k]
            }
        }
    }

    /// A gene that decodes to `x` (for a warm start), or none when `x` is
    /// outside the lever's domain.
    pub fn encode(&self, x: f64) -> Option<f64> {
        match &self.domain {
            LeverDomain::Range { low, high, log, .. } => {
                if !(x >= *low && x <= *high) {
                    return None;
                }
                if high == low {
                    return Some(0.5);
                }
                Some(if *log {
                    (x.ln() - low.ln()) / (high.ln() - low.ln())
                } else {
                    (x - low) / (high - low)
                })
            }
            LeverDomain::Values { values } => {
                let k = values.iter().position(|v| *v == x)?;
                Some((k as f64 + 0.5) / values.len() as f64)
            }
        }
    }

    pub fn is_integer(&self) -> bool {
        match &self.domain {
            LeverDomain::Range { integer, .. } => *integer,
            LeverDomain::Values { values } => values.iter().all(|v| v.fract() == 0.0),
        }
    }
}

/// A robustness measure of a metric, to maximise or minimise.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Objective {
    pub metric: String,
    pub measure: Measure,
    pub maximize: bool,
    /// The ε-box side in the objective's own unit.
    pub epsilon: f64,
    /// For regret: whether more of the metric is better.
    pub more_is_better: bool,
    /// For regret: the reference policies.
    pub references: Vec<String>,
    pub label: String,
}

/// A bound on a robustness measure of a metric.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Constraint {
    pub metric: String,
    pub measure: Measure,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub more_is_better: bool,
    pub references: Vec<String>,
    pub label: String,
}

impl Constraint {
    /// How far `value` breaks the bound, relative to the bound's size (0
    /// when met).
    pub fn violation(&self, value: f64) -> f64 {
        let scale = |b: f64| b.abs().max(1.0);
        let below = self.min.map_or(0.0, |m| (m - value).max(0.0) / scale(m));
        let above = self.max.map_or(0.0, |m| (value - m).max(0.0) / scale(m));
        below + above
    }

    pub fn describe(&self) -> String {
        let m = format!("{} of {}", self.measure.describe(), self.metric);
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!("{a} <= {m} <= {b}"),
            (Some(a), None) => format!("{m} >= {a}"),
            (None, Some(b)) => format!("{m} <= {b}"),
            (None, None) => m,
        }
    }
}

/// A whole policy search.
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    pub name: String,
    pub path: PathBuf,
    pub source: String,
    pub base_path: PathBuf,
    /// The base scenario's text, with the candidate policy's table added
    /// when the base has none.
    pub base_source: String,
    pub algorithm: Algorithm,
    pub evaluations: usize,
    pub population: usize,
    pub seed: u64,
    pub replicates: u32,
    pub worlds: u32,
    pub validation_worlds: u32,
    /// "prior", or the path of a posterior.csv.
    pub from: String,
    /// The policy the levers shape.
    pub policy: String,
    /// Presets: compared in and out of sample, and regret's default
    /// references.
    pub references: Vec<String>,
    pub levers: Vec<Lever>,
    pub objectives: Vec<Objective>,
    pub constraints: Vec<Constraint>,
    /// The command line's --set texts.
    pub set: Vec<String>,
}

impl Study {
    /// The runs the study takes (search, references, validation).
    pub fn planned_runs(&self) -> u64 {
        let w = u64::from(self.worlds);
        let v = u64::from(self.validation_worlds);
        let r = u64::from(self.replicates);
        let refs = self.references.len() as u64;
        // The front's size is not known before: count a population's worth.
        self.evaluations as u64 * w * r + refs * (w + v) * r + self.population as u64 * v * r
    }

    /// Every metric the objectives and constraints read, once, in order.
    pub fn metrics(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in self
            .objectives
            .iter()
            .map(|o| &o.metric)
            .chain(self.constraints.iter().map(|c| &c.metric))
        {
            if !out.contains(m) {
                out.push(m.clone());
            }
        }
        out
    }

    /// The lever values of genes.
    pub fn decode(&self, genes: &[f64]) -> Vec<f64> {
        self.levers.iter().zip(genes).map(|(l, &u)| l.decode(u)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levers_decode_and_encode_back() {
        let r = Lever {
            key: "k".into(),
            label: "k".into(),
            domain: LeverDomain::Range {
                low: 1.0,
                high: 100.0,
                log: true,
                integer: false,
            },
        };
        assert!((r.decode(0.5) - 10.0).abs() < 1e-9);
        assert!((r.encode(10.0).unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(r.encode(1000.0), None);
        let v = Lever {
            key: "k".into(),
            label: "k".into(),
            domain: LeverDomain::Values {
                values: vec![0.0, 5.0, 9.0],
            },
        };
        assert_eq!([v.decode(0.0), v.decode(0.5), v.decode(1.0)], [0.0, 5.0, 9.0]);
        assert_eq!(v.decode(v.encode(5.0).unwrap()), 5.0);
        let c = Constraint {
            metric: "m".into(),
            measure: Measure::Mean,
            min: None,
            max: Some(200.0),
            more_is_better: true,
            references: vec![],
            label: "m".into(),
        };
        assert_eq!(c.violation(150.0), 0.0);
        assert_eq!(c.violation(300.0), 0.5);
    }
}
