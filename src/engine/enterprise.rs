//! An enterprise in the engine: its state over a run (contract, mandate,
//! leadership's reading of usage, incentive policy), one week of its
//! employees' work, the week's bill, the sunk-cost pressure, and signing a
//! contract (the renewal of every enterprise's is [`super::renewal`]). The rules themselves live in
//! [`crate::model::contract`]; this module keeps the state and draws.

use super::employee::{Employee, Shared, Sim, Spent, Traits};
use super::metrics::EnterpriseMetrics;
use super::tally::{Bill, Tally};
use super::team;
use crate::model::choice::{self, OptionTable, WeekContext, WeekPlan};
use crate::model::contract::{self, TermWeek};
use crate::model::{Config, EnterpriseSpec, Lab, MAX_TIERS, automation, diffusion, policy, technology};
use crate::rng::{Rng, stream_seed};
use rand::RngExt;
use rand::SeedableRng;
use rand_distr::{Poisson, StandardNormal};

/// The stream index of an enterprise's own (non-employee) draws.
const ENTERPRISE_STREAM: u64 = u64::MAX;

pub struct Enterprise<'c> {
    pub spec: &'c EnterpriseSpec,
    pub lab: &'c Lab,
    /// The lab's model tiers today, on the technology path (a copy of
    /// `lab` when prices and capability stay fixed).
    pub lab_now: Lab,
    /// Expected outcomes of every option at this lab today.
    pub table: OptionTable,
    /// What employees pass to their teams this week (capacity kept).
    pub shared: Vec<Shared>,
    /// AI users per team at the start of the week (capacity kept).
    pub team_users: Vec<u32>,
    /// Under a rank prize: last week's tokens of the last employee inside
    /// the top share, and scratch space to find it (capacity kept).
    pub rank_cutoff_tokens: f64,
    rank_scratch: Vec<u64>,
    /// Under a weekly-active target: whether last week's share of employees
    /// using AI fell short of it.
    pub below_active_target: bool,
    /// The policy's spend guard (counted only when the policy has one).
    pub guard: policy::Guard,
    pub rng: Rng,
    pub employees: Vec<Employee>,
    /// The incentive policy in force (an index into `Config::policies`).
    pub policy: usize,
    pub policy_initial: usize,
    /// Leadership's spend-signal weight λ.
    pub lambda: f64,
    /// Annual commitment of the current term, USD.
    pub commitment: f64,
    pub discount: f64,
    pub mandate: f64,
    pub mandate_sum: f64,
    pub term_usage: f64,
    pub term_spend: f64,
    pub term_value: f64,
    pub prev_term_usage: Option<f64>,
    pub prev_measured_roi: Option<f64>,
    /// Usage growth signal of the last renewal (what peers see).
    pub visible_growth: f64,
    /// ln measured ROI of the last renewal (what peers hear reported).
    pub visible_roi: f64,
    /// The `budget` rule's planned annual budget.
    pub budget: f64,
    pub escalations: u64,
    pub renewals_judged: u64,
    /// Escalations and judged renewals by leadership's reading at the
    /// renewal: [ROI readers (λ ≤ 0.5), spend readers (λ > 0.5)].
    pub escalations_by_reading: [u64; 2],
    pub judged_by_reading: [u64; 2],
    pub policy_reviews: u64,
    /// Terms judged, and those whose measured ROI was below 1.
    pub terms_judged: u64,
    pub terms_below_one: u64,
    pub totals: EnterpriseMetrics,
}

impl<'c> Enterprise<'c> {
    /// Enterprise `index` under `policy`, its leadership and employees drawn
    /// from streams of (seed, index).
    pub fn new(cfg: &'c Config, spec: &'c EnterpriseSpec, index: u64, seed: u64, policy: usize) -> Self {
        let lab = &cfg.labs[spec.lab];
        let mut rng = Rng::seed_from_u64(stream_seed(seed, index, ENTERPRISE_STREAM));
        let lambda = if spec.spend_signal_sd > 0.0 {
            let z: f64 = rng.sample(StandardNormal);
            (spec.spend_signal_weight + spec.spend_signal_sd * z).clamp(0.0, 1.0)
        } else {
            spec.spend_signal_weight
        };
        let traits = Traits::new(&cfg.employees);
        let employees = (0..spec.employees as u64)
            .map(|i| Employee::new(&cfg.employees, &traits, cfg.adoption.initial_share, seed, index, i))
            .collect();
        Enterprise {
            spec,
            lab,
            lab_now: lab.clone(),
            table: OptionTable::new(cfg, lab),
            shared: Vec::new(),
            team_users: Vec::new(),
            rank_cutoff_tokens: 0.0,
            rank_scratch: Vec::new(),
            below_active_target: false,
            guard: policy::Guard::default(),
            rng,
            employees,
            policy,
            policy_initial: policy,
            lambda,
            commitment: 0.0,
            discount: 0.0,
            mandate: 0.0,
            mandate_sum: 0.0,
            term_usage: 0.0,
            term_spend: 0.0,
            term_value: 0.0,
            prev_term_usage: None,
            prev_measured_roi: None,
            visible_growth: 0.0,
            visible_roi: 0.0,
            budget: spec.first_term_commit_per_employee_usd * spec.employees as f64,
            escalations: 0,
            renewals_judged: 0,
            escalations_by_reading: [0; 2],
            judged_by_reading: [0; 2],
            policy_reviews: 0,
            terms_judged: 0,
            terms_below_one: 0,
            totals: EnterpriseMetrics::default(),
        }
    }

    /// Simulates every employee for one week into `tally`. `plan` is a
    /// scratch table reused across employees (no allocation per employee).
    pub fn work_week(
        &mut self,
        cfg: &Config,
        week: u32,
        tasks_dist: &Poisson<f64>,
        plan: &mut WeekPlan,
        tally: &mut Tally,
    ) {
        let policy = &cfg.policies[self.policy];
        let ctx = WeekContext {
            cfg,
            table: &self.table,
            policy,
            mandate: self.mandate,
            rank_cutoff_tokens: self.rank_cutoff_tokens,
            below_active_target: self.below_active_target,
        };
        let month = policy::month_of(week);
        let guarded = policy::Guard::armed(policy);
        if guarded {
            self.guard.start_week(policy, month, self.employees.len());
        }
        let card = self.guard.card_limit(&cfg.agent, policy);
        let budget = self.guard.weekly_budget(policy);
        let cost_before = tally.list_cost;
        let size = cfg.employees.team_size as usize;
        let diffusing = cfg.adoption.initial_share < 1.0;
        if diffusing {
            team::count_users(&self.employees, size, &mut self.team_users);
        }
        let n = self.employees.len();
        for (i, emp) in self.employees.iter_mut().enumerate() {
            if emp.month != month {
                emp.month = month;
                emp.month_tool_cost = [0.0; MAX_TIERS];
            }
            choice::plan_week(&ctx, &emp.view(&cfg.learning), plan);
            let before = tally.tokens();
            let tools = emp.month_tool_cost;
            let mut sim = Sim {
                cfg,
                lab: &self.lab_now,
                table: &self.table,
                policy,
                card,
                budget,
                emp,
                index: i as u32,
                shared: &mut self.shared,
                tally,
                spent: Spent { week: 0.0, tools },
                hours_left: cfg.employees.hours_per_week,
                week,
            };
            sim.week(plan, tasks_dist);
            let spent = sim.spent;
            let sim_cost = spent.week;
            emp.month_tool_cost = spent.tools;
            let used = tally.tokens().wrapping_sub(before);
            emp.list_cost_total += sim_cost;
            emp.tokens_total = emp.tokens_total.wrapping_add(used);
            emp.tokens_last_week = used;
            automation::decay(&mut emp.automated, cfg);
            if !emp.user {
                // Only when some started as non-users (`diffusing`).
                let (start, end) = team::team_of(i, size, n);
                let team_share = f64::from(self.team_users[i / size]) / (end - start) as f64;
                let a = &cfg.adoption;
                let p = diffusion::adoption_probability(
                    a.innovation_per_year,
                    a.imitation_per_year,
                    team_share,
                    plan.adopt_pull,
                    a.barrier_usd,
                );
                if emp.rng.random::<f64>() < p {
                    emp.user = true;
                    emp.adopted = true;
                    tally.adoptions += 1;
                }
            }
        }
        debug_assert!(diffusing || self.employees.iter().all(|e| e.user));
        team::end_week(cfg, &mut self.employees, &mut self.shared);
        if guarded {
            self.guard.month_cost += tally.list_cost - cost_before;
        }
        self.read_usage(policy);
    }

    /// What the policy reads of the week's usage for the next: the rank
    /// cutoff under a rank prize, the weekly-active share under a target.
    /// Nothing is read (and nothing changes) under a policy with neither.
    fn read_usage(&mut self, policy: &crate::model::Policy) {
        if policy.rank_prize_usd > 0.0 && !self.employees.is_empty() {
            let s = &mut self.rank_scratch;
            s.clear();
            s.extend(self.employees.iter().map(|e| e.tokens_last_week));
            let k = policy::rank_winners(policy, s.len());
            // The k-th largest: the last place inside the top share.
            let (_, kth, _) = s.select_nth_unstable_by(k - 1, |a, b| b.cmp(a));
            self.rank_cutoff_tokens = *kth as f64;
        }
        if policy.active_target_share > 0.0 && !self.employees.is_empty() {
            let active = self.employees.iter().filter(|e| e.tokens_last_week > 0).count();
            self.below_active_target = (active as f64) < policy.active_target_share * self.employees.len() as f64;
        }
    }

    /// Moves the lab's tiers along the technology path at the start of
    /// `week`, when the path takes a step, and rebuilds the option table.
    pub fn follow_technology(&mut self, cfg: &Config, week: u32) {
        if technology::steps_at(&cfg.technology, week) {
            technology::lab_at(self.lab, &cfg.technology, week, &mut self.lab_now);
            self.table = OptionTable::new(cfg, &self.lab_now);
        }
    }

    /// The bill of `week`: usage at the contract's discount, and breakage in
    /// a term's last week. Adds usage, spend and value to the term's sums.
    pub fn bill_week(&mut self, cfg: &Config, week: u32, tally: &Tally) -> Bill {
        let term = TermWeek::of(week, cfg.weeks, cfg.term_weeks);
        let usage_cost = tally.list_cost * (1.0 - self.discount);
        self.term_usage += usage_cost;
        let breakage = if term.is_last() {
            contract::breakage(self.lab, self.commitment, self.term_usage, term, cfg.term_weeks)
        } else {
            0.0
        };
        let spend = usage_cost + breakage;
        self.term_spend += spend;
        self.term_value += tally.value;
        Bill {
            usage_cost,
            breakage,
            spend,
            waste: tally.waste_list * (1.0 - self.discount) + breakage,
            serving: tally.list_cost * self.lab.serving_cost_share,
        }
    }

    /// Sunk-cost pressure at the end of `week`: the mandate follows the
    /// shortfall of usage against the commitment prorated to date.
    pub fn press(&mut self, cfg: &Config, week: u32) {
        let term = TermWeek::of(week, cfg.weeks, cfg.term_weeks);
        self.mandate_sum += self.mandate;
        self.mandate = contract::next_mandate(
            self.spec,
            self.mandate,
            self.commitment,
            self.term_usage,
            term,
            cfg.term_weeks,
        );
    }

    /// Signs a new term's contract for `commitment`.
    pub(super) fn sign(&mut self, commitment: f64) {
        self.commitment = commitment;
        self.discount = self.lab.discount_for(commitment);
    }
}
