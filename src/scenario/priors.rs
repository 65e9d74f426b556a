//! Where every default comes from: a source (a fact of CALIBRATION.md) or a
//! prior, the plausible range of an estimate.
//!
//! Both live in the scenario tree, under `[sources]` and `[priors]`, mirroring
//! the parameters' own paths. A prior is `{ low, high, log }` (absolute) or
//! `{ factor, log }` (from value / factor to value × factor); `note` says
//! what it rests on. Paths under `templates.lab`, `templates.enterprise` and
//! `templates.policy` apply to every lab, enterprise and policy, and `"*"`
//! matches every entry of a map. Calibration and uncertainty analysis read
//! their ranges from here; `tokenmaxx defaults` prints them.

use super::resolve::Rejection;
use toml::{Table, Value};

/// The plausible range of one parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    /// The parameter's dotted path in the scenario (`employees.tasks_per_week`).
    pub key: String,
    pub low: f64,
    pub high: f64,
    /// Whether the range is read on a log scale (sampled log-uniformly).
    pub log: bool,
    pub note: String,
}

/// Where each of a scenario's parameters comes from.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub priors: Vec<Prior>,
    /// (dotted path, source)
    pub sources: Vec<(String, String)>,
}

impl Provenance {
    pub fn prior(&self, key: &str) -> Option<&Prior> {
        self.priors.iter().find(|p| p.key == key)
    }

    pub fn source(&self, key: &str) -> Option<&str> {
        self.sources.iter().find(|(k, _)| k == key).map(|(_, s)| s.as_str())
    }
}

/// Template paths and the maps whose entries they fill.
const TEMPLATE_MAPS: [(&str, &str); 3] = [("lab", "labs"), ("enterprise", "enterprises"), ("policy", "policies")];

/// Reads and checks the `[priors]` and `[sources]` of a scenario laid over
/// the defaults. `params` is the scenario's parameter tree: the merged
/// table (templates expanded) or, for printing the defaults, the defaults'
/// own table (templates kept).
pub fn read(priors: &Table, sources: &Table, params: &Table) -> Result<Provenance, Rejection> {
    let mut out = Provenance::default();
    let targets = Targets::of(priors, params)?;
    for i in 0..targets.keys.len() {
        out.priors.push(targets.check(i, params)?);
    }
    let mut leaves = Vec::new();
    collect(sources, "sources", &mut Vec::new(), &mut leaves, false)?;
    for (path, text, written) in leaves {
        let Value::String(text) = text else {
            return Err((written, "a source must be a string".into()));
        };
        let wildcard = path.iter().any(|p| p == "*") || path.first().is_some_and(|p| p == "templates");
        for key in expand(&path, params) {
            if wildcard && lookup(params, &key).is_none() {
                continue;
            }
            if lookup(params, &key).is_none() {
                return Err((
                    written.clone(),
                    format!(
                        "`{}` is not a parameter of the scenario{}",
                        path.join("."),
                        near_parameter(params, &path.join("."))
                    ),
                ));
            }
            out.sources.push((key, text.clone()));
        }
    }
    out.priors.sort_by(|a, b| a.key.cmp(&b.key));
    out.priors.dedup_by(|a, b| a.key == b.key);
    Ok(out)
}

/// The parameters the priors of a scenario name: each prior (its table,
/// its path, and that path as written, for errors) and, in the order
/// [`read`] checks them, every parameter's dotted key with its prior.
#[derive(Debug)]
struct Targets {
    leaves: Vec<(Vec<String>, Table, String)>,
    keys: Vec<(usize, String)>,
}

impl Targets {
    /// Every parameter of `params` that a prior of `priors` names; an error
    /// for a prior that is no table.
    fn of(priors: &Table, params: &Table) -> Result<Targets, Rejection> {
        let mut collected = Vec::new();
        collect(priors, "priors", &mut Vec::new(), &mut collected, true)?;
        let mut leaves = Vec::new();
        let mut keys = Vec::new();
        for (path, spec, written) in collected {
            let Value::Table(spec) = spec else {
                unreachable!("collected as a table")
            };
            let wildcard = path.iter().any(|p| p == "*") || path.first().is_some_and(|p| p == "templates");
            for key in expand(&path, params) {
                if wildcard && lookup(params, &key).is_none() {
                    continue; // an entry without this parameter
                }
                keys.push((leaves.len(), key));
            }
            leaves.push((path, spec, written));
        }
        Ok(Targets { leaves, keys })
    }

    /// The prior of the `i`th parameter at its value in `params`.
    fn check(&self, i: usize, params: &Table) -> Result<Prior, Rejection> {
        let (leaf, key) = &self.keys[i];
        let (path, spec, written) = &self.leaves[*leaf];
        let value = numeric(params, key).ok_or_else(|| {
            (
                written.clone(),
                format!(
                    "`{}` is not a numeric parameter of the scenario, so it cannot have a prior",
                    path.join(".")
                ),
            )
        })?;
        let mut p = prior(spec, written, key.clone(), value)?;
        // A share's range ends at 0 and 1, whatever its factor says:
        // `engineer_share` 0.55 × 2 would reach 1.1.
        if super::resolve::is_share(&p.key) {
            p.low = p.low.clamp(0.0, 1.0);
            p.high = p.high.clamp(0.0, 1.0);
        }
        Ok(p)
    }
}

/// The priors and sources of one parameter tree, read once to check many
/// trees that differ from it only in some values (a sweep's points).
///
/// [`read`] looks at a tree's shape (which tables and keys it has) and at
/// the values of the parameters that have a prior (numeric? and, for a
/// `factor` prior, the value its range is made from). A tree whose shape is
/// the same, and whose changed values have no prior, passes or fails
/// exactly as the first one; a changed value with a prior is checked again.
#[derive(Debug)]
pub(crate) struct Footprint {
    targets: Targets,
}

impl Footprint {
    /// The footprint of `params`' priors; none when `read` rejects them
    /// (then every variant is read in full, to report its own errors).
    pub(crate) fn of(priors: &Table, sources: &Table, params: &Table) -> Option<Footprint> {
        read(priors, sources, params).ok()?;
        let targets = Targets::of(priors, params).ok()?;
        Some(Footprint { targets })
    }

    /// What [`read`] gives for `params` (as Ok or its first error), where
    /// `params` has the shape of the tree this footprint was read from and
    /// differs from it only in the values at the dotted keys `changed`.
    pub(crate) fn check(&self, params: &Table, changed: &[&str]) -> Result<(), Rejection> {
        let keys = self.targets.keys.iter().enumerate();
        for (i, _) in keys.filter(|(_, (_, key))| changed.contains(&key.as_str())) {
            self.targets.check(i, params)?;
        }
        Ok(())
    }
}

/// Every leaf under `t`: (path, value, dotted key as written). A prior's
/// leaf is the table holding `low`/`high` or `factor`.
fn collect(
    t: &Table,
    root: &str,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, Value, String)>,
    priors: bool,
) -> Result<(), Rejection> {
    for (k, v) in t {
        path.push(k.clone());
        let written = format!("{root}.{}", path.join("."));
        match v {
            Value::Table(inner) if priors && is_prior(inner) => out.push((path.clone(), v.clone(), written)),
            Value::Table(inner) => collect(inner, root, path, out, priors)?,
            _ if priors => {
                return Err((
                    written,
                    "a prior is a table: { low = ..., high = ..., log = true|false } or { factor = ..., log = true }"
                        .into(),
                ));
            }
            _ => out.push((path.clone(), v.clone(), written)),
        }
        path.pop();
    }
    Ok(())
}

fn is_prior(t: &Table) -> bool {
    ["low", "high", "factor"].iter().any(|k| t.contains_key(*k))
}

/// The parameter paths a prior's path names: template paths become every
/// entry of their map, `"*"` every entry of its map.
fn expand(path: &[String], params: &Table) -> Vec<String> {
    let mut parts: Vec<String> = path.to_vec();
    let template = TEMPLATE_MAPS
        .iter()
        .find(|(t, _)| parts.len() >= 2 && parts[0] == "templates" && parts[1] == *t);
    if let Some((_, map)) = template
        && !params.contains_key("templates")
    {
        parts.splice(0..2, [map.to_string(), "*".to_string()]);
    }
    let mut keys = vec![(String::new(), Some(params))];
    for part in &parts {
        let mut next = Vec::new();
        for (prefix, table) in keys {
            let join = |name: &str| {
                if prefix.is_empty() {
                    name.to_string()
                } else {
                    format!("{prefix}.{name}")
                }
            };
            let Some(table) = table else {
                next.push((join(part), None));
                continue;
            };
            if part == "*" {
                for (name, v) in table {
                    next.push((join(name), v.as_table()));
                }
            } else {
                next.push((join(part), table.get(part).and_then(Value::as_table)));
            }
        }
        keys = next;
    }
    keys.into_iter().map(|(k, _)| k).collect()
}

/// "; did you mean `x`?" for the parameter of `params` nearest to `key`.
fn near_parameter(params: &Table, key: &str) -> String {
    let mut keys = Vec::new();
    leaf_keys(params, "", &|_| true, &mut keys);
    // The tree may carry the scenario's own `[sources]` and `[priors]`
    // (a `--set sources.x` lands there too): those are not parameters, and
    // would suggest the misspelt source itself.
    let parameters = keys
        .iter()
        .filter(|k| !k.starts_with("sources.") && !k.starts_with("priors."))
        .map(String::as_str);
    super::suggest::did_you_mean(key, parameters)
}

fn lookup<'a>(params: &'a Table, key: &str) -> Option<&'a Value> {
    let mut parts = key.split('.');
    let mut v = params.get(parts.next()?)?;
    for part in parts {
        v = v.as_table()?.get(part)?;
    }
    Some(v)
}

/// The value of a numeric parameter (a float, an integer, or an array of
/// numbers, whose first element stands for it).
fn numeric(params: &Table, key: &str) -> Option<f64> {
    match lookup(params, key)? {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        Value::Array(a) => a
            .first()
            .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64))),
        _ => None,
    }
}

fn prior(spec: &Table, written: &str, key: String, value: f64) -> Result<Prior, Rejection> {
    let field = |name: &str| format!("{written}.{name}");
    let num = |name: &str| -> Result<Option<f64>, Rejection> {
        match spec.get(name) {
            None => Ok(None),
            Some(Value::Float(f)) if f.is_finite() => Ok(Some(*f)),
            Some(Value::Integer(i)) => Ok(Some(*i as f64)),
            Some(v) => Err((field(name), format!("must be a finite number, got {v}"))),
        }
    };
    for k in spec.keys() {
        if !["low", "high", "factor", "log", "note"].contains(&k.as_str()) {
            return Err((
                field(k),
                format!(
                    "unknown field `{k}` of a prior{}; a prior has low, high, factor, log and note",
                    super::suggest::did_you_mean(k, ["low", "high", "factor", "log", "note"])
                ),
            ));
        }
    }
    let log = match spec.get("log") {
        None => false,
        Some(Value::Boolean(b)) => *b,
        Some(v) => return Err((field("log"), format!("must be true or false, got {v}"))),
    };
    let note = match spec.get("note") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => return Err((field("note"), format!("must be a string, got {v}"))),
    };
    let (low, high) = match (num("low")?, num("high")?, num("factor")?) {
        (Some(low), Some(high), None) => (low, high),
        (None, None, Some(f)) => {
            if f <= 1.0 {
                return Err((field("factor"), format!("must be greater than 1, got {f}")));
            }
            if value <= 0.0 {
                return Err((
                    field("factor"),
                    format!("a factor prior needs a positive value, and `{key}` is {value}: give low and high"),
                ));
            }
            (value / f, value * f)
        }
        _ => {
            return Err((
                written.to_string(),
                "a prior gives either both `low` and `high`, or `factor` alone".into(),
            ));
        }
    };
    if low > high {
        return Err((
            field("low"),
            format!("the prior's low ({low}) is above its high ({high})"),
        ));
    }
    if log && low <= 0.0 {
        return Err((field("low"), format!("a log-scale prior needs low > 0, got {low}")));
    }
    Ok(Prior {
        key,
        low,
        high,
        log,
        note,
    })
}

/// Every numeric parameter of a table (dotted paths, in file order of the
/// tree), skipping `skip`ped top-level keys.
/// Every leaf's dotted key under `prefix` in a table, depth first in file
/// order, that `keep` accepts (tables are walked, never kept).
pub(crate) fn leaf_keys(t: &Table, prefix: &str, keep: &dyn Fn(&Value) -> bool, out: &mut Vec<String>) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Table(inner) => leaf_keys(inner, &key, keep, out),
            v if keep(v) => out.push(key),
            _ => {}
        }
    }
}

fn is_numeric(v: &Value) -> bool {
    match v {
        Value::Float(_) | Value::Integer(_) => true,
        Value::Array(a) => !a.is_empty() && a.iter().all(|x| x.is_float() || x.is_integer()),
        _ => false,
    }
}

pub fn numeric_keys(params: &Table, skip: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in params {
        if skip.contains(&k.as_str()) {
            continue;
        }
        match v {
            Value::Table(inner) => leaf_keys(inner, k, &is_numeric, &mut out),
            Value::Float(_) | Value::Integer(_) => out.push(k.clone()),
            _ => {}
        }
    }
    out
}

/// A value as TOML would write it.
pub fn show(v: &Value) -> String {
    match v {
        Value::Float(f) => format!("{f}"),
        Value::Array(a) => format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// A value as `show` writes it, its floats through `float` (e.g. in
/// significant digits, for people).
pub fn show_with(v: &Value, float: &dyn Fn(f64) -> String) -> String {
    match v {
        Value::Float(f) => float(*f),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(|x| show_with(x, float)).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

/// The value at a dotted key.
pub fn value_at<'a>(params: &'a Table, key: &str) -> Option<&'a Value> {
    lookup(params, key)
}

#[cfg(test)]
mod tests {
    use crate::scenario::{self, default_provenance, priors::numeric_keys};

    /// `SHARES` names exactly the parameters the scenario checks to lie in
    /// [0, 1] (each float parameter set to 1.5 is rejected as a share if and
    /// only if its name is listed), and every prior on one stays in [0, 1]
    /// (`engineer_share`'s factor prior reached 1.1; issue 26).
    #[test]
    fn shares_are_the_parameters_checked_in_0_1_and_their_priors_stay_there() {
        use crate::scenario::resolve::{SHARES, in_shares, is_share};
        const TEXT: &str = "name = \"x\"\n[enterprises.acme]\nemployees = 10\n";
        let mut seen = std::collections::BTreeSet::new();
        for key in scenario::merged_keys(TEXT) {
            if !matches!(scenario::merged_value(TEXT, &key), Some(toml::Value::Float(_))) {
                continue;
            }
            let o = scenario::Override::parse(&format!("{key}=1.5")).unwrap();
            let as_share = match scenario::from_str(TEXT, "t.toml", &[o]) {
                Err(e) => e
                    .to_string()
                    .contains(&format!("key `{key}`: must be a probability or share, between 0 and 1")),
                Ok(_) => false,
            };
            assert_eq!(as_share, in_shares(&key), "{key}");
            if as_share {
                seen.extend(
                    SHARES
                        .iter()
                        .copied()
                        .filter(|s| key == *s || key.ends_with(&format!(".{s}"))),
                );
            }
        }
        let unseen: Vec<&str> = SHARES.iter().copied().filter(|s| !seen.contains(s)).collect();
        assert!(
            unseen.is_empty(),
            "listed as shares but never checked as one: {unseen:?}"
        );
        let (_, prov) = default_provenance();
        for p in &prov.priors {
            if is_share(&p.key) {
                assert!(0.0 <= p.low && p.high <= 1.0, "{}: {} to {}", p.key, p.low, p.high);
            }
        }
        // Coding's share of engineers' tasks, 0.55 with a factor-2 prior,
        // reached 1.1.
        let share = prov.prior("task_types.coding.engineer_share").expect("a prior");
        assert_eq!(share.high, 1.0, "its factor prior reaches past 1 and is clipped");
    }

    /// Every default is sourced or carried as a prior, and every default
    /// lies within its own prior's range.
    #[test]
    fn every_default_has_a_source_or_a_prior_that_holds_it() {
        let (table, prov) = default_provenance();
        let skip = crate::output::table::NOT_PARAMETERS;
        let keys = numeric_keys(table, &skip);
        assert!(keys.len() > 100, "{} parameters", keys.len());
        for key in keys.iter().filter(|k| !k.starts_with("templates.policy.")) {
            assert!(
                prov.source(key).is_some() || prov.prior(key).is_some(),
                "{key} has neither a source nor a prior"
            );
            if let Some(p) = prov.prior(key) {
                let v = super::numeric(table, key).unwrap();
                assert!(p.low <= v && v <= p.high, "{key} = {v} outside its prior {p:?}");
            }
        }
    }

    /// Each prior's two ends make a valid scenario (one parameter at a
    /// time, the others at their defaults): worlds drawn from the priors
    /// never fail on a range that leaves a parameter's domain.
    #[test]
    fn every_prior_stays_inside_its_parameters_domain() {
        let source = "name = \"probe\"\n[enterprises.acme]\nemployees = 10\n";
        let (raw, _) = scenario::from_str(source, "probe.toml", &[]).unwrap();
        let prov = scenario::provenance(&raw);
        assert!(prov.priors.len() > 50);
        let mut bad = Vec::new();
        // Priors on a pair (a distribution's two parameters) scale both and
        // are not drawn as one number; the rest must hold at both ends.
        for p in prov
            .priors
            .iter()
            .filter(|p| !matches!(scenario::merged_value(source, &p.key), Some(toml::Value::Array(_))))
        {
            let integer = matches!(scenario::merged_value(source, &p.key), Some(toml::Value::Integer(_)));
            for end in [p.low, p.high] {
                let value = if integer {
                    toml::Value::Integer(end.round() as i64)
                } else {
                    toml::Value::Float(end)
                };
                let o = scenario::Override {
                    key: p.key.clone(),
                    value,
                    text: format!("{}={end}", p.key),
                };
                if let Err(e) = scenario::from_str(source, "probe.toml", &[o]) {
                    bad.push(format!("{} at {end}: {e}", p.key));
                }
            }
        }
        assert!(
            bad.is_empty(),
            "priors leave their parameter's domain:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn template_priors_apply_to_every_entry_and_factors_scale_the_value() {
        let text = "[enterprises.a]\nemployees = 10\n[enterprises.b]\nemployees = 20\n\
                    [priors.task_types.coding]\nmanual_hours = { factor = 2.0, log = true }\n";
        let (raw, _) = scenario::from_str(text, "t", &[]).unwrap();
        let prov = scenario::provenance(&raw);
        for e in ["a", "b"] {
            let p = prov.prior(&format!("enterprises.{e}.commit_gain")).unwrap();
            assert_eq!((p.low, p.high), (0.1, 1.0));
        }
        let p = prov.prior("task_types.coding.manual_hours").unwrap();
        assert_eq!((p.low, p.high, p.log), (0.75, 3.0, true));
        assert!(prov.source("labs.frontier_lab.models.frontier.price_in").is_some());
    }
}
