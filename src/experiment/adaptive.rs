//! Adaptive replicates (`replicates = "auto"`): run every arm `min` times,
//! then add replicates in batches where OCBA says they decide most, until
//! every paired verdict against the first arm is decided, or the best arm
//! is selected with the target probability, or every arm has `max`.
//!
//! Common random numbers as in a fixed run: replicate r of every arm uses
//! the seed of replicate r, so replicate r here is bit-identical to
//! replicate r of a fixed run, and arms are compared over the replicates
//! they share. Each batch is a function of the results observed so far
//! (collected in (arm, replicate) order), never of timing or threads, so
//! the whole run is identical at any thread count.

use super::{Run, ocba, run_jobs_until};
use crate::model::Config;
use crate::stats::t_quantile_975;
use std::sync::atomic::AtomicBool;

/// The settings of the adaptive rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoRule {
    /// Replicates every arm gets first (at least 2, for a spread).
    pub min: u32,
    /// The most replicates any arm gets.
    pub max: u32,
    /// Replicates added per batch, over all arms.
    pub batch: u32,
    /// Indifference zone, USD of net value: a paired difference whose 95 %
    /// interval is narrower than this is decided even if it holds zero.
    pub delta: f64,
    /// Target probability of correct selection of the best arm.
    pub pcs: f64,
    /// The most runs of a whole study (every arm, every point of a sweep or
    /// worlds), if capped: split evenly up front into a cap per arm of each
    /// point ([`AutoRule::capped`]), so no point's work depends on another's.
    pub total_max: Option<u64>,
}

impl AutoRule {
    /// The most replicates an arm of one of `points` points with `arms`
    /// arms may get: `max`, or less when `total_max` split evenly over
    /// every arm of every point gives less. Decided before any run, so a
    /// point's work is a function of the study and the point alone (never
    /// of which points finished first).
    pub fn per_arm_cap(&self, points: usize, arms: usize) -> u64 {
        let share = self
            .total_max
            .map_or(u64::MAX, |t| t / (points as u64).saturating_mul(arms as u64).max(1));
        share.min(u64::from(self.max))
    }

    /// This rule with `max` lowered to [`Self::per_arm_cap`] (the rule each
    /// point runs under). The caller has checked that the cap is at least `min`.
    pub fn capped(&self, points: usize, arms: usize) -> AutoRule {
        AutoRule {
            max: self.per_arm_cap(points, arms) as u32,
            ..*self
        }
    }
}

/// How many replicates a run gives each arm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Replicates {
    Fixed(u32),
    Auto(AutoRule),
}

/// Why an adaptive run stopped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// Every arm's paired net-value difference against the first arm has a
    /// 95 % interval that excludes zero or is narrower than `delta`.
    VerdictsDecided,
    /// The arm with the best mean net value is the best with approximate
    /// probability (Bonferroni, paired) at least the target.
    BestSelected,
    /// No arm may have more replicates (`max`), or none would tell more.
    MaxReached,
}

impl Stop {
    /// The reason in words, for summary.md and the manifest.
    pub fn describe(&self) -> &'static str {
        match self {
            Stop::VerdictsDecided => {
                "every paired verdict against the first arm is decided (its 95% CI of net value excludes zero or is narrower than delta)"
            }
            Stop::BestSelected => "the best arm is selected with the target probability of correct selection",
            Stop::MaxReached => "the most replicates allowed per arm was reached",
        }
    }

    /// A short key for the manifest.
    pub fn key(&self) -> &'static str {
        match self {
            Stop::VerdictsDecided => "verdicts_decided",
            Stop::BestSelected => "best_selected",
            Stop::MaxReached => "max_reached",
        }
    }
}

/// The next step of the rule given each arm's net values by replicate.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Add this many replicates to each arm.
    More(Vec<u32>),
    Stop(Stop),
}

/// Whether the paired net-value difference of `a` against `base` (over the
/// replicates both have) is decided: its 95 % interval excludes zero or its
/// half-width is below `delta`.
pub fn decided(a: &[f64], base: &[f64], delta: f64) -> bool {
    let (mean, se, n) = ocba::paired_difference(a, base);
    if n < 2 {
        return false;
    }
    let half = t_quantile_975(n - 1) * se;
    mean - half > 0.0 || mean + half < 0.0 || half < delta
}

/// The rule's next step from each arm's net values, replicate by replicate
/// (`nets[arm][r]`), and the approximate probability of correct selection
/// of the best arm as it stands.
pub fn step(rule: &AutoRule, nets: &[Vec<f64>]) -> (Step, f64) {
    let counts: Vec<u32> = nets.iter().map(|n| n.len() as u32).collect();
    if counts.iter().any(|&c| c < rule.min) {
        return (
            Step::More(counts.iter().map(|&c| rule.min.saturating_sub(c)).collect()),
            f64::NAN,
        );
    }
    let (_, pcs) = ocba::apcs_paired(nets);
    if nets.iter().skip(1).all(|a| decided(a, &nets[0], rule.delta)) {
        return (Step::Stop(Stop::VerdictsDecided), pcs);
    }
    if pcs >= rule.pcs {
        return (Step::Stop(Stop::BestSelected), pcs);
    }
    let add = ocba::allocate_paired(nets, rule.batch, rule.max);
    if add.iter().all(|&a| a == 0) {
        return (Step::Stop(Stop::MaxReached), pcs);
    }
    (Step::More(add), pcs)
}

/// What an adaptive run did: replicates per arm, why it stopped, the
/// approximate probability of correct selection at the end, and batches.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub rule: AutoRule,
    pub per_arm: Vec<u32>,
    pub stop: Stop,
    pub pcs: f64,
    pub batches: u32,
}

/// Net value (value - spend) of a run, the quantity the rule decides on.
fn net(r: &Run) -> f64 {
    r.result.metrics.value_usd - r.result.metrics.spend_usd
}

/// Runs every arm under the adaptive rule on `threads` threads. Runs come
/// back in (arm, replicate) order, each arm with its own count.
pub fn run_auto(
    cfg: &Config,
    seed: u64,
    rule: &AutoRule,
    threads: usize,
    on_done: &(dyn Fn() + Sync),
) -> Result<(Vec<Run>, Outcome), rayon::ThreadPoolBuildError> {
    let never = AtomicBool::new(false);
    run_auto_until(cfg, seed, rule, threads, on_done, &never).map(|r| r.expect("never cancelled"))
}

/// [`run_auto`] that a library caller can cancel: `None` once `cancel` is
/// set (no run starts after it; see [`super::run_jobs_until`]).
pub fn run_auto_until(
    cfg: &Config,
    seed: u64,
    rule: &AutoRule,
    threads: usize,
    on_done: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Result<Option<(Vec<Run>, Outcome)>, rayon::ThreadPoolBuildError> {
    let mut failed = None;
    let done = drive(
        rule,
        cfg.arms.len(),
        |run: &Run| (run.arm, net(run)),
        |jobs| match run_jobs_until(cfg, seed, jobs, threads, on_done, cancel) {
            Ok(runs) => runs,
            Err(e) => {
                failed = Some(e);
                None
            }
        },
    );
    match failed {
        Some(e) => Err(e),
        None => Ok(done),
    }
}

/// The adaptive loop over any runner: `run` runs the (arm, replicate)
/// pairs it is given and returns their runs in that order (`None` stops
/// the loop: cancelled); `key` gives a run's arm and net value. Runs come
/// back in (arm, replicate) order. A sweep runs each point through this
/// with its own runner; `run` through [`run_auto_until`].
pub fn drive<T>(
    rule: &AutoRule,
    n_arms: usize,
    key: impl Fn(&T) -> (usize, f64),
    mut run: impl FnMut(&[(usize, u32)]) -> Option<Vec<T>>,
) -> Option<(Vec<T>, Outcome)> {
    let mut by_arm: Vec<Vec<T>> = (0..n_arms).map(|_| Vec::new()).collect();
    let mut nets: Vec<Vec<f64>> = vec![Vec::new(); n_arms];
    let mut batches = 0;
    loop {
        let (next, pcs) = step(rule, &nets);
        let add = match next {
            Step::More(add) => add,
            Step::Stop(stop) => {
                let outcome = Outcome {
                    rule: *rule,
                    per_arm: nets.iter().map(|n| n.len() as u32).collect(),
                    stop,
                    pcs,
                    batches,
                };
                return Some((by_arm.into_iter().flatten().collect(), outcome));
            }
        };
        let jobs: Vec<(usize, u32)> = add
            .iter()
            .enumerate()
            .flat_map(|(arm, &a)| {
                let have = nets[arm].len() as u32;
                (have..have + a).map(move |r| (arm, r))
            })
            .collect();
        for t in run(&jobs)? {
            let (arm, value) = key(&t);
            nets[arm].push(value);
            by_arm[arm].push(t);
        }
        batches += 1;
    }
}

/// What the rule did, found again from the net values it left
/// (`nets[arm][r]`, every replicate each arm received): the rule is
/// replayed batch by batch on them. `Err` names the first arm whose count
/// is not what the rule would have run (the rows were cut or edited, or
/// come from another rule).
pub fn replay(rule: &AutoRule, nets: &[Vec<f64>]) -> Result<Outcome, String> {
    let mut seen: Vec<usize> = vec![0; nets.len()];
    let mut batches = 0;
    loop {
        let view: Vec<Vec<f64>> = nets.iter().zip(&seen).map(|(n, &k)| n[..k].to_vec()).collect();
        match step(rule, &view) {
            (Step::More(add), _) => {
                for (arm, a) in add.iter().enumerate() {
                    seen[arm] += *a as usize;
                    if seen[arm] > nets[arm].len() {
                        return Err(format!(
                            "arm {arm} has {} replicates, fewer than the rule runs ({} after batch {})",
                            nets[arm].len(),
                            seen[arm],
                            batches + 1
                        ));
                    }
                }
                batches += 1;
            }
            (Step::Stop(stop), pcs) => {
                if let Some(arm) = (0..nets.len()).find(|&a| seen[a] != nets[a].len()) {
                    return Err(format!(
                        "arm {arm} has {} replicates, but the rule stops at {}",
                        nets[arm].len(),
                        seen[arm]
                    ));
                }
                return Ok(Outcome {
                    rule: *rule,
                    per_arm: seen.iter().map(|&n| n as u32).collect(),
                    stop,
                    pcs,
                    batches,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> AutoRule {
        AutoRule {
            min: 3,
            max: 40,
            batch: 6,
            delta: 0.5,
            pcs: 0.95,
            total_max: None,
        }
    }

    #[test]
    fn starts_with_min_replicates_of_every_arm() {
        let nets = vec![vec![1.0], vec![], vec![2.0, 3.0, 4.0]];
        assert_eq!(step(&rule(), &nets).0, Step::More(vec![2, 3, 0]));
    }

    #[test]
    fn stops_when_every_verdict_against_the_first_arm_is_decided() {
        // Arm 1 is 10 above arm 0 in every replicate, with a little noise: decided.
        let base = vec![0.0, 5.0, -3.0, 2.0];
        let a: Vec<f64> = base.iter().zip([10.1, 9.9, 10.0, 10.2]).map(|(b, d)| b + d).collect();
        assert_eq!(step(&rule(), &[base.clone(), a]).0, Step::Stop(Stop::VerdictsDecided));
        // A difference of 0 +- 0.1: narrower than delta, so decided (indifferent).
        let same: Vec<f64> = base.iter().zip([0.1, -0.1, 0.05, -0.05]).map(|(b, d)| b + d).collect();
        assert_eq!(step(&rule(), &[base, same]).0, Step::Stop(Stop::VerdictsDecided));
    }

    #[test]
    fn adds_replicates_where_a_verdict_is_still_open_and_stops_at_max() {
        // Arm 1 differs from arm 0 by +-5 around 0.5: open, and not selected.
        let base = vec![0.0; 3];
        let open = vec![5.5, -4.5, 0.5];
        match step(&rule(), &[base.clone(), open.clone()]).0 {
            Step::More(add) => assert_eq!(add.iter().sum::<u32>(), 6),
            s => panic!("{s:?}"),
        }
        // Both arms at max: stop there.
        let r = AutoRule { max: 3, ..rule() };
        assert_eq!(step(&r, &[base, open]).0, Step::Stop(Stop::MaxReached));
    }

    #[test]
    fn a_total_cap_is_split_evenly_over_every_arm_of_every_point() {
        let r = AutoRule {
            total_max: Some(1000),
            ..rule()
        };
        // 1000 runs over 10 points x 4 arms: 25 per arm, below max 40.
        assert_eq!(r.per_arm_cap(10, 4), 25);
        assert_eq!(r.capped(10, 4).max, 25);
        // A generous cap leaves max; none leaves max.
        assert_eq!(r.per_arm_cap(1, 2), 40);
        assert_eq!(rule().per_arm_cap(1_000_000, 100), 40);
    }

    #[test]
    fn replay_finds_the_outcome_of_a_driven_run_and_refuses_other_counts() {
        // A synthetic runner: arm a's replicate r has net a * 0.3 + noise(r).
        let noise = |r: u32| ((r * 7919) % 13) as f64 - 6.0;
        let r = AutoRule {
            min: 2,
            max: 30,
            batch: 3,
            delta: 0.0,
            pcs: 0.9,
            total_max: None,
        };
        let (runs, outcome) = drive(
            &r,
            3,
            |t: &(usize, u32, f64)| (t.0, t.2),
            |jobs| {
                Some(
                    jobs.iter()
                        .map(|&(a, k)| (a, k, a as f64 * 0.3 + noise(k) + (a as u32 * k) as f64 % 2.0))
                        .collect(),
                )
            },
        )
        .unwrap();
        let mut nets = vec![Vec::new(); 3];
        for (a, _, v) in &runs {
            nets[*a].push(*v);
        }
        assert_eq!(replay(&r, &nets).unwrap(), outcome);
        // One replicate more, or one fewer, is not what the rule ran.
        let mut more = nets.clone();
        more[0].push(1.0);
        assert!(replay(&r, &more).is_err());
        let mut fewer = nets;
        fewer[2].pop();
        assert!(replay(&r, &fewer).is_err());
    }
}
