//! Optimization files: a base scenario, the search's settings, its levers,
//! objectives and constraints, parsed and checked into an
//! [`optimize::study::Study`] before any work, every error naming the file,
//! the key, and the line and column.
//!
//! ```toml
//! base = "../baseline.toml"
//! [optimize]
//! algorithm = "eps-nsga2"            # or "nsga2"
//! evaluations = 300
//! population = 20
//! worlds = 16                        # from = "prior" or a posterior.csv
//! policy = "candidate"               # the policy the levers shape
//! references = ["laissez_faire", "usage_leaderboard"]
//! [[lever]]
//! key = "policies.candidate.value_reward_share"
//! range = [0.0, 1.0]
//! [[objective]]
//! metric = "net_value_usd"
//! measure = "percentile"
//! percentile = 10
//! direction = "maximize"
//! epsilon = 100000.0
//! [[constraint]]
//! metric = "spend_per_employee_month"
//! measure = "mean"
//! max = 400.0
//! ```

use super::resolve::check_text;
use super::sweep::invalid;
use super::{Override, ScenarioError, merged_value, syntax_origin};
use crate::engine::metrics::RunMetrics;
use crate::optimize::Algorithm;
use crate::optimize::measure::Measure;
use crate::optimize::study::{Constraint, Lever, LeverDomain, Objective, Study};
use serde::Deserialize;
use std::path::Path;
use toml::Value;

/// The metric `net_value_usd`: value less spend, per run.
pub const NET_VALUE: &str = "net_value_usd";

/// Policy fields a lever may set (every numeric field of a policy).
const POLICY_FIELDS: &[&str] = &[
    "token_reward_usd_per_mtok",
    "output_reward_usd",
    "value_reward_share",
    "cost_penalty_share",
    "quota_tokens_per_week",
    "quota_reward_usd_per_mtok",
    "value_measurement",
    "weekly_budget_usd",
    "card_limit_usd",
    "rank_prize_usd",
    "rank_top_share",
    "non_use_penalty_usd",
    "active_target_share",
    "active_target_pull_usd",
    "tool_monthly_cap_usd",
    "guard_spend_usd_per_month",
    "guard_months",
    "guard_card_limit_usd",
    "guard_weekly_budget_usd",
];

/// An enterprise's policy-review rule, the state-contingent part of a
/// policy: "if measured ROI falls below X at a renewal, fall back to P with
/// chance p".
const REVIEW_FIELDS: &[&str] = &["review_prob", "review_roi_below"];

/// The most evaluations, worlds or population one search may ask for.
pub const MAX_EVALUATIONS: usize = 1_000_000;
pub const MAX_WORLDS: u32 = 100_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    base: String,
    optimize: RawOptimize,
    #[serde(default)]
    lever: Vec<RawLever>,
    #[serde(default)]
    objective: Vec<RawObjective>,
    #[serde(default)]
    constraint: Vec<RawConstraint>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptimize {
    name: Option<String>,
    algorithm: Option<String>,
    evaluations: u64,
    population: u64,
    seed: Option<u64>,
    replicates: Option<u32>,
    worlds: u32,
    validation_worlds: Option<u32>,
    from: Option<String>,
    policy: String,
    references: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLever {
    key: String,
    range: Option<Vec<f64>>,
    values: Option<Vec<f64>>,
    log: Option<bool>,
    integer: Option<bool>,
    label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObjective {
    metric: String,
    measure: String,
    direction: String,
    percentile: Option<f64>,
    threshold: Option<f64>,
    epsilon: Option<f64>,
    more_is_better: Option<bool>,
    references: Option<Vec<String>>,
    label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConstraint {
    metric: String,
    measure: String,
    percentile: Option<f64>,
    threshold: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    more_is_better: Option<bool>,
    references: Option<Vec<String>>,
    label: Option<String>,
}

/// Changes the command line makes to an optimization file without editing
/// it; part of the study's identity.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Amendments {
    #[serde(default)]
    pub set: Vec<String>,
    #[serde(default)]
    pub evaluations: Option<u64>,
    #[serde(default)]
    pub worlds: Option<u32>,
    #[serde(default)]
    pub population: Option<u64>,
}

impl Amendments {
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.set.iter().map(|s| format!("--set {s}")).collect();
        if let Some(n) = self.evaluations {
            parts.push(format!("--evaluations {n}"));
        }
        if let Some(n) = self.worlds {
            parts.push(format!("--worlds {n}"));
        }
        if let Some(n) = self.population {
            parts.push(format!("--population {n}"));
        }
        parts.join(" ")
    }
}

fn parse_raw(path: &Path, source: &str) -> Result<RawFile, ScenarioError> {
    let file = path.display().to_string();
    let table = toml::from_str::<toml::Table>(source).map_err(|e| ScenarioError::Invalid {
        file: file.clone(),
        key: String::new(),
        origin: syntax_origin(source, &e),
        message: super::suggest::syntax_message(&e, source),
    })?;
    if !table.contains_key("optimize") {
        return Err(ScenarioError::Invalid {
            file: file.clone(),
            key: String::new(),
            origin: super::Origin::Unknown,
            message: format!(
                "this is not an optimization file (it has no [optimize] table); a scenario runs with `tokenmaxx run {file}`, a sweep with `tokenmaxx sweep {file}`"
            ),
        });
    }
    super::read_table(table, &file, source)
}

/// Loads and checks an optimization file, its base scenario and the
/// command line's amendments.
pub fn load(path: &Path, amend: &Amendments) -> Result<Study, ScenarioError> {
    let source = super::read_input(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let raw = parse_raw(path, &source)?;
    let fail = |key: &str, m: String| invalid(path, &source, key, m);
    let base_path = path.parent().unwrap_or(Path::new(".")).join(&raw.base);
    let mut base_source = super::read_input(&base_path).map_err(|e| {
        fail(
            "base",
            format!("cannot read the base scenario {}: {e}", base_path.display()),
        )
    })?;
    let o = &raw.optimize;
    let policy = o.policy.clone();
    if policy.is_empty() || !policy.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(fail(
            "optimize.policy",
            format!("`{policy}`: a policy name is letters, digits and underscores"),
        ));
    }
    // The candidate starts from the policy template when the base has no
    // such policy: nothing rewarded, nothing capped, but what the levers set.
    let defined = merged_value(&base_source, &format!("policies.{policy}")).is_some();
    if !defined {
        if !base_source.ends_with('\n') {
            base_source.push('\n');
        }
        base_source.push_str(&format!(
            "\n# Added by `tokenmaxx optimize`: the policy the search shapes.\n[policies.{policy}]\nlabel = \"Searched policy\"\n"
        ));
    }
    let set: Vec<Override> = amend.set.iter().map(|t| Override::parse(t)).collect::<Result<_, _>>()?;
    let (base_raw, base_cfg) = super::from_str(&base_source, &base_path.display().to_string(), &set)?;
    let policies: Vec<String> = base_cfg.policies.iter().map(|p| p.name.clone()).collect();
    // Every error below is collected (up to 20) and reported at once, as a
    // scenario's: a setting out of range does not hide a misspelt lever.
    let mut errors: Vec<ScenarioError> = Vec::new();
    let check_policy = |key: &str, name: &str| -> Result<(), ScenarioError> {
        if policies.iter().any(|p| p == name) {
            Ok(())
        } else {
            Err(fail(
                key,
                format!(
                    "the base scenario {} defines no policy `{name}`{}; defined: {}",
                    base_path.display(),
                    super::suggest::did_you_mean(name, policies.iter().map(String::as_str)),
                    policies.join(", ")
                ),
            ))
        }
    };
    let references: Vec<String> = match &o.references {
        Some(r) => r.clone(),
        None => base_cfg
            .arms
            .iter()
            .map(|&a| base_cfg.policies[a].name.clone())
            .filter(|n| *n != policy)
            .collect(),
    };
    for r in &references {
        if let Err(e) = check_policy("optimize.references", r) {
            errors.push(e);
        }
        if *r == policy {
            errors.push(fail(
                "optimize.references",
                format!("`{r}` is the policy the search shapes, not a reference"),
            ));
        }
    }
    let algorithm = match o.algorithm.as_deref() {
        None => Algorithm::EpsNsga2,
        Some(a) => Algorithm::from_name(a).unwrap_or_else(|| {
            errors.push(fail(
                "optimize.algorithm",
                format!(
                    "unknown algorithm `{a}`{}; use \"eps-nsga2\" or \"nsga2\"",
                    super::suggest::did_you_mean(a, ["eps-nsga2", "nsga2"])
                ),
            ));
            // No ε to ask for: the objectives are checked as for NSGA-II.
            Algorithm::Nsga2
        }),
    };
    let population = amend.population.unwrap_or(o.population);
    let evaluations = amend.evaluations.unwrap_or(o.evaluations);
    let worlds = amend.worlds.unwrap_or(o.worlds);
    if !(4..=10_000).contains(&population) {
        errors.push(fail(
            "optimize.population",
            format!("must be between 4 and 10000, got {population}"),
        ));
    }
    if evaluations < population || evaluations > MAX_EVALUATIONS as u64 {
        errors.push(fail(
            "optimize.evaluations",
            format!("must be at least one population ({population}) and at most {MAX_EVALUATIONS}, got {evaluations}"),
        ));
    }
    if worlds == 0 || worlds > MAX_WORLDS {
        errors.push(fail(
            "optimize.worlds",
            format!("must be between 1 and {MAX_WORLDS}, got {worlds}"),
        ));
    }
    let validation_worlds = o.validation_worlds.unwrap_or(worlds);
    if validation_worlds == 0 || validation_worlds > MAX_WORLDS {
        errors.push(fail(
            "optimize.validation_worlds",
            format!("must be between 1 and {MAX_WORLDS}, got {validation_worlds}"),
        ));
    }
    let replicates = o.replicates.unwrap_or(1);
    if replicates == 0 || replicates > 10_000 {
        errors.push(fail(
            "optimize.replicates",
            format!("must be between 1 and 10000, got {replicates}"),
        ));
    }
    // Levers.
    if raw.lever.is_empty() {
        errors.push(fail("optimize", "a search needs at least one [[lever]]".into()));
    }
    let mut levers: Vec<Lever> = Vec::new();
    for (i, l) in raw.lever.iter().enumerate() {
        let lever = (|| -> Result<Lever, ScenarioError> {
            let at = |f: &str| format!("lever[{i}].{f}");
            let lfail = |f: &str, m: String| fail(&at(f), m);
            let parts: Vec<&str> = l.key.split('.').collect();
            let allowed = match parts[..] {
                ["policies", p, field] => p == policy && POLICY_FIELDS.contains(&field),
                ["enterprises", _, field] => REVIEW_FIELDS.contains(&field),
                _ => false,
            };
            if !allowed {
                let near = super::suggest::did_you_mean(
                    parts.last().copied().unwrap_or(""),
                    POLICY_FIELDS.iter().chain(REVIEW_FIELDS).copied(),
                );
                return Err(lfail(
                    "key",
                    format!(
                        "`{}` is not a lever: a lever is a field of the searched policy (`policies.{policy}.FIELD`) or an enterprise's review rule (`enterprises.NAME.review_prob` or `.review_roi_below`){near}",
                        l.key
                    ),
                ));
            }
            match merged_value(&base_source, &l.key) {
                Some(Value::Float(_) | Value::Integer(_)) => {}
                Some(_) => {
                    return Err(lfail(
                        "key",
                        format!("`{}` is not a number in the base scenario", l.key),
                    ));
                }
                None => {
                    return Err(lfail(
                        "key",
                        format!(
                            "`{}` names no parameter of the base scenario {}",
                            l.key,
                            base_path.display()
                        ),
                    ));
                }
            }
            if levers.iter().any(|x| x.key == l.key) {
                return Err(lfail("key", format!("`{}` is a lever twice", l.key)));
            }
            if set.iter().any(|s| s.key == l.key) {
                return Err(lfail("key", format!("`{}` is a lever: --set cannot fix it", l.key)));
            }
            let domain = match (&l.range, &l.values) {
                (Some(_), Some(_)) => return Err(lfail("range", "give either `values` or `range`, not both".into())),
                (None, None) => {
                    return Err(lfail(
                        "key",
                        "a lever needs `range = [low, high]` or `values = [...]`".into(),
                    ));
                }
                (None, Some(v)) => {
                    if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
                        return Err(lfail(
                            "values",
                            "the values must be a non-empty list of finite numbers".into(),
                        ));
                    }
                    if l.log.is_some() || l.integer.is_some() {
                        return Err(lfail("values", "`log` and `integer` apply to a `range`".into()));
                    }
                    LeverDomain::Values { values: v.clone() }
                }
                (Some(r), None) => {
                    let [low, high] = r[..] else {
                        return Err(lfail(
                            "range",
                            format!("a range is [low, high], got {} numbers", r.len()),
                        ));
                    };
                    if !(low.is_finite() && high.is_finite() && low < high) {
                        return Err(lfail(
                            "range",
                            format!("the range [{low}, {high}] is empty or inverted: low must be below high"),
                        ));
                    }
                    let log = l.log.unwrap_or(false);
                    if log && low <= 0.0 {
                        return Err(lfail("range", format!("a log range needs low > 0, got {low}")));
                    }
                    let integer = l.integer.unwrap_or(false);
                    if integer && low.ceil() > high.floor() {
                        return Err(lfail("range", format!("the range [{low}, {high}] holds no integer")));
                    }
                    LeverDomain::Range {
                        low,
                        high,
                        log,
                        integer,
                    }
                }
            };
            Ok(Lever {
                key: l.key.clone(),
                label: l
                    .label
                    .clone()
                    .unwrap_or_else(|| l.key.rsplit('.').next().unwrap_or(&l.key).replace('_', " ")),
                domain,
            })
        })();
        match lever {
            Ok(lever) => levers.push(lever),
            Err(e) => errors.push(e),
        }
    }
    // Each candidate value must make a valid scenario: both ends of every
    // range, checked now rather than after an hour of search.
    for l in &levers {
        for u in [0.0, 1.0] {
            let mut with = set.clone();
            let v = l.decode(u);
            with.push(Override {
                key: l.key.clone(),
                value: Value::Float(v),
                text: format!("{}={v}", l.key),
            });
            if let Err(e) = super::from_str(&base_source, &base_path.display().to_string(), &with) {
                errors.push(invalid(
                    path,
                    &source,
                    &format!("lever[{}]", levers.iter().position(|x| x.key == l.key).unwrap_or(0)),
                    format!("at {} = {v} the base scenario is not valid: {e}", l.key),
                ));
                break;
            }
        }
    }
    // Objectives and constraints.
    let metric_ok = |m: &str| m == NET_VALUE || RunMetrics::NAMES.contains(&m);
    let known_metrics = || std::iter::once(NET_VALUE).chain(RunMetrics::NAMES.iter().copied());
    let measure_of = |at: &str, name: &str, p: Option<f64>, t: Option<f64>| -> Result<Measure, ScenarioError> {
        let need_t = |t: Option<f64>| {
            t.filter(|x| x.is_finite()).ok_or_else(|| {
                fail(
                    &format!("{at}.threshold"),
                    format!("measure `{name}` needs a finite `threshold`"),
                )
            })
        };
        let m = match name {
            "mean" => Measure::Mean,
            "percentile" => {
                let p = p.filter(|p| (0.0..=100.0).contains(p)).ok_or_else(|| {
                    fail(
                        &format!("{at}.percentile"),
                        "measure `percentile` needs `percentile` between 0 and 100".into(),
                    )
                })?;
                Measure::Percentile { p }
            }
            "share_above" => Measure::ShareAbove { threshold: need_t(t)? },
            "share_below" => Measure::ShareBelow { threshold: need_t(t)? },
            "mean_regret" => Measure::MeanRegret,
            "max_regret" => Measure::MaxRegret,
            other => {
                return Err(fail(
                    &format!("{at}.measure"),
                    format!(
                        "unknown measure `{other}`{}; use mean, percentile, share_above, share_below, mean_regret or max_regret",
                        super::suggest::did_you_mean(
                            other,
                            [
                                "mean",
                                "percentile",
                                "share_above",
                                "share_below",
                                "mean_regret",
                                "max_regret"
                            ]
                            .into_iter()
                        )
                    ),
                ));
            }
        };
        if p.is_some() && name != "percentile" {
            return Err(fail(
                &format!("{at}.percentile"),
                format!("`percentile` applies to measure = \"percentile\", not `{name}`"),
            ));
        }
        if t.is_some() && !matches!(name, "share_above" | "share_below") {
            return Err(fail(
                &format!("{at}.threshold"),
                format!("`threshold` applies to the share measures, not `{name}`"),
            ));
        }
        Ok(m)
    };
    let check_metric = |at: &str, m: &str| -> Result<(), ScenarioError> {
        if metric_ok(m) {
            Ok(())
        } else {
            Err(fail(
                &format!("{at}.metric"),
                format!(
                    "unknown metric `{m}`{}; a metric is net_value_usd or a column of runs.csv",
                    super::suggest::did_you_mean(m, known_metrics())
                ),
            ))
        }
    };
    if raw.objective.is_empty() {
        errors.push(fail("optimize", "a search needs at least one [[objective]]".into()));
    }
    let with_eps = raw.objective.iter().filter(|o| o.epsilon.is_some()).count();
    if algorithm == Algorithm::EpsNsga2 && with_eps != raw.objective.len() {
        errors.push(fail(
            "objective",
            format!(
                "{with_eps} of {} objectives give an `epsilon`: eps-nsga2 needs one per objective (the resolution, in the objective's unit, below which two results count as equal)",
                raw.objective.len()
            ),
        ));
    }
    let mut objectives = Vec::new();
    for (i, ob) in raw.objective.iter().enumerate() {
        let objective = (|| -> Result<Objective, ScenarioError> {
            let at = format!("objective[{i}]");
            check_metric(&at, &ob.metric)?;
            let measure = measure_of(&at, &ob.measure, ob.percentile, ob.threshold)?;
            let maximize = match ob.direction.as_str() {
                "maximize" => true,
                "minimize" => false,
                d => {
                    return Err(fail(
                        &format!("{at}.direction"),
                        format!(
                            "unknown direction `{d}`{}; use \"maximize\" or \"minimize\"",
                            super::suggest::did_you_mean(d, ["maximize", "minimize"])
                        ),
                    ));
                }
            };
            if measure.is_regret() && maximize {
                return Err(fail(&format!("{at}.direction"), "regret is minimized".into()));
            }
            let epsilon = ob.epsilon.unwrap_or(0.0);
            if !(epsilon.is_finite() && epsilon >= 0.0) || (algorithm == Algorithm::EpsNsga2 && epsilon <= 0.0) {
                return Err(fail(
                    &format!("{at}.epsilon"),
                    format!("must be a positive finite number, got {epsilon}"),
                ));
            }
            let refs = ob.references.clone().unwrap_or_else(|| references.clone());
            for r in &refs {
                check_policy(&format!("{at}.references"), r)?;
            }
            if measure.is_regret() && refs.is_empty() {
                return Err(fail(
                    &format!("{at}.references"),
                    "regret needs at least one reference policy".into(),
                ));
            }
            let label = ob
                .label
                .clone()
                .unwrap_or_else(|| format!("{} of {}", measure.describe(), ob.metric));
            Ok(Objective {
                metric: ob.metric.clone(),
                measure,
                maximize,
                epsilon,
                more_is_better: ob.more_is_better.unwrap_or(true),
                references: refs,
                label,
            })
        })();
        match objective {
            Ok(o) => objectives.push(o),
            Err(e) => errors.push(e),
        }
    }
    let mut constraints = Vec::new();
    for (i, c) in raw.constraint.iter().enumerate() {
        let constraint = (|| -> Result<Constraint, ScenarioError> {
            let at = format!("constraint[{i}]");
            check_metric(&at, &c.metric)?;
            let measure = measure_of(&at, &c.measure, c.percentile, c.threshold)?;
            if c.min.is_none() && c.max.is_none() {
                return Err(fail(&at, "a constraint needs `min`, `max` or both".into()));
            }
            if c.min.is_some_and(|x| !x.is_finite()) || c.max.is_some_and(|x| !x.is_finite()) {
                return Err(fail(&at, "`min` and `max` must be finite".into()));
            }
            if let (Some(a), Some(b)) = (c.min, c.max)
                && a > b
            {
                return Err(fail(&format!("{at}.min"), format!("min {a} is above max {b}")));
            }
            let refs = c.references.clone().unwrap_or_else(|| references.clone());
            for r in &refs {
                check_policy(&format!("{at}.references"), r)?;
            }
            let constraint = Constraint {
                metric: c.metric.clone(),
                measure,
                min: c.min,
                max: c.max,
                more_is_better: c.more_is_better.unwrap_or(true),
                references: refs,
                label: String::new(),
            };
            let label = c.label.clone().unwrap_or_else(|| constraint.describe());
            Ok(Constraint { label, ..constraint })
        })();
        match constraint {
            Ok(c) => constraints.push(c),
            Err(e) => errors.push(e),
        }
    }
    let from = o.from.clone().unwrap_or_else(|| "prior".into());
    let from = if from == "prior" {
        from
    } else {
        path.parent()
            .unwrap_or(Path::new("."))
            .join(&from)
            .display()
            .to_string()
    };
    let name = o.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map_or("optimize".into(), |s| s.to_string_lossy().into_owned())
    });
    if !super::resolve::is_name(&name) {
        errors.push(fail(
            "optimize.name",
            super::resolve::name_message("the study name", &name),
        ));
    } else if let Err(m) = check_text(&name, super::resolve::MAX_LABEL_CHARS, false) {
        errors.push(fail("optimize.name", format!("the study name {m}")));
    }
    for (i, l) in levers.iter().enumerate() {
        if let Err(m) = check_text(&l.label, super::resolve::MAX_LABEL_CHARS, false) {
            errors.push(fail(&format!("lever[{i}].label"), m));
        }
    }
    for (i, o) in objectives.iter().enumerate() {
        if let Err(m) = check_text(&o.label, super::resolve::MAX_LABEL_CHARS, false) {
            errors.push(fail(&format!("objective[{i}].label"), m));
        }
    }
    for (i, c) in constraints.iter().enumerate() {
        if let Err(m) = check_text(&c.label, super::resolve::MAX_LABEL_CHARS, false) {
            errors.push(fail(&format!("constraint[{i}].label"), m));
        }
    }
    if !errors.is_empty() {
        errors.truncate(super::MAX_ERRORS);
        return Err(ScenarioError::collected(errors));
    }
    let _ = base_raw;
    Ok(Study {
        name,
        path: path.to_path_buf(),
        source,
        base_path,
        base_source,
        algorithm,
        evaluations: evaluations as usize,
        population: population as usize,
        seed: o.seed.unwrap_or(1),
        replicates,
        worlds,
        validation_worlds,
        from,
        policy,
        references,
        levers,
        objectives,
        constraints,
        set: amend.set.clone(),
    })
}

/// The overrides that give a candidate its lever values (integers as TOML
/// integers, so an integer field takes them).
pub fn lever_overrides(study: &Study, values: &[f64]) -> Vec<Override> {
    study
        .levers
        .iter()
        .zip(values)
        .map(|(l, &v)| Override {
            key: l.key.clone(),
            value: if l.is_integer() && v.abs() < 9e15 {
                Value::Integer(v as i64)
            } else {
                Value::Float(v)
            },
            text: format!("{}={v}", l.key),
        })
        .collect()
}
