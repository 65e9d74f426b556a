//! Range checks and name resolution: a [`RawScenario`] becomes a [`Config`].
//!
//! Every check names the dotted key it rejects, so the caller can point at
//! the line and column in the scenario file.

use super::schema::*;
use crate::experiment::adaptive::{AutoRule, Replicates};
use crate::model::*;
use std::collections::BTreeMap;

/// The parameters that are probabilities or shares, in [0, 1], by their
/// last segment or, where that name means something else elsewhere, by
/// the end of their path (a task type's `engineer_share` is a weight,
/// normalised over the task types): their plausible ranges are clipped to
/// [0, 1] (`priors::read`). A test checks this list against the checks
/// below.
pub const SHARES: [&str; 37] = [
    "active_target_share",
    "ai_success",
    "assist_hours_share",
    "breakage",
    "build_success_mult",
    "capability",
    "capability_gain_per_year",
    "decay_per_week",
    "employees.engineer_share",
    "evangelism",
    "idea_per_week",
    "imitation_rate",
    "imitation_roi_weight",
    "initial_share",
    "input_share",
    "learning_rate",
    "mandate_decay",
    "noise_prob_agent",
    "noise_prob_assist",
    "notice_prob",
    "p_reasoning",
    "proficiency_rate",
    "rank_top_share",
    "recurring",
    "reuse_share",
    "review_prob",
    "roi_visibility",
    "share_prob",
    "spend_signal_sd",
    "spend_signal_weight",
    "spillover_per_week",
    "step",
    "team_value_share",
    "tier_stretch",
    "value_capture",
    "value_measurement",
    "yield_per_run",
];

/// Whether the parameter at a dotted key is checked to lie in [0, 1] (see
/// [`SHARES`]).
pub(crate) fn in_shares(key: &str) -> bool {
    SHARES.iter().any(|s| key == *s || key.ends_with(&format!(".{s}")))
}

/// Whether the parameter at a dotted key is a probability or a share: one
/// of [`SHARES`], or a task type's share of arrivals (`share`,
/// `engineer_share`: weights normalised over the task types, so a share
/// once normalised, whose prior ends at 1 too).
pub fn is_share(key: &str) -> bool {
    in_shares(key)
        || (key.starts_with("task_types.") && matches!(key.rsplit('.').next(), Some("share" | "engineer_share")))
}

/// A rejected key and why.
pub type Rejection = (String, String);

struct Checker {
    prefix: String,
}

impl Checker {
    fn new(prefix: impl Into<String>) -> Self {
        Checker { prefix: prefix.into() }
    }

    fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    fn fail(&self, name: &str, message: String) -> Rejection {
        (self.key(name), message)
    }

    /// A value in [lo, hi] (NaN is always rejected).
    fn range(&self, name: &str, v: f64, lo: f64, hi: f64) -> Result<f64, Rejection> {
        if v.is_nan() || v < lo || v > hi {
            let what = match (lo, hi) {
                (0.0, 1.0) => "a probability or share, between 0 and 1".to_string(),
                (lo, f64::INFINITY) => format!("at least {lo}"),
                (lo, hi) => format!("between {lo} and {hi}"),
            };
            return Err(self.fail(name, format!("must be {what}, got {v}")));
        }
        Ok(v)
    }

    fn prob(&self, name: &str, v: f64) -> Result<f64, Rejection> {
        debug_assert!(
            SHARES.iter().any(|s| s.rsplit('.').next() == Some(name)),
            "`{name}` is checked as a share: list it in SHARES"
        );
        self.range(name, v, 0.0, 1.0)
    }

    fn non_neg(&self, name: &str, v: f64) -> Result<f64, Rejection> {
        self.range(name, v, 0.0, f64::INFINITY)
    }

    fn positive(&self, name: &str, v: f64) -> Result<f64, Rejection> {
        if v.is_nan() || v <= 0.0 {
            return Err(self.fail(name, format!("must be greater than 0, got {v}")));
        }
        Ok(v)
    }

    /// A policy's reward or pressure in USD-equivalent: at most
    /// [`MAX_REWARD_USD`] either way, so a utility stays a finite number and
    /// the choice probabilities stay defined.
    fn reward(&self, name: &str, v: f64, lo: f64) -> Result<f64, Rejection> {
        self.range(name, v, lo, MAX_REWARD_USD)
    }

    fn finite(&self, name: &str, v: f64) -> Result<f64, Rejection> {
        if !v.is_finite() {
            return Err(self.fail(name, format!("must be a finite number, got {v}")));
        }
        Ok(v)
    }

    /// A whole number in [lo, hi] (months, counts written as numbers).
    fn whole(&self, name: &str, v: f64, lo: f64, hi: f64) -> Result<u32, Rejection> {
        let v = self.range(name, v, lo, hi)?;
        if v.fract() != 0.0 {
            return Err(self.fail(name, format!("must be a whole number, got {v}")));
        }
        Ok(v as u32)
    }

    fn positive_finite(&self, name: &str, v: f64) -> Result<f64, Rejection> {
        self.finite(name, v)?;
        self.positive(name, v)
    }
}

fn index_of(names: &BTreeMap<String, impl Sized>, name: &str) -> Option<usize> {
    names.keys().position(|n| n == name)
}

/// "; did you mean `x`?" for the defined name nearest to `name`, if near.
fn near(names: &BTreeMap<String, impl Sized>, name: &str) -> String {
    super::suggest::did_you_mean(name, names.keys().map(String::as_str))
}

fn known(names: &BTreeMap<String, impl Sized>) -> String {
    names.keys().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// Checks every range and resolves every name.
/// Whether `name` may name a scenario, sweep, lab, enterprise or policy:
/// `[A-Za-z0-9][A-Za-z0-9._-]*`. Names become folder names and CSV cells,
/// so a slash, a leading dot or an empty name could escape `output/`.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The longest label (a display name in charts, tables and reports).
pub const MAX_LABEL_CHARS: usize = 200;

/// The longest description (a paragraph of a report).
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;

/// Checks a free text of an input: no control character (a description
/// may hold tabs and line breaks) and at most `max` characters. Text goes
/// to charts (SVG, which a control character makes invalid), terminals
/// (where it could move the cursor or recolour) and reports.
pub fn check_text(text: &str, max: usize, multiline: bool) -> Result<(), String> {
    if let Some(c) = text
        .chars()
        .find(|&c| c.is_control() && !(multiline && matches!(c, '\t' | '\n' | '\r')))
    {
        return Err(format!(
            "holds the control character {:?}: use printable text{}",
            c,
            if multiline {
                " (tabs and line breaks are fine)"
            } else {
                ""
            }
        ));
    }
    let n = text.chars().count();
    if n > max {
        return Err(format!("is {n} characters long; at most {max} are allowed"));
    }
    Ok(())
}

/// The message for a name that is not one.
pub fn name_message(what: &str, name: &str) -> String {
    format!(
        "{what} `{name}` is not a valid name: use letters, digits, `.`, `_` and `-`, starting with a letter or digit"
    )
}

/// Checks every name a scenario gives: its own and its entities'.
fn check_names(raw: &RawScenario) -> Result<(), Rejection> {
    let top = Checker::new("");
    if !is_name(&raw.name) {
        return Err(top.fail("name", name_message("the scenario name", &raw.name)));
    }
    check_text(&raw.name, MAX_LABEL_CHARS, false).map_err(|m| top.fail("name", format!("the scenario name {m}")))?;
    check_text(&raw.description, MAX_DESCRIPTION_CHARS, true).map_err(|m| top.fail("description", m))?;
    let texts = raw
        .labs
        .iter()
        .map(|(n, l)| ("labs", n, &l.label, &l.description))
        .chain(
            raw.enterprises
                .iter()
                .map(|(n, e)| ("enterprises", n, &e.label, &e.description)),
        )
        .chain(
            raw.policies
                .iter()
                .map(|(n, p)| ("policies", n, &p.label, &p.description)),
        );
    for (map, name, label, description) in texts {
        let c = Checker::new(format!("{map}.{name}"));
        check_text(name, MAX_LABEL_CHARS, false).map_err(|m| Checker::new(map).fail(name, format!("the name {m}")))?;
        check_text(label, MAX_LABEL_CHARS, false).map_err(|m| c.fail("label", m))?;
        check_text(description, MAX_DESCRIPTION_CHARS, true).map_err(|m| c.fail("description", m))?;
    }
    for (map, what, names) in [
        ("labs", "lab", raw.labs.keys().collect::<Vec<_>>()),
        ("enterprises", "enterprise", raw.enterprises.keys().collect()),
        ("policies", "policy", raw.policies.keys().collect()),
    ] {
        if let Some(bad) = names.into_iter().find(|n| !is_name(n)) {
            return Err(Checker::new(map).fail(bad, name_message(what, bad)));
        }
        // An entity's name is one key of `--set map.NAME.field`: a dot
        // would make it two.
        if let Some(bad) = raw_keys(map, raw).into_iter().find(|n| n.contains('.')) {
            return Err(Checker::new(map).fail(
                bad,
                format!("{what} `{bad}` is not a valid name: an entity's name may not contain `.` (it could not be addressed by --set); use `_` or `-`"),
            ));
        }
    }
    Ok(())
}

/// The names of the entities of one map of a scenario.
fn raw_keys<'a>(map: &str, raw: &'a RawScenario) -> Vec<&'a String> {
    match map {
        "labs" => raw.labs.keys().collect(),
        "enterprises" => raw.enterprises.keys().collect(),
        _ => raw.policies.keys().collect(),
    }
}

/// Checks `replicates`: a count of at least 1, or an adaptive rule whose
/// settings hold together. An error names the key where the value is
/// written: `replicates.KEY` in the scenario's table, else `auto_replicates.KEY`.
fn check_replicates(raw: &RawScenario) -> Result<(), Rejection> {
    let o = match &raw.replicates {
        RawReplicates::Count(0) => return Err(Checker::new("").fail("replicates", "must be at least 1".into())),
        RawReplicates::Count(_) => return Ok(()),
        RawReplicates::Auto(o) => o,
    };
    let r = o.over(&raw.auto_replicates);
    let at = |given: bool| Checker::new(if given { "replicates" } else { "auto_replicates" });
    if r.min < 2 {
        return Err(at(o.min.is_some()).fail(
            "min",
            format!(
                "must be at least 2 (a paired interval needs two replicates), got {}",
                r.min
            ),
        ));
    }
    if r.max < r.min {
        return Err(at(o.max.is_some()).fail("max", format!("must be at least min ({}), got {}", r.min, r.max)));
    }
    if r.batch == 0 {
        return Err(at(o.batch.is_some()).fail("batch", "must be at least 1".into()));
    }
    if !r.delta.is_finite() || r.delta < 0.0 {
        return Err(at(o.delta.is_some()).fail(
            "delta",
            format!("must be a finite amount of USD, at least 0, got {}", r.delta),
        ));
    }
    if r.pcs.is_nan() || r.pcs <= 0.0 || r.pcs >= 1.0 {
        return Err(at(o.pcs.is_some()).fail(
            "pcs",
            format!("must be a probability above 0 and below 1, got {}", r.pcs),
        ));
    }
    if let Some(total) = r.total_max {
        let need = u64::from(r.min).saturating_mul(raw.arms.len() as u64);
        if total < need {
            return Err(at(o.total_max.is_some()).fail(
                "total_max",
                format!(
                    "must be at least min x arms = {} x {} = {need} (every arm runs min replicates first), got {total}",
                    r.min,
                    raw.arms.len()
                ),
            ));
        }
    }
    Ok(())
}

/// The replicates a (validated) scenario asks for: a count, or the
/// adaptive rule with the scenario's settings laid over the defaults'.
pub fn replicates(raw: &RawScenario) -> Replicates {
    match &raw.replicates {
        RawReplicates::Count(n) => Replicates::Fixed(*n),
        RawReplicates::Auto(o) => {
            let r = o.over(&raw.auto_replicates);
            Replicates::Auto(AutoRule {
                min: r.min,
                max: r.max,
                batch: r.batch,
                delta: r.delta,
                pcs: r.pcs,
                total_max: r.total_max,
            })
        }
    }
}

pub fn resolve(raw: &RawScenario) -> Result<Config, Rejection> {
    check_names(raw)?;
    let top = Checker::new("");
    if raw.weeks == 0 {
        return Err(top.fail("weeks", "must be at least 1".into()));
    }
    if raw.term_weeks == 0 {
        return Err(top.fail("term_weeks", "must be at least 1".into()));
    }
    check_replicates(raw)?;

    let e = &raw.employees;
    let c = Checker::new("employees");
    let employees = EmployeeParams {
        hourly_cost_usd: c.positive_finite("hourly_cost_usd", e.hourly_cost_usd)?,
        tasks_per_week: c.range("tasks_per_week", e.tasks_per_week, 0.0, 1000.0)?,
        engineer_share: c.prob("engineer_share", e.engineer_share)?,
        skill_beta: beta_params(&c, "skill_beta", e.skill_beta)?,
        reward_sensitivity_beta: beta_params(&c, "reward_sensitivity_beta", e.reward_sensitivity_beta)?,
        optimism_mean: c.range("optimism_mean", e.optimism_mean, -0.9, 5.0)?,
        optimism_sd: c.range("optimism_sd", e.optimism_sd, 0.0, 5.0)?,
        learning_rate: c.prob("learning_rate", e.learning_rate)?,
        notice_prob: c.prob("notice_prob", e.notice_prob)?,
        noise_rework_hours: c.range("noise_rework_hours", e.noise_rework_hours, 0.0, 1000.0)?,
        assist_skill_slope: c.range("assist_skill_slope", e.assist_skill_slope, -1.0, 1.0)?,
        assist_fail_hours_share: c.range("assist_fail_hours_share", e.assist_fail_hours_share, 0.0, 10.0)?,
        hours_per_week: c.range("hours_per_week", e.hours_per_week, 1.0, 168.0)?,
        backlog_weeks: e.backlog_weeks,
        team_size: e.team_size,
        value_capture: c.prob("value_capture", e.value_capture)?,
    };
    if employees.team_size == 0 || employees.team_size > 10_000 {
        return Err(c.fail(
            "team_size",
            format!("must be between 1 and 10000, got {}", employees.team_size),
        ));
    }
    if employees.backlog_weeks == 0 || employees.backlog_weeks > raw.weeks.max(1) + 52 {
        return Err(c.fail(
            "backlog_weeks",
            format!(
                "must be between 1 and the run's weeks plus 52, got {}",
                employees.backlog_weeks
            ),
        ));
    }

    let b = &raw.behaviour;
    let c = Checker::new("behaviour");
    let behaviour = Behaviour {
        temperature_usd: c.positive_finite("temperature_usd", b.temperature_usd)?,
        tier_temperature_usd: c.positive_finite("tier_temperature_usd", b.tier_temperature_usd)?,
        mandate_usd: c.range("mandate_usd", b.mandate_usd, 0.0, 1e6)?,
        planning_horizon_weeks: b.planning_horizon_weeks,
        ai_friction_usd: c.range("ai_friction_usd", b.ai_friction_usd, 0.0, 1e6)?,
        friction_uses: c.positive_finite("friction_uses", b.friction_uses)?,
    };

    let a = &raw.agent;
    let c = Checker::new("agent");
    if a.max_attempts == 0 || a.max_attempts > 100 {
        return Err(c.fail(
            "max_attempts",
            format!("must be between 1 and 100, got {}", a.max_attempts),
        ));
    }
    let agent = AgentParams {
        max_attempts: a.max_attempts,
        card_limit_usd: c.positive("card_limit_usd", a.card_limit_usd)?,
        noise_prob_agent: c.prob("noise_prob_agent", a.noise_prob_agent)?,
        noise_prob_assist: c.prob("noise_prob_assist", a.noise_prob_assist)?,
    };

    let p = &raw.performative;
    let c = Checker::new("performative");
    let performative = Performative {
        opportunities_per_week: c.range("opportunities_per_week", p.opportunities_per_week, 0.0, 10_000.0)?,
        launch_hours: c.range("launch_hours", p.launch_hours, 0.0, 100.0)?,
        tokens_median: c.positive_finite("tokens_median", p.tokens_median)?,
        tokens_sigma: c.range("tokens_sigma", p.tokens_sigma, 0.0, 5.0)?,
        input_share: c.prob("input_share", p.input_share)?,
        temperature_usd: c.positive_finite("temperature_usd", p.temperature_usd)?,
        mandate_weight: c.range("mandate_weight", p.mandate_weight, 0.0, 10.0)?,
    };

    let au = &raw.automation;
    let c = Checker::new("automation");
    let automation = Automation {
        build_token_mult: c.range("build_token_mult", au.build_token_mult, 0.0, 1e4)?,
        build_success_mult: c.prob("build_success_mult", au.build_success_mult)?,
        build_hours: c.range("build_hours", au.build_hours, 0.0, 1e4)?,
        step: c.prob("step", au.step)?,
        decay_per_week: c.prob("decay_per_week", au.decay_per_week)?,
        tokens_per_task: c.range("tokens_per_task", au.tokens_per_task, 0.0, 1e9)?,
        input_share: c.prob("input_share", au.input_share)?,
        reuse_share: c.prob("reuse_share", au.reuse_share)?,
        idea_per_week: c.prob("idea_per_week", au.idea_per_week)?,
    };

    let ad = &raw.adoption;
    let c = Checker::new("adoption");
    let adoption = Adoption {
        initial_share: c.prob("initial_share", ad.initial_share)?,
        innovation_per_year: c.range("innovation_per_year", ad.innovation_per_year, 0.0, 52.0)?,
        imitation_per_year: c.range("imitation_per_year", ad.imitation_per_year, 0.0, 52.0)?,
        barrier_usd: c.positive_finite("barrier_usd", ad.barrier_usd)?,
    };

    let le = &raw.learning;
    let c = Checker::new("learning");
    let learning = Learning {
        proficiency_rate: c.prob("proficiency_rate", le.proficiency_rate)?,
        proficiency_speed: c.range("proficiency_speed", le.proficiency_speed, 0.0, 0.95)?,
        spillover_per_week: c.prob("spillover_per_week", le.spillover_per_week)?,
    };

    let di = &raw.discovery;
    let c = Checker::new("discovery");
    let discovery = Discovery {
        yield_per_run: c.prob("yield_per_run", di.yield_per_run)?,
        value_usd_per_week: c.range("value_usd_per_week", di.value_usd_per_week, 0.0, 1e6)?,
        decay_per_week: c.prob("decay_per_week", di.decay_per_week)?,
        share_prob: c.prob("share_prob", di.share_prob)?,
        team_value_share: c.prob("team_value_share", di.team_value_share)?,
    };

    let te = &raw.technology;
    let c = Checker::new("technology");
    let technology = Technology {
        price_fall_per_year: c.range("price_fall_per_year", te.price_fall_per_year, 0.1, 1000.0)?,
        capability_gain_per_year: c.prob("capability_gain_per_year", te.capability_gain_per_year)?,
    };

    let m = &raw.market;
    let c = Checker::new("market");
    let market = Market {
        imitation_rate: c.prob("imitation_rate", m.imitation_rate)?,
        imitation_beta: c.range("imitation_beta", m.imitation_beta, 0.0, 100.0)?,
        imitation_roi_weight: c.prob("imitation_roi_weight", m.imitation_roi_weight)?,
    };

    let task_types = resolve_tasks(raw)?;
    let labs = resolve_labs(raw)?;
    let policies = resolve_policies(raw)?;

    if raw.arms.is_empty() {
        return Err(top.fail("arms", "must name at least one policy".into()));
    }
    let mut arms = Vec::new();
    for (i, name) in raw.arms.iter().enumerate() {
        let idx = index_of(&raw.policies, name).ok_or_else(|| {
            top.fail(
                "arms",
                format!(
                    "arm {i} names policy `{name}`, which is not defined{}; defined policies: {}",
                    near(&raw.policies, name),
                    known(&raw.policies)
                ),
            )
        })?;
        if arms.contains(&idx) {
            return Err(top.fail("arms", format!("policy `{name}` is listed twice")));
        }
        arms.push(idx);
    }

    let enterprises = resolve_enterprises(raw)?;

    Ok(Config {
        name: raw.name.clone(),
        weeks: raw.weeks,
        term_weeks: raw.term_weeks,
        employees,
        behaviour,
        agent,
        performative,
        automation,
        market,
        adoption,
        learning,
        discovery,
        technology,
        task_types,
        labs,
        enterprises,
        policies,
        arms,
    })
}

fn beta_params(c: &Checker, name: &str, v: [f64; 2]) -> Result<[f64; 2], Rejection> {
    if !(v[0] > 0.0 && v[1] > 0.0 && v[0].is_finite() && v[1].is_finite()) {
        return Err(c.fail(
            name,
            format!(
                "Beta parameters must both be positive and finite, got [{}, {}]",
                v[0], v[1]
            ),
        ));
    }
    Ok(v)
}

fn resolve_tasks(raw: &RawScenario) -> Result<Vec<TaskType>, Rejection> {
    let top = Checker::new("");
    if raw.task_types.is_empty() || raw.task_types.len() > MAX_TASK_TYPES {
        return Err(top.fail(
            "task_types",
            format!("must define between 1 and {MAX_TASK_TYPES} task types"),
        ));
    }
    let mut out = Vec::new();
    let mut sums = [0.0; 2];
    for (name, t) in &raw.task_types {
        let c = Checker::new(format!("task_types.{name}"));
        let tokens = |n: &str, v: [f64; 2]| -> Result<[f64; 2], Rejection> {
            if !(v[0] >= 0.0 && v[1] >= 0.0 && v[0].is_finite() && v[1].is_finite() && v[0] + v[1] > 0.0) {
                return Err(c.fail(
                    n,
                    format!(
                        "input and output tokens must be non-negative, finite and not both 0, got [{}, {}]",
                        v[0], v[1]
                    ),
                ));
            }
            Ok(v)
        };
        let task = TaskType {
            name: name.clone(),
            share: [
                c.non_neg("share", t.share)?,
                c.non_neg("engineer_share", t.engineer_share)?,
            ],
            p_reasoning: c.prob("p_reasoning", t.p_reasoning)?,
            ai_success: c.prob("ai_success", t.ai_success)?,
            manual_hours: c.positive_finite("manual_hours", t.manual_hours)?,
            quality_gain_usd: c.finite("quality_gain_usd", t.quality_gain_usd)?,
            assist_hours_share: c.prob("assist_hours_share", t.assist_hours_share)?,
            assist_tokens: tokens("assist_tokens", t.assist_tokens)?,
            agent_tokens: tokens("agent_tokens", t.agent_tokens)?,
            token_sigma: c.range("token_sigma", t.token_sigma, 0.0, 5.0)?,
            agent_review_hours: c.range("agent_review_hours", t.agent_review_hours, 0.0, t.manual_hours)?,
            recurring: c.prob("recurring", t.recurring)?,
        };
        sums[0] += task.share[0];
        sums[1] += task.share[1];
        out.push(task);
    }
    for (role, key) in [(0, "share"), (1, "engineer_share")] {
        if sums[role] <= 0.0 {
            return Err(top.fail(
                "task_types",
                format!("the `{key}` of all task types sum to 0: no task would ever arrive"),
            ));
        }
        for t in &mut out {
            t.share[role] /= sums[role];
        }
    }
    Ok(out)
}

fn resolve_labs(raw: &RawScenario) -> Result<Vec<Lab>, Rejection> {
    let mut labs = Vec::new();
    for (name, l) in &raw.labs {
        let c = Checker::new(format!("labs.{name}"));
        if l.models.is_empty() || l.models.len() > MAX_TIERS {
            return Err(c.fail(
                "models",
                format!("a lab needs between 1 and {MAX_TIERS} models, got {}", l.models.len()),
            ));
        }
        let mut models = Vec::new();
        for (mname, m) in &l.models {
            let mc = Checker::new(format!("labs.{name}.models.{mname}"));
            models.push(ModelTier {
                name: mname.clone(),
                price_in: mc.non_neg("price_in", mc.finite("price_in", m.price_in)?)?,
                price_out: mc.non_neg("price_out", mc.finite("price_out", m.price_out)?)?,
                capability: mc.prob("capability", m.capability)?,
                reliability: mc.range("reliability", m.reliability, 0.0, 2.0)?,
            });
        }
        // Most capable first: automation builds use the first tier, and ties
        // in the performative tier choice go to it.
        models.sort_by(|a, b| b.capability.total_cmp(&a.capability).then(a.name.cmp(&b.name)));
        let scale = c.range("discount_scale", l.discount_scale, 0.0, 100.0)?;
        let mut tiers = Vec::new();
        for (i, t) in l.discount_tiers.iter().enumerate() {
            let tc = Checker::new(format!("labs.{name}.discount_tiers"));
            let what = format!("tier {i}");
            tiers.push(DiscountTier {
                min_commit_usd: tc
                    .non_neg(&what, tc.finite(&what, t.min_commit_usd)?)
                    .map_err(|(k, m)| (k, format!("min_commit_usd: {m}")))?,
                discount: (tc
                    .prob(&what, t.discount)
                    .map_err(|(k, m)| (k, format!("discount: {m}")))?
                    * scale)
                    .min(1.0),
            });
        }
        if tiers.windows(2).any(|w| w[1].min_commit_usd <= w[0].min_commit_usd) {
            return Err(c.fail(
                "discount_tiers",
                "tiers must be listed by strictly increasing min_commit_usd".into(),
            ));
        }
        labs.push(Lab {
            name: name.clone(),
            breakage: c.prob("breakage", l.breakage)?,
            evangelism: c.prob("evangelism", l.evangelism)?,
            serving_cost_share: c.range("serving_cost_share", l.serving_cost_share, 0.0, 10.0)?,
            discount_tiers: tiers,
            models,
        });
    }
    Ok(labs)
}

/// The largest reward or pressure a policy may state, USD-equivalent (per
/// Mtok, per output, per USD or per week): a billion, far past any bonus,
/// and small enough that a week's utilities stay finite.
pub const MAX_REWARD_USD: f64 = 1e9;

fn resolve_policies(raw: &RawScenario) -> Result<Vec<Policy>, Rejection> {
    let mut out = Vec::new();
    for (name, p) in &raw.policies {
        let c = Checker::new(format!("policies.{name}"));
        out.push(Policy {
            name: name.clone(),
            token_reward_usd_per_mtok: c.reward(
                "token_reward_usd_per_mtok",
                p.token_reward_usd_per_mtok,
                -MAX_REWARD_USD,
            )?,
            output_reward_usd: c.reward("output_reward_usd", p.output_reward_usd, -MAX_REWARD_USD)?,
            value_reward_share: c.reward("value_reward_share", p.value_reward_share, -MAX_REWARD_USD)?,
            cost_penalty_share: c.reward("cost_penalty_share", p.cost_penalty_share, -MAX_REWARD_USD)?,
            quota_tokens_per_week: c.non_neg("quota_tokens_per_week", p.quota_tokens_per_week)?,
            quota_reward_usd_per_mtok: c.reward(
                "quota_reward_usd_per_mtok",
                p.quota_reward_usd_per_mtok,
                -MAX_REWARD_USD,
            )?,
            value_measurement: c.prob("value_measurement", p.value_measurement)?,
            weekly_budget_usd: c.positive("weekly_budget_usd", p.weekly_budget_usd)?,
            card_limit_usd: c.positive("card_limit_usd", p.card_limit_usd)?,
            rank_prize_usd: c.reward("rank_prize_usd", p.rank_prize_usd, 0.0)?,
            rank_top_share: c.prob("rank_top_share", p.rank_top_share)?,
            non_use_penalty_usd: c.reward("non_use_penalty_usd", p.non_use_penalty_usd, 0.0)?,
            active_target_share: c.prob("active_target_share", p.active_target_share)?,
            active_target_pull_usd: c.reward("active_target_pull_usd", p.active_target_pull_usd, 0.0)?,
            tool_monthly_cap_usd: c.positive("tool_monthly_cap_usd", p.tool_monthly_cap_usd)?,
            guard_spend_usd_per_month: c.non_neg("guard_spend_usd_per_month", p.guard_spend_usd_per_month)?,
            guard_months: c.whole("guard_months", p.guard_months, 1.0, 1200.0)?,
            guard_card_limit_usd: c.positive("guard_card_limit_usd", p.guard_card_limit_usd)?,
            guard_weekly_budget_usd: c.positive("guard_weekly_budget_usd", p.guard_weekly_budget_usd)?,
        });
    }
    Ok(out)
}

fn resolve_enterprises(raw: &RawScenario) -> Result<Vec<EnterpriseSpec>, Rejection> {
    if raw.enterprises.is_empty() {
        return Err(Checker::new("").fail(
            "enterprises",
            "the scenario defines no enterprise: add an [enterprises.NAME] table, e.g. with `employees = 1000`".into(),
        ));
    }
    let mut out = Vec::new();
    for (name, e) in &raw.enterprises {
        let c = Checker::new(format!("enterprises.{name}"));
        if e.count == 0 {
            return Err(c.fail("count", "must be at least 1".into()));
        }
        if e.employees == 0 {
            return Err(c.fail("employees", "must be at least 1".into()));
        }
        let lab = index_of(&raw.labs, &e.lab).ok_or_else(|| {
            c.fail(
                "lab",
                format!(
                    "names lab `{}`, which is not defined{}; defined labs: {}",
                    e.lab,
                    near(&raw.labs, &e.lab),
                    known(&raw.labs)
                ),
            )
        })?;
        let policy = if e.policy.is_empty() {
            None
        } else {
            Some(index_of(&raw.policies, &e.policy).ok_or_else(|| {
                c.fail(
                    "policy",
                    format!(
                        "names policy `{}`, which is not defined{}; defined policies: {}",
                        e.policy,
                        near(&raw.policies, &e.policy),
                        known(&raw.policies)
                    ),
                )
            })?)
        };
        let spec = EnterpriseSpec {
            name: name.clone(),
            employees: e.employees,
            lab,
            policy,
            spend_signal_weight: c.prob("spend_signal_weight", e.spend_signal_weight)?,
            spend_signal_sd: c.prob("spend_signal_sd", e.spend_signal_sd)?,
            first_term_commit_per_employee_usd: c.non_neg(
                "first_term_commit_per_employee_usd",
                c.finite(
                    "first_term_commit_per_employee_usd",
                    e.first_term_commit_per_employee_usd,
                )?,
            )?,
            tier_stretch: c.prob("tier_stretch", e.tier_stretch)?,
            mandate_decay: c.prob("mandate_decay", e.mandate_decay)?,
            mandate_kappa: c.range("mandate_kappa", e.mandate_kappa, 0.0, 100.0)?,
            mandate_max: c.range("mandate_max", e.mandate_max, 0.0, 100.0)?,
            roi_visibility: c.prob("roi_visibility", e.roi_visibility)?,
            roi_noise_sigma: c.range("roi_noise_sigma", e.roi_noise_sigma, 0.0, 5.0)?,
            commit_gain: c.range("commit_gain", e.commit_gain, 0.0, 10.0)?,
            cancel_below: c.finite("cancel_below", e.cancel_below)?,
            renewal: RenewalRule::parse(&e.renewal).ok_or_else(|| {
                let names: Vec<String> = RenewalRule::ALL.iter().map(|(_, n)| format!("`{n}`")).collect();
                c.fail(
                    "renewal",
                    format!(
                        "unknown renewal rule `{}`{}; the rules are {}",
                        e.renewal,
                        super::suggest::did_you_mean(&e.renewal, RenewalRule::ALL.iter().map(|(_, n)| *n)),
                        names.join(", ")
                    ),
                )
            })?,
            renewal_headroom: c.range("renewal_headroom", e.renewal_headroom, -1.0, 100.0)?,
            review_prob: c.prob("review_prob", e.review_prob)?,
            review_roi_below: c.non_neg("review_roi_below", c.finite("review_roi_below", e.review_roi_below)?)?,
            review_policy: if e.review_policy.is_empty() {
                None
            } else {
                Some(index_of(&raw.policies, &e.review_policy).ok_or_else(|| {
                    c.fail(
                        "review_policy",
                        format!(
                            "names policy `{}`, which is not defined{}; defined policies: {}",
                            e.review_policy,
                            near(&raw.policies, &e.review_policy),
                            known(&raw.policies)
                        ),
                    )
                })?)
            },
        };
        for i in 0..e.count {
            let mut s = spec.clone();
            if e.count > 1 {
                s.name = format!("{name}-{:02}", i + 1);
            }
            out.push(s);
        }
    }
    Ok(out)
}
