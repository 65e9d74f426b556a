//! The typed model configuration: labs, enterprises, employees' parameters,
//! task types and incentive policies, validated and with names resolved to
//! indices.
//!
//! Data only: it knows nothing of TOML, files or threads. The scenario layer
//! builds a [`Config`] (and has checked every range); the engine reads it.

/// The largest number of model tiers a lab may offer. Fixed so that per-tier
/// token counters live on the stack in the engine's inner loop.
pub const MAX_TIERS: usize = 6;
/// The largest number of task types. Fixed for the same reason.
pub const MAX_TASK_TYPES: usize = 8;

/// Work modes an employee chooses between for one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Manual,
    Assist,
    Agent,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub name: String,
    pub weeks: u32,
    pub term_weeks: u32,
    pub employees: EmployeeParams,
    pub behaviour: Behaviour,
    pub agent: AgentParams,
    pub performative: Performative,
    pub automation: Automation,
    pub market: Market,
    pub task_types: Vec<TaskType>,
    pub labs: Vec<Lab>,
    /// One entry per enterprise (groups with `count > 1` are expanded).
    pub enterprises: Vec<EnterpriseSpec>,
    /// Every policy the scenario defines, in name order.
    pub policies: Vec<Policy>,
    /// Indices into `policies`, in the order of the scenario's `arms`.
    pub arms: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct EmployeeParams {
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
    /// Hours an employee works a week: every activity draws on them.
    pub hours_per_week: f64,
    /// Weeks a task may wait in the backlog before it is dropped.
    pub backlog_weeks: u32,
}

#[derive(Debug, Clone)]
pub struct Behaviour {
    pub temperature_usd: f64,
    pub tier_temperature_usd: f64,
    pub mandate_usd: f64,
    pub planning_horizon_weeks: u32,
    pub ai_friction_usd: f64,
    pub friction_uses: f64,
}

#[derive(Debug, Clone)]
pub struct AgentParams {
    pub max_attempts: u32,
    pub card_limit_usd: f64,
    pub noise_prob_agent: f64,
    pub noise_prob_assist: f64,
}

#[derive(Debug, Clone)]
pub struct Performative {
    pub opportunities_per_week: f64,
    pub launch_hours: f64,
    pub tokens_median: f64,
    pub tokens_sigma: f64,
    pub input_share: f64,
    pub temperature_usd: f64,
    pub mandate_weight: f64,
}

#[derive(Debug, Clone)]
pub struct Automation {
    pub build_token_mult: f64,
    pub build_success_mult: f64,
    pub build_hours: f64,
    pub step: f64,
    pub decay_per_week: f64,
    pub tokens_per_task: f64,
    /// Share of an automated task's tokens that are input.
    pub input_share: f64,
}

#[derive(Debug, Clone)]
pub struct Market {
    pub imitation_rate: f64,
    pub imitation_beta: f64,
    /// Weight of a peer's measured ROI, against its visible spend growth, in
    /// the signal imitators follow: 0 = spend growth only, 1 = ROI only.
    pub imitation_roi_weight: f64,
}

/// How an enterprise sets its next term's commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewalRule {
    /// Annual usage grown by e^(commit_gain · perceived success): sunk-cost escalation.
    Escalate,
    /// Annual usage × (1 + renewal_headroom).
    TrackUsage,
    /// A planned budget per employee, revised each term by the measured ROI.
    Budget,
}

impl RenewalRule {
    /// Every rule, with its name in scenario files.
    pub const ALL: [(RenewalRule, &'static str); 3] = [
        (RenewalRule::Escalate, "escalate"),
        (RenewalRule::TrackUsage, "track_usage"),
        (RenewalRule::Budget, "budget"),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(r, _)| *r == self).map_or("", |(_, n)| n)
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(r, _)| *r)
    }
}

#[derive(Debug, Clone)]
pub struct TaskType {
    pub name: String,
    /// Arrival shares for non-engineers and engineers, normalised to sum to 1
    /// over all task types.
    pub share: [f64; 2],
    pub p_reasoning: f64,
    pub ai_success: f64,
    pub manual_hours: f64,
    pub quality_gain_usd: f64,
    pub assist_hours_share: f64,
    /// Median input and output tokens of one chat call.
    pub assist_tokens: [f64; 2],
    /// Median input and output tokens of one agent attempt.
    pub agent_tokens: [f64; 2],
    pub token_sigma: f64,
    pub agent_review_hours: f64,
    pub recurring: f64,
}

#[derive(Debug, Clone)]
pub struct Lab {
    pub name: String,
    pub breakage: f64,
    pub evangelism: f64,
    pub serving_cost_share: f64,
    /// Sorted by `min_commit_usd`, the first at 0.
    pub discount_tiers: Vec<DiscountTier>,
    /// Model tiers, most capable first.
    pub models: Vec<ModelTier>,
}

#[derive(Debug, Clone, Copy)]
pub struct DiscountTier {
    pub min_commit_usd: f64,
    pub discount: f64,
}

#[derive(Debug, Clone)]
pub struct ModelTier {
    pub name: String,
    /// USD per million input tokens at list.
    pub price_in: f64,
    /// USD per million output tokens at list.
    pub price_out: f64,
    pub capability: f64,
    pub reliability: f64,
}

#[derive(Debug, Clone)]
pub struct EnterpriseSpec {
    pub name: String,
    pub employees: u32,
    pub lab: usize,
    /// A policy fixed by the scenario; `None` takes the arm's policy.
    pub policy: Option<usize>,
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
    pub renewal: RenewalRule,
    /// `track_usage`: next commitment = annual usage × (1 + headroom), headroom ≥ −1.
    pub renewal_headroom: f64,
    /// Chance that a term whose measured ROI fell below `review_roi_below`
    /// makes leadership replace its incentive policy by `review_policy`.
    pub review_prob: f64,
    pub review_roi_below: f64,
    /// The policy a review switches to (None: reviews keep the policy).
    pub review_policy: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub token_reward_usd_per_mtok: f64,
    pub output_reward_usd: f64,
    pub value_reward_share: f64,
    pub cost_penalty_share: f64,
    pub quota_tokens_per_week: f64,
    pub quota_reward_usd_per_mtok: f64,
    pub value_measurement: f64,
    pub weekly_budget_usd: f64,
    pub card_limit_usd: f64,
}

impl ModelTier {
    /// List cost in USD of a number of input and output tokens.
    #[inline]
    pub fn list_cost(&self, tokens_in: u64, tokens_out: u64) -> f64 {
        (tokens_in as f64 * self.price_in + tokens_out as f64 * self.price_out) * 1e-6
    }
}

impl Config {
    /// True when the scenario has more than one enterprise.
    pub fn is_market(&self) -> bool {
        self.enterprises.len() > 1
    }
}
