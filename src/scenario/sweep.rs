//! Sweep files: a base scenario, a design, and the parameters to vary.
//!
//! ```toml
//! base = "../baseline.toml"          # relative to this file
//! [sweep]
//! design = "lhs"                     # grid | random | lhs | sobol
//! points = 100                       # for non-grid designs
//! replicates = 10
//! arms = ["laissez_faire", "usage_leaderboard"]
//! [[sweep.parameters]]
//! key = "labs.frontier_lab.discount_scale"
//! range = [0.0, 2.0]
//! ```
//!
//! Errors name the sweep file (or the base scenario), the key, and the line
//! and column, as for scenarios.

use super::{Override, ScenarioError, locate, merged_value, syntax_origin};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweepFile {
    base: String,
    sweep: RawSweep,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    name: Option<String>,
    design: String,
    points: Option<u32>,
    replicates: Option<u32>,
    seed: Option<u64>,
    arms: Option<Vec<String>>,
    common_random_numbers: Option<bool>,
    parameters: Vec<RawParameter>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    key: String,
    values: Option<Vec<Value>>,
    range: Option<Vec<f64>>,
    steps: Option<u32>,
    log: Option<bool>,
    integer: Option<bool>,
}

/// How points are laid out in the parameter space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Design {
    /// The full product of every parameter's values.
    Grid,
    /// Independent uniform draws.
    Random,
    /// Latin hypercube: each parameter's range is cut into `points` strata,
    /// each stratum used once.
    Lhs,
    /// The Sobol low-discrepancy sequence (Joe-Kuo direction numbers).
    Sobol,
    /// Morris trajectories (`points` = trajectories): elementary effects.
    Morris,
    /// A Saltelli design (`points` = base rows N): Sobol indices.
    Saltelli,
}

impl Design {
    pub fn name(self) -> &'static str {
        match self {
            Design::Grid => "grid",
            Design::Random => "random",
            Design::Lhs => "lhs",
            Design::Sobol => "sobol",
            Design::Morris => "morris",
            Design::Saltelli => "saltelli",
        }
    }

    /// True for the designs that end in a sensitivity analysis.
    pub fn is_sensitivity(self) -> bool {
        matches!(self, Design::Morris | Design::Saltelli)
    }
}

/// What values one parameter takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Domain {
    /// A list of values (numbers, strings, booleans).
    Values(Vec<Value>),
    /// A continuous range, optionally log-scaled, optionally rounded to
    /// integers; `steps` gives a grid design its values.
    Range {
        low: f64,
        high: f64,
        log: bool,
        integer: bool,
        steps: Option<u32>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub key: String,
    pub domain: Domain,
}

/// A validated sweep.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    pub path: PathBuf,
    pub source: String,
    pub base_path: PathBuf,
    pub base_source: String,
    pub name: String,
    pub design: Design,
    /// Number of points (for a grid, the size of the product; for Morris,
    /// trajectories x (k + 1); for Saltelli, rows x (k + 2)).
    pub points: usize,
    /// The design's own count: trajectories (Morris), rows (Saltelli), or
    /// `points` for the other designs.
    pub base_points: usize,
    pub replicates: u32,
    pub seed: u64,
    pub arms: Vec<String>,
    pub common_random_numbers: bool,
    pub parameters: Vec<Parameter>,
}

impl Parameter {
    /// The grid values of this parameter.
    pub fn grid_values(&self) -> Vec<Value> {
        match &self.domain {
            Domain::Values(v) => v.clone(),
            Domain::Range {
                low,
                high,
                log,
                integer,
                steps,
            } => {
                let n = steps.unwrap_or(2).max(1);
                let mut out: Vec<Value> = Vec::new();
                for i in 0..n {
                    let u = if n == 1 { 0.5 } else { i as f64 / (n - 1) as f64 };
                    let v = self.scale(u, *low, *high, *log, *integer);
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
                out
            }
        }
    }

    /// The value at position `u` in [0, 1] of the parameter's domain.
    pub fn at(&self, u: f64) -> Value {
        match &self.domain {
            Domain::Values(v) => v[((u * v.len() as f64) as usize).min(v.len() - 1)].clone(),
            Domain::Range {
                low,
                high,
                log,
                integer,
                ..
            } => self.scale(u, *low, *high, *log, *integer),
        }
    }

    fn scale(&self, u: f64, low: f64, high: f64, log: bool, integer: bool) -> Value {
        let x = if log {
            (low.ln() + u * (high.ln() - low.ln())).exp()
        } else {
            low + u * (high - low)
        };
        if integer {
            Value::Integer(x.round().clamp(low.ceil(), high.floor()) as i64)
        } else {
            Value::Float(x)
        }
    }
}

/// Text of a parameter value for CSV files and `--set`.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Float(f) => format!("{f}"),
        other => other.to_string(),
    }
}

/// The overrides that make point values into a scenario.
pub fn overrides(spec: &SweepSpec, values: &[Value]) -> Vec<Override> {
    let arms = Value::Array(spec.arms.iter().map(|a| Value::String(a.clone())).collect());
    let mut out = vec![Override {
        key: "arms".into(),
        value: arms,
        text: "arms (from the sweep)".into(),
    }];
    for (p, v) in spec.parameters.iter().zip(values) {
        out.push(Override {
            key: p.key.clone(),
            value: v.clone(),
            text: format!("{}={}", p.key, value_text(v)),
        });
    }
    out
}

fn invalid(file: &Path, source: &str, key: &str, message: String) -> ScenarioError {
    ScenarioError::Invalid {
        file: file.display().to_string(),
        key: key.to_string(),
        origin: locate(source, key, true),
        message,
    }
}

fn parse_raw(path: &Path, source: &str) -> Result<RawSweepFile, ScenarioError> {
    let file = path.display().to_string();
    let raw: RawSweepFile = match toml::from_str::<toml::Table>(source) {
        Err(e) => {
            return Err(ScenarioError::Invalid {
                file,
                key: String::new(),
                origin: syntax_origin(source, &e),
                message: format!("TOML syntax error: {}", e.message().trim()),
            });
        }
        Ok(table) => serde_path_to_error::deserialize(Value::Table(table)).map_err(|e| {
            let mut key = e.path().to_string();
            if key == "." {
                key.clear();
            }
            let message = e.inner().message().trim().to_string();
            let origin = match message
                .strip_prefix("unknown field `")
                .and_then(|r| r.split('`').next())
            {
                Some(field) => {
                    if !key.ends_with(field) {
                        key = if key.is_empty() {
                            field.to_string()
                        } else {
                            format!("{key}.{field}")
                        };
                    }
                    locate(source, &key, false)
                }
                None => locate(source, &key, true),
            };
            ScenarioError::Invalid {
                file: file.clone(),
                key,
                origin,
                message,
            }
        })?,
    };
    Ok(raw)
}

/// Loads and validates a sweep file and its base scenario.
pub fn load(path: &Path) -> Result<SweepSpec, ScenarioError> {
    let source = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let raw = parse_raw(path, &source)?;
    let base_path = path.parent().unwrap_or(Path::new(".")).join(&raw.base);
    let base_source = std::fs::read_to_string(&base_path).map_err(|e| {
        invalid(
            path,
            &source,
            "base",
            format!("cannot read the base scenario {}: {e}", base_path.display()),
        )
    })?;
    from_sources(path, source, base_path, base_source)
}

/// Validates a sweep from its text and its base scenario's text (as stored
/// in a shard, for merging).
pub fn from_sources(
    path: &Path,
    source: String,
    base_path: PathBuf,
    base_source: String,
) -> Result<SweepSpec, ScenarioError> {
    let raw = parse_raw(path, &source)?;
    // The base must be a valid scenario by itself.
    let (base_raw, _) = super::from_str(&base_source, &base_path.display().to_string(), &[])?;
    let s = &raw.sweep;
    let design = match s.design.as_str() {
        "grid" => Design::Grid,
        "random" => Design::Random,
        "lhs" => Design::Lhs,
        "sobol" => Design::Sobol,
        "morris" => Design::Morris,
        "saltelli" => Design::Saltelli,
        other => {
            return Err(invalid(
                path,
                &source,
                "sweep.design",
                format!(
                    "unknown design `{other}`; use \"grid\", \"random\", \"lhs\", \"sobol\", \"morris\" or \"saltelli\""
                ),
            ));
        }
    };
    if s.parameters.is_empty() {
        return Err(invalid(
            path,
            &source,
            "sweep",
            "a sweep needs at least one [[sweep.parameters]] entry".into(),
        ));
    }
    let max_dims = match design {
        Design::Saltelli => crate::experiment::design::SOBOL_MAX_DIMS / 2,
        _ => crate::experiment::design::SOBOL_MAX_DIMS,
    };
    if matches!(design, Design::Sobol | Design::Saltelli) && s.parameters.len() > max_dims {
        return Err(invalid(
            path,
            &source,
            "sweep.parameters",
            format!("the {} design supports at most {max_dims} parameters", design.name()),
        ));
    }
    let mut parameters = Vec::new();
    for (i, p) in s.parameters.iter().enumerate() {
        let at = format!("sweep.parameters[{i}]");
        let fail = |field: &str, m: String| invalid(path, &source, &format!("{at}.{field}"), m);
        match merged_value(&base_source, &p.key) {
            None => {
                return Err(fail(
                    "key",
                    format!(
                        "`{}` names no parameter of the base scenario {}",
                        p.key,
                        base_path.display()
                    ),
                ));
            }
            Some(Value::Table(_)) => return Err(fail("key", format!("`{}` names a table, not a value", p.key))),
            Some(_) => {}
        }
        if parameters.iter().any(|q: &Parameter| q.key == p.key) {
            return Err(fail("key", format!("`{}` is swept twice", p.key)));
        }
        let domain = match (&p.values, &p.range) {
            (Some(_), Some(_)) => return Err(fail("range", "give either `values` or `range`, not both".into())),
            (None, None) => {
                return Err(fail(
                    "key",
                    "give the parameter `values = [...]` or `range = [low, high]`".into(),
                ));
            }
            (Some(v), None) => {
                if v.is_empty() {
                    return Err(fail("values", "the list of values is empty".into()));
                }
                if p.log.is_some() || p.integer.is_some() || p.steps.is_some() {
                    return Err(fail(
                        "values",
                        "`log`, `integer` and `steps` apply to a `range`, not to `values`".into(),
                    ));
                }
                Domain::Values(v.clone())
            }
            (None, Some(r)) => {
                let [low, high] = r[..] else {
                    return Err(fail(
                        "range",
                        format!("a range is [low, high], got {} numbers", r.len()),
                    ));
                };
                if !(low.is_finite() && high.is_finite() && low < high) {
                    return Err(fail(
                        "range",
                        format!("the range [{low}, {high}] is empty: low must be below high"),
                    ));
                }
                let log = p.log.unwrap_or(false);
                if log && low <= 0.0 {
                    return Err(fail("range", format!("a log range needs low > 0, got {low}")));
                }
                let integer =
                    p.integer.unwrap_or(false) || matches!(merged_value(&base_source, &p.key), Some(Value::Integer(_)));
                if integer && low.ceil() > high.floor() {
                    return Err(fail("range", format!("the range [{low}, {high}] holds no integer")));
                }
                if design == Design::Grid && p.steps.is_none() {
                    return Err(fail(
                        "range",
                        "a grid design needs `steps = N` with a range, or `values`".into(),
                    ));
                }
                if p.steps == Some(0) {
                    return Err(fail("steps", "must be at least 1".into()));
                }
                Domain::Range {
                    low,
                    high,
                    log,
                    integer,
                    steps: p.steps,
                }
            }
        };
        parameters.push(Parameter {
            key: p.key.clone(),
            domain,
        });
    }
    let k = parameters.len();
    let points = match design {
        Design::Grid => {
            if s.points.is_some() {
                return Err(invalid(
                    path,
                    &source,
                    "sweep.points",
                    "a grid's points are the product of its values: remove `points`".into(),
                ));
            }
            parameters.iter().map(|p| p.grid_values().len()).product()
        }
        _ => match s.points {
            None | Some(0) => {
                return Err(invalid(
                    path,
                    &source,
                    "sweep",
                    format!("a {} design needs `points = N` (at least 1)", design.name()),
                ));
            }
            Some(n) => match design {
                Design::Morris => n as usize * (k + 1),
                Design::Saltelli => n as usize * (k + 2),
                _ => n as usize,
            },
        },
    };
    let base_points = match design {
        Design::Morris => points / (k + 1),
        Design::Saltelli => points / (k + 2),
        _ => points,
    };
    let replicates = s.replicates.unwrap_or(base_raw.replicates);
    if replicates == 0 {
        return Err(invalid(path, &source, "sweep.replicates", "must be at least 1".into()));
    }
    let arms = s.arms.clone().unwrap_or(base_raw.arms.clone());
    for (i, a) in arms.iter().enumerate() {
        if !base_raw.policies.contains_key(a) {
            return Err(invalid(
                path,
                &source,
                &format!("sweep.arms[{i}]"),
                format!("policy `{a}` is not defined in the base scenario"),
            ));
        }
    }
    if arms.is_empty() {
        return Err(invalid(
            path,
            &source,
            "sweep.arms",
            "must name at least one policy".into(),
        ));
    }
    let name = s.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map_or("sweep".into(), |n| n.to_string_lossy().into_owned())
    });
    let spec = SweepSpec {
        path: path.to_path_buf(),
        source,
        base_path,
        base_source,
        name,
        design,
        points,
        base_points,
        replicates,
        seed: s.seed.unwrap_or(base_raw.seed),
        arms,
        common_random_numbers: s.common_random_numbers.unwrap_or(true),
        parameters,
    };
    // Every parameter's extremes must make a valid scenario.
    for (i, p) in spec.parameters.iter().enumerate() {
        let probes: Vec<Value> = match &p.domain {
            Domain::Values(v) => v.clone(),
            Domain::Range { .. } => vec![p.at(0.0), p.at(1.0)],
        };
        for v in probes {
            let o = Override {
                key: p.key.clone(),
                value: v.clone(),
                text: format!("{}={}", p.key, value_text(&v)),
            };
            if let Err(e) = super::from_str(&spec.base_source, &spec.base_path.display().to_string(), &[o]) {
                let message = match e {
                    ScenarioError::Invalid { message, .. } => message,
                    other => other.to_string(),
                };
                return Err(ScenarioError::Invalid {
                    file: spec.path.display().to_string(),
                    key: format!("sweep.parameters[{i}]"),
                    origin: locate(&spec.source, &format!("sweep.parameters[{i}]"), true),
                    message: format!("`{}` = {} makes an invalid scenario: {message}", p.key, value_text(&v)),
                });
            }
        }
    }
    Ok(spec)
}

impl SweepSpec {
    /// Total runs: points x arms x replicates.
    pub fn runs(&self) -> usize {
        self.points * self.arms.len() * self.replicates as usize
    }
}
