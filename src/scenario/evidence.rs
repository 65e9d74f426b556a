//! Evidence files for `tokenmaxx calibrate`: a base scenario, the uncertain
//! parameters and their priors, and the facts to match.
//!
//! ```toml
//! base = "../baseline.toml"            # relative to this file
//! [calibrate]
//! particles = 200
//! generations = 6                      # or stop when acceptance < min_acceptance
//! min_acceptance = 0.02
//! seed = 1
//! replicates = 1                       # runs per particle and policy
//! set = ["enterprises.acme.employees=200"]   # the calibration company
//! [[prior]]
//! key = "performative.opportunities_per_week"   # range from the priors of defaults.toml unless given
//! range = [10.0, 1000.0]
//! log = true
//! [[target]]
//! name = "engineer spend, list USD per month"
//! metric = "engineer_list_cost_per_month"       # any per-run metric of runs.csv
//! policy = "laissez_faire"
//! observed = 200.0
//! tolerance = [150.0, 250.0]           # or sd = ...
//! role = "fit"                         # fit drives the distance; check is held out
//! source = "Claude Code docs"
//! set = []                             # overrides for this target's runs only
//! ```
//!
//! Errors name the file, the key and its line and column.

use super::sweep::invalid;
use super::{Override, ScenarioError, merged_value, syntax_origin};
use crate::engine::metrics::RunMetrics;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    base: String,
    calibrate: RawCalibrate,
    #[serde(default)]
    prior: Vec<RawPrior>,
    #[serde(default)]
    target: Vec<RawTarget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalibrate {
    name: Option<String>,
    particles: Option<u32>,
    generations: Option<u32>,
    min_acceptance: Option<f64>,
    quantile: Option<f64>,
    seed: Option<u64>,
    replicates: Option<u32>,
    #[serde(default)]
    set: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrior {
    key: String,
    range: Option<Vec<f64>>,
    log: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: String,
    metric: String,
    policy: String,
    observed: f64,
    tolerance: Option<Vec<f64>>,
    sd: Option<f64>,
    role: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    set: Vec<String>,
}

/// An uncertain parameter and its prior.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidencePrior {
    pub key: String,
    pub low: f64,
    pub high: f64,
    pub log: bool,
    /// The parameter is an integer in the scenario: values are rounded.
    pub integer: bool,
}

/// Whether a target drives the fit or is held out to check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Fit,
    Check,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Fit => "fit",
            Role::Check => "check",
        }
    }
}

/// A fact to match.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    pub metric: String,
    pub policy: String,
    pub observed: f64,
    /// The interval a simulated value may fall in to match.
    pub low: f64,
    pub high: f64,
    /// The scale of a deviation in the distance: half the interval, or the sd.
    pub scale: f64,
    pub role: Role,
    pub source: String,
    pub set: Vec<String>,
}

/// A checked evidence file.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub path: PathBuf,
    pub source: String,
    pub base_path: PathBuf,
    pub base_source: String,
    pub name: String,
    pub particles: usize,
    pub generations: usize,
    pub min_acceptance: f64,
    pub quantile: f64,
    pub seed: u64,
    pub replicates: u32,
    pub set: Vec<String>,
    pub priors: Vec<EvidencePrior>,
    pub targets: Vec<Target>,
}

impl Evidence {
    /// The overrides of one simulation: the calibration company, a
    /// target's own settings, the policies to run, and parameter values.
    pub fn overrides(&self, target_set: &[String], arms: &[String], theta: &[f64]) -> Vec<Override> {
        let mut texts: Vec<String> = self.set.clone();
        texts.extend(target_set.iter().cloned());
        let quoted: Vec<String> = arms.iter().map(|a| format!("\"{a}\"")).collect();
        texts.push(format!("arms=[{}]", quoted.join(", ")));
        for (p, v) in self.priors.iter().zip(theta) {
            let value = if p.integer {
                format!("{}", v.round() as i64)
            } else {
                format!("{v:?}")
            };
            texts.push(format!("{}={value}", p.key));
        }
        texts
            .iter()
            .map(|t| Override::parse(t).expect("checked when the evidence was loaded"))
            .collect()
    }
}

/// The most particles and generations a calibration may ask for.
pub const MAX_PARTICLES: u32 = 100_000;
pub const MAX_GENERATIONS: u32 = 100;

/// Loads and checks an evidence file and its base scenario.
pub fn load(path: &Path) -> Result<Evidence, ScenarioError> {
    let source = super::read_input(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file = path.display().to_string();
    let table: toml::Table = toml::from_str(&source).map_err(|e| ScenarioError::Invalid {
        file: file.clone(),
        key: String::new(),
        origin: syntax_origin(&source, &e),
        message: super::suggest::syntax_message(&e, &source),
    })?;
    if !table.contains_key("calibrate") {
        return Err(ScenarioError::Invalid {
            file,
            key: String::new(),
            origin: super::Origin::Unknown,
            message: "this is not an evidence file (it has no [calibrate] table)".into(),
        });
    }
    let raw: RawEvidence = super::read_table(table, &path.display().to_string(), &source)?;
    let bad = |key: &str, message: String| invalid(path, &source, key, message);
    let base_path = path.parent().unwrap_or(Path::new(".")).join(&raw.base);
    let base_source = super::read_input(&base_path).map_err(|e| {
        bad(
            "base",
            format!("cannot read the base scenario {}: {e}", base_path.display()),
        )
    })?;
    let base_file = base_path.display().to_string();
    let c = &raw.calibrate;
    for (i, t) in c.set.iter().enumerate() {
        Override::parse(t).map_err(|e| bad(&format!("calibrate.set[{i}]"), e.to_string()))?;
    }
    let set: Vec<Override> = c.set.iter().map(|t| Override::parse(t).expect("parsed")).collect();
    let (base_raw, base_cfg) = super::from_str(&base_source, &base_file, &set)?;
    let provenance = super::provenance(&base_raw);

    // Every setting's, prior's and target's error at once (up to
    // MAX_ERRORS), as a scenario file's: each is checked by itself.
    let mut errors: Vec<ScenarioError> = Vec::new();
    let particles = c.particles.unwrap_or(200);
    if !(2..=MAX_PARTICLES).contains(&particles) {
        errors.push(bad(
            "calibrate.particles",
            format!("must be between 2 and {MAX_PARTICLES}, got {particles}"),
        ));
    }
    let generations = c.generations.unwrap_or(6);
    if !(1..=MAX_GENERATIONS).contains(&generations) {
        errors.push(bad(
            "calibrate.generations",
            format!("must be between 1 and {MAX_GENERATIONS}, got {generations}"),
        ));
    }
    let min_acceptance = c.min_acceptance.unwrap_or(0.02);
    if !(0.0..=1.0).contains(&min_acceptance) {
        errors.push(bad(
            "calibrate.min_acceptance",
            format!("must be between 0 and 1, got {min_acceptance}"),
        ));
    }
    let quantile = c.quantile.unwrap_or(0.5);
    if !(quantile > 0.0 && quantile < 1.0) {
        errors.push(bad(
            "calibrate.quantile",
            format!("must be strictly between 0 and 1, got {quantile}"),
        ));
    }
    let replicates = c.replicates.unwrap_or(1);
    if !(1..=1000).contains(&replicates) {
        errors.push(bad(
            "calibrate.replicates",
            format!("must be between 1 and 1000, got {replicates}"),
        ));
    }
    let name = c.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map_or("calibration".into(), |s| s.to_string_lossy().into_owned())
    });
    if !super::resolve::is_name(&name) {
        errors.push(bad("calibrate.name", super::resolve::name_message("the name", &name)));
    }

    if raw.prior.is_empty() {
        errors.push(bad("prior", "an evidence file needs at least one [[prior]]".into()));
    }
    let mut priors: Vec<EvidencePrior> = Vec::new();
    for (i, p) in raw.prior.iter().enumerate() {
        let at = |f: &str| format!("prior[{i}].{f}");
        let checked = (|| -> Result<EvidencePrior, ScenarioError> {
            let value = merged_value(&base_source, &p.key);
            if !matches!(value, Some(Value::Float(_) | Value::Integer(_))) {
                return Err(bad(
                    &at("key"),
                    format!(
                        "`{}` is not a numeric parameter of the base scenario{}",
                        p.key,
                        if value.is_some() {
                            String::new()
                        } else {
                            format!(
                                " (no such key){}",
                                super::suggest::did_you_mean(
                                    &p.key,
                                    super::merged_keys(&base_source).iter().map(String::as_str)
                                )
                            )
                        }
                    ),
                ));
            }
            if priors.iter().any(|q| q.key == p.key) {
                return Err(bad(&at("key"), format!("`{}` has two priors", p.key)));
            }
            let (low, high, log) = match &p.range {
                Some(r) if r.len() == 2 => (r[0], r[1], p.log.unwrap_or(false)),
                Some(_) => return Err(bad(&at("range"), "must be [low, high]".into())),
                None => {
                    let d = provenance.prior(&p.key).ok_or_else(|| {
                        bad(
                            &at("key"),
                            format!("`{}` has no prior in the defaults: give `range = [low, high]`", p.key),
                        )
                    })?;
                    (d.low, d.high, p.log.unwrap_or(d.log))
                }
            };
            if !(low.is_finite() && high.is_finite()) || low >= high {
                return Err(bad(
                    &at("range"),
                    format!("must be [low, high] with low < high, got [{low}, {high}]"),
                ));
            }
            if log && low <= 0.0 {
                return Err(bad(&at("range"), format!("a log prior needs low > 0, got {low}")));
            }
            Ok(EvidencePrior {
                key: p.key.clone(),
                low,
                high,
                log,
                integer: matches!(value, Some(Value::Integer(_))),
            })
        })();
        match checked {
            Ok(prior) => priors.push(prior),
            Err(e) => errors.push(e),
        }
    }

    let mut targets = Vec::new();
    for (i, t) in raw.target.iter().enumerate() {
        let at = |f: &str| format!("target[{i}].{f}");
        let checked = (|| -> Result<Target, ScenarioError> {
            super::resolve::check_text(&t.name, super::resolve::MAX_LABEL_CHARS, false)
                .map_err(|m| bad(&at("name"), m))?;
            super::resolve::check_text(&t.source, super::resolve::MAX_DESCRIPTION_CHARS, true)
                .map_err(|m| bad(&at("source"), m))?;
            if !RunMetrics::NAMES.contains(&t.metric.as_str()) {
                let near = RunMetrics::NAMES
                    .iter()
                    .map(|n| (strsim::levenshtein(n, &t.metric), *n))
                    .min()
                    .filter(|(d, _)| *d <= 4)
                    .map_or(String::new(), |(_, n)| format!("; did you mean `{n}`?"));
                return Err(bad(
                    &at("metric"),
                    format!(
                        "unknown metric `{}`{near} (the columns of runs.csv, listed in docs/model.md, \"Metrics\")",
                        t.metric
                    ),
                ));
            }
            if !base_cfg.policies.iter().any(|p| p.name == t.policy) {
                let names: Vec<&str> = base_cfg.policies.iter().map(|p| p.name.as_str()).collect();
                return Err(bad(
                    &at("policy"),
                    format!(
                        "the base scenario defines no policy `{}`{}; it defines {}",
                        t.policy,
                        super::suggest::did_you_mean(&t.policy, names.iter().copied()),
                        names.join(", ")
                    ),
                ));
            }
            if !t.observed.is_finite() {
                return Err(bad(&at("observed"), "must be a finite number".into()));
            }
            let (low, high, scale) = match (&t.tolerance, t.sd) {
                (Some(r), None) if r.len() == 2 => {
                    if !(r[0].is_finite() && r[1].is_finite()) || r[0] >= r[1] {
                        return Err(bad(
                            &at("tolerance"),
                            format!(
                                "must be [low, high] with low < high (a zero tolerance matches nothing), got [{}, {}]",
                                r[0], r[1]
                            ),
                        ));
                    }
                    if !(r[1] - r[0]).is_finite() || (r[1] - r[0]) / 2.0 > MAX_SCALE {
                        return Err(bad(
                            &at("tolerance"),
                            format!("must span at most {:e}, got [{}, {}]", 2.0 * MAX_SCALE, r[0], r[1]),
                        ));
                    }
                    if !(r[0] <= t.observed && t.observed <= r[1]) {
                        return Err(bad(
                            &at("tolerance"),
                            format!("must contain the observed value {}", t.observed),
                        ));
                    }
                    (r[0], r[1], (r[1] - r[0]) / 2.0)
                }
                (None, Some(sd)) => {
                    if !(sd.is_finite() && sd > 0.0) {
                        return Err(bad(&at("sd"), format!("must be greater than 0, got {sd}")));
                    }
                    // The interval observed ± 2 sd must be finite, or every
                    // particle fits.
                    if !((t.observed - 2.0 * sd).is_finite() && (t.observed + 2.0 * sd).is_finite()) || sd > MAX_SCALE {
                        return Err(bad(
                            &at("sd"),
                            format!(
                                "must be at most {MAX_SCALE:e} (a finite interval around the observed value), got {sd}"
                            ),
                        ));
                    }
                    (t.observed - 2.0 * sd, t.observed + 2.0 * sd, sd)
                }
                _ => {
                    return Err(bad(
                        &at("tolerance"),
                        "give either `tolerance = [low, high]` or `sd = ...`".into(),
                    ));
                }
            };
            let role = match t.role.as_str() {
                "fit" => Role::Fit,
                "check" => Role::Check,
                other => {
                    return Err(bad(
                        &at("role"),
                        format!("must be \"fit\" or \"check\", got \"{other}\""),
                    ));
                }
            };
            for (j, s) in t.set.iter().enumerate() {
                Override::parse(s).map_err(|e| bad(&format!("target[{i}].set[{j}]"), e.to_string()))?;
            }
            Ok(Target {
                name: t.name.clone(),
                metric: t.metric.clone(),
                policy: t.policy.clone(),
                observed: t.observed,
                low,
                high,
                scale,
                role,
                source: t.source.clone(),
                set: t.set.clone(),
            })
        })();
        match checked {
            Ok(target) => targets.push(target),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() && !targets.iter().any(|t| t.role == Role::Fit) {
        errors.push(bad(
            "target",
            "an evidence file needs at least one target with role = \"fit\"".into(),
        ));
    }
    if !errors.is_empty() {
        errors.truncate(super::MAX_ERRORS);
        return Err(ScenarioError::collected(errors));
    }
    let evidence = Evidence {
        path: path.to_path_buf(),
        source: source.clone(),
        base_path,
        base_source,
        name,
        particles: particles as usize,
        generations: generations as usize,
        min_acceptance,
        quantile,
        seed: c.seed.unwrap_or(1),
        replicates,
        set: c.set.clone(),
        priors,
        targets,
    };
    // Every target's runs must make a valid scenario at the priors' edges.
    for (i, t) in evidence.targets.iter().enumerate() {
        for edge in [0, 1] {
            let theta: Vec<f64> = evidence
                .priors
                .iter()
                .map(|p| if edge == 0 { p.low } else { p.high })
                .collect();
            let o = evidence.overrides(&t.set, std::slice::from_ref(&t.policy), &theta);
            super::from_str(&evidence.base_source, &base_file, &o).map_err(|e| {
                bad(
                    &format!("target[{i}]"),
                    format!(
                        "its runs are not a valid scenario at the priors' {}: {e}",
                        ["lows", "highs"][edge]
                    ),
                )
            })?;
        }
    }
    Ok(evidence)
}

/// The largest scale (sd, or half a tolerance) a target may have: beyond
/// it a deviation's square overflows and every particle would fit.
pub const MAX_SCALE: f64 = 1e100;
