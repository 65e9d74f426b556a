//! An employee in the engine: their drawn traits and state, and one week of
//! their work: performative runs and automation builds they chose to launch,
//! then tasks (the backlog first, oldest first, then the week's arrivals)
//! turned into manual, automated or AI work by the week plan.
//!
//! Every activity draws on the week's hours. A task is taken up only when
//! the hours left cover the most it could take; otherwise it waits in the
//! backlog, and a task that has waited `backlog_weeks` is dropped. So time
//! spent chasing a reward displaces real work through the employee's own
//! launch decisions, which price every hour at the hourly cost.
//!
//! Every random draw comes from the employee's own stream, in a fixed order,
//! so a run is a pure function of its seed. Every token is booked through
//! [`Sim::charge`] into the enterprise-week's [`Tally`].

use super::tally::Tally;
use crate::model::agent_run::{self, Outcome, TaskHours};
use crate::model::choice::{Action, EmployeeView, OptionTable, PlanEntry, WeekPlan};
use crate::model::{
    Config, EmployeeParams, Lab, Learning, MAX_TASK_TYPES, MAX_TIERS, Mode, Policy, automation, diffusion, learning,
    policy,
};
use crate::rng::{Rng, stream_seed};
use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Distribution, Normal, Poisson, StandardNormal};
use std::collections::VecDeque;

/// Below this expected count a week's performative runs are not drawn (no
/// random number is used): the employee does not consider them.
pub const MIN_PERFORMATIVE_RATE: f64 = 1e-9;

/// Something an employee passes to their team this week.
#[derive(Debug, Clone, Copy)]
pub enum Shared {
    /// A use case worth `usd_per_week` to each teammate.
    UseCase { from: u32, usd_per_week: f64 },
    /// A successful automation build of task type `task`.
    Build { from: u32, task: u8 },
}

pub struct Employee {
    pub rng: Rng,
    pub engineer: bool,
    pub skill: f64,
    pub reward_sensitivity: f64,
    /// Chance of noticing that an output is polished noise.
    pub notice: f64,
    /// Belief multipliers on the success of [assist, agent] per task type.
    pub belief: [[f64; 2]; MAX_TASK_TYPES],
    /// Share of each task type automated.
    pub automated: [f64; MAX_TASK_TYPES],
    pub tokens_total: u64,
    pub tokens_last_week: u64,
    pub list_cost_total: f64,
    /// AI tasks of each type done so far.
    pub experience: [f64; MAX_TASK_TYPES],
    /// Tasks waiting: (task type, week of arrival), oldest first. Its
    /// capacity is kept from week to week, so it allocates only as it grows.
    pub backlog: VecDeque<(u8, u32)>,
    /// Whether the employee uses AI at all.
    pub user: bool,
    /// Whether they became a user during the run (their AI work is booked
    /// to the adoption channel).
    pub adopted: bool,
    /// Proficiency with AI in [0, 1], and the part of it learnt from peers.
    pub proficiency: f64,
    pub proficiency_peer: f64,
    /// Weekly value of the use cases the employee found or was given, USD.
    pub use_cases: f64,
    /// The month in progress and the list cost run up on each tier (tool)
    /// in it (for monthly caps per tool).
    pub month: u32,
    pub month_tool_cost: [f64; MAX_TIERS],
}

/// The distributions employees' traits are drawn from.
pub struct Traits {
    skill: Beta<f64>,
    sensitivity: Beta<f64>,
    optimism: Normal<f64>,
}

impl Traits {
    pub fn new(p: &EmployeeParams) -> Self {
        Traits {
            skill: Beta::new(p.skill_beta[0], p.skill_beta[1]).expect("validated"),
            sensitivity: Beta::new(p.reward_sensitivity_beta[0], p.reward_sensitivity_beta[1]).expect("validated"),
            optimism: Normal::new(p.optimism_mean, p.optimism_sd).expect("validated"),
        }
    }
}

impl Employee {
    /// Employee `i` of enterprise `enterprise`, with traits drawn from its
    /// own stream; a user of AI with probability `initial_share`.
    pub fn new(p: &EmployeeParams, traits: &Traits, initial_share: f64, seed: u64, enterprise: u64, i: u64) -> Self {
        let mut r = Rng::seed_from_u64(stream_seed(seed, enterprise, i));
        let engineer = r.random::<f64>() < p.engineer_share;
        let skill = traits.skill.sample(&mut r);
        let reward_sensitivity = traits.sensitivity.sample(&mut r);
        let belief = learning::initial_belief(traits.optimism.sample(&mut r));
        let notice = (p.notice_prob * (0.5 + skill)).min(1.0);
        // Drawn last, and only when some start as non-users, so the
        // second edition's streams are untouched when everyone uses AI.
        let user = initial_share >= 1.0 || r.random::<f64>() < initial_share;
        Employee {
            rng: r,
            engineer,
            skill,
            reward_sensitivity,
            notice,
            belief: [[belief; 2]; MAX_TASK_TYPES],
            automated: [0.0; MAX_TASK_TYPES],
            tokens_total: 0,
            tokens_last_week: 0,
            list_cost_total: 0.0,
            experience: [0.0; MAX_TASK_TYPES],
            backlog: VecDeque::new(),
            user,
            adopted: false,
            proficiency: 0.0,
            proficiency_peer: 0.0,
            use_cases: 0.0,
            month: 0,
            month_tool_cost: [0.0; MAX_TIERS],
        }
    }

    /// Human time AI work takes this employee, as a share of a novice's.
    #[inline]
    pub fn speed(&self, learning: &Learning) -> f64 {
        if self.proficiency == 0.0 {
            1.0
        } else {
            diffusion::speed(self.proficiency, learning.proficiency_speed)
        }
    }

    /// What the employee brings to this week's decisions.
    pub fn view(&self, learning: &Learning) -> EmployeeView<'_> {
        EmployeeView {
            engineer: self.engineer,
            skill: self.skill,
            reward_sensitivity: self.reward_sensitivity,
            belief: &self.belief,
            automated: &self.automated,
            tokens_last_week: self.tokens_last_week as f64,
            experience: &self.experience,
            user: self.user,
            speed: self.speed(learning),
        }
    }
}

/// Books tokens on a tier: the only place tokens and list cost are counted.
/// Returns the list cost.
#[inline]
fn charge(lab: &Lab, tally: &mut Tally, spent: &mut Spent, tier: usize, t_in: u64, t_out: u64) -> f64 {
    let cost = lab.models[tier].list_cost(t_in, t_out);
    // Saturating: a count past u64 stays past every limit, and the run is
    // refused as uncountable (`tally::counted`), never wrapped back to a
    // small number. Every other token sum is bounded by these counts while
    // the run is countable, so it adds (wrapping, never panicking) as is.
    let t = &mut tally.tokens[tier];
    t[0] = t[0].saturating_add(t_in);
    t[1] = t[1].saturating_add(t_out);
    tally.list_cost += cost;
    spent.week += cost;
    spent.tools[tier] += cost;
    cost
}

/// What an employee has run up at list price: this week (for budgets) and
/// on each tier this month (for caps per tool).
#[derive(Debug, Clone, Copy)]
pub struct Spent {
    pub week: f64,
    pub tools: [f64; MAX_TIERS],
}

/// What an hour of the week goes to.
#[derive(Debug, Clone, Copy)]
enum Use {
    Manual,
    Ai,
    Rework,
    Performative,
    Builds,
    Learning,
}

/// One employee's week in progress.
pub struct Sim<'a> {
    pub cfg: &'a Config,
    pub lab: &'a Lab,
    pub table: &'a OptionTable,
    pub policy: &'a Policy,
    /// The card limit binding each run, and the weekly budget, USD at list
    /// price (the policy's, tightened by its guard once fired).
    pub card: f64,
    pub budget: f64,
    pub emp: &'a mut Employee,
    /// The employee's index in the enterprise (for what the team shares).
    pub index: u32,
    /// What the employee passes to teammates this week.
    pub shared: &'a mut Vec<Shared>,
    pub tally: &'a mut Tally,
    /// List cost the employee has run up this week (for budgets) and on
    /// each tool this month (for caps).
    pub spent: Spent,
    /// Hours of the week not yet used.
    pub hours_left: f64,
    pub week: u32,
}

impl Sim<'_> {
    /// The value to the firm of one hour: the hourly cost times the share
    /// of hours that reaches the firm (1 = the second edition's full wage).
    #[inline]
    fn hour_value(&self) -> f64 {
        self.cfg.employees.hourly_cost_usd * self.cfg.employees.value_capture
    }

    /// The week: performative runs and builds, then the backlog, then the
    /// week's arrivals, each as the plan draws it, while the hours last;
    /// then the weekly value of the employee's use cases.
    pub fn week(&mut self, plan: &WeekPlan, tasks_dist: &Poisson<f64>) {
        let n = tasks_dist.sample(&mut self.emp.rng) as u64;
        self.tally.tasks += n;
        self.performative(plan);
        self.builds(plan);
        let mut backlog = std::mem::take(&mut self.emp.backlog);
        for _ in 0..backlog.len() {
            let (j, arrived) = backlog.pop_front().expect("counted");
            if self.week - arrived >= self.cfg.employees.backlog_weeks {
                self.tally.tasks_dropped += 1;
                continue;
            }
            let u: f64 = self.emp.rng.random();
            let entry = *plan.pick_of_type(j as usize, u);
            if !self.task(&entry) {
                backlog.push_back((j, arrived));
            }
        }
        for _ in 0..n {
            let u: f64 = self.emp.rng.random();
            let entry = *plan.pick(u);
            if !self.task(&entry) {
                backlog.push_back((entry.task, self.week));
            }
        }
        self.tally.tasks_backlog += backlog.len() as u64;
        self.emp.backlog = backlog;
        self.use_cases();
    }

    /// Books the week's value of the employee's use cases (a user's only),
    /// which then fade.
    fn use_cases(&mut self) {
        let v = self.emp.use_cases;
        if v == 0.0 {
            return;
        }
        if self.emp.user {
            self.tally.value += v;
            self.tally.value_discovery += v;
        }
        self.emp.use_cases = v * (1.0 - self.cfg.discovery.decay_per_week);
    }

    /// Takes up one task as `entry` decides, if the hours left cover the
    /// most it could take; returns false (the task waits) otherwise.
    fn task(&mut self, entry: &PlanEntry) -> bool {
        let cfg = self.cfg;
        let j = entry.task as usize;
        let task = &cfg.task_types[j];
        let action = match entry.action {
            Action::Ai { tier, .. }
                if policy::budget_spent(self.budget, self.spent.week)
                    || policy::tool_capped(self.policy, self.spent.tools[tier as usize]) =>
            {
                Action::Manual
            }
            // An automation runs on the cheapest tier: closed with it.
            Action::Automated if policy::tool_capped(self.policy, self.spent.tools[self.table.cheapest_tier]) => {
                Action::Manual
            }
            a => a,
        };
        // An AI task's learning time and hours are worked out once, here,
        // and passed on.
        let (need, ai) = match action {
            Action::Manual => (task.manual_hours, None),
            Action::Automated => (0.0, None),
            Action::Ai { mode, .. } => {
                let learning = self.learning_hours(j);
                let speed = self.emp.speed(&cfg.learning);
                let hours = TaskHours::new(task, &cfg.employees, mode, self.emp.skill, speed);
                (hours.most + learning, Some((learning, hours)))
            }
        };
        if need > self.hours_left {
            return false;
        }
        self.tally.decisions += 1;
        self.tally.tasks_done += 1;
        match action {
            Action::Manual => self.use_hours(Use::Manual, task.manual_hours),
            Action::Automated => {
                let (t_in, t_out) = automation::automated_task_tokens(cfg);
                let cost = self.charge(self.table.cheapest_tier, t_in, t_out);
                self.tally.list_automation += cost;
                self.tally.automated += 1;
                let value = task.manual_hours * self.hour_value();
                self.tally.value += value;
                self.tally.value_automation += value;
                self.tally.hours_saved += task.manual_hours;
            }
            Action::Ai { mode, tier } => {
                let (learning, hours) = ai.expect("an AI task's hours, worked out above");
                self.ai_task(j, mode, tier as usize, learning, &hours);
            }
        }
        true
    }

    /// Hours of learning an AI use of task type `j` takes now: the
    /// friction, worn down by experience, at the hourly cost.
    #[inline]
    fn learning_hours(&self, j: usize) -> f64 {
        let beh = &self.cfg.behaviour;
        if beh.ai_friction_usd == 0.0 {
            return 0.0; // no friction: no exp() on the hot path
        }
        learning::friction(0.0, beh.ai_friction_usd, self.emp.experience[j], beh.friction_uses)
            / self.cfg.employees.hourly_cost_usd
    }

    /// Books hours of one use against the week.
    #[inline]
    fn use_hours(&mut self, what: Use, hours: f64) {
        self.hours_left -= hours;
        let slot = match what {
            Use::Manual => &mut self.tally.hours_manual,
            Use::Ai => &mut self.tally.hours_ai,
            Use::Rework => &mut self.tally.hours_rework,
            Use::Performative => &mut self.tally.hours_performative,
            Use::Builds => &mut self.tally.hours_builds,
            Use::Learning => &mut self.tally.hours_learning,
        };
        *slot += hours;
    }

    /// Books tokens on a tier.
    #[inline]
    fn charge(&mut self, tier: usize, t_in: u64, t_out: u64) -> f64 {
        charge(self.lab, self.tally, &mut self.spent, tier, t_in, t_out)
    }

    /// Draws an AI run of `shape` on `tier` with per-attempt success `s`,
    /// booking every attempt's tokens.
    fn run(&mut self, tier: usize, shape: &agent_run::RunShape, s: f64) -> agent_run::Drawn {
        let (lab, tally, spent) = (self.lab, &mut *self.tally, &mut self.spent);
        agent_run::draw(&mut self.emp.rng, shape, s, self.card, |i, o| {
            charge(lab, tally, spent, tier, i, o)
        })
    }

    /// Books an AI task's value (already added to the week's value) by
    /// channel: what a novice would have got to the task channel (or
    /// adoption, for a new user), and what proficiency added over a novice
    /// to learning and spillover, split by the share learnt from peers.
    fn book_task_channels(&mut self, novice_usd: f64, proficient_usd: f64) {
        if self.emp.adopted {
            self.tally.value_adoption += novice_usd;
        } else {
            self.tally.value_tasks += novice_usd;
        }
        let extra = proficient_usd - novice_usd;
        if extra != 0.0 {
            // (Without proficiency the difference is rounding alone.)
            let p = self.emp.proficiency;
            let peer = if p > 0.0 { self.emp.proficiency_peer / p } else { 0.0 };
            self.tally.value_spillover += extra * peer;
            self.tally.value_learning += extra * (1.0 - peer);
        }
    }

    fn ai_task(&mut self, j: usize, mode: Mode, tier: usize, learning: f64, hours: &TaskHours) {
        let cfg = self.cfg;
        let task = &cfg.task_types[j];
        let model = &self.lab.models[tier];
        let hv = self.hour_value();
        if learning > 0.0 {
            self.use_hours(Use::Learning, learning);
            self.tally.value -= learning * hv;
            self.tally.value_learning -= learning * hv;
            self.tally.hours_saved -= learning;
        }
        let reachable = agent_run::draw_reachable(&mut self.emp.rng, task, model.capability);
        let s = agent_run::attempt_success(task, model.reliability, reachable);
        let mi = usize::from(mode != Mode::Assist);
        let d = self.run(tier, &agent_run::shape(task, &cfg.agent, mode), s);
        let cost = d.list_cost;
        self.tally.list_tasks += cost;
        self.tally.ai_tasks += 1;
        self.tally.agent_tasks += mi as u64;
        self.tally.frontier_tasks += u64::from(tier == 0);
        self.emp.experience[j] += 1.0;
        let emp = &cfg.employees;
        let (saved, lost) = hours.at_speed;
        let vm = self.policy.value_measurement;
        let observed = match d.outcome {
            Outcome::Success => {
                self.use_hours(Use::Ai, task.manual_hours - saved);
                self.tally.value += saved * hv + task.quality_gain_usd;
                let novice = hours.novice.0;
                self.book_task_channels(novice * hv + task.quality_gain_usd, saved * hv + task.quality_gain_usd);
                self.tally.hours_saved += saved;
                self.tally.apparent_outputs += 1;
                if cfg.learning.proficiency_rate > 0.0 {
                    let p = &mut self.emp.proficiency;
                    *p = diffusion::learn_by_doing(*p, cfg.learning.proficiency_rate);
                }
                1.0
            }
            Outcome::Noise => {
                // Looks done. The hours spent with the AI are lost, and
                // whoever receives the output pays the rework (the workslop
                // study's 1 h 56 min), booked to this week as the team's
                // hours. The employee only learns it was noise when they
                // notice it or the policy measures it.
                self.tally.noise_outputs += 1;
                self.tally.apparent_outputs += 1;
                self.tally.noise_tokens = self.tally.noise_tokens.wrapping_add(d.tokens);
                self.tally.waste_list += d.list_cost;
                let lost_hours = hours.noise;
                let rework = emp.noise_rework_hours;
                self.use_hours(Use::Ai, lost_hours - rework);
                self.use_hours(Use::Rework, rework);
                self.tally.value -= lost_hours * hv;
                self.tally.value_rework -= rework * hv;
                let spent = hours.noise_spent;
                self.book_task_channels(-spent * hv, -(lost_hours - rework) * hv);
                self.tally.hours_saved -= lost_hours;
                let revealed = self.emp.rng.random::<f64>() < vm || self.emp.rng.random::<f64>() < self.emp.notice;
                if revealed { 0.0 } else { 1.0 }
            }
            Outcome::Failed => {
                // The AI time is lost and the task is then done by hand.
                self.use_hours(Use::Ai, lost);
                self.use_hours(Use::Manual, task.manual_hours);
                self.tally.waste_list += d.list_cost;
                self.tally.value -= lost * hv;
                let novice = hours.novice.1;
                self.book_task_channels(-novice * hv, -lost * hv);
                self.tally.hours_saved -= lost;
                0.0
            }
        };
        // Beliefs learn from what the employee sees, relative to what the
        // option really delivers.
        let p_real = self.table.stats[j][mi][tier].p_real;
        let b = &mut self.emp.belief[j][mi];
        *b = learning::update_belief(*b, observed, p_real, cfg.employees.learning_rate);
    }

    fn performative(&mut self, plan: &WeekPlan) {
        let perf = &self.cfg.performative;
        let rate = perf.opportunities_per_week * plan.perf_prob;
        if rate < MIN_PERFORMATIVE_RATE {
            return;
        }
        let n = Poisson::new(rate).map_or(0, |d| d.sample(&mut self.emp.rng) as u64);
        let hv = self.hour_value();
        let n_tiers = self.lab.models.len();
        let discovery = &self.cfg.discovery;
        for _ in 0..n {
            if policy::budget_spent(self.budget, self.spent.week) || perf.launch_hours > self.hours_left {
                break;
            }
            self.tally.decisions += 1;
            let k = plan.perf_tier(self.emp.rng.random(), n_tiers);
            if policy::tool_capped(self.policy, self.spent.tools[k]) {
                continue; // that tool is closed for the month
            }
            let model = &self.lab.models[k];
            let z: f64 = self.emp.rng.sample(StandardNormal);
            let mut tokens = perf.tokens_median * (perf.tokens_sigma * z).exp();
            let blended = (perf.input_share * model.price_in + (1.0 - perf.input_share) * model.price_out) * 1e-6;
            if tokens * blended > self.card {
                tokens = self.card / blended;
            }
            let t_in = agent_run::round_to_u64(tokens * perf.input_share);
            let t_out = agent_run::round_to_u64((1.0 - perf.input_share) * tokens);
            let cost = self.charge(k, t_in, t_out);
            self.tally.list_busywork += cost;
            self.tally.perf_tokens = self.tally.perf_tokens.wrapping_add(t_in.wrapping_add(t_out));
            self.tally.perf_runs += 1;
            self.use_hours(Use::Performative, perf.launch_hours);
            self.tally.value -= perf.launch_hours * hv;
            self.tally.value_busywork -= perf.launch_hours * hv;
            self.tally.hours_saved -= perf.launch_hours;
            // An exploratory run may find a recurring use case (drawn only
            // when discovery is on, so the streams are otherwise untouched).
            // A run that finds nothing is waste; one that finds a use case
            // is the cost of discovery.
            if discovery.yield_per_run > 0.0 && self.emp.rng.random::<f64>() < discovery.yield_per_run {
                self.tally.discoveries += 1;
                let cap = diffusion::use_case_cap(self.cfg, self.emp.engineer);
                self.emp.use_cases = diffusion::add_use_case(self.emp.use_cases, discovery.value_usd_per_week, cap);
                if self.emp.rng.random::<f64>() < discovery.share_prob {
                    self.shared.push(Shared::UseCase {
                        from: self.index,
                        usd_per_week: discovery.value_usd_per_week * discovery.team_value_share,
                    });
                }
            } else {
                self.tally.waste_list += cost;
            }
        }
    }

    fn builds(&mut self, plan: &WeekPlan) {
        let cfg = self.cfg;
        let hv = self.hour_value();
        for (j, task) in cfg.task_types.iter().enumerate() {
            let p = plan.build_prob[j];
            if p < automation::MIN_BUILD_PROB || self.emp.rng.random::<f64>() >= p {
                continue;
            }
            if policy::budget_spent(self.budget, self.spent.week)
                || policy::tool_capped(self.policy, self.spent.tools[0])
                || cfg.automation.build_hours > self.hours_left
            {
                break;
            }
            self.tally.decisions += 1;
            self.tally.builds += 1;
            // Builds use the lab's most capable tier.
            let model = &self.lab.models[0];
            let reachable = agent_run::draw_reachable(&mut self.emp.rng, task, model.capability);
            let s = agent_run::attempt_success(task, model.reliability, reachable) * cfg.automation.build_success_mult;
            let d = self.run(0, &agent_run::build_shape(task, cfg), s);
            self.tally.list_automation += d.list_cost;
            self.use_hours(Use::Builds, cfg.automation.build_hours);
            self.tally.value -= cfg.automation.build_hours * hv;
            self.tally.value_automation -= cfg.automation.build_hours * hv;
            self.tally.hours_saved -= cfg.automation.build_hours;
            if d.outcome == Outcome::Success {
                let a = &mut self.emp.automated[j];
                *a = automation::after_build(*a, cfg, task);
                if cfg.automation.reuse_share > 0.0 {
                    self.shared.push(Shared::Build {
                        from: self.index,
                        task: j as u8,
                    });
                }
            } else {
                self.tally.waste_list += d.list_cost;
            }
        }
    }
}
