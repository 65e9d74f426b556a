//! Sweep files: a base scenario, a design, and the parameters to vary,
//! parsed and checked into an [`SweepPlan`]; and the scenario of one point.
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
use crate::experiment::adaptive::AutoRule;
use crate::experiment::design::SOBOL_MAX_DIMS;
use crate::experiment::plan::{
    Design, Domain, ParamValue, Parameter, PosteriorFault, PosteriorFile, PosteriorReader, PosteriorSample, SweepPlan,
};
use crate::model::Config;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweepFile {
    base: String,
    sweep: RawSweep,
    /// Checked by `presentation_of`.
    #[serde(default)]
    #[allow(dead_code)]
    presentation: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    name: Option<String>,
    design: String,
    points: Option<u32>,
    /// A count, "auto", or a table of the adaptive rule's keys.
    replicates: Option<super::schema::RawReplicates>,
    seed: Option<u64>,
    arms: Option<Vec<String>>,
    common_random_numbers: Option<bool>,
    /// For `design = "worlds"`: "prior" (default) or a posterior.csv.
    from: Option<String>,
    #[serde(default)]
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
    /// Display name with unit in charts and reports (default: from the key).
    label: Option<String>,
}

/// A sweep value as read from TOML.
fn param_value(v: &Value) -> ParamValue {
    match v {
        Value::Boolean(b) => ParamValue::Bool(*b),
        Value::Integer(i) => ParamValue::Int(*i),
        Value::Float(f) => ParamValue::Float(*f),
        Value::String(s) => ParamValue::Text(s.clone()),
        other => ParamValue::Literal(other.to_string()),
    }
}

/// A sweep value as TOML, to lay over the base scenario.
fn toml_value(v: &ParamValue) -> Value {
    match v {
        ParamValue::Bool(b) => Value::Boolean(*b),
        ParamValue::Int(i) => Value::Integer(*i),
        ParamValue::Float(f) => Value::Float(*f),
        ParamValue::Text(s) => Value::String(s.clone()),
        ParamValue::Literal(text) => toml::from_str::<toml::Table>(&format!("v = {text}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .expect("a literal is the TOML text of a value read from TOML"),
    }
}

/// The override that sets one parameter to one value.
fn parameter_override(p: &Parameter, v: &ParamValue) -> Override {
    Override {
        key: p.key.clone(),
        value: toml_value(v),
        text: format!("{}={v}", p.key),
    }
}

/// The overrides every point of a sweep shares: the command line's --set,
/// then the sweep's arms.
fn common_overrides(plan: &SweepPlan) -> Vec<Override> {
    let arms = Value::Array(plan.arms.iter().map(|a| Value::String(a.clone())).collect());
    // The command line's --set texts were parsed when the plan was made.
    let mut out: Vec<Override> = plan
        .set
        .iter()
        .map(|t| Override::parse(t).expect("checked when the plan was made"))
        .collect();
    out.push(Override {
        key: "arms".into(),
        value: arms,
        text: "arms (from the sweep)".into(),
    });
    out
}

/// How a sweep's charts look: the sweep file's `[presentation]` settings
/// over its base scenario's.
pub fn presentation(plan: &SweepPlan) -> Result<Option<super::Presentation>, ScenarioError> {
    let own = super::presentation_of(&plan.source, &plan.path.display().to_string())?;
    let base = super::presentation_of(&plan.base_source, &plan.base_path.display().to_string())?;
    Ok(merged(base, own))
}

/// `over`'s settings over `under`'s; none when neither has any.
fn merged(under: Option<super::Presentation>, over: Option<super::Presentation>) -> Option<super::Presentation> {
    match (under, over) {
        (None, None) => None,
        (u, o) => Some(u.unwrap_or_default().overridden_by(&o.unwrap_or_default())),
    }
}

/// The presentation of the sweep file at `path` (its settings over its
/// base scenario's), read before the sweep is planned. An unreadable file or one
/// that is no sweep gives none: the sweep itself reports it.
pub fn presentation_for_file(path: &Path) -> Result<Option<super::Presentation>, ScenarioError> {
    let Ok(source) = super::read_input(path) else {
        return Ok(None);
    };
    let own = super::presentation_of(&source, &path.display().to_string())?;
    let base = toml::from_str::<toml::Table>(&source)
        .ok()
        .and_then(|t| t.get("base").and_then(|b| b.as_str()).map(str::to_string));
    let Some(base) = base else { return Ok(own) };
    let base_path = path.parent().unwrap_or(Path::new(".")).join(base);
    let under = match super::read_input(&base_path) {
        Ok(text) => super::presentation_of(&text, &base_path.display().to_string())?,
        Err(_) => None,
    };
    Ok(merged(under, own))
}

/// The sweep's base scenario with the command line's --set (no swept
/// parameter applied).
pub fn base_config(plan: &SweepPlan) -> Result<Config, ScenarioError> {
    let set: Vec<Override> = plan.set.iter().map(|t| Override::parse(t)).collect::<Result<_, _>>()?;
    Ok(super::from_str(&plan.base_source, &plan.base_path.display().to_string(), &set)?.1)
}

/// The scenarios of many points of one sweep: its base scenario parsed
/// once, its priors read once, and the overrides every point shares made
/// once (see [`super::PreparedScenario`]).
#[derive(Debug)]
pub struct PointConfigs<'p> {
    plan: &'p SweepPlan,
    base: super::PreparedScenario<'p>,
    common: Vec<Override>,
}

impl<'p> PointConfigs<'p> {
    pub fn new(plan: &'p SweepPlan) -> Result<Self, ScenarioError> {
        Ok(PointConfigs {
            plan,
            base: super::PreparedScenario::for_many(&plan.base_source, &plan.base_path.display().to_string())?,
            common: common_overrides(plan),
        })
    }

    /// The sweep whose points these are.
    pub fn plan(&self) -> &'p SweepPlan {
        self.plan
    }

    /// The scenario of the point with `values`.
    pub fn get(&self, values: &[ParamValue]) -> Result<Config, ScenarioError> {
        self.get_with(values, &[])
    }

    /// The scenario of the point with `values` and `extra` overrides laid
    /// last (a policy search's lever values): the base under the --set,
    /// the arms, the point's values, then `extra`.
    pub fn get_with(&self, values: &[ParamValue], extra: &[Override]) -> Result<Config, ScenarioError> {
        let mut all = self.common.clone();
        all.extend(
            self.plan
                .parameters
                .iter()
                .zip(values)
                .map(|(p, v)| parameter_override(p, v)),
        );
        all.extend_from_slice(extra);
        Ok(self.base.load(&all)?.1)
    }
}

/// The error for `key` of a sweep or evidence file, pointing at its value.
pub(super) fn invalid(file: &Path, source: &str, key: &str, message: String) -> ScenarioError {
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
                message: super::suggest::syntax_message(&e, source),
            });
        }
        Ok(table) if table.contains_key("calibrate") && !table.contains_key("sweep") => {
            return Err(ScenarioError::Invalid {
                file: file.clone(),
                key: "calibrate".into(),
                origin: locate(source, "calibrate", false),
                message: format!(
                    "this is an evidence file, not a sweep file: run it with `tokenmaxx calibrate {file}`"
                ),
            });
        }
        Ok(table) if !table.contains_key("base") && !table.contains_key("sweep") => {
            return Err(ScenarioError::Invalid {
                file: file.clone(),
                key: String::new(),
                origin: crate::scenario::Origin::Unknown,
                message: format!(
                    "this is a scenario, not a sweep file (it has no `base` and no [sweep]): run it with `tokenmaxx run {file}`"
                ),
            });
        }
        // Every misspelt key at once: each is set aside and the rest read again.
        Ok(table) => super::read_table(table, &file, source)?,
    };
    Ok(raw)
}

/// The most grid steps one parameter may have.
pub const MAX_STEPS: u32 = 1_000_000;

/// Changes the command line makes to a sweep file without editing it:
/// `sweep --set KEY=VALUE`, `--points N` and `--replicates N`. They are part
/// of the sweep's identity (hash, manifest, shards).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Amendments {
    #[serde(default)]
    pub set: Vec<String>,
    #[serde(default)]
    pub points: Option<u32>,
    #[serde(default)]
    pub replicates: Option<u32>,
    /// `--replicates auto`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_replicates: bool,
}

impl Amendments {
    /// The amendments as command-line text (empty without).
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.set.iter().map(|s| format!("--set {s}")).collect();
        if let Some(n) = self.points {
            parts.push(format!("--points {n}"));
        }
        if let Some(n) = self.replicates {
            parts.push(format!("--replicates {n}"));
        }
        if self.auto_replicates {
            parts.push("--replicates auto".into());
        }
        parts.join(" ")
    }
}

/// Loads and validates a sweep file and its base scenario, with the
/// command line's amendments; a worlds study from a posterior reads it
/// with `read_posterior` (`results::posterior::read`: result files are
/// read by the results layer).
pub fn load(path: &Path, amend: &Amendments, read_posterior: PosteriorReader) -> Result<SweepPlan, ScenarioError> {
    let source = super::read_input(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_text(path, source, amend, read_posterior)
}

/// A sweep from its text, read as the file `path` (relative paths resolve
/// from its folder): what `run --worlds` writes for itself.
pub fn load_text(
    path: &Path,
    source: String,
    amend: &Amendments,
    read_posterior: PosteriorReader,
) -> Result<SweepPlan, ScenarioError> {
    let raw = parse_raw(path, &source)?;
    let base_path = path.parent().unwrap_or(Path::new(".")).join(&raw.base);
    let base_source = super::read_input(&base_path).map_err(|e| {
        invalid(
            path,
            &source,
            "base",
            format!("cannot read the base scenario {}: {e}", base_path.display()),
        )
    })?;
    from_sources(path, source, base_path, base_source, amend, read_posterior)
}

/// Validates a sweep from its text and its base scenario's text (as stored
/// in a shard, for merging).
pub fn from_sources(
    path: &Path,
    source: String,
    base_path: PathBuf,
    base_source: String,
    amend: &Amendments,
    read_posterior: PosteriorReader,
) -> Result<SweepPlan, ScenarioError> {
    let mut raw = parse_raw(path, &source)?;
    super::presentation_of(&source, &path.display().to_string())?;
    // The base, with the command line's --set, must be a valid scenario by
    // itself.
    let set: Vec<Override> = amend.set.iter().map(|t| Override::parse(t)).collect::<Result<_, _>>()?;
    let (base_raw, _) = super::from_str(&base_source, &base_path.display().to_string(), &set)?;
    if amend.points.is_some() {
        raw.sweep.points = amend.points;
    }
    if let Some(n) = amend.replicates {
        raw.sweep.replicates = Some(super::schema::RawReplicates::Count(n));
    }
    if let Some(o) = set.iter().find(|o| raw.sweep.parameters.iter().any(|p| p.key == o.key)) {
        return Err(ScenarioError::BadOverride {
            text: o.text.clone(),
            message: "this key is a swept parameter of the sweep file: change its range or values there".into(),
        });
    }
    let s = &raw.sweep;
    let Some(design) = Design::from_name(&s.design) else {
        return Err(invalid(
            path,
            &source,
            "sweep.design",
            format!(
                "unknown design `{}`{}; use \"grid\", \"random\", \"lhs\", \"sobol\", \"morris\", \"saltelli\" or \"worlds\"",
                s.design,
                super::suggest::did_you_mean(
                    &s.design,
                    ["grid", "random", "lhs", "sobol", "morris", "saltelli", "worlds"]
                )
            ),
        ));
    };
    // A worlds design from a posterior takes its parameters from the file.
    let posterior = match (&s.from, design) {
        (Some(_), d) if d != Design::Worlds => {
            return Err(invalid(
                path,
                &source,
                "sweep.from",
                "`from` applies to design = \"worlds\" only".into(),
            ));
        }
        (Some(from), _) if from != "prior" => {
            let file = path.parent().unwrap_or(Path::new(".")).join(from);
            let sample = match read_posterior(&file) {
                Ok(read) => posterior_of_base(&file, read, &base_source)?,
                Err(PosteriorFault::Read(m)) => return Err(invalid(path, &source, "sweep.from", m)),
                Err(PosteriorFault::At { line, key, message }) => {
                    return Err(posterior_error(&file, line, &key, message));
                }
            };
            // Other parameters are drawn from their priors; a posterior
            // column is drawn from the posterior only.
            if let Some(p) = s.parameters.iter().find(|p| sample.1.contains(&p.key)) {
                return Err(invalid(
                    path,
                    &source,
                    "sweep.parameters",
                    format!(
                        "`{}` is a column of the posterior, which draws it: remove it from [[sweep.parameters]]",
                        p.key
                    ),
                ));
            }
            Some(sample)
        }
        _ => None,
    };
    if s.parameters.is_empty() && posterior.is_none() {
        return Err(invalid(
            path,
            &source,
            "sweep",
            "a sweep needs at least one [[sweep.parameters]] entry".into(),
        ));
    }
    let max_dims = match design {
        Design::Saltelli => SOBOL_MAX_DIMS / 2,
        _ => SOBOL_MAX_DIMS,
    };
    if matches!(design, Design::Sobol | Design::Saltelli) && s.parameters.len() > max_dims {
        return Err(invalid(
            path,
            &source,
            "sweep.parameters",
            format!("the {} design supports at most {max_dims} parameters", design.name()),
        ));
    }
    // Every parameter's, replicates', arm's and name's error at once (up
    // to MAX_ERRORS), as a scenario file's: each is checked by itself.
    let mut errors: Vec<ScenarioError> = Vec::new();
    let mut parameters = Vec::new();
    for (i, p) in s.parameters.iter().enumerate() {
        let at = format!("sweep.parameters[{i}]");
        let fail = |field: &str, m: String| invalid(path, &source, &format!("{at}.{field}"), m);
        let checked = (|| -> Result<Parameter, ScenarioError> {
            match merged_value(&base_source, &p.key) {
                None => {
                    return Err(fail(
                        "key",
                        format!(
                            "`{}` names no parameter of the base scenario {}{}",
                            p.key,
                            base_path.display(),
                            super::suggest::did_you_mean(
                                &p.key,
                                super::merged_keys(&base_source).iter().map(String::as_str)
                            )
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
                    // The prior of the defaults (or the scenario's [priors]).
                    let provenance = super::provenance(&base_raw);
                    let Some(prior) = provenance.prior(&p.key) else {
                        return Err(fail(
                            "key",
                            format!(
                                "`{}` has no prior in the defaults or the base scenario: give `range = [low, high]` or `values = [...]`",
                                p.key
                            ),
                        ));
                    };
                    let integer = p.integer.unwrap_or(false)
                        || matches!(merged_value(&base_source, &p.key), Some(Value::Integer(_)));
                    if design == Design::Grid && p.steps.is_none() {
                        return Err(fail(
                            "key",
                            "a grid design needs `steps = N` (the range comes from the prior), or `values`".into(),
                        ));
                    }
                    Domain::Range {
                        low: prior.low,
                        high: prior.high,
                        log: p.log.unwrap_or(prior.log),
                        integer,
                        steps: p.steps,
                    }
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
                    Domain::Values(v.iter().map(param_value).collect())
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
                    let integer = p.integer.unwrap_or(false)
                        || matches!(merged_value(&base_source, &p.key), Some(Value::Integer(_)));
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
                    if p.steps.is_some_and(|n| n > MAX_STEPS) {
                        return Err(fail("steps", format!("must be at most {MAX_STEPS}")));
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
            Ok(Parameter {
                key: p.key.clone(),
                domain,
            })
        })();
        match checked {
            Ok(parameter) => parameters.push(parameter),
            Err(e) => errors.push(e),
        }
    }
    if let Some(post) = &posterior {
        for (key, (lo, hi)) in post_keys(post) {
            parameters.push(Parameter {
                key: key.clone(),
                domain: Domain::Range {
                    low: lo,
                    high: hi,
                    log: false,
                    integer: matches!(merged_value(&base_source, &key), Some(Value::Integer(_))),
                    steps: None,
                },
            });
        }
    }
    let points = if !errors.is_empty() {
        0 // not counted: a parameter is in error
    } else {
        use crate::experiment::design::{CountError, count_points};
        count_points(design, &parameters, s.points).unwrap_or_else(|e| {
            let (key, message) = match e {
                CountError::GridGivenPoints if amend.points.is_some() => (
                    "sweep.points",
                    "--points does not apply to a grid: its points are the product of its values (change `steps` or `values`)".to_string(),
                ),
                CountError::GridGivenPoints => (
                    "sweep.points",
                    "a grid's points are the product of its values: remove `points`".to_string(),
                ),
                CountError::GridTooLarge => (
                    "sweep.parameters",
                    "the grid has more points than a computer can count: use fewer steps or values".to_string(),
                ),
                CountError::PointsMissing => (
                    "sweep",
                    format!("a {} design needs `points = N` (at least 1)", design.name()),
                ),
            };
            errors.push(invalid(path, &source, key, message));
            0
        })
    };
    let base_points = crate::experiment::design::base_points(design, points, parameters.len());
    let arms = s.arms.clone().unwrap_or(base_raw.arms.clone());
    for (i, a) in arms.iter().enumerate() {
        if !base_raw.policies.contains_key(a) {
            errors.push(invalid(
                path,
                &source,
                &format!("sweep.arms[{i}]"),
                format!(
                    "policy `{a}` is not defined in the base scenario{} (defined: {})",
                    super::suggest::did_you_mean(a, base_raw.policies.keys().map(String::as_str)),
                    base_raw.policies.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    if arms.is_empty() {
        errors.push(invalid(
            path,
            &source,
            "sweep.arms",
            "must name at least one policy".into(),
        ));
    }
    // A replicates error joins the others (a count of 1 stands in for it).
    let (replicates, auto) = match sweep_replicates(
        path,
        &source,
        &base_path,
        &base_source,
        &base_raw,
        amend,
        s,
        points,
        arms.len(),
    ) {
        Ok(r) => r,
        Err(e) => {
            errors.push(e);
            (1, None)
        }
    };
    if let Some(name) = &s.name
        && !super::resolve::is_name(name)
    {
        errors.push(invalid(
            path,
            &source,
            "sweep.name",
            super::resolve::name_message("the sweep name", name),
        ));
    }
    if !errors.is_empty() {
        errors.truncate(super::MAX_ERRORS);
        return Err(ScenarioError::collected(errors));
    }
    let name = s.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map_or("sweep".into(), |n| n.to_string_lossy().into_owned())
    });
    let labels = super::labels::Labels::of(
        &base_raw,
        &parameters
            .iter()
            .map(|p| {
                let given = s
                    .parameters
                    .iter()
                    .find(|r| r.key == p.key)
                    .and_then(|r| r.label.as_deref());
                (p.key.as_str(), given)
            })
            .collect::<Vec<_>>(),
    );
    let plan = SweepPlan {
        path: path.to_path_buf(),
        source,
        base_path,
        base_source,
        name,
        design,
        points,
        base_points,
        replicates,
        auto,
        seed: s.seed.unwrap_or(base_raw.seed),
        arms,
        common_random_numbers: s.common_random_numbers.unwrap_or(true),
        parameters,
        set: amend.set.clone(),
        amendments: amend.describe(),
        posterior: posterior.map(|(mut sample, _)| {
            sample.prior_parameters = s.parameters.len();
            sample
        }),
        policy_labels: labels.policies,
        parameter_labels: labels.parameters,
    };
    // Every parameter's extremes must make a valid scenario.
    for (i, p) in plan.parameters.iter().enumerate() {
        let probes: Vec<ParamValue> = match &p.domain {
            Domain::Values(v) => v.clone(),
            Domain::Range { .. } => vec![p.at(0.0), p.at(1.0)],
        };
        for v in probes {
            let mut o = set.clone();
            o.push(parameter_override(p, &v));
            if let Err(e) = super::from_str(&plan.base_source, &plan.base_path.display().to_string(), &o) {
                let message = match e {
                    ScenarioError::Invalid { message, .. } => message,
                    other => other.to_string(),
                };
                return Err(ScenarioError::Invalid {
                    file: plan.path.display().to_string(),
                    key: format!("sweep.parameters[{i}]"),
                    origin: locate(&plan.source, &format!("sweep.parameters[{i}]"), true),
                    message: format!("`{}` = {v} makes an invalid scenario: {message}", p.key),
                });
            }
        }
    }
    Ok(plan)
}

/// A sweep's replicates: a count per arm and point, or the adaptive rule
/// each point runs under (its `max` lowered to the cap per arm that
/// `total_max` gives) with that cap as the count. In order: `--replicates
/// N`, the sweep's `replicates`, the base scenario's; `--replicates auto`
/// (or `replicates = "auto"`) takes the rule's keys from the sweep's
/// `replicates` table, the base's `[replicates]` table and its
/// `[auto_replicates]`, in that order. An error names the key where the
/// value is written, in the sweep file or the base scenario.
#[allow(clippy::too_many_arguments)]
fn sweep_replicates(
    path: &Path,
    source: &str,
    base_path: &Path,
    base_source: &str,
    base_raw: &super::schema::RawScenario,
    amend: &Amendments,
    s: &RawSweep,
    points: usize,
    arms: usize,
) -> Result<(u32, Option<AutoRule>), ScenarioError> {
    use super::schema::{RawAutoOverrides, RawReplicates};
    let from_sweep = match (&s.replicates, amend.auto_replicates) {
        (Some(RawReplicates::Count(n)), false) => {
            if *n == 0 {
                let message = if amend.replicates.is_some() {
                    "--replicates must be at least 1"
                } else {
                    "must be at least 1"
                };
                return Err(invalid(path, source, "sweep.replicates", message.into()));
            }
            return Ok((*n, None));
        }
        (Some(RawReplicates::Auto(o)), _) => Some(*o),
        (Some(RawReplicates::Count(_)), true) | (None, _) => None,
    };
    let from_base = match &base_raw.replicates {
        RawReplicates::Count(n) if from_sweep.is_none() && !amend.auto_replicates => return Ok((*n, None)),
        RawReplicates::Count(_) => None,
        RawReplicates::Auto(o) => Some(*o),
    };
    let (sweep_o, base_o) = (from_sweep.unwrap_or_default(), from_base.unwrap_or_default());
    let r = sweep_o.over(&base_o.over(&base_raw.auto_replicates));
    // Where a key's value is written: the sweep's table, the base's
    // [replicates] table, or the base's [auto_replicates].
    let fail = |given: fn(&RawAutoOverrides) -> bool, key: &str, message: String| {
        if from_sweep.is_some() && given(&sweep_o) {
            invalid(path, source, &format!("sweep.replicates.{key}"), message)
        } else {
            let table = if from_base.is_some() && given(&base_o) {
                "replicates"
            } else {
                "auto_replicates"
            };
            invalid(base_path, base_source, &format!("{table}.{key}"), message)
        }
    };
    if r.min < 2 {
        return Err(fail(
            |o| o.min.is_some(),
            "min",
            format!(
                "must be at least 2 (a paired interval needs two replicates), got {}",
                r.min
            ),
        ));
    }
    if r.max < r.min {
        return Err(fail(
            |o| o.max.is_some(),
            "max",
            format!("must be at least min ({}), got {}", r.min, r.max),
        ));
    }
    if r.batch == 0 {
        return Err(fail(|o| o.batch.is_some(), "batch", "must be at least 1".into()));
    }
    if !r.delta.is_finite() || r.delta < 0.0 {
        return Err(fail(
            |o| o.delta.is_some(),
            "delta",
            format!("must be a finite amount of USD, at least 0, got {}", r.delta),
        ));
    }
    if r.pcs.is_nan() || r.pcs <= 0.0 || r.pcs >= 1.0 {
        return Err(fail(
            |o| o.pcs.is_some(),
            "pcs",
            format!("must be a probability above 0 and below 1, got {}", r.pcs),
        ));
    }
    let rule = AutoRule {
        min: r.min,
        max: r.max,
        batch: r.batch,
        delta: r.delta,
        pcs: r.pcs,
        total_max: r.total_max,
    };
    if let Some(total) = r.total_max {
        let need = u64::from(r.min)
            .saturating_mul(arms as u64)
            .saturating_mul(points as u64);
        if rule.per_arm_cap(points, arms) < u64::from(r.min) {
            return Err(fail(
                |o| o.total_max.is_some(),
                "total_max",
                format!(
                    "must be at least min x arms x points = {} x {arms} x {points} = {need} (every arm of every point runs min replicates first), got {total}",
                    r.min
                ),
            ));
        }
    }
    let capped = rule.capped(points, arms);
    Ok((capped.max, Some(capped)))
}

/// The posterior a worlds study draws from, as the results layer read it,
/// checked against the sweep's base: every column a numeric parameter of
/// it, an integer parameter's values rounded (as every draw of it would
/// be, so its range holds a whole number).
fn posterior_of_base(
    path: &Path,
    file: PosteriorFile,
    base_source: &str,
) -> Result<(PosteriorSample, Vec<String>), ScenarioError> {
    let mut integer = Vec::new();
    for k in &file.keys {
        match merged_value(base_source, k) {
            Some(Value::Float(_)) => integer.push(false),
            Some(Value::Integer(_)) => integer.push(true),
            _ => {
                return Err(posterior_error(
                    path,
                    1,
                    k,
                    "this column names no numeric parameter of the sweep's base scenario".into(),
                ));
            }
        }
    }
    let values = file
        .values
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(&integer)
                .map(|(x, &int)| if int { x.round() } else { x })
                .collect()
        })
        .collect();
    Ok((
        PosteriorSample {
            path: path.to_path_buf(),
            sha256: file.sha256,
            generation: file.generation,
            weights: file.weights,
            values,
            prior_parameters: 0,
        },
        file.keys,
    ))
}

/// An error in a posterior.csv, at its line.
fn posterior_error(path: &Path, line: usize, key: &str, message: String) -> ScenarioError {
    ScenarioError::Invalid {
        file: path.display().to_string(),
        key: key.to_string(),
        origin: super::Origin::File { line, column: 1 },
        message,
    }
}

/// The posterior's columns with the range its particles span.
fn post_keys(post: &(PosteriorSample, Vec<String>)) -> Vec<(String, (f64, f64))> {
    let (sample, keys) = post;
    keys.iter()
        .enumerate()
        .map(|(i, k)| {
            let lo = sample.values.iter().map(|r| r[i]).fold(f64::INFINITY, f64::min);
            let hi = sample.values.iter().map(|r| r[i]).fold(f64::NEG_INFINITY, f64::max);
            (k.clone(), (lo, hi))
        })
        .collect()
}

/// Every point's parameter values, and how many draws were rejected
/// ([`crate::experiment::design::valid_point_values`], with "is this a
/// valid scenario?" answered by the scenario layer); a world with no valid
/// draw is refused at the sweep's `parameters`.
pub fn point_values(plan: &SweepPlan) -> Result<(Vec<Vec<ParamValue>>, usize), ScenarioError> {
    use crate::experiment::design::{MAX_WORLD_ATTEMPTS, valid_point_values};
    let points = PointConfigs::new(plan)?;
    valid_point_values(plan, &|values| points.get(values).map(|_| ()).map_err(|e| e.to_string())).map_err(
        |(w, last)| ScenarioError::Invalid {
            file: plan.path.display().to_string(),
            key: "sweep.parameters".into(),
            origin: locate(&plan.source, "sweep.parameters", true),
            message: format!(
                "world {w}: no valid scenario in {MAX_WORLD_ATTEMPTS} draws from the priors (the last: {last}); narrow the ranges"
            ),
        },
    )
}
