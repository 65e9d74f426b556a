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
    pub adoption: Adoption,
    pub learning: Learning,
    pub discovery: Discovery,
    pub technology: Technology,
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
    /// Colleagues who see each other's use and share what they find:
    /// employees `i` and `k` are in one team when `i / team_size == k / team_size`.
    pub team_size: u32,
    /// Share of the value of hours (saved or lost) that reaches the firm;
    /// the rest is slack. 1 = every hour at the full hourly cost.
    pub value_capture: f64,
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
    /// Share of one successful build that each teammate gains on the same
    /// task type (shared automation); 0 = a build serves only its builder.
    pub reuse_share: f64,
    /// Chance a week brings an employee the idea of automating a task type
    /// they do (a build is weighed only then); 1 = every week, so every
    /// employee weighs every build at week 0 (the second edition's burst).
    pub idea_per_week: f64,
}

/// Adoption and diffusion (Bass 1969): who uses AI at all. Non-users do
/// every task by hand; each week a non-user adopts with a hazard from their
/// own trial (innovation) and their team's visible use (imitation), raised
/// by what the policy and the mandate pay for use.
#[derive(Debug, Clone)]
pub struct Adoption {
    /// Share of employees who use AI at week 0; 1 = everyone (no diffusion).
    pub initial_share: f64,
    /// Bass p, per year.
    pub innovation_per_year: f64,
    /// Bass q, per year, per unit share of the team using AI.
    pub imitation_per_year: f64,
    /// The weekly pull (reward and mandate, USD) that doubles the hazard.
    pub barrier_usd: f64,
}

/// Learning by doing and from peers: proficiency in [0, 1] cuts the human
/// time AI work takes.
#[derive(Debug, Clone)]
pub struct Learning {
    /// Share of the gap to full proficiency closed by one successful AI task; 0 = off.
    pub proficiency_rate: f64,
    /// At full proficiency AI work takes this share less human time.
    pub proficiency_speed: f64,
    /// Weekly pull of proficiency toward the team's usage-weighted mean (when above it).
    pub spillover_per_week: f64,
}

/// Discovery: an exploratory (performative) run may find a recurring use case.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// Chance one exploratory run finds a use case; 0 = off.
    pub yield_per_run: f64,
    /// What a found use case adds a week to its finder, USD.
    pub value_usd_per_week: f64,
    /// Use cases fade as work changes.
    pub decay_per_week: f64,
    /// Chance a found use case is shared with the finder's team.
    pub share_prob: f64,
    /// Share of the finder's weekly value each teammate gets once shared.
    pub team_value_share: f64,
}

/// Technology paths: prices of a given capability fall and capability
/// rises over the run; the option table follows every `PERIOD_WEEKS`.
#[derive(Debug, Clone)]
pub struct Technology {
    /// Prices are divided by this each year; 1 = fixed prices.
    pub price_fall_per_year: f64,
    /// Share of the gap between a tier's capability and 1 closed each year.
    pub capability_gain_per_year: f64,
}

impl Technology {
    /// Weeks between two steps of the path.
    pub const PERIOD_WEEKS: u32 = 13;

    /// True when prices or capability move.
    pub fn moves(&self) -> bool {
        self.price_fall_per_year != 1.0 || self.capability_gain_per_year != 0.0
    }
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
    /// Weekly prize (USD-equivalent) for ranking in the top `rank_top_share`
    /// of the enterprise's employees by last week's tokens; 0 = no ranking.
    pub rank_prize_usd: f64,
    pub rank_top_share: f64,
    /// Weekly penalty (USD-equivalent) for a week without AI use.
    pub non_use_penalty_usd: f64,
    /// Target share of employees using AI in a week, and the weekly pressure
    /// (USD-equivalent) on each employee while the enterprise is below it.
    pub active_target_share: f64,
    pub active_target_pull_usd: f64,
    /// Cap on one employee's list-price spend on one model tier (a tool) in
    /// a month; `inf` = none.
    pub tool_monthly_cap_usd: f64,
    /// The spend guard (a state-contingent rule, [`super::policy::Guard`]):
    /// list-price spend per employee-month that counts a month as over
    /// (`inf` = no guard), the months over in a row that fire it, and the
    /// card limit and weekly budget it then imposes (`inf` = unchanged).
    pub guard_spend_usd_per_month: f64,
    pub guard_months: u32,
    pub guard_card_limit_usd: f64,
    pub guard_weekly_budget_usd: f64,
}

impl ModelTier {
    /// List cost in USD of a number of input and output tokens.
    #[inline]
    pub fn list_cost(&self, tokens_in: u64, tokens_out: u64) -> f64 {
        use super::agent_run::u64_to_f64;
        (u64_to_f64(tokens_in) * self.price_in + u64_to_f64(tokens_out) * self.price_out) * 1e-6
    }
}

impl Config {
    /// True when the scenario has more than one enterprise.
    pub fn is_market(&self) -> bool {
        self.enterprises.len() > 1
    }
}
