//! A typed sweep plan: the design, the parameters and their domains, the
//! arms, replicates and seed. Built by the scenario layer from a sweep file;
//! nothing here knows TOML.

use std::fmt;
use std::path::PathBuf;

/// One value a swept parameter takes.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    /// Any other value (an array, a date), as the TOML text that wrote it.
    Literal(String),
}

impl fmt::Display for ParamValue {
    /// The text of a value in CSV files and `--set`: integers as digits,
    /// floats always with a decimal point (`1.0`, `0.25`), text without
    /// quotes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) if x.is_finite() && x.fract() == 0.0 => write!(f, "{x:.1}"),
            ParamValue::Float(x) => write!(f, "{x}"),
            ParamValue::Text(s) | ParamValue::Literal(s) => f.write_str(s),
        }
    }
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
    /// Plausible worlds (`points` = worlds): independent draws from the
    /// parameters' priors, or weighted draws from a calibration posterior;
    /// ends in robust verdicts across the worlds.
    Worlds,
}

impl Design {
    pub const ALL: [Design; 7] = [
        Design::Grid,
        Design::Random,
        Design::Lhs,
        Design::Sobol,
        Design::Morris,
        Design::Saltelli,
        Design::Worlds,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Design::Grid => "grid",
            Design::Random => "random",
            Design::Lhs => "lhs",
            Design::Sobol => "sobol",
            Design::Morris => "morris",
            Design::Saltelli => "saltelli",
            Design::Worlds => "worlds",
        }
    }

    /// The design of a name, as sweep files write it.
    pub fn from_name(name: &str) -> Option<Design> {
        Design::ALL.into_iter().find(|d| d.name() == name)
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
    Values(Vec<ParamValue>),
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

impl Domain {
    /// The domain in words: `0.5 to 2 (log, 5 steps)` or `a, b, c`.
    pub fn describe(&self) -> String {
        match self {
            Domain::Values(v) => v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "),
            Domain::Range {
                low,
                high,
                log,
                integer,
                steps,
            } => {
                let mut notes = Vec::new();
                if *log {
                    notes.push("log".to_string());
                }
                if *integer {
                    notes.push("integers".to_string());
                }
                if let Some(n) = steps {
                    notes.push(format!("{n} steps"));
                }
                let notes = if notes.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", notes.join(", "))
                };
                format!("{low} to {high}{notes}")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// The dotted scenario key it sets, e.g. `agent.card_limit_usd`.
    pub key: String,
    pub domain: Domain,
}

/// The particles of a calibration's posterior (the last generation of its
/// posterior.csv), from which a worlds design draws by weight.
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorSample {
    pub path: PathBuf,
    /// SHA-256 of the file: part of the sweep's identity.
    pub sha256: String,
    pub generation: u32,
    /// Normalised weights, one per particle.
    pub weights: Vec<f64>,
    /// One row per particle, one value per posterior column (the order of
    /// the plan's last parameters).
    pub values: Vec<Vec<f64>>,
    /// The plan's first parameters, drawn from their priors in each world
    /// (every other one the calibration did not fit); 0 = the posterior's
    /// columns alone.
    pub prior_parameters: usize,
}

/// A calibration's posterior.csv as read (by `results::posterior`): the
/// weighted particles of its last generation, before the scenario layer
/// checks its columns against the sweep's base.
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorFile {
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// The parameter columns, in file order.
    pub keys: Vec<String>,
    /// The last generation.
    pub generation: u32,
    /// Normalised weights, one per particle.
    pub weights: Vec<f64>,
    /// One row per particle, one value per column of `keys`.
    pub values: Vec<Vec<f64>>,
}

/// Why a posterior.csv could not be taken.
#[derive(Debug, Clone, PartialEq)]
pub enum PosteriorFault {
    /// The file cannot be read (reported at the sweep file's `from`).
    Read(String),
    /// What is wrong in the file, at a line (1 is the header) and a column.
    At { line: usize, key: String, message: String },
}

/// Reads a posterior.csv: how the scenario layer, which reads no result
/// file, is given the results layer's reader.
pub type PosteriorReader<'a> = &'a dyn Fn(&std::path::Path) -> Result<PosteriorFile, PosteriorFault>;

/// A validated sweep.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    /// The sweep file and its text (kept for hashing and for shards).
    pub path: PathBuf,
    pub source: String,
    /// The base scenario and its text.
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
    /// Replicates per arm and point; with `auto`, the most any arm of a
    /// point may get (the rule's `max`, or less under its `total_max`).
    pub replicates: u32,
    /// `replicates = "auto"`: the rule every point runs under, its `max`
    /// already lowered to the cap per arm that `total_max` gives.
    pub auto: Option<crate::experiment::adaptive::AutoRule>,
    pub seed: u64,
    pub arms: Vec<String>,
    pub common_random_numbers: bool,
    pub parameters: Vec<Parameter>,
    /// `--set KEY=VALUE` texts from the command line, applied to the base
    /// scenario at every point (before the swept parameters).
    pub set: Vec<String>,
    /// The command-line amendments in words (`--set ...`, `--points N`,
    /// `--replicates N`), part of the sweep's identity; empty without.
    pub amendments: String,
    /// A worlds design drawing from a posterior: its particles.
    pub posterior: Option<PosteriorSample>,
    /// Display names of the policies and of the parameters (with units),
    /// by key: see `scenario::labels`.
    pub policy_labels: std::collections::BTreeMap<String, String>,
    pub parameter_labels: std::collections::BTreeMap<String, String>,
}

impl Parameter {
    /// The grid values of this parameter.
    pub fn grid_values(&self) -> Vec<ParamValue> {
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
                let mut out: Vec<ParamValue> = Vec::new();
                for i in 0..n {
                    let u = if n == 1 { 0.5 } else { i as f64 / (n - 1) as f64 };
                    let v = scale(u, *low, *high, *log, *integer);
                    // Values rise with i: a repeat (an integer range with
                    // more steps than integers) follows its twin.
                    if out.last() != Some(&v) {
                        out.push(v);
                    }
                }
                out
            }
        }
    }

    /// The value at position `u` in [0, 1] of the parameter's domain.
    pub fn at(&self, u: f64) -> ParamValue {
        match &self.domain {
            Domain::Values(v) => v[((u * v.len() as f64) as usize).min(v.len() - 1)].clone(),
            Domain::Range {
                low,
                high,
                log,
                integer,
                ..
            } => scale(u, *low, *high, *log, *integer),
        }
    }
}

fn scale(u: f64, low: f64, high: f64, log: bool, integer: bool) -> ParamValue {
    let x = if log {
        (low.ln() + u * (high.ln() - low.ln())).exp()
    } else {
        low + u * (high - low)
    };
    if integer {
        ParamValue::Int(x.round().clamp(low.ceil(), high.floor()) as i64)
    } else {
        ParamValue::Float(x)
    }
}

impl SweepPlan {
    /// Total runs: points x arms x replicates (with `auto`, the most the
    /// rule may run).
    pub fn runs(&self) -> usize {
        self.points
            .saturating_mul(self.arms.len())
            .saturating_mul(self.replicates as usize)
    }
}
