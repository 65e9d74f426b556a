//! The `optimize` job: a robust search for the best incentive policy over
//! plausible worlds. Each candidate (a value for every lever) runs in the
//! same N worlds with the same seeds (common random numbers), its
//! objectives are robustness measures across those worlds, and ε-NSGA-II
//! (or NSGA-II) proposes the next candidates. The search's state (every
//! evaluation) is saved after each generation, so `--resume` after a kill
//! replays it to the same bytes. At the end, every front candidate and
//! every reference preset runs again on fresh worlds and seeds
//! (out-of-sample validation).

use crate::engine;
use crate::experiment::plan::{ParamValue, SweepPlan};
use crate::jobs::error::JobError;
use crate::jobs::folder;
use crate::jobs::run::{check_finite, resolve_threads};
use crate::optimize::convergence::{self, Scale};
use crate::optimize::nsga2::Member;
use crate::optimize::score::{Score, WorldValues, evaluation, score};
use crate::optimize::state::{self, SavedGeneration, ShardFile, State, StateError, bits};
use crate::optimize::study::Study;
use crate::optimize::{Evaluation, GenerationRecord, Search, Settings};
use crate::output::folder::{Holding, OPTIMIZE_STATE};
use crate::output::manifest::{Job, Manifest};
use crate::output::optimize as tables;
use crate::output::{self, write_atomically};
use crate::plot::OptimizeData;
use crate::report::optimize::{Paired, summary_md};
use crate::scenario;
use crate::scenario::optimize::{Amendments, NET_VALUE};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What `tokenmaxx optimize` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct OptimizeOptions {
    pub file: PathBuf,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
    pub resume: bool,
    pub force: bool,
    pub dry_run: bool,
    pub allow_large: bool,
    pub amend: Amendments,
    /// A front.csv whose lever columns lead the first population.
    pub warm_start: Option<PathBuf>,
    /// Evaluate one shard (index, count) of the next generation's new
    /// candidates into `out`, for `--gather` to absorb.
    pub shard: Option<(usize, usize)>,
    /// Absorb the shards' work (starting a search in `out` if it is empty),
    /// save the state, and finish the search when its budget is spent.
    pub gather: bool,
}

/// One generation as progress sees it.
#[derive(Debug, Clone)]
pub struct Progress {
    pub record: GenerationRecord,
    pub hypervolume: f64,
    pub budget: usize,
    pub elapsed: f64,
    pub replayed: bool,
}

pub use crate::optimize::score::Scored;

/// What a finished search reports back.
#[derive(Debug)]
pub struct OptimizeReport {
    pub study: Study,
    pub out: PathBuf,
    pub evaluations: usize,
    pub front: Vec<Scored>,
    /// Presets by name, with objectives in and out of sample.
    pub presets: Vec<(String, Vec<f64>, Vec<f64>)>,
    /// Front candidates' objectives out of sample, in front order.
    pub front_validation: Vec<Vec<f64>>,
    pub summary: String,
    pub wall_seconds: f64,
    pub threads: usize,
}

pub enum Optimized {
    Planned(String),
    Finished(Box<OptimizeReport>),
    /// `--shard`: this shard evaluated `units` (candidate-worlds) of the
    /// `total` that `generation` needs.
    Shard {
        out: PathBuf,
        generation: usize,
        units: std::ops::Range<usize>,
        total: usize,
        seconds: f64,
    },
    /// `--shard` when the budget is spent: nothing to evaluate.
    NothingToDo {
        out: PathBuf,
    },
    /// `--gather`: the shards' work is absorbed; `generation` still lacks
    /// `missing` of its `total` candidate-worlds.
    Pending {
        out: PathBuf,
        generation: usize,
        missing: usize,
        total: usize,
    },
}

/// How a generation's new candidates are evaluated.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// On this machine, taking what shard files already hold.
    Local,
    /// From shard files only: a generation they do not cover waits.
    Gather,
    /// One shard (index, count) of the next generation, written to a file.
    Shard(usize, usize),
}

/// The runs a study takes (search, references, validation).
fn planned_runs(study: &Study) -> u64 {
    let w = u64::from(study.worlds);
    let v = u64::from(study.validation_worlds);
    let r = u64::from(study.replicates);
    let refs = study.references.len() as u64;
    // The front's size is not known before: count a population's worth.
    study.evaluations as u64 * w * r + refs * (w + v) * r + study.population as u64 * v * r
}

/// The study in words, for --dry-run and the start of a search.
pub fn describe(study: &Study) -> String {
    use crate::output::table::count;
    let mut s = format!(
        "{}: {} over {}, {}, {}; {} (population {}), each in {} from {} x {}; references: {}; validation on {}; at most {} runs.",
        study.name,
        study.algorithm.name(),
        count(study.levers.len(), "lever"),
        count(study.objectives.len(), "objective"),
        count(study.constraints.len(), "constraint"),
        count(study.evaluations, "evaluation"),
        study.population,
        count(study.worlds, "world"),
        if study.from == "prior" {
            "the priors".to_string()
        } else {
            study.from.clone()
        },
        count(study.replicates, "replicate"),
        if study.references.is_empty() {
            "none".to_string()
        } else {
            study.references.join(", ")
        },
        count(study.validation_worlds, "fresh world"),
        planned_runs(study)
    );
    for l in &study.levers {
        let domain = match &l.domain {
            crate::optimize::study::LeverDomain::Range {
                low,
                high,
                log,
                integer,
            } => format!(
                "{low} to {high}{}{}",
                if *log { ", log scale" } else { "" },
                if *integer { ", integers" } else { "" }
            ),
            crate::optimize::study::LeverDomain::Values { values } => format!("one of {values:?}"),
        };
        s.push_str(&format!("\n  lever {} ({}): {domain}", l.key, l.label));
    }
    for o in &study.objectives {
        s.push_str(&format!(
            "\n  {} {} (epsilon {})",
            if o.maximize { "maximize" } else { "minimize" },
            o.label,
            o.epsilon
        ));
    }
    for c in &study.constraints {
        s.push_str(&format!("\n  subject to {}", c.describe()));
    }
    s
}

/// The worlds of a study: a plan (the worlds design of `run --worlds`) and
/// each world's parameter values. `salt` 0 gives the search worlds; any
/// other gives fresh worlds and seeds.
fn worlds(study: &Study, count: u32, salt: u64) -> Result<(SweepPlan, Vec<Vec<ParamValue>>), JobError> {
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
    plan: &SweepPlan,
    w: usize,
    values: &[ParamValue],
    extra: &[crate::scenario::Override],
    arms: &[usize],
) -> Result<Vec<Vec<f64>>, JobError> {
    let metrics = study.metrics();
    let cfg = scenario::sweep::point_config_with(plan, values, extra).map_err(|source| JobError::Point {
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
fn run_worlds(
    study: &Study,
    plan: &SweepPlan,
    worlds: &[Vec<ParamValue>],
    levers: Option<&[f64]>,
    arms: &[usize],
) -> Result<Vec<WorldValues>, JobError> {
    let extra = levers
        .map(|v| scenario::optimize::lever_overrides(study, v))
        .unwrap_or_default();
    let per_world: Vec<Vec<Vec<f64>>> = worlds
        .par_iter()
        .enumerate()
        .map(|(w, values)| world_values(study, plan, w, values, &extra, arms))
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
    units
        .par_iter()
        .map(|&u| world_values(study, plan, u % n, &worlds[u % n], &extras[u / n], &[0]).map(|mut v| v.remove(0)))
        .collect()
}

/// The lever columns of a front.csv, as genes (a warm start).
fn read_warm_start(study: &Study, path: &Path) -> Result<(Vec<Vec<f64>>, String), JobError> {
    // Read as a reader of its results folder: refused while a search
    // writes there, so a front is never read half replaced.
    let folder = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let _lock = crate::output::folder::ReadLock::acquire(folder)?;
    let bytes = output::read_capped(path, 64 << 20).map_err(|source| JobError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let damaged = |m: String| JobError::Damaged {
        path: path.to_path_buf(),
        message: m,
    };
    let keys: Vec<&str> = study.levers.iter().map(|l| l.key.as_str()).collect();
    let table =
        crate::results::Table::parse(&path.display().to_string(), &bytes[..], &[], &keys).map_err(|e| match e {
            crate::results::ReadError::MissingColumn { column, .. } => damaged(format!(
                "--warm-start: no column `{column}` (a lever of {})",
                study.path.display()
            )),
            e => JobError::Results(e),
        })?;
    let mut genes = Vec::new();
    for i in 0..table.rows {
        let g: Vec<f64> = study
            .levers
            .iter()
            .map(|l| {
                let x = table.n(&l.key)[i];
                l.encode(x).ok_or_else(|| match x.is_nan() {
                    true => damaged(format!("row {}: {} is empty", i + 2, l.key)),
                    false => damaged(format!("row {}: {} = {x} is outside the lever's range", i + 2, l.key)),
                })
            })
            .collect::<Result<_, _>>()?;
        genes.push(g);
    }
    Ok((genes, String::from_utf8_lossy(&bytes).into_owned()))
}

/// The saved search in `out`, which must be for study `id`; `shard` says
/// the reader is a shard (whose flags must be the gather's).
fn read_state(out: &Path, id: &str, shard: bool) -> Result<State, JobError> {
    let path = out.join(OPTIMIZE_STATE);
    let bytes = output::read_own_file(&path, 1 << 30).map_err(|source| JobError::Read {
        path: path.clone(),
        source,
    })?;
    state::decode_state(&bytes, id).map_err(|e| match e {
        StateError::Foreign if shard => JobError::Resume(format!(
            "{}: the search in progress there is of another optimization file, base scenario, amendments or warm start: run each shard with the same file and flags as its gather",
            path.display()
        )),
        StateError::Foreign => JobError::Resume(format!(
            "{}: it was written for another optimization file, base scenario, amendments or warm start: run without --resume (and with --force) to start over",
            path.display()
        )),
        e => JobError::Damaged {
            path: path.clone(),
            message: e.to_string(),
        },
    })
}

fn save_state(out: &Path, state: &State) -> Result<(), JobError> {
    write_atomically(out, &[(OPTIMIZE_STATE.to_string(), state::encode_state(state))])?;
    Ok(())
}

/// A shard's file in the results folder is `.optimize-shard-G-FROM-TO`:
/// candidate-worlds FROM..TO of generation G.
use crate::output::folder::OPTIMIZE_SHARD_PREFIX as SHARD_PREFIX;

/// The shard files in `out`: (generation, from, to, name).
fn shard_files(out: &Path) -> Vec<(usize, usize, usize, String)> {
    let mut found = Vec::new();
    for name in crate::output::safe::list(out, "") {
        let Some(rest) = name.strip_prefix(SHARD_PREFIX) else {
            continue;
        };
        if let [g, a, b] = rest.split('-').collect::<Vec<_>>()[..]
            && let (Ok(g), Ok(a), Ok(b)) = (g.parse(), a.parse(), b.parse())
        {
            found.push((g, a, b, name));
        }
    }
    found.sort();
    found
}

/// Writes a shard's values, with the SHA-256 of what it wrote so that an
/// edited or cut shard is refused at gather.
fn write_shard(out: &Path, shard: &ShardFile) -> Result<(), JobError> {
    let name = format!("{SHARD_PREFIX}{}-{}-{}", shard.generation, shard.from, shard.to);
    write_atomically(out, &[(name, state::encode_shard(shard))])?;
    Ok(())
}

/// The units of generation `generation` that shard files in `out` hold
/// (`None` where none does). A shard of another study, an edited shard or
/// one whose shape does not fit is refused, never mixed in.
fn gather_units(
    out: &Path,
    id: &str,
    generation: usize,
    total: usize,
    metrics: usize,
) -> Result<Vec<Option<Vec<f64>>>, JobError> {
    let mut units: Vec<Option<Vec<f64>>> = vec![None; total];
    for (g, from, to, name) in shard_files(out) {
        if g != generation {
            continue;
        }
        let path = out.join(&name);
        let bytes = output::read_own_file(&path, 1 << 30).map_err(|source| JobError::Read {
            path: path.clone(),
            source,
        })?;
        let shard = state::decode_shard(&bytes, id, (g, from, to), total, metrics).map_err(|e| JobError::Damaged {
            path: path.clone(),
            message: format!("{e}; remove it and run that shard again"),
        })?;
        for (slot, v) in units[from..to].iter_mut().zip(shard.values()) {
            *slot = Some(v);
        }
    }
    Ok(units)
}

/// Removes the shard files of generations before `next`, or all of them.
fn remove_shards(out: &Path, next: Option<usize>) -> Result<(), JobError> {
    for (g, _, _, name) in shard_files(out) {
        if next.is_none_or(|n| g < n) {
            crate::output::atomic::remove(out, &name)?;
        }
    }
    Ok(())
}

/// Runs a policy search.
pub fn optimize(
    opts: &OptimizeOptions,
    on_start: &dyn Fn(&str),
    on_generation: &(dyn Fn(&Progress) + Sync),
) -> Result<Optimized, JobError> {
    let study = scenario::optimize::load(&opts.file, &opts.amend)?;
    let threads = resolve_threads(opts.threads, opts.allow_large)?;
    let runs = planned_runs(&study);
    if runs > crate::jobs::limits::MAX_RUNS && !opts.allow_large {
        return Err(JobError::Usage(format!(
            "{}: the search may take {runs} runs, more than {}; lower evaluations or worlds, or pass --allow-large",
            opts.file.display(),
            crate::jobs::limits::MAX_RUNS
        )));
    }
    let (warm, warm_text) = match &opts.warm_start {
        Some(p) => read_warm_start(&study, p)?,
        None => (Vec::new(), String::new()),
    };
    let text = describe(&study);
    on_start(&text);
    if opts.dry_run {
        return Ok(Optimized::Planned(text));
    }
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join("optimize").join(&study.name));
    let amendments = serde_json::to_string(&opts.amend).expect("amendments serialise");
    let id = state::identity(&study, &amendments, &warm_text);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| JobError::Threads { threads, source })?;
    let clock = Instant::now();
    if let Some(shard) = opts.shard {
        // No lock: the shards of one generation run at once, each writing
        // its own file (atomically); the state is only read.
        if crate::output::folder::holding(&out) != Holding::InterruptedOptimization {
            return Err(JobError::Usage(format!(
                "--shard: {} holds no policy search in progress: start one there with `tokenmaxx optimize {} --out {} --gather` (scripts/slurm/optimize.sh does)",
                out.display(),
                opts.file.display(),
                out.display()
            )));
        }
        let saved = read_state(&out, &id, true)?;
        let mode = Mode::Shard(shard.0, shard.1);
        return pool.install(|| search(&study, &out, threads, warm, saved, clock, mode, on_generation));
    }
    let name = study.name.clone();
    let continuing = opts.resume || opts.gather;
    let (_lock, holding, claim) = folder::claim(&out, opts.force && !continuing, |h| {
        matches!(h, Holding::Result { job, name: n } if job == "optimize" && *n == name)
            || (continuing && *h == Holding::InterruptedOptimization)
    })?;
    // A search killed before its first generation was saved left nothing
    // to resume: it starts again, as it would have gone.
    let saved = if continuing && holding != Holding::Nothing {
        if holding != Holding::InterruptedOptimization {
            return Err(JobError::Resume(format!(
                "--{}: {} holds {}, not an interrupted policy search",
                if opts.gather { "gather" } else { "resume" },
                out.display(),
                holding.describe()
            )));
        }
        read_state(&out, &id, false)?
    } else {
        folder::clear_if(&out, claim)?;
        State::new(id.clone())
    };
    let mode = if opts.gather { Mode::Gather } else { Mode::Local };
    pool.install(|| search(&study, &out, threads, warm, saved, clock, mode, on_generation))
}

/// The references' values on the search worlds: saved with the state, so
/// a gather or a resume does not run them again (a shard never needs
/// them).
fn search_presets(
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
enum Batch {
    Scores(Vec<Score>),
    Stop(Optimized),
}

/// What evaluating a generation needs: the study, its worlds and the
/// references' values in them, and where and how to evaluate.
struct Evaluator<'a> {
    study: &'a Study,
    out: &'a Path,
    mode: Mode,
    identity: String,
    plan: SweepPlan,
    worlds: Vec<Vec<ParamValue>>,
    presets: Vec<WorldValues>,
}

impl Evaluator<'_> {
    /// Scores generation `generation`'s candidates `genes`: each new one
    /// (lever values not in `cache`) in every world, one unit each, from
    /// shard files or run here.
    fn batch(
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

/// The search loop: each generation replayed from the saved state, or
/// evaluated and saved; progress after each; then the finished files.
#[allow(clippy::too_many_arguments)]
fn search(
    study: &Study,
    out: &Path,
    threads: usize,
    warm: Vec<Vec<f64>>,
    mut state: State,
    clock: Instant,
    mode: Mode,
    on_generation: &(dyn Fn(&Progress) + Sync),
) -> Result<Optimized, JobError> {
    let (plan, worlds) = worlds(study, study.worlds, 0)?;
    let presets = search_presets(study, out, &plan, &worlds, &mut state, mode)?;
    let evaluator = Evaluator {
        study,
        out,
        mode,
        identity: state.identity.clone(),
        plan,
        worlds,
        presets,
    };
    let settings = Settings {
        algorithm: study.algorithm,
        genes: study.levers.len(),
        epsilons: study.objectives.iter().map(|o| o.epsilon).collect(),
        population: study.population,
        evaluations: study.evaluations,
        seed: study.seed,
    };
    let mut s = Search::new(settings, warm);
    // Scores by candidate id: (objectives, constraints) in their units.
    let mut scores: Vec<Score> = Vec::new();
    // Identical lever values give identical scores: evaluated once.
    let mut cache: HashMap<Vec<u64>, Score> = HashMap::new();
    let mut scale: Option<Scale> = None;
    let mut pareto = crate::optimize::archive::Archive::new(vec![0.0; study.objectives.len()]);
    let mut pareto_seen = 0;
    let saved = std::mem::take(&mut state.generations);
    let mut replay = saved.into_iter();
    while let Some((kind, genes)) = s.next_batch() {
        let (batch_scores, replayed) = match replay.next() {
            Some(g) if g.replays(kind, &genes) => (g.scores(study.objectives.len()), true),
            Some(_) => {
                return Err(JobError::Damaged {
                    path: out.join(OPTIMIZE_STATE),
                    message: "the saved search does not replay (edited, or written by another build): run without --resume and with --force to start over".into(),
                });
            }
            None => match evaluator.batch(state.generations.len(), &genes, &mut cache)? {
                Batch::Scores(scores) => (scores, false),
                Batch::Stop(stop) => return Ok(stop),
            },
        };
        for (g, sc) in genes.iter().zip(&batch_scores) {
            cache.entry(bits(&study.decode(g))).or_insert_with(|| sc.clone());
        }
        let evals: Vec<Evaluation> = batch_scores.iter().map(|(o, c)| evaluation(study, o, c)).collect();
        state
            .generations
            .push(SavedGeneration::new(kind, &genes, &batch_scores));
        scores.extend(batch_scores);
        s.absorb(kind, genes, evals);
        for m in &s.evaluated[pareto_seen..] {
            pareto.add(m);
        }
        pareto_seen = s.evaluated.len();
        let scale = scale.get_or_insert_with(|| Scale::of(&s.evaluated));
        if !replayed {
            // The state after every generation: a kill resumes from here;
            // then the shard files it absorbed are no longer needed.
            save_state(out, &state)?;
            remove_shards(out, Some(state.generations.len()))?;
        }
        if matches!(mode, Mode::Shard(..)) {
            continue;
        }
        let record = s.history.last().expect("a generation was absorbed").clone();
        on_generation(&Progress {
            hypervolume: scale.hypervolume(&pareto.members),
            record,
            budget: study.evaluations,
            elapsed: clock.elapsed().as_secs_f64(),
            replayed,
        });
    }
    if matches!(mode, Mode::Shard(..)) {
        return Ok(Optimized::NothingToDo { out: out.to_path_buf() });
    }
    let scale = scale.expect("one generation");
    finish(study, out, threads, &s, &scores, &evaluator.presets, &scale, clock)
}

/// The front and the presets on fresh worlds and seeds (out of sample).
struct Validation {
    front: Vec<Scored>,
    /// The front's objectives out of sample, in front order.
    front_out: Vec<Vec<f64>>,
    /// Presets by name, with objectives in and out of sample.
    presets: Vec<(String, Vec<f64>, Vec<f64>)>,
    paired: Paired,
}

/// Runs the front and the presets again on fresh worlds and seeds.
fn validate(study: &Study, s: &Search, scores: &[Score], presets: &[WorldValues]) -> Result<Validation, JobError> {
    let scored = |m: &Member| Scored {
        id: m.id,
        levers: study.decode(&m.genes),
        objectives: scores[m.id].0.clone(),
        constraints: scores[m.id].1.clone(),
        feasible: m.feasible(),
    };
    let front: Vec<Scored> = s.front().iter().map(scored).collect();
    let (vplan, vworlds) = worlds(study, study.validation_worlds, 1)?;
    let ref_arms: Vec<usize> = (1..=study.references.len()).collect();
    let vpresets = run_worlds(study, &vplan, &vworlds, None, &ref_arms)?;
    let front_worlds: Vec<WorldValues> = front
        .iter()
        .map(|f| run_worlds(study, &vplan, &vworlds, Some(&f.levers), &[0]).map(|mut v| v.remove(0)))
        .collect::<Result<_, _>>()?;
    let front_out: Vec<Vec<f64>> = front_worlds.iter().map(|v| score(study, v, &vpresets).0).collect();
    // The first objective's metric in each fresh world, front and presets
    // alike (same worlds, same seeds): for paired comparisons.
    let m0 = study
        .metrics()
        .iter()
        .position(|m| *m == study.objectives[0].metric)
        .expect("a metric of the study");
    let paired = Paired {
        front: front_worlds.iter().map(|v| v[m0].clone()).collect(),
        presets: vpresets.iter().map(|v| v[m0].clone()).collect(),
    };
    let presets = study
        .references
        .iter()
        .enumerate()
        .map(|(k, name)| {
            (
                name.clone(),
                score(study, &presets[k], presets).0,
                score(study, &vpresets[k], &vpresets).0,
            )
        })
        .collect();
    Ok(Validation {
        front,
        front_out,
        presets,
        paired,
    })
}

/// What the charts of a search are drawn from.
fn chart_data(study: &Study, s: &Search, scores: &[Score], v: &Validation, hypervolumes: &[f64]) -> OptimizeData {
    let members: HashMap<usize, &Member> = s.evaluated.iter().map(|m| (m.id, m)).collect();
    OptimizeData {
        name: study.name.clone(),
        objectives: study
            .objectives
            .iter()
            .map(|o| {
                (
                    o.label.clone(),
                    o.metric.ends_with("_usd") && !o.measure.is_share(),
                    o.maximize,
                )
            })
            .collect(),
        levers: study.levers.iter().map(|l| l.label.clone()).collect(),
        candidates: (0..s.evaluated.len())
            .map(|id| (scores[id].0.clone(), members[&id].feasible()))
            .collect(),
        front: v
            .front
            .iter()
            .map(|f| (members[&f.id].genes.clone(), f.objectives.clone()))
            .collect(),
        presets: v.presets.iter().map(|(n, i, _)| (n.clone(), i.clone())).collect(),
        convergence: convergence::points(s, hypervolumes),
        source: format!(
            "Source: tokenmaxx {} policy search \"{}\": {} over {}, {} x {} each, seed {}.",
            env!("CARGO_PKG_VERSION"),
            study.name,
            study.algorithm.name(),
            crate::output::table::count(s.evaluated.len(), "evaluation"),
            crate::output::table::count(study.worlds, "world"),
            crate::output::table::count(study.replicates, "replicate"),
            study.seed
        ),
    }
}

/// The end of a search: validation out of sample, then the tables, the
/// summary, the charts and the manifest, written together; the state and
/// shard files are removed.
#[allow(clippy::too_many_arguments)]
fn finish(
    study: &Study,
    out: &Path,
    threads: usize,
    s: &Search,
    scores: &[Score],
    presets: &[WorldValues],
    scale: &Scale,
    clock: Instant,
) -> Result<Optimized, JobError> {
    let v = validate(study, s, scores, presets)?;
    let hypervolumes = convergence::hypervolumes(s, study.objectives.len(), scale);
    let (archive_csv, front_csv) = tables::candidates_csv(study, s, scores, &v.front);
    let summary = summary_md(study, s, &v.front, &v.front_out, &v.presets, &v.paired);
    // Charts never block results: one that cannot be drawn is reported
    // after the results are committed.
    let data = chart_data(study, s, scores, &v, &hypervolumes);
    let (charts, chart_error) =
        match crate::plot::optimize_charts(&data, crate::plot::Format::Both, &crate::plot::Look::default()) {
            Ok(c) => (crate::plot::chart_files(c), None),
            Err(e) => (Vec::new(), Some(e)),
        };
    let mut files = charts;
    files.extend(vec![
        ("front.csv".to_string(), front_csv),
        ("archive.csv".to_string(), archive_csv),
        ("convergence.csv".to_string(), tables::convergence_csv(s, &hypervolumes)),
        (
            "validation.csv".to_string(),
            tables::validation_csv(study, &v.front, &v.front_out, &v.presets),
        ),
        ("summary.md".to_string(), summary.clone().into_bytes()),
    ]);
    output::columns::add_to(&mut files);
    let wall_seconds = clock.elapsed().as_secs_f64();
    let record = crate::output::manifest::OptimizeManifest {
        name: study.name.clone(),
        optimize_path: crate::output::manifest::recorded_path(&study.path),
        optimize_sha256: output::sha256_hex(study.source.as_bytes()),
        optimize_text: study.source.clone(),
        base_path: crate::output::manifest::recorded_path(&study.base_path),
        base_sha256: output::sha256_hex(study.base_source.as_bytes()),
        base_text: study.base_source.clone(),
        set: study.set.clone(),
        algorithm: study.algorithm.name().into(),
        evaluations: s.evaluated.len(),
        population: study.population,
        generations: s.history.len(),
        seed: study.seed,
        replicates: study.replicates,
        worlds: study.worlds,
        validation_worlds: study.validation_worlds,
        from: study.from.clone(),
        policy: study.policy.clone(),
        references: study.references.clone(),
        levers: study.levers.clone(),
        objectives: study.objectives.clone(),
        constraints: study.constraints.clone(),
        front_size: v.front.len(),
        threads,
        wall_time_s: wall_seconds,
    };
    let manifest = Manifest::new(Job::Optimize(Box::new(record)), crate::output::manifest::hashes(&files));
    files.push(("manifest.json".to_string(), manifest.to_bytes()));
    write_atomically(out, &files)?;
    remove_shards(out, None)?;
    crate::output::atomic::remove(out, OPTIMIZE_STATE)?;
    if let Some(source) = chart_error {
        return Err(JobError::Charts {
            out: out.to_path_buf(),
            source: Box::new(source),
            redraw: "the charts of a policy search are drawn by `tokenmaxx optimize` only: rerun it with --force"
                .into(),
        });
    }
    Ok(Optimized::Finished(Box::new(OptimizeReport {
        study: study.clone(),
        out: out.to_path_buf(),
        evaluations: s.evaluated.len(),
        front: v.front,
        presets: v.presets,
        front_validation: v.front_out,
        summary,
        wall_seconds,
        threads,
    })))
}
