//! Display names: what charts, tables and reports call policies and
//! parameters, instead of their keys.
//!
//! A policy, enterprise or lab takes its `label` from the scenario (the six
//! preset policies have theirs in defaults.toml); without one, its key with
//! underscores read as spaces ("usage_quota" becomes "Usage quota"). A
//! parameter takes a sweep file's `label`, or a short name and unit made
//! from its key ("policies.usage_leaderboard.token_reward_usd_per_mtok"
//! becomes "Token reward, Usage leaderboard ($/Mtok)").
//!
//! Results folders keep the labels in manifest.json, so `plot` and `report`
//! redraw old results with the names they were run with.

use super::schema::RawScenario;
use std::collections::BTreeMap;

/// Display names of one result's policies and parameters.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Labels {
    /// Policy key to label.
    pub policies: BTreeMap<String, String>,
    /// Parameter key (dotted) to label with its unit.
    pub parameters: BTreeMap<String, String>,
}

impl Labels {
    /// The labels of a scenario's policies, and of the given parameters
    /// (each with the label a sweep file gave it, if any).
    pub fn of(raw: &RawScenario, parameters: &[(&str, Option<&str>)]) -> Labels {
        let policies = raw
            .policies
            .iter()
            .map(|(k, p)| (k.clone(), label_or_key(&p.label, k)))
            .collect();
        let parameters = parameters
            .iter()
            .map(|(key, given)| {
                let label = match given {
                    Some(l) if !l.trim().is_empty() => l.trim().to_string(),
                    _ => parameter_label(key, Some(raw)),
                };
                (key.to_string(), label)
            })
            .collect();
        Labels { policies, parameters }
    }

    /// The labels a sweep plan holds.
    pub fn of_plan(plan: &crate::experiment::plan::SweepPlan) -> Labels {
        Labels {
            policies: plan.policy_labels.clone(),
            parameters: plan.parameter_labels.clone(),
        }
    }

    /// A policy's label; a policy the labels do not know takes a preset's
    /// label from the defaults, or reads as its key.
    pub fn policy(&self, key: &str) -> String {
        if let Some(l) = self.policies.get(key) {
            return l.clone();
        }
        static PRESETS: std::sync::OnceLock<BTreeMap<String, String>> = std::sync::OnceLock::new();
        let presets = PRESETS.get_or_init(|| {
            super::from_str("name = \"defaults\"\n[enterprises.e]\n", "defaults", &[])
                .map(|(raw, _)| Labels::of(&raw, &[]).policies)
                .unwrap_or_default()
        });
        presets.get(key).cloned().unwrap_or_else(|| humanize(key))
    }

    /// A parameter's label with its unit.
    pub fn parameter(&self, key: &str) -> String {
        self.parameters
            .get(key)
            .cloned()
            .unwrap_or_else(|| parameter_label(key, None))
    }
}

fn label_or_key(label: &str, key: &str) -> String {
    if label.trim().is_empty() {
        humanize(key)
    } else {
        label.trim().to_string()
    }
}

/// A label without its trailing unit in parentheses, for sentences and
/// titles: "Busywork opportunities (per week)" becomes "Busywork
/// opportunities".
pub fn without_unit(label: &str) -> &str {
    match label.rfind(" (") {
        Some(i) if label.ends_with(')') => &label[..i],
        _ => label,
    }
}

/// A key read as words: "usage_leaderboard" becomes "Usage leaderboard".
pub fn humanize(key: &str) -> String {
    capitalise(key.replace(['_', '-'], " ").trim())
}

/// A label with its first letter in upper case.
fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Short names and units of the parameters, by their path inside a section
/// (`employees.tasks_per_week`) or, under a map of named entries (policies,
/// enterprises, labs, models, task types), by their last segment.
const NAMES: &[(&str, &str, &str)] = &[
    ("term_weeks", "Contract term", "weeks"),
    ("weeks", "Horizon", "weeks"),
    ("adoption.barrier_usd", "Adoption barrier", "$ per week"),
    (
        "adoption.imitation_per_year",
        "Adoption by imitation (Bass q)",
        "per year",
    ),
    ("adoption.initial_share", "Initial AI users", "share"),
    (
        "adoption.innovation_per_year",
        "Adoption by own trial (Bass p)",
        "per year",
    ),
    ("agent.card_limit_usd", "Agent card limit", "$ per run"),
    ("agent.max_attempts", "Agent attempts per task", ""),
    ("agent.noise_prob_agent", "Polished-noise rate of agent runs", "share"),
    (
        "agent.noise_prob_assist",
        "Polished-noise rate of assisted work",
        "share",
    ),
    ("automation.build_hours", "Hours to build an automation", "h"),
    ("automation.build_success_mult", "Build success multiplier", "x"),
    ("automation.build_token_mult", "Build token multiplier", "x"),
    ("automation.decay_per_week", "Automation decay", "per week"),
    ("automation.input_share", "Input share of automation tokens", "share"),
    ("automation.reuse_share", "Automation reuse by teammates", "share"),
    ("automation.idea_per_week", "Automation ideas", "per week and task type"),
    ("automation.step", "Automation step", "share"),
    ("automation.tokens_per_task", "Tokens per automated task", "tokens"),
    ("behaviour.ai_friction_usd", "Learning friction per AI use", "$"),
    ("behaviour.friction_uses", "Uses until friction fades", "uses"),
    ("behaviour.mandate_usd", "Felt pressure of a full mandate", "$ per task"),
    ("behaviour.planning_horizon_weeks", "Planning horizon", "weeks"),
    ("behaviour.temperature_usd", "Taste spread between modes", "$ per task"),
    (
        "behaviour.tier_temperature_usd",
        "Taste spread between model tiers",
        "$ per task",
    ),
    ("discovery.decay_per_week", "Use-case decay", "per week"),
    ("discovery.share_prob", "Chance a use case is shared", "share"),
    ("discovery.team_value_share", "Teammates' share of a use case", "share"),
    (
        "discovery.value_usd_per_week",
        "Value of a found use case",
        "$ per week",
    ),
    ("discovery.yield_per_run", "Discovery yield of busywork", "per run"),
    (
        "employees.assist_fail_hours_share",
        "Hours lost to a failed assist",
        "share",
    ),
    ("employees.assist_skill_slope", "Assist gain for novices", "slope"),
    ("employees.backlog_weeks", "Backlog", "weeks"),
    ("employees.engineer_share", "Engineer share of staff", "share"),
    ("employees.hourly_cost_usd", "Hourly cost of an employee", "$/h"),
    ("employees.hours_per_week", "Paid hours", "h/week"),
    ("employees.learning_rate", "Learning rate", ""),
    ("employees.noise_rework_hours", "Rework per polished-noise output", "h"),
    ("employees.notice_prob", "Chance noise is noticed", "share"),
    ("employees.optimism_mean", "Mean optimism about AI", "share"),
    ("employees.optimism_sd", "Spread of optimism", "share"),
    ("employees.reward_sensitivity_beta", "Sensitivity to incentives", "beta"),
    ("employees.skill_beta", "Skill distribution", "beta"),
    ("employees.tasks_per_week", "Tasks per employee", "per week"),
    ("employees.team_size", "Team size", "people"),
    ("employees.value_capture", "Value captured from hours", "share"),
    ("learning.proficiency_rate", "Learning by doing", "per success"),
    ("learning.proficiency_speed", "Speed-up at full proficiency", "share"),
    ("learning.spillover_per_week", "Learning from peers", "per week"),
    ("market.imitation_beta", "Imitation strength", ""),
    ("market.imitation_rate", "Imitation rate", "per week"),
    ("market.imitation_roi_weight", "Weight of peers' ROI in imitation", ""),
    ("performative.input_share", "Input share of busywork tokens", "share"),
    ("performative.launch_hours", "Hours per busywork launch", "h"),
    ("performative.mandate_weight", "Mandate's pull toward busywork", ""),
    (
        "performative.opportunities_per_week",
        "Busywork opportunities",
        "per week",
    ),
    ("performative.temperature_usd", "Taste spread for busywork", "$"),
    (
        "performative.tokens_median",
        "Tokens per busywork launch (median)",
        "tokens",
    ),
    ("performative.tokens_sigma", "Spread of busywork tokens", "log sd"),
    (
        "technology.capability_gain_per_year",
        "Capability gain",
        "share of gap per year",
    ),
    ("technology.price_fall_per_year", "Price fall", "x per year"),
    // Task types.
    ("agent_review_hours", "agent review time", "h"),
    ("agent_tokens", "agent tokens", "in, out"),
    ("ai_success", "AI success rate", "share"),
    ("assist_hours_share", "hours with an assistant", "share"),
    ("assist_tokens", "assist tokens", "in, out"),
    ("manual_hours", "hours by hand", "h"),
    ("p_reasoning", "share needing real reasoning", "share"),
    ("quality_gain_usd", "quality gain", "$ per task"),
    ("recurring", "recurring share", "share"),
    ("share", "share of tasks", "share"),
    ("token_sigma", "token spread", "log sd"),
    // Labs and their models.
    ("breakage", "breakage", "share forfeited"),
    ("discount_scale", "discount depth", "x tiers"),
    ("discount_tiers", "discount tiers", ""),
    ("evangelism", "evangelism", "per renewal"),
    ("serving_cost_share", "serving cost", "share of price"),
    ("capability", "capability", "share"),
    ("price_in", "input price", "$/Mtok"),
    ("price_out", "output price", "$/Mtok"),
    ("reliability", "reliability", "x"),
    // Enterprises.
    ("cancel_below", "cancellation threshold", "perceived success"),
    ("commit_gain", "commitment gain", ""),
    ("count", "count", "enterprises"),
    ("employees", "employees", ""),
    (
        "first_term_commit_per_employee_usd",
        "first-year commitment",
        "$ per employee",
    ),
    ("mandate_decay", "mandate decay", "per week"),
    ("mandate_kappa", "mandate strength", "per shortfall"),
    ("mandate_max", "mandate ceiling", "0-1"),
    ("renewal", "renewal rule", ""),
    ("renewal_headroom", "renewal headroom", "share"),
    ("review_prob", "chance of a policy review", "per term"),
    ("review_roi_below", "review ROI threshold", "x"),
    ("roi_noise_sigma", "noise on measured value", "log sd"),
    ("roi_visibility", "measurable share of value", "share"),
    ("spend_signal_sd", "spread of spend signal", ""),
    ("spend_signal_weight", "spend-signal weight", "lambda"),
    ("tier_stretch", "stretch to the next tier", "share"),
    // Policies.
    ("card_limit_usd", "card limit", "$ per run"),
    ("cost_penalty_share", "cost penalty", "per $"),
    ("output_reward_usd", "reward per output", "$"),
    ("quota_reward_usd_per_mtok", "quota reward", "$/Mtok"),
    ("quota_tokens_per_week", "token quota", "tokens/week"),
    ("token_reward_usd_per_mtok", "token reward", "$/Mtok"),
    ("value_measurement", "value measurement", "share"),
    ("value_reward_share", "value reward", "per $"),
    ("weekly_budget_usd", "weekly token budget", "$"),
    ("rank_prize_usd", "rank prize", "$/week"),
    ("rank_top_share", "share ranked on top", "share"),
    ("non_use_penalty_usd", "non-use penalty", "$/week"),
    ("active_target_share", "weekly-active target", "share"),
    ("active_target_pull_usd", "pressure below the target", "$/week"),
    ("tool_monthly_cap_usd", "cap per tool", "$/month"),
    ("guard_spend_usd_per_month", "spend guard trigger", "$/employee-month"),
    ("guard_months", "months over before the guard", "months"),
    ("guard_card_limit_usd", "card limit under the guard", "$ per run"),
    ("guard_weekly_budget_usd", "weekly budget under the guard", "$"),
];

fn name_of(path: &str) -> Option<(&'static str, &'static str)> {
    NAMES.iter().find(|(k, _, _)| *k == path).map(|&(_, l, u)| (l, u))
}

/// The unit a parameter's value is written in (`weeks`, `$ per week`,
/// `share`), by its dotted key, when the parameter has one.
pub fn unit_of(key: &str) -> Option<&'static str> {
    let leaf = key.rsplit('.').next().unwrap_or(key);
    name_of(key)
        .or_else(|| name_of(leaf))
        .map(|(_, unit)| unit)
        .filter(|u| !u.is_empty())
}

/// A parameter's label and unit from its key; `raw` supplies the labels of
/// the policies, enterprises and labs it names.
pub fn parameter_label(key: &str, raw: Option<&RawScenario>) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    let entity = |map: &str, name: &str| -> String {
        let label = raw.and_then(|r| match map {
            "policies" => r.policies.get(name).map(|p| p.label.clone()),
            "enterprises" => r.enterprises.get(name).map(|e| e.label.clone()),
            "labs" => r.labs.get(name).map(|l| l.label.clone()),
            _ => None,
        });
        label_or_key(label.as_deref().unwrap_or(""), name)
    };
    let with_unit = |label: String, unit: &str| {
        if unit.is_empty() {
            label
        } else {
            format!("{label} ({unit})")
        }
    };
    if let Some((label, unit)) = name_of(key) {
        return with_unit(label.to_string(), unit);
    }
    let leaf = parts.last().copied().unwrap_or(key);
    let (owner, named) = match parts.as_slice() {
        ["policies", p, _] => (entity("policies", p), name_of(leaf)),
        ["enterprises", e, _] => (entity("enterprises", e), name_of(leaf)),
        ["labs", l, _] => (entity("labs", l), name_of(leaf)),
        ["labs", l, "models", m, _] => (format!("{} model, {}", humanize(m), entity("labs", l)), name_of(leaf)),
        ["task_types", t, _] => (format!("{} tasks", humanize(t)), name_of(leaf)),
        ["templates", what, ..] => (format!("every {what}"), name_of(leaf)),
        _ => (String::new(), None),
    };
    let (label, unit) = named.unwrap_or(("", ""));
    let label = if label.is_empty() {
        humanize(leaf)
    } else {
        capitalise(label)
    };
    if owner.is_empty() {
        return with_unit(label, unit);
    }
    with_unit(format!("{label}, {owner}"), unit)
}

/// A metric of runs.csv in words, for a title: "token spend".
pub fn metric_phrase(metric: &str) -> &'static str {
    match metric {
        "roi" => "return on AI spend (ROI)",
        "spend_usd" => "token spend",
        "value_usd" => "delivered value",
        "waste_share" => "waste share of spend",
        _ => "the metric",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_as_words() {
        assert_eq!(humanize("usage_leaderboard"), "Usage leaderboard");
        assert_eq!(humanize("acme"), "Acme");
        assert_eq!(humanize(""), "");
    }

    #[test]
    fn parameters_get_short_labels_with_units() {
        let raw = crate::scenario::from_str("name = \"t\"\n[enterprises.acme]\n", "t.toml", &[])
            .unwrap()
            .0;
        let l = |k| parameter_label(k, Some(&raw));
        assert_eq!(
            l("policies.usage_leaderboard.token_reward_usd_per_mtok"),
            "Token reward, Usage leaderboard ($/Mtok)"
        );
        assert_eq!(l("employees.tasks_per_week"), "Tasks per employee (per week)");
        assert_eq!(
            l("labs.frontier_lab.models.frontier.capability"),
            "Capability, Frontier model, Frontier lab (share)"
        );
        assert_eq!(
            l("task_types.coding.p_reasoning"),
            "Share needing real reasoning, Coding tasks (share)"
        );
        // An unknown leaf still reads as words.
        assert_eq!(parameter_label("foo.bar_baz", None), "Bar baz");
    }

    #[test]
    fn labels_round_trip_through_the_manifest() {
        let mut l = Labels::default();
        l.policies.insert("a_b".into(), "Alpha".into());
        l.parameters.insert("x.y".into(), "Why (m)".into());
        let text = serde_json::to_string(&l).unwrap();
        assert_eq!(text, r#"{"policies":{"a_b":"Alpha"},"parameters":{"x.y":"Why (m)"}}"#);
        assert_eq!(serde_json::from_str::<Labels>(&text).unwrap(), l);
        // Results written before labels existed read with none.
        let old: Labels = serde_json::from_str("{}").unwrap();
        assert_eq!(
            old.policy("laissez_faire"),
            "Laissez-faire",
            "a preset's label from the defaults"
        );
        assert_eq!(old.policy("my_policy"), "My policy");
        assert_eq!(without_unit("Tasks (per week)"), "Tasks");
        assert_eq!(without_unit("Tasks"), "Tasks");
    }
}
