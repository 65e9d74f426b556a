//! Running a search's candidates: the worlds of a study (the worlds design
//! of `run --worlds`), each candidate's runs in every world with common
//! random numbers, the references' values, and a generation's evaluation
//! on this machine, from shard files, or as one shard.

use super::files::{gather_units, save_state, write_shard};
use super::{Mode, Optimized};
use crate::engine;
use crate::experiment::plan::{ParamValue, SweepPlan};
use crate::jobs::error::JobError;
use crate::jobs::run::check_finite;
use crate::optimize::score::{Score, WorldValues, score};
use crate::optimize::state::{ShardFile, State, bits};
use crate::optimize::study::Study;
use crate::output::folder::OPTIMIZE_STATE;
use crate::scenario;
use crate::scenario::optimize::NET_VALUE;
use crate::scenario::sweep::PointConfigs;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

/// The worlds of a study: a plan (the worlds design of `run --worlds`) and
/// each world's parameter values. `salt` 0 gives the search worlds; any
/// other gives fresh worlds and seeds.
pub(super) fn worlds(study: &Study, count: u32, salt: u64) -> Result<(SweepPlan, Vec<Vec<ParamValue>>), JobError> {
    let seed = if salt == 0 {
        study.seed
    } else {
        crate::rng::stream_seed(study.seed, salt, 0x7661_6C69) >> crate::experiment::SEED_SHIFT
    };
    let req = scenario::worlds::WorldsRequest {
        scenario: study.base_path.clone(),
        worlds: count,
        from: study.from.clone(),
        vary: Vec::new(),
        replicates: Some(study.replicates),
        auto_replicates: false,
        seed: Some(seed),
        set: study
            .set
            .iter()
            .cloned()
            .chain(study.levers.iter().map(|l| format!("{}={}", l.key, l.decode(0.5))))
            .collect(),
    };
    let (path, text) = scenario::worlds::sweep_source(&req)?;
    let amend = scenario::sweep::Amendments {
        set: study.set.clone(),
        ..Default::default()
    };
    let mut plan = scenario::sweep::from_sources(
        &path,
        text,
        study.base_path.clone(),
        study.base_source.clone(),
        &amend,
        &crate::results::posterior::read,
    )?;
    // A posterior is read as a reader of its folder, as `run --worlds` does.
    crate::jobs::sweep::verify_posterior(&plan)?;
    plan.arms = std::iter::once(study.policy.clone())
        .chain(study.references.iter().cloned())
        .collect();
    plan.replicates = study.replicates;
    let (values, _) = scenario::sweep::point_values(&plan)?;
    Ok((plan, values))
}

/// A run's value of a metric.
fn metric(m: &crate::engine::metrics::RunMetrics, name: &str) -> f64 {
    if name == NET_VALUE {
        m.value_usd - m.spend_usd
    } else {
        m.get(name).expect("metrics are checked when the study is loaded")
    }
}

/// One world's runs of the given arms with lever overrides `extra`: each
/// metric's mean over replicates, `[arm][metric]`.
fn world_values(
    study: &Study,
    points: &PointConfigs,
    w: usize,
    values: &[ParamValue],
    extra: &[crate::scenario::Override],
    arms: &[usize],
) -> Result<Vec<Vec<f64>>, JobError> {
    let metrics = study.metrics();
    let plan = points.plan();
    let cfg = points.get_with(values, extra).map_err(|source| JobError::Point {
        point: w,
        file: study.path.clone(),
        source: Box::new(source),
    })?;
    // [arm][metric] sums over replicates.
    let mut sums = vec![vec![0.0; metrics.len()]; arms.len()];
    for (k, &arm) in arms.iter().enumerate() {
        for r in 0..study.replicates {
            let seed = crate::experiment::sweep::run_seed(plan, w, arm, r);
            let result = engine::run(&cfg, arm, seed);
            let run = || format!("world {w}, policy {}, replicate {r}, seed {seed}", plan.arms[arm]);
            check_finite(
                &result.metrics,
                run,
                &format!("check the levers and values of {}", study.path.display()),
            )?;
            for (s, m) in sums[k].iter_mut().zip(&metrics) {
                *s += metric(&result.metrics, m);
            }
        }
    }
    Ok(sums
        .into_iter()
        .map(|s| s.into_iter().map(|x| x / f64::from(study.replicates)).collect())
        .collect())
}

/// Runs arms `arms` of every world with the given lever values (none: the
/// base's), giving each metric's per-world mean over replicates.
pub(super) fn run_worlds(
    study: &Study,
    plan: &SweepPlan,
    worlds: &[Vec<ParamValue>],
    levers: Option<&[f64]>,
    arms: &[usize],
) -> Result<Vec<WorldValues>, JobError> {
    let extra = levers
        .map(|v| scenario::optimize::lever_overrides(study, v))
        .unwrap_or_default();
    let points = PointConfigs::new(plan)?;
    let per_world: Vec<Vec<Vec<f64>>> = worlds
        .par_iter()
        .enumerate()
        .map(|(w, values)| world_values(study, &points, w, values, &extra, arms))
        .collect::<Result<_, _>>()?;
    // [arm][metric][world]
    Ok((0..arms.len())
        .map(|k| {
            (0..study.metrics().len())
                .map(|m| per_world.iter().map(|w| w[k][m]).collect())
                .collect()
        })
        .collect())
}

/// The searched policy's per-metric values in candidate-worlds `units`
/// (unit `u` is candidate `u / worlds` in world `u % worlds`), in order.
/// A unit's values do not depend on which others run beside it, so a
/// generation split into shards gives the same bits.
fn run_units(
    study: &Study,
    plan: &SweepPlan,
    worlds: &[Vec<ParamValue>],
    candidates: &[&[f64]],
    units: &[usize],
) -> Result<Vec<Vec<f64>>, JobError> {
    let extras: Vec<Vec<crate::scenario::Override>> = candidates
        .iter()
        .map(|v| scenario::optimize::lever_overrides(study, v))
        .collect();
    let n = worlds.len();
    let points = PointConfigs::new(plan)?;
    units
        .par_iter()
        .map(|&u| world_values(study, &points, u % n, &worlds[u % n], &extras[u / n], &[0]).map(|mut v| v.remove(0)))
        .collect()
}

/// The references' values on the search worlds: saved with the state, so
/// a gather or a resume does not run them again (a shard never needs
/// them).
pub(super) fn search_presets(
    study: &Study,
    out: &Path,
    plan: &SweepPlan,
    worlds: &[Vec<ParamValue>],
    state: &mut State,
    mode: Mode,
) -> Result<Vec<WorldValues>, JobError> {
    if matches!(mode, Mode::Shard(..)) {
        return Ok(Vec::new());
    }
    if !state.has_presets() {
        let ref_arms: Vec<usize> = (1..=study.references.len()).collect();
        let presets = run_worlds(study, plan, worlds, None, &ref_arms)?;
        state.set_presets(&presets);
        if mode == Mode::Gather {
            // The state a job array's shards read.
            save_state(out, state)?;
        }
        return Ok(presets);
    }
    state
        .presets(study.references.len(), study.metrics().len(), worlds.len())
        .ok_or_else(|| JobError::Damaged {
            path: out.join(OPTIMIZE_STATE),
            message: "its reference values do not fit the study (edited?): run without --resume and with --force to start over".into(),
        })
}

/// What a generation's evaluation gave: its scores, or what the job ends
/// with there (a shard written, a gather waiting for shards).
pub(super) enum Batch {
    Scores(Vec<Score>),
    Stop(Optimized),
}

/// What evaluating a generation needs: the study, its worlds and the
/// references' values in them, and where and how to evaluate.
pub(super) struct Evaluator<'a> {
    pub(super) study: &'a Study,
    pub(super) out: &'a Path,
    pub(super) mode: Mode,
    pub(super) identity: String,
    pub(super) plan: SweepPlan,
    pub(super) worlds: Vec<Vec<ParamValue>>,
    pub(super) presets: Vec<WorldValues>,
}

impl Evaluator<'_> {
    /// Scores generation `generation`'s candidates `genes`: each new one
    /// (lever values not in `cache`) in every world, one unit each, from
    /// shard files or run here.
    pub(super) fn batch(
        &self,
        generation: usize,
        genes: &[Vec<f64>],
        cache: &mut HashMap<Vec<u64>, Score>,
    ) -> Result<Batch, JobError> {
        let study = self.study;
        let values: Vec<Vec<f64>> = genes.iter().map(|g| study.decode(g)).collect();
        let keys: Vec<Vec<u64>> = values.iter().map(|v| bits(v)).collect();
        let mut todo: Vec<usize> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            if !cache.contains_key(k) && !todo.iter().any(|&j| keys[j] == *k) {
                todo.push(i);
            }
        }
        let candidates: Vec<&[f64]> = todo.iter().map(|&i| &values[i][..]).collect();
        let n_worlds = self.worlds.len();
        let n_metrics = study.metrics().len();
        let total = todo.len() * n_worlds;
        if let Mode::Shard(index, count) = self.mode {
            let (from, to) = (total * index / count, total * (index + 1) / count);
            let started = Instant::now();
            let units: Vec<usize> = (from..to).collect();
            let values = run_units(study, &self.plan, &self.worlds, &candidates, &units)?;
            let seconds = started.elapsed().as_secs_f64();
            let shard = ShardFile::new(self.identity.clone(), generation, (from, to, total), seconds, &values);
            write_shard(self.out, &shard)?;
            return Ok(Batch::Stop(Optimized::Shard {
                out: self.out.to_path_buf(),
                generation,
                units: from..to,
                total,
                seconds,
            }));
        }
        let mut units = gather_units(self.out, &self.identity, generation, total, n_metrics)?;
        let missing: Vec<usize> = (0..total).filter(|&u| units[u].is_none()).collect();
        if !missing.is_empty() {
            if self.mode == Mode::Gather {
                return Ok(Batch::Stop(Optimized::Pending {
                    out: self.out.to_path_buf(),
                    generation,
                    missing: missing.len(),
                    total,
                }));
            }
            let run = run_units(study, &self.plan, &self.worlds, &candidates, &missing)?;
            for (u, v) in missing.into_iter().zip(run) {
                units[u] = Some(v);
            }
        }
        for (t, &i) in todo.iter().enumerate() {
            let v: WorldValues = (0..n_metrics)
                .map(|m| {
                    (0..n_worlds)
                        .map(|w| units[t * n_worlds + w].as_ref().expect("every unit is filled")[m])
                        .collect()
                })
                .collect();
            cache.insert(keys[i].clone(), score(study, &v, &self.presets));
        }
        Ok(Batch::Scores(keys.iter().map(|k| cache[k].clone()).collect()))
    }
}
