//! The AI agent run: one source for what a run is expected to do (the option
//! table employees choose from) and for what a run does when drawn (the
//! engine's random outcome).
//!
//! A run makes up to `max_attempts` attempts. Each consumes a lognormal
//! number of tokens and succeeds with a per-attempt probability set by the
//! task and the model tier; a failed attempt comes back as polished noise
//! with probability `q`; a credit-card limit may stop the run early. The
//! expected outcome ([`expected`]) and the drawn outcome ([`draw`]) are
//! computed from the same [`RunShape`], so they cannot drift apart; a test
//! checks that the mean of many draws matches the expectation.
//!
//! Pure functions: the caller passes the random generator and books the
//! tokens; this module does no accounting and no I/O.

use super::{AgentParams, Config, EmployeeParams, Mode, ModelTier, TaskType};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

/// What one AI run of a task looks like before it is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunShape {
    /// Median input and output tokens of one attempt.
    pub tokens: [f64; 2],
    /// Log-sd of an attempt's tokens (the same draw scales input and output).
    pub sigma: f64,
    /// Chance that a failed attempt comes back as polished noise.
    pub noise_prob: f64,
    pub max_attempts: u32,
}

/// The shape of an assist (one chat call) or agent run of a task.
pub fn shape(task: &TaskType, agent: &AgentParams, mode: Mode) -> RunShape {
    match mode {
        Mode::Assist => RunShape {
            tokens: task.assist_tokens,
            sigma: task.token_sigma,
            noise_prob: agent.noise_prob_assist,
            max_attempts: 1,
        },
        _ => RunShape {
            tokens: task.agent_tokens,
            sigma: task.token_sigma,
            noise_prob: agent.noise_prob_agent,
            max_attempts: agent.max_attempts,
        },
    }
}

/// The shape of an automation build of a task: an agent run costing
/// `build_token_mult` times the task's attempts. A build either works or
/// visibly does not (broken software is noticed), so it has no noise.
pub fn build_shape(task: &TaskType, cfg: &Config) -> RunShape {
    let mult = cfg.automation.build_token_mult;
    RunShape {
        tokens: [task.agent_tokens[0] * mult, task.agent_tokens[1] * mult],
        sigma: task.token_sigma,
        noise_prob: 0.0,
        max_attempts: cfg.agent.max_attempts,
    }
}

/// Expected outcome of one (task type, mode, tier) option, from the model's
/// true parameters (what an omniscient observer would expect).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OptionStats {
    /// Probability that the task is really done by AI.
    pub p_real: f64,
    /// Probability that the output is polished noise (looks done, is not).
    pub p_noise: f64,
    /// Expected attempts (calls for assist, agent attempts for agent).
    pub attempts: f64,
    /// Expected tokens, input plus output.
    pub tokens: f64,
    /// Expected list cost in USD.
    pub list_cost: f64,
}

/// Outcome of a run of up to `max_attempts` attempts, each succeeding with
/// `s`, each failure coming back as polished noise with `q`:
/// (P(real), P(noise), E[attempts]).
///
/// With r = (1 - s)(1 - q) the chance to go on after an attempt,
/// E[attempts] = sum_{i<A} r^i, P(real) = s E[attempts], P(noise) = (1-s) q E[attempts].
pub fn attempt_outcome(s: f64, q: f64, max_attempts: u32) -> (f64, f64, f64) {
    let r = (1.0 - s) * (1.0 - q);
    let mut reach = 1.0;
    let mut attempts = 0.0;
    for _ in 0..max_attempts {
        attempts += reach;
        reach *= r;
    }
    (s * attempts, (1.0 - s) * q * attempts, attempts)
}

/// Per-attempt success of an AI run on one task. A task that needs real
/// reasoning is within the model's reach with probability `capability`
/// (decided once per task: retries do not make an unsolvable task solvable);
/// within reach, or when no reasoning is needed, each attempt succeeds with
/// the task's `ai_success` scaled by the tier's `reliability`.
#[inline]
pub fn attempt_success(task: &TaskType, reliability: f64, reachable: bool) -> f64 {
    if reachable {
        (task.ai_success * reliability).min(1.0)
    } else {
        0.0
    }
}

/// The three kinds of task an AI run can meet, with their probabilities:
/// (reachable, probability).
fn task_cases(task: &TaskType, capability: f64) -> [(bool, f64); 3] {
    let r = task.p_reasoning;
    [(true, 1.0 - r), (true, r * capability), (false, r * (1.0 - capability))]
}

/// Mean of a lognormal with the given median and log-sd.
#[inline]
pub fn lognormal_mean(median: f64, sigma: f64) -> f64 {
    median * (0.5 * sigma * sigma).exp()
}

/// The expected outcome of a run of `shape` on `task` with `model`, each
/// attempt's success scaled by `success_mult` (1 for tasks, the build
/// multiplier for automation builds). The card limit is not part of the
/// expectation: employees plan as if it did not bind.
pub fn expected(task: &TaskType, model: &ModelTier, shape: &RunShape, success_mult: f64) -> OptionStats {
    let mut st = OptionStats::default();
    for (reachable, weight) in task_cases(task, model.capability) {
        let s = attempt_success(task, model.reliability, reachable) * success_mult;
        let (real, noise, att) = attempt_outcome(s, shape.noise_prob, shape.max_attempts);
        st.p_real += weight * real;
        st.p_noise += weight * noise;
        st.attempts += weight * att;
    }
    let mean_in = lognormal_mean(shape.tokens[0], shape.sigma);
    let mean_out = lognormal_mean(shape.tokens[1], shape.sigma);
    st.tokens = st.attempts * (mean_in + mean_out);
    st.list_cost = st.attempts * (mean_in * model.price_in + mean_out * model.price_out) * 1e-6;
    st
}

/// How a drawn run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Noise,
    Failed,
}

/// A drawn run: its outcome, tokens used and list cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drawn {
    pub outcome: Outcome,
    pub tokens: u64,
    pub list_cost: f64,
}

/// `x.round() as u64`, to the bit, without the call to the software `round`
/// that targets without SSE4.1 make: a token count is rounded on every
/// attempt. Truncation is exact below 2^64 and so is the fraction it leaves,
/// so a fraction of at least one half rounds up (half away from zero, as
/// `round`). Negative numbers and NaN give 0, 2^64 and above `u64::MAX`, as
/// the cast does.
///
/// Below 2^63 (every token count) the conversions go through `i64`: one
/// instruction each way on x86-64 without AVX-512, where `u64` takes a
/// sequence; the values are the same, as both convert exactly (to `i64`)
/// and round to nearest (back to `f64`).
#[inline]
pub fn round_to_u64(x: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    const TWO_64: f64 = 18_446_744_073_709_551_616.0;
    if (0.0..TWO_63).contains(&x) {
        let t = x as i64;
        return if x - t as f64 >= 0.5 { t as u64 + 1 } else { t as u64 };
    }
    if x >= TWO_64 {
        return u64::MAX;
    }
    let t = x as u64;
    if x - t as f64 >= 0.5 { t + 1 } else { t }
}

/// `x as f64`, to the bit, through `i64` when it fits (one instruction on
/// x86-64 without AVX-512; a token count always fits).
#[inline]
pub fn u64_to_f64(x: u64) -> f64 {
    if x < 1 << 63 { x as i64 as f64 } else { x as f64 }
}

/// Whether this task is within the model's reach: always when it needs no
/// real reasoning, with probability `capability` when it does. Drawn once
/// per task (the second draw only when the first says reasoning is needed).
#[inline]
pub fn draw_reachable<R: Rng>(rng: &mut R, task: &TaskType, capability: f64) -> bool {
    let u: f64 = rng.random();
    u >= task.p_reasoning || rng.random::<f64>() < capability
}

/// Draws one run of `shape` whose attempts each succeed with `s`. Every
/// attempt's tokens go through `charge(input, output)`, which books them and
/// returns their list cost; the run stops at success, noise, `max_attempts`,
/// or when its cost reaches `card` (the credit-card limit).
#[inline]
pub fn draw<R: Rng>(
    rng: &mut R,
    shape: &RunShape,
    s: f64,
    card: f64,
    mut charge: impl FnMut(u64, u64) -> f64,
) -> Drawn {
    let mut outcome = Outcome::Failed;
    let mut tokens = 0;
    let mut cost = 0.0;
    for _ in 0..shape.max_attempts {
        let z: f64 = rng.sample(StandardNormal);
        let f = (shape.sigma * z).exp();
        let t_in = round_to_u64(shape.tokens[0] * f);
        let t_out = round_to_u64(shape.tokens[1] * f);
        cost += charge(t_in, t_out);
        tokens = t_in.wrapping_add(t_out).wrapping_add(tokens);
        // One draw decides success and, on failure, polished noise.
        let u: f64 = rng.random();
        if u < s {
            outcome = Outcome::Success;
            break;
        }
        if u - s < shape.noise_prob * (1.0 - s) {
            outcome = Outcome::Noise;
            break;
        }
        if cost >= card {
            break; // the card limit stops the run
        }
    }
    Drawn {
        outcome,
        tokens,
        list_cost: cost,
    }
}

/// Human hours an AI option saves on success and loses on a visible failure.
#[inline]
pub fn hours(task: &TaskType, emp: &EmployeeParams, mode: Mode, skill: f64) -> (f64, f64) {
    match mode {
        Mode::Assist => {
            let share = assist_share(task, emp, skill);
            (
                task.manual_hours * (1.0 - share),
                task.manual_hours * share * emp.assist_fail_hours_share,
            )
        }
        Mode::Agent => (task.manual_hours - task.agent_review_hours, task.agent_review_hours),
        Mode::Manual => (0.0, 0.0),
    }
}

/// [`hours`] for an employee whose proficiency makes AI work take `speed`
/// times the human time (1 = as [`hours`], bit for bit): the time with the
/// AI on success and the time lost on a failure both shrink.
#[inline]
pub fn hours_at(task: &TaskType, emp: &EmployeeParams, mode: Mode, skill: f64, speed: f64) -> (f64, f64) {
    at_speed(task, hours(task, emp, mode, skill), mode, speed)
}

/// A novice's (saved, lost) hours at `speed`.
#[inline]
fn at_speed(task: &TaskType, (saved, lost): (f64, f64), mode: Mode, speed: f64) -> (f64, f64) {
    if speed == 1.0 || mode == Mode::Manual {
        return (saved, lost);
    }
    (task.manual_hours - (task.manual_hours - saved) * speed, lost * speed)
}

/// The human hours of one AI task of `mode` for an employee of `skill`
/// whose proficiency makes AI work take `speed` times a novice's time,
/// worked out once per task: whether the week has room for it, and then
/// what its outcome books.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskHours {
    /// [`hours`]: what a novice saves on success and loses on a failure.
    pub novice: (f64, f64),
    /// [`hours_at`]: the same at the employee's speed.
    pub at_speed: (f64, f64),
    /// [`noise_spent`]: a novice's time with the AI on an output that turns
    /// out to be noise.
    pub noise_spent: f64,
    /// Hours lost when an output turns out to be polished noise: the time
    /// with the AI, at the employee's speed, plus the rework of whoever
    /// received it, which does not shrink.
    pub noise: f64,
    /// The most hours the task can take the employee (and the colleague
    /// who reworks its noise): a failure redone by hand, or polished noise
    /// and its rework, whichever is more. A task is taken up only when the
    /// week has these hours left.
    pub most: f64,
}

impl TaskHours {
    /// Bit for bit the values of [`hours`], [`hours_at`] and
    /// [`noise_spent`], each worked out once.
    #[inline]
    pub fn new(task: &TaskType, emp: &EmployeeParams, mode: Mode, skill: f64, speed: f64) -> Self {
        let novice = hours(task, emp, mode, skill);
        let at_speed = at_speed(task, novice, mode, speed);
        let noise_spent = noise_spent(task, emp, mode, skill);
        // (At speed 1 the product is `noise_spent` itself, to the bit.)
        let noise = noise_spent * speed + emp.noise_rework_hours;
        TaskHours {
            novice,
            at_speed,
            noise_spent,
            noise,
            most: (task.manual_hours + at_speed.1).max(noise),
        }
    }
}

/// The least share of manual hours an assisted task takes, however skilled
/// or unskilled the employee: reading and checking the answer is never free.
pub const MIN_ASSIST_SHARE: f64 = 0.05;

/// Share of manual hours an assisted task still takes: skilled people gain
/// less (Brynjolfsson, Li & Raymond).
#[inline]
pub fn assist_share(task: &TaskType, emp: &EmployeeParams, skill: f64) -> f64 {
    (task.assist_hours_share + emp.assist_skill_slope * (skill - 0.5) * (1.0 - task.assist_hours_share))
        .clamp(MIN_ASSIST_SHARE, 1.0)
}

/// The time spent with the AI on an output that turns out to be noise.
#[inline]
pub fn noise_spent(task: &TaskType, emp: &EmployeeParams, mode: Mode, skill: f64) -> f64 {
    match mode {
        Mode::Assist => task.manual_hours * assist_share(task, emp, skill),
        _ => task.agent_review_hours,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// What the engine books from [`TaskHours`] is what the separate
    /// functions gave before it, to the bit: the hours of a novice, at a
    /// proficiency speed, and of polished noise, for both modes and every
    /// skill edge (the assist share clamps at both ends).
    #[test]
    fn task_hours_are_the_separate_functions_to_the_bit() {
        let (_, cfg) = scenario::from_str(include_str!("../../scenarios/baseline.toml"), "baseline", &[]).unwrap();
        let emp = &cfg.employees;
        for task in &cfg.task_types {
            for mode in [Mode::Assist, Mode::Agent] {
                for skill in [0.0, 0.3, 0.5, 0.9, 1.0] {
                    for speed in [1.0, 0.999, 0.7, 0.25] {
                        let h = TaskHours::new(task, emp, mode, skill, speed);
                        let bits = |x: f64| x.to_bits();
                        let novice = hours(task, emp, mode, skill);
                        let at = hours_at(task, emp, mode, skill, speed);
                        assert_eq!((bits(h.novice.0), bits(h.novice.1)), (bits(novice.0), bits(novice.1)));
                        assert_eq!((bits(h.at_speed.0), bits(h.at_speed.1)), (bits(at.0), bits(at.1)));
                        let spent = noise_spent(task, emp, mode, skill);
                        assert_eq!(bits(h.noise_spent), bits(spent));
                        // The noise hours as the engine booked them before
                        // TaskHours: unscaled at speed 1 (`noise_hours`).
                        let noise = if speed == 1.0 {
                            spent + emp.noise_rework_hours
                        } else {
                            spent * speed + emp.noise_rework_hours
                        };
                        assert_eq!(bits(h.noise), bits(noise));
                        assert_eq!(bits(h.most), bits((task.manual_hours + at.1).max(noise)));
                        assert!(h.most >= h.noise && h.most > task.manual_hours - 1e-12);
                    }
                }
            }
        }
    }

    #[test]
    fn round_to_u64_is_round_then_cast_to_the_bit() {
        let mut edge = vec![
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            -0.5,
            -0.7,
            0.49999999999999994,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            18_446_744_073_709_549_568.0,
            18_446_744_073_709_551_616.0,
            1e30,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
        ];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        for _ in 0..200_000 {
            // Token counts: lognormal around a few thousand, and a spread of
            // magnitudes, halves included.
            let z: f64 = rng.sample(StandardNormal);
            edge.push(3000.0 * (1.5 * z).exp());
            edge.push((rng.random::<u32>() as f64) / 2.0);
            edge.push(f64::from_bits(rng.random::<u64>() >> 1));
        }
        for x in edge {
            assert_eq!(round_to_u64(x), x.round() as u64, "{x:e}");
        }
    }

    #[test]
    fn u64_to_f64_is_the_cast_to_the_bit() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut xs = vec![
            0,
            1,
            (1 << 53) + 1,
            (1 << 63) - 1,
            1 << 63,
            (1 << 63) + 1,
            u64::MAX,
            u64::MAX - 1,
        ];
        for _ in 0..200_000 {
            let x = rng.random::<u64>();
            xs.extend([x, x >> 1, x >> 11, x >> 40]);
        }
        for x in xs {
            assert_eq!(u64_to_f64(x).to_bits(), (x as f64).to_bits(), "{x}");
        }
    }

    /// For every mode x tier x task type of the bundled scenarios, the mean of
    /// many drawn runs matches the expectation the option table is built from.
    #[test]
    fn drawn_runs_match_their_expectation() {
        let n = 40_000;
        let bundled = [
            ("baseline", include_str!("../../scenarios/baseline.toml")),
            ("good-fit", include_str!("../../scenarios/good-fit.toml")),
            ("market", include_str!("../../scenarios/market.toml")),
        ];
        for (file, text) in bundled {
            let (_, config) = scenario::from_str(text, file, &[]).unwrap();
            let cfg = &config;
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
            for lab in &cfg.labs {
                for model in &lab.models {
                    for task in &cfg.task_types {
                        let shapes = [
                            (shape(task, &cfg.agent, Mode::Assist), 1.0),
                            (shape(task, &cfg.agent, Mode::Agent), 1.0),
                            (build_shape(task, cfg), cfg.automation.build_success_mult),
                        ];
                        for (sh, mult) in shapes {
                            let want = expected(task, model, &sh, mult);
                            let (mut real, mut noise, mut tokens, mut cost, mut cost2) = (0.0, 0.0, 0.0, 0.0, 0.0);
                            for _ in 0..n {
                                let reach = draw_reachable(&mut rng, task, model.capability);
                                let s = attempt_success(task, model.reliability, reach) * mult;
                                let d = draw(&mut rng, &sh, s, f64::INFINITY, |i, o| model.list_cost(i, o));
                                real += f64::from(d.outcome == Outcome::Success);
                                noise += f64::from(d.outcome == Outcome::Noise);
                                tokens += d.tokens as f64;
                                cost += d.list_cost;
                                cost2 += d.list_cost * d.list_cost;
                            }
                            let nf = n as f64;
                            let what = format!("{file}: {} {} {:?}", model.name, task.name, sh);
                            // Proportions: within 5 standard errors.
                            let se = |p: f64| 5.0 * (p * (1.0 - p) / nf).sqrt() + 1e-9;
                            assert!((real / nf - want.p_real).abs() < se(want.p_real), "P(real) {what}");
                            assert!((noise / nf - want.p_noise).abs() < se(want.p_noise), "P(noise) {what}");
                            // Heavy-tailed costs: within 5 standard errors of the sample mean.
                            let mean = cost / nf;
                            let sd = (cost2 / nf - mean * mean).max(0.0).sqrt();
                            let tol = 5.0 * sd / nf.sqrt() + 1e-9;
                            assert!(
                                (mean - want.list_cost).abs() < tol,
                                "cost {mean} vs {} {what}",
                                want.list_cost
                            );
                            // Tokens follow the cost (one price per tier); rounding adds < 1 token an attempt.
                            let rel = (tokens / nf - want.tokens).abs() / want.tokens;
                            assert!(rel < 5.0 * sd / mean.max(1e-12) / nf.sqrt() + 1e-3, "tokens {what}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn attempt_outcome_of_a_sure_success_is_one_attempt() {
        assert_eq!(attempt_outcome(1.0, 0.3, 4), (1.0, 0.0, 1.0));
        // Never succeeds, never noise: every attempt is made.
        assert_eq!(attempt_outcome(0.0, 0.0, 4), (0.0, 0.0, 4.0));
        // Never succeeds, always noise: one attempt, which comes back as noise.
        assert_eq!(attempt_outcome(0.0, 1.0, 4), (0.0, 1.0, 1.0));
    }

    #[test]
    fn the_card_limit_stops_a_run_after_the_attempt_that_reaches_it() {
        let task_shape = RunShape {
            tokens: [1e6, 0.0],
            sigma: 0.0,
            noise_prob: 0.0,
            max_attempts: 10,
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        // $1 an attempt, never succeeds, card $2.5: three attempts.
        let d = draw(&mut rng, &task_shape, 0.0, 2.5, |i, _| i as f64 * 1e-6);
        assert_eq!((d.outcome, d.tokens, d.list_cost), (Outcome::Failed, 3_000_000, 3.0));
    }
}
