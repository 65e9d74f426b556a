//! An employee in the engine: their drawn traits and state, and one week of
//! their work: task arrivals turned into manual, automated or AI work by the
//! week plan, performative runs, and automation builds.
//!
//! Every random draw comes from the employee's own stream, in a fixed order,
//! so a run is a pure function of its seed. Every token is booked through
//! [`Sim::charge`] into the enterprise-week's [`Tally`].

use super::accounting::Tally;
use crate::model::agent_run::{self, Outcome};
use crate::model::choice::{Action, EmployeeView, OptionTable, WeekPlan};
use crate::model::{Config, EmployeeParams, Lab, MAX_TASK_TYPES, Mode, Policy, automation, learning, policy};
use crate::rng::{Rng, stream_seed};
use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Distribution, Normal, Poisson, StandardNormal};

/// Below this expected count a week's performative runs are not drawn (no
/// random number is used): the employee does not consider them.
pub const MIN_PERFORMATIVE_RATE: f64 = 1e-9;

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
    /// Employee `i` of enterprise `enterprise`, with traits drawn from its own stream.
    pub fn new(p: &EmployeeParams, traits: &Traits, seed: u64, enterprise: u64, i: u64) -> Self {
        let mut r = Rng::seed_from_u64(stream_seed(seed, enterprise, i));
        let engineer = r.random::<f64>() < p.engineer_share;
        let skill = traits.skill.sample(&mut r);
        let reward_sensitivity = traits.sensitivity.sample(&mut r);
        let belief = learning::initial_belief(traits.optimism.sample(&mut r));
        let notice = (p.notice_prob * (0.5 + skill)).min(1.0);
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
        }
    }

    /// What the employee brings to this week's decisions.
    pub fn view(&self) -> EmployeeView<'_> {
        EmployeeView {
            engineer: self.engineer,
            skill: self.skill,
            reward_sensitivity: self.reward_sensitivity,
            belief: &self.belief,
            automated: &self.automated,
            tokens_last_week: self.tokens_last_week as f64,
            experience: &self.experience,
        }
    }
}

/// Books tokens on a tier: the only place tokens and list cost are counted.
/// Returns the list cost.
#[inline]
fn charge(lab: &Lab, tally: &mut Tally, week_cost: &mut f64, tier: usize, t_in: u64, t_out: u64) -> f64 {
    let cost = lab.models[tier].list_cost(t_in, t_out);
    tally.tokens[tier][0] += t_in;
    tally.tokens[tier][1] += t_out;
    tally.list_cost += cost;
    *week_cost += cost;
    cost
}

/// One employee's week in progress.
pub struct Sim<'a> {
    pub cfg: &'a Config,
    pub lab: &'a Lab,
    pub table: &'a OptionTable,
    pub policy: &'a Policy,
    /// The card limit binding each run, USD.
    pub card: f64,
    pub emp: &'a mut Employee,
    pub tally: &'a mut Tally,
    /// List cost the employee has run up this week (for budgets).
    pub week_cost: f64,
}

impl Sim<'_> {
    /// The week: each arriving task as the plan draws it, then performative
    /// runs, then automation builds.
    pub fn week(&mut self, plan: &WeekPlan, tasks_dist: &Poisson<f64>) {
        let h = self.cfg.employees.hourly_cost_usd;
        let n = tasks_dist.sample(&mut self.emp.rng) as u64;
        for _ in 0..n {
            self.tally.decisions += 1;
            self.tally.tasks += 1;
            let u: f64 = self.emp.rng.random();
            let entry = *plan.pick(u);
            let j = entry.task as usize;
            match entry.action {
                Action::Manual => {}
                Action::Automated => {
                    let task = &self.cfg.task_types[j];
                    let (t_in, t_out) = automation::automated_task_tokens(self.cfg);
                    self.charge(self.table.cheapest_tier, t_in, t_out);
                    self.tally.automated += 1;
                    self.tally.value += task.manual_hours * h;
                    self.tally.hours_saved += task.manual_hours;
                }
                Action::Ai { mode, tier } => {
                    if policy::budget_spent(self.policy, self.week_cost) {
                        continue; // budget spent: the task is done by hand
                    }
                    self.ai_task(j, mode, tier as usize);
                }
            }
        }
        self.performative(plan);
        self.builds(plan);
    }

    /// Books tokens on a tier.
    #[inline]
    fn charge(&mut self, tier: usize, t_in: u64, t_out: u64) -> f64 {
        charge(self.lab, self.tally, &mut self.week_cost, tier, t_in, t_out)
    }

    /// Draws an AI run of `shape` on `tier` with per-attempt success `s`,
    /// booking every attempt's tokens.
    fn run(&mut self, tier: usize, shape: &agent_run::RunShape, s: f64) -> agent_run::Drawn {
        let (lab, tally, week_cost) = (self.lab, &mut *self.tally, &mut self.week_cost);
        agent_run::draw(&mut self.emp.rng, shape, s, self.card, |i, o| {
            charge(lab, tally, week_cost, tier, i, o)
        })
    }

    fn ai_task(&mut self, j: usize, mode: Mode, tier: usize) {
        let cfg = self.cfg;
        let task = &cfg.task_types[j];
        let model = &self.lab.models[tier];
        let h = cfg.employees.hourly_cost_usd;
        let reachable = agent_run::draw_reachable(&mut self.emp.rng, task, model.capability);
        let s = agent_run::attempt_success(task, model.reliability, reachable);
        let mi = usize::from(mode != Mode::Assist);
        let d = self.run(tier, &agent_run::shape(task, &cfg.agent, mode), s);
        self.tally.ai_tasks += 1;
        self.emp.experience[j] += 1.0;
        let (saved, lost) = agent_run::hours(task, &cfg.employees, mode, self.emp.skill);
        let vm = self.policy.value_measurement;
        let observed = match d.outcome {
            Outcome::Success => {
                self.tally.value += saved * h + task.quality_gain_usd;
                self.tally.hours_saved += saved;
                self.tally.apparent_outputs += 1;
                1.0
            }
            Outcome::Noise => {
                // Looks done. The hours spent with the AI are lost, and
                // whoever receives the output pays the rework (the workslop
                // study's 1 h 56 min). The employee only learns it was noise
                // when they notice it or the policy measures it.
                self.tally.noise_outputs += 1;
                self.tally.apparent_outputs += 1;
                self.tally.noise_tokens += d.tokens;
                self.tally.waste_list += d.list_cost;
                let lost_hours = agent_run::noise_hours(task, &cfg.employees, mode, self.emp.skill);
                self.tally.value -= lost_hours * h;
                self.tally.hours_saved -= lost_hours;
                let revealed = self.emp.rng.random::<f64>() < vm || self.emp.rng.random::<f64>() < self.emp.notice;
                if revealed { 0.0 } else { 1.0 }
            }
            Outcome::Failed => {
                self.tally.waste_list += d.list_cost;
                self.tally.value -= lost * h;
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
        let k = plan.perf_tier;
        let model = &self.lab.models[k];
        for _ in 0..n {
            if policy::budget_spent(self.policy, self.week_cost) {
                break;
            }
            self.tally.decisions += 1;
            let z: f64 = self.emp.rng.sample(StandardNormal);
            let mut tokens = perf.tokens_median * (perf.tokens_sigma * z).exp();
            let blended = (perf.input_share * model.price_in + (1.0 - perf.input_share) * model.price_out) * 1e-6;
            if tokens * blended > self.card {
                tokens = self.card / blended;
            }
            let t_in = (tokens * perf.input_share).round() as u64;
            let t_out = ((1.0 - perf.input_share) * tokens).round() as u64;
            let cost = self.charge(k, t_in, t_out);
            self.tally.waste_list += cost;
            self.tally.perf_tokens += t_in + t_out;
            self.tally.perf_runs += 1;
        }
    }

    fn builds(&mut self, plan: &WeekPlan) {
        let cfg = self.cfg;
        let h = cfg.employees.hourly_cost_usd;
        for (j, task) in cfg.task_types.iter().enumerate() {
            let p = plan.build_prob[j];
            if p < automation::MIN_BUILD_PROB || self.emp.rng.random::<f64>() >= p {
                continue;
            }
            if policy::budget_spent(self.policy, self.week_cost) {
                break;
            }
            self.tally.decisions += 1;
            self.tally.builds += 1;
            // Builds use the lab's most capable tier.
            let model = &self.lab.models[0];
            let reachable = agent_run::draw_reachable(&mut self.emp.rng, task, model.capability);
            let s = agent_run::attempt_success(task, model.reliability, reachable) * cfg.automation.build_success_mult;
            let d = self.run(0, &agent_run::build_shape(task, cfg), s);
            self.tally.value -= cfg.automation.build_hours * h;
            self.tally.hours_saved -= cfg.automation.build_hours;
            if d.outcome == Outcome::Success {
                let a = &mut self.emp.automated[j];
                *a = automation::after_build(*a, cfg, task);
            } else {
                self.tally.waste_list += d.list_cost;
            }
        }
    }
}
