//! The TOML schema of a scenario, as serde structs.
//!
//! These structs mirror `defaults.toml` key for key. Every struct denies
//! unknown fields, and none uses `#[serde(flatten)]` (which would silently
//! accept unknown keys). Defaults live in `defaults.toml`, not here, so there
//! is exactly one place to read them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    pub description: String,
    pub weeks: u32,
    pub term_weeks: u32,
    pub seed: u64,
    pub replicates: RawReplicates,
    /// The adaptive rule `replicates = "auto"` follows (a `[replicates]`
    /// table sets any of its keys for one scenario).
    pub auto_replicates: RawAutoReplicates,
    pub arms: Vec<String>,
    pub employees: RawEmployees,
    pub behaviour: RawBehaviour,
    pub agent: RawAgent,
    pub performative: RawPerformative,
    pub automation: RawAutomation,
    pub market: RawMarket,
    pub adoption: RawAdoption,
    pub learning: RawLearning,
    pub discovery: RawDiscovery,
    pub technology: RawTechnology,
    pub task_types: BTreeMap<String, RawTaskType>,
    pub labs: BTreeMap<String, RawLab>,
    pub enterprises: BTreeMap<String, RawEnterprise>,
    pub policies: BTreeMap<String, RawPolicy>,
    /// Plausible ranges of estimated parameters (see `scenario::priors`).
    pub priors: toml::Table,
    /// Sources of parameters taken from published facts.
    pub sources: toml::Table,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmployees {
    pub hourly_cost_usd: f64,
    pub tasks_per_week: f64,
    pub engineer_share: f64,
    pub skill_beta: [f64; 2],
    pub reward_sensitivity_beta: [f64; 2],
    pub optimism_mean: f64,
    pub optimism_sd: f64,
    pub learning_rate: f64,
    pub notice_prob: f64,
    pub noise_rework_hours: f64,
    pub assist_skill_slope: f64,
    pub assist_fail_hours_share: f64,
    pub hours_per_week: f64,
    pub backlog_weeks: u32,
    pub team_size: u32,
    pub value_capture: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBehaviour {
    pub temperature_usd: f64,
    pub tier_temperature_usd: f64,
    pub mandate_usd: f64,
    pub planning_horizon_weeks: u32,
    pub ai_friction_usd: f64,
    pub friction_uses: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAgent {
    pub max_attempts: u32,
    pub card_limit_usd: f64,
    pub noise_prob_agent: f64,
    pub noise_prob_assist: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPerformative {
    pub opportunities_per_week: f64,
    pub launch_hours: f64,
    pub tokens_median: f64,
    pub tokens_sigma: f64,
    pub input_share: f64,
    pub temperature_usd: f64,
    pub mandate_weight: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAutomation {
    pub build_token_mult: f64,
    pub build_success_mult: f64,
    pub build_hours: f64,
    pub step: f64,
    pub decay_per_week: f64,
    pub tokens_per_task: f64,
    pub input_share: f64,
    pub reuse_share: f64,
    pub idea_per_week: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdoption {
    pub initial_share: f64,
    pub innovation_per_year: f64,
    pub imitation_per_year: f64,
    pub barrier_usd: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLearning {
    pub proficiency_rate: f64,
    pub proficiency_speed: f64,
    pub spillover_per_week: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDiscovery {
    pub yield_per_run: f64,
    pub value_usd_per_week: f64,
    pub decay_per_week: f64,
    pub share_prob: f64,
    pub team_value_share: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTechnology {
    pub price_fall_per_year: f64,
    pub capability_gain_per_year: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawMarket {
    pub imitation_rate: f64,
    pub imitation_beta: f64,
    pub imitation_roi_weight: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTaskType {
    pub share: f64,
    pub engineer_share: f64,
    pub p_reasoning: f64,
    pub ai_success: f64,
    pub manual_hours: f64,
    pub quality_gain_usd: f64,
    pub assist_hours_share: f64,
    pub assist_tokens: [f64; 2],
    pub agent_tokens: [f64; 2],
    pub token_sigma: f64,
    pub agent_review_hours: f64,
    pub recurring: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLab {
    /// Display name in charts and reports ("" = the key in words).
    pub label: String,
    pub description: String,
    pub breakage: f64,
    pub evangelism: f64,
    pub serving_cost_share: f64,
    pub discount_scale: f64,
    pub discount_tiers: Vec<RawDiscountTier>,
    pub models: BTreeMap<String, RawModel>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDiscountTier {
    pub min_commit_usd: f64,
    pub discount: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub price_in: f64,
    pub price_out: f64,
    pub capability: f64,
    pub reliability: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnterprise {
    /// Display name in charts and reports ("" = the key in words).
    pub label: String,
    pub description: String,
    pub count: u32,
    pub employees: u32,
    pub lab: String,
    pub policy: String,
    pub spend_signal_weight: f64,
    pub spend_signal_sd: f64,
    pub first_term_commit_per_employee_usd: f64,
    pub tier_stretch: f64,
    pub mandate_decay: f64,
    pub mandate_kappa: f64,
    pub mandate_max: f64,
    pub roi_visibility: f64,
    pub roi_noise_sigma: f64,
    pub commit_gain: f64,
    pub cancel_below: f64,
    pub renewal: String,
    pub renewal_headroom: f64,
    pub review_prob: f64,
    pub review_roi_below: f64,
    pub review_policy: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Display name in charts and reports ("" = the key in words).
    pub label: String,
    pub description: String,
    pub token_reward_usd_per_mtok: f64,
    pub output_reward_usd: f64,
    pub value_reward_share: f64,
    pub cost_penalty_share: f64,
    pub quota_tokens_per_week: f64,
    pub quota_reward_usd_per_mtok: f64,
    pub value_measurement: f64,
    pub weekly_budget_usd: f64,
    pub card_limit_usd: f64,
    pub rank_prize_usd: f64,
    pub rank_top_share: f64,
    pub non_use_penalty_usd: f64,
    pub active_target_share: f64,
    pub active_target_pull_usd: f64,
    pub tool_monthly_cap_usd: f64,
    pub guard_spend_usd_per_month: f64,
    pub guard_months: f64,
    pub guard_card_limit_usd: f64,
    pub guard_weekly_budget_usd: f64,
}

/// `replicates`: a number per arm, `"auto"` (the rule of
/// `[auto_replicates]`), or a `[replicates]` table setting any of that
/// rule's keys (which also means auto).
#[derive(Debug, Clone, PartialEq)]
pub enum RawReplicates {
    Count(u32),
    Auto(RawAutoOverrides),
}

/// The adaptive rule's settings, every one given (the defaults').
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAutoReplicates {
    pub min: u32,
    pub max: u32,
    pub batch: u32,
    pub delta: f64,
    pub pcs: f64,
    /// The most runs of the whole study (every arm of every point), if
    /// capped; no default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_max: Option<u64>,
}

/// The adaptive rule's settings a scenario's `[replicates]` table gives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAutoOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pcs: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_max: Option<u64>,
}

impl RawAutoOverrides {
    /// These settings laid over `base`.
    pub fn over(&self, base: &RawAutoReplicates) -> RawAutoReplicates {
        RawAutoReplicates {
            min: self.min.unwrap_or(base.min),
            max: self.max.unwrap_or(base.max),
            batch: self.batch.unwrap_or(base.batch),
            delta: self.delta.unwrap_or(base.delta),
            pcs: self.pcs.unwrap_or(base.pcs),
            total_max: self.total_max.or(base.total_max),
        }
    }
}

impl Serialize for RawReplicates {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RawReplicates::Count(n) => s.serialize_u32(*n),
            RawReplicates::Auto(o) if *o == RawAutoOverrides::default() => s.serialize_str("auto"),
            RawReplicates::Auto(o) => o.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for RawReplicates {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawReplicates;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a number of replicates per arm, \"auto\", or a [replicates] table (min, max, batch, delta, pcs, total_max)",
                )
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawReplicates, E> {
                u32::try_from(v)
                    .map(RawReplicates::Count)
                    .map_err(|_| E::custom(format!("replicates must be between 0 and {}, got {v}", u32::MAX)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawReplicates, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawReplicates, E> {
                if v == "auto" {
                    Ok(RawReplicates::Auto(RawAutoOverrides::default()))
                } else {
                    Err(E::custom(format!(
                        "replicates must be a number or \"auto\", got \"{v}\""
                    )))
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawReplicates, A::Error> {
                RawAutoOverrides::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawReplicates::Auto)
            }
        }
        d.deserialize_any(V)
    }
}
