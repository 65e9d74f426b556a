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
use crate::optimize::hypervolume::hypervolume;
use crate::optimize::measure::Measure;
use crate::optimize::nsga2::Member;
use crate::optimize::study::Study;
use crate::optimize::{Evaluation, GenerationRecord, Kind, Search, Settings};
use crate::output::folder::{Holding, OPTIMIZE_STATE};
use crate::output::manifest::{Job, Manifest};
use crate::output::{self, csv_bytes, num, write_atomically};
use crate::scenario;
use crate::scenario::optimize::{Amendments, NET_VALUE};
use crate::scenario::sweep::PointConfigs;
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

/// A candidate's results: the lever values, objectives and constraint
/// measures (in their own units), on the search worlds.
#[derive(Debug, Clone)]
pub struct Scored {
    pub id: usize,
    pub levers: Vec<f64>,
    pub objectives: Vec<f64>,
    pub constraints: Vec<f64>,
    pub feasible: bool,
}

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

/// Per-world means over replicates of each metric: `[metric][world]`.
type WorldValues = Vec<Vec<f64>>;

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

/// The references' per-world values of a metric: `[world][reference]`.
fn reference_values(study: &Study, refs: &[String], metric_index: usize, presets: &[WorldValues]) -> Vec<Vec<f64>> {
    let worlds = presets.first().map_or(0, |p| p[metric_index].len());
    (0..worlds)
        .map(|w| {
            refs.iter()
                .map(|r| {
                    let k = study
                        .references
                        .iter()
                        .position(|x| x == r)
                        .expect("references are checked");
                    presets[k][metric_index][w]
                })
                .collect()
        })
        .collect()
}

/// The objectives and constraint measures of per-world values.
fn score(study: &Study, values: &WorldValues, presets: &[WorldValues]) -> (Vec<f64>, Vec<f64>) {
    let metrics = study.metrics();
    let at = |m: &str| metrics.iter().position(|x| x == m).expect("a metric of the study");
    let measure = |m: &str, measure: &Measure, refs: &[String], more: bool| {
        let i = at(m);
        let r = if measure.is_regret() {
            reference_values(study, refs, i, presets)
        } else {
            Vec::new()
        };
        measure.of(&values[i], &r, more)
    };
    let objectives = study
        .objectives
        .iter()
        .map(|o| measure(&o.metric, &o.measure, &o.references, o.more_is_better))
        .collect();
    let constraints = study
        .constraints
        .iter()
        .map(|c| measure(&c.metric, &c.measure, &c.references, c.more_is_better))
        .collect();
    (objectives, constraints)
}

/// The search's form of a score: objectives to minimise, total violation.
fn evaluation(study: &Study, objectives: &[f64], constraints: &[f64]) -> Evaluation {
    Evaluation {
        objectives: study
            .objectives
            .iter()
            .zip(objectives)
            .map(|(o, &v)| if o.maximize { -v } else { v })
            .collect(),
        violation: study
            .constraints
            .iter()
            .zip(constraints)
            .map(|(c, &v)| c.violation(v))
            .sum(),
    }
}

/// What a state file must match to be resumed.
fn identity(study: &Study, amend: &Amendments, warm: &str) -> String {
    output::sha256_hex(
        format!(
            "{}\0{}\0{}\0{}\0{}",
            study.source,
            study.base_source,
            serde_json::to_string(amend).expect("amendments serialise"),
            warm,
            env!("CARGO_PKG_VERSION")
        )
        .as_bytes(),
    )
}

/// The saved search: every generation's kind, genes and scores, floats as
/// their 64 bits so a replay is exact.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct State {
    identity: String,
    generations: Vec<SavedGeneration>,
    /// The references' per-world values on the search worlds,
    /// `[reference][metric][world]` (empty: not yet run).
    #[serde(default)]
    presets: Vec<Vec<Vec<u64>>>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SavedGeneration {
    kind: String,
    /// Per candidate: genes, then objectives, then constraint measures.
    genes: Vec<Vec<u64>>,
    scores: Vec<Vec<u64>>,
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Initial => "initial",
        Kind::Offspring => "offspring",
        Kind::Restart => "restart",
    }
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn unbits(v: &[u64]) -> Vec<f64> {
    v.iter().map(|&x| f64::from_bits(x)).collect()
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
    let state: State = serde_json::from_slice(&bytes).map_err(|e| JobError::Damaged {
        path: path.clone(),
        message: format!("not a policy search's state: {e}"),
    })?;
    if state.identity != id && shard {
        return Err(JobError::Resume(format!(
            "{}: the search in progress there is of another optimization file, base scenario, amendments or warm start: run each shard with the same file and flags as its gather",
            path.display()
        )));
    }
    if state.identity != id {
        return Err(JobError::Resume(format!(
            "{}: it was written for another optimization file, base scenario, amendments or warm start: run without --resume (and with --force) to start over",
            path.display()
        )));
    }
    Ok(state)
}

fn save_state(out: &Path, state: &State) -> Result<(), JobError> {
    write_atomically(
        out,
        &[(
            OPTIMIZE_STATE.to_string(),
            serde_json::to_vec(state).expect("state serialises"),
        )],
    )?;
    Ok(())
}

/// A shard's file in the results folder is `.optimize-shard-G-FROM-TO`:
/// candidate-worlds FROM..TO of generation G.
use crate::output::folder::OPTIMIZE_SHARD_PREFIX as SHARD_PREFIX;

const SHARD_FORMAT: &str = "tokenmaxx optimize shard 1";

/// A shard's work: per unit, each metric's value as its 64 bits.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ShardFile {
    format: String,
    identity: String,
    generation: usize,
    from: usize,
    to: usize,
    /// The candidate-worlds the generation needs in all.
    total: usize,
    seconds: f64,
    values: Vec<Vec<u64>>,
}

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
    let mut text = serde_json::to_string(shard).expect("a shard serialises");
    text.push('\n');
    let digest = output::sha256_hex(text.as_bytes());
    text.push_str(&format!("sha256 {digest}\n"));
    write_atomically(
        out,
        &[(
            format!("{SHARD_PREFIX}{}-{}-{}", shard.generation, shard.from, shard.to),
            text.into_bytes(),
        )],
    )?;
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
        let bad = |m: &str| JobError::Damaged {
            path: path.clone(),
            message: format!("{m}; remove it and run that shard again"),
        };
        let bytes = output::read_own_file(&path, 1 << 30).map_err(|source| JobError::Read {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| bad("not text: it was cut or edited"))?;
        let body_end = text.rfind("\nsha256 ").map_or(0, |i| i + 1);
        let recorded = text[body_end..].strip_prefix("sha256 ").map(str::trim_end);
        if recorded != Some(output::sha256_hex(&text.as_bytes()[..body_end]).as_str()) {
            return Err(bad(
                "differs from the SHA-256 it records: it was cut or edited after it was written",
            ));
        }
        let shard: ShardFile =
            serde_json::from_str(&text[..body_end]).map_err(|e| bad(&format!("not a shard: {e}")))?;
        if shard.format != SHARD_FORMAT {
            return Err(bad("written by another version of tokenmaxx"));
        }
        if shard.identity != id {
            return Err(bad(
                "a shard of another policy search (another optimization file, base, amendments or warm start)",
            ));
        }
        if (shard.generation, shard.from, shard.to) != (g, from, to)
            || shard.total != total
            || to > total
            || shard.values.len() != to - from
            || shard.values.iter().any(|v| v.len() != metrics)
        {
            return Err(bad("its contents do not match its name or this generation"));
        }
        for (slot, v) in units[from..to].iter_mut().zip(&shard.values) {
            *slot = Some(unbits(v));
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
    let id = identity(&study, &opts.amend, &warm_text);
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
        State {
            identity: id.clone(),
            ..State::default()
        }
    };
    let mode = if opts.gather { Mode::Gather } else { Mode::Local };
    pool.install(|| search(&study, &out, threads, warm, saved, clock, mode, on_generation))
}

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
    let (plan, world_values) = worlds(study, study.worlds, 0)?;
    let n_metrics = study.metrics().len();
    // The references on the search worlds: saved with the state, so a
    // gather or a resume does not run them again (a shard never needs them).
    let presets: Vec<WorldValues> = if matches!(mode, Mode::Shard(..)) {
        Vec::new()
    } else if state.presets.is_empty() {
        let ref_arms: Vec<usize> = (1..=study.references.len()).collect();
        let presets = run_worlds(study, &plan, &world_values, None, &ref_arms)?;
        state.presets = presets.iter().map(|p| p.iter().map(|m| bits(m)).collect()).collect();
        if mode == Mode::Gather {
            // The state a job array's shards read.
            save_state(out, &state)?;
        }
        presets
    } else {
        let shaped = state.presets.len() == study.references.len()
            && state
                .presets
                .iter()
                .all(|p| p.len() == n_metrics && p.iter().all(|m| m.len() == world_values.len()));
        if !shaped {
            return Err(JobError::Damaged {
                path: out.join(OPTIMIZE_STATE),
                message: "its reference values do not fit the study (edited?): run without --resume and with --force to start over".into(),
            });
        }
        state
            .presets
            .iter()
            .map(|p| p.iter().map(|m| unbits(m)).collect())
            .collect()
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
    let mut scores: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
    // Identical lever values give identical scores: evaluated once.
    let mut cache: HashMap<Vec<u64>, (Vec<f64>, Vec<f64>)> = HashMap::new();
    let mut scale: Option<(Vec<f64>, Vec<f64>)> = None;
    let mut pareto = crate::optimize::archive::Archive::new(vec![0.0; study.objectives.len()]);
    let mut pareto_seen = 0;
    let saved = std::mem::take(&mut state.generations);
    let mut replay = saved.into_iter();
    let n_obj = study.objectives.len();
    while let Some((kind, genes)) = s.next_batch() {
        let (batch_scores, replayed) = match replay.next() {
            Some(g) => {
                if g.kind != kind_name(kind) || g.genes != genes.iter().map(|x| bits(x)).collect::<Vec<_>>() {
                    return Err(JobError::Damaged {
                        path: out.join(OPTIMIZE_STATE),
                        message: "the saved search does not replay (edited, or written by another build): run without --resume and with --force to start over".into(),
                    });
                }
                let sc: Vec<(Vec<f64>, Vec<f64>)> = g
                    .scores
                    .iter()
                    .map(|v| {
                        let v = unbits(v);
                        (v[..n_obj].to_vec(), v[n_obj..].to_vec())
                    })
                    .collect();
                (sc, true)
            }
            None => {
                let values: Vec<Vec<f64>> = genes.iter().map(|g| study.decode(g)).collect();
                let keys: Vec<Vec<u64>> = values.iter().map(|v| bits(v)).collect();
                let mut todo: Vec<usize> = Vec::new();
                for (i, k) in keys.iter().enumerate() {
                    if !cache.contains_key(k) && !todo.iter().any(|&j| keys[j] == *k) {
                        todo.push(i);
                    }
                }
                // The generation's work: every new candidate in every
                // world, one unit each, from shard files or run here.
                let candidates: Vec<&[f64]> = todo.iter().map(|&i| &values[i][..]).collect();
                let generation = state.generations.len();
                let n_worlds = world_values.len();
                let total = todo.len() * n_worlds;
                if let Mode::Shard(index, count) = mode {
                    let (from, to) = (total * index / count, total * (index + 1) / count);
                    let started = Instant::now();
                    let units: Vec<usize> = (from..to).collect();
                    let values = run_units(study, &plan, &world_values, &candidates, &units)?;
                    let seconds = started.elapsed().as_secs_f64();
                    let shard = ShardFile {
                        format: SHARD_FORMAT.into(),
                        identity: state.identity.clone(),
                        generation,
                        from,
                        to,
                        total,
                        seconds,
                        values: values.iter().map(|v| bits(v)).collect(),
                    };
                    write_shard(out, &shard)?;
                    return Ok(Optimized::Shard {
                        out: out.to_path_buf(),
                        generation,
                        units: from..to,
                        total,
                        seconds,
                    });
                }
                let mut units = gather_units(out, &state.identity, generation, total, n_metrics)?;
                let missing: Vec<usize> = (0..total).filter(|&u| units[u].is_none()).collect();
                if !missing.is_empty() {
                    if mode == Mode::Gather {
                        return Ok(Optimized::Pending {
                            out: out.to_path_buf(),
                            generation,
                            missing: missing.len(),
                            total,
                        });
                    }
                    let run = run_units(study, &plan, &world_values, &candidates, &missing)?;
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
                    cache.insert(keys[i].clone(), score(study, &v, &presets));
                }
                (keys.iter().map(|k| cache[k].clone()).collect(), false)
            }
        };
        for (g, sc) in genes.iter().zip(&batch_scores) {
            cache.entry(bits(&study.decode(g))).or_insert_with(|| sc.clone());
        }
        let evals: Vec<Evaluation> = batch_scores.iter().map(|(o, c)| evaluation(study, o, c)).collect();
        state.generations.push(SavedGeneration {
            kind: kind_name(kind).into(),
            genes: genes.iter().map(|g| bits(g)).collect(),
            scores: batch_scores
                .iter()
                .map(|(o, c)| bits(&o.iter().chain(c).copied().collect::<Vec<_>>()))
                .collect(),
        });
        scores.extend(batch_scores);
        s.absorb(kind, genes, evals);
        for m in &s.evaluated[pareto_seen..] {
            pareto.add(m);
        }
        pareto_seen = s.evaluated.len();
        if scale.is_none() {
            scale = Some(normaliser(&s.evaluated));
        }
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
            hypervolume: scaled_hypervolume(&pareto.members, scale.as_ref().expect("set")),
            record,
            budget: study.evaluations,
            elapsed: clock.elapsed().as_secs_f64(),
            replayed,
        });
    }
    if matches!(mode, Mode::Shard(..)) {
        return Ok(Optimized::NothingToDo { out: out.to_path_buf() });
    }
    finish(
        study,
        out,
        threads,
        &s,
        &scores,
        &presets,
        scale.as_ref().expect("one generation"),
        clock,
    )
}

/// The normalisation of objectives for the hypervolume: the first
/// generation's range per objective (minimised form), fixed for the whole
/// search so the hypervolume of later generations is comparable.
fn normaliser(first: &[Member]) -> (Vec<f64>, Vec<f64>) {
    let m = first[0].objectives.len();
    let lo: Vec<f64> = (0..m)
        .map(|k| first.iter().map(|x| x.objectives[k]).fold(f64::INFINITY, f64::min))
        .collect();
    let span: Vec<f64> = (0..m)
        .map(|k| {
            let hi = first.iter().map(|x| x.objectives[k]).fold(f64::NEG_INFINITY, f64::max);
            if hi > lo[k] { hi - lo[k] } else { 1.0 }
        })
        .collect();
    (lo, span)
}

/// The hypervolume of candidates, objectives scaled by the first
/// generation's range, reference point 1.1 per objective.
fn scaled_hypervolume(members: &[Member], scale: &(Vec<f64>, Vec<f64>)) -> f64 {
    let pts: Vec<Vec<f64>> = members
        .iter()
        .map(|m| {
            m.objectives
                .iter()
                .zip(scale.0.iter().zip(&scale.1))
                .map(|(v, (lo, span))| (v - lo) / span)
                .collect()
        })
        .collect();
    hypervolume(&pts, &vec![1.1; scale.0.len()])
}

#[allow(clippy::too_many_arguments)]
fn finish(
    study: &Study,
    out: &Path,
    threads: usize,
    s: &Search,
    scores: &[(Vec<f64>, Vec<f64>)],
    presets: &[WorldValues],
    scale: &(Vec<f64>, Vec<f64>),
    clock: Instant,
) -> Result<Optimized, JobError> {
    let scored = |m: &Member| Scored {
        id: m.id,
        levers: study.decode(&m.genes),
        objectives: scores[m.id].0.clone(),
        constraints: scores[m.id].1.clone(),
        feasible: m.feasible(),
    };
    let front: Vec<Scored> = s.front().iter().map(scored).collect();
    // Out of sample: fresh worlds and seeds for the front and the presets.
    let (vplan, vworlds) = worlds(study, study.validation_worlds, 1)?;
    let ref_arms: Vec<usize> = (1..=study.references.len()).collect();
    let vpresets = run_worlds(study, &vplan, &vworlds, None, &ref_arms)?;
    let front_worlds: Vec<WorldValues> = front
        .iter()
        .map(|f| run_worlds(study, &vplan, &vworlds, Some(&f.levers), &[0]).map(|mut v| v.remove(0)))
        .collect::<Result<_, _>>()?;
    let front_validation: Vec<Vec<f64>> = front_worlds.iter().map(|v| score(study, v, &vpresets).0).collect();
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
    let preset_rows: Vec<(String, Vec<f64>, Vec<f64>)> = study
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
    let members: HashMap<usize, &Member> = s.evaluated.iter().map(|m| (m.id, m)).collect();
    let on_front: std::collections::HashSet<usize> = front.iter().map(|f| f.id).collect();
    // Files.
    let lever_cols: Vec<String> = study.levers.iter().map(|l| l.key.clone()).collect();
    let obj_cols: Vec<String> = (0..study.objectives.len())
        .map(|i| objective_column(study, i))
        .collect();
    let con_cols: Vec<String> = (0..study.constraints.len())
        .map(|i| format!("constraint_{i}"))
        .collect();
    let generation_of: Vec<(usize, Kind)> = {
        let mut v = Vec::with_capacity(s.evaluated.len());
        let mut prev = 0;
        for g in &s.history {
            v.extend(std::iter::repeat_n((g.generation, g.kind), g.evaluations - prev));
            prev = g.evaluations;
        }
        v
    };
    let row = |id: usize| -> Vec<String> {
        let m = members[&id];
        let mut r = vec![
            id.to_string(),
            generation_of[id].0.to_string(),
            kind_name(generation_of[id].1).to_string(),
        ];
        r.extend(study.decode(&m.genes).into_iter().map(num));
        r.extend(scores[id].0.iter().copied().map(num));
        r.extend(scores[id].1.iter().copied().map(num));
        r.push(m.feasible().to_string());
        r
    };
    let head = |extra: &[&str]| -> Vec<String> {
        let mut h: Vec<String> = vec!["candidate".into(), "generation".into(), "kind".into()];
        h.extend(lever_cols.iter().cloned());
        h.extend(obj_cols.iter().cloned());
        h.extend(con_cols.iter().cloned());
        h.push("feasible".into());
        h.extend(extra.iter().map(|s| s.to_string()));
        h
    };
    let archive_csv = csv_bytes(
        head(&["on_front"]),
        (0..s.evaluated.len()).map(|id| {
            let mut r = row(id);
            r.push(on_front.contains(&id).to_string());
            r
        }),
    );
    let front_csv = csv_bytes(head(&[]), front.iter().map(|f| row(f.id)));
    let convergence_csv = convergence(study, s, scale);
    let mut vh: Vec<String> = vec!["kind".into(), "name".into()];
    vh.extend(obj_cols.iter().map(|c| format!("{c}_in_sample")));
    vh.extend(obj_cols.iter().map(|c| format!("{c}_out_of_sample")));
    let validation_csv = csv_bytes(
        vh,
        front
            .iter()
            .zip(&front_validation)
            .map(|(f, v)| ("front".to_string(), format!("candidate {}", f.id), &f.objectives, v))
            .chain(
                preset_rows
                    .iter()
                    .map(|(n, i, o)| ("preset".to_string(), n.clone(), i, o)),
            )
            .map(|(k, n, i, o)| {
                let mut r = vec![k, n];
                r.extend(i.iter().copied().map(num));
                r.extend(o.iter().copied().map(num));
                r
            }),
    );
    let summary = summary_md(study, s, &front, &front_validation, &preset_rows, &paired);
    let chart_data = crate::plot::OptimizeData {
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
        front: front
            .iter()
            .map(|f| {
                let genes = members[&f.id].genes.clone();
                (genes, f.objectives.clone())
            })
            .collect(),
        presets: preset_rows.iter().map(|(n, i, _)| (n.clone(), i.clone())).collect(),
        convergence: convergence_points(study, s, scale),
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
    };
    // Charts never block results: one that cannot be drawn is reported
    // after the results are committed.
    let (charts, chart_error) =
        match crate::plot::optimize_charts(&chart_data, crate::plot::Format::Both, &crate::plot::Look::default()) {
            Ok(c) => (crate::plot::chart_files(c), None),
            Err(e) => (Vec::new(), Some(e)),
        };
    let mut files = charts;
    files.extend(vec![
        ("front.csv".to_string(), front_csv),
        ("archive.csv".to_string(), archive_csv),
        ("convergence.csv".to_string(), convergence_csv),
        ("validation.csv".to_string(), validation_csv),
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
        front_size: front.len(),
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
        front,
        presets: preset_rows,
        front_validation,
        summary,
        wall_seconds,
        threads,
    })))
}

/// An objective's column name: its measure and metric.
pub fn objective_column(study: &Study, i: usize) -> String {
    let o = &study.objectives[i];
    let m = match &o.measure {
        Measure::Mean => "mean".to_string(),
        Measure::Percentile { p } => format!("p{p}"),
        Measure::ShareAbove { .. } => "share_above".into(),
        Measure::ShareBelow { .. } => "share_below".into(),
        Measure::MeanRegret => "mean_regret".into(),
        Measure::MaxRegret => "max_regret".into(),
    };
    format!("{m}_{}", o.metric)
}

/// (evaluations, hypervolume) after each generation.
fn convergence_points(study: &Study, s: &Search, scale: &(Vec<f64>, Vec<f64>)) -> Vec<(f64, f64)> {
    hypervolumes(study, s, scale)
        .into_iter()
        .zip(&s.history)
        .map(|(h, g)| (g.evaluations as f64, h))
        .collect()
}

/// The archive's hypervolume after each generation, replayed from the
/// evaluations.
fn hypervolumes(study: &Study, s: &Search, scale: &(Vec<f64>, Vec<f64>)) -> Vec<f64> {
    // Every non-dominated feasible candidate so far (not the ε-archive,
    // whose same-box replacements can lower the volume): never decreases.
    let mut archive = crate::optimize::archive::Archive::new(vec![0.0; study.objectives.len()]);
    let mut out = Vec::new();
    let mut at = 0;
    for g in &s.history {
        for m in &s.evaluated[at..g.evaluations] {
            archive.add(m);
        }
        at = g.evaluations;
        out.push(scaled_hypervolume(&archive.members, scale));
    }
    out
}

fn convergence(study: &Study, s: &Search, scale: &(Vec<f64>, Vec<f64>)) -> Vec<u8> {
    let hv = hypervolumes(study, s, scale);
    let mut rows = Vec::new();
    for (g, h) in s.history.iter().zip(hv) {
        rows.push(vec![
            g.generation.to_string(),
            kind_name(g.kind).to_string(),
            g.evaluations.to_string(),
            g.population.to_string(),
            g.archive.to_string(),
            g.progress.to_string(),
            num(h),
        ]);
    }
    csv_bytes(
        [
            "generation",
            "kind",
            "evaluations",
            "population",
            "archive",
            "epsilon_progress",
            "hypervolume",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows.into_iter(),
    )
}

/// A number for a sentence: money in $M or $k, shares as percent.
fn show(metric: &str, measure: &Measure, v: f64) -> String {
    if matches!(measure, Measure::ShareAbove { .. } | Measure::ShareBelow { .. }) {
        return format!("{:.0} %", v * 100.0);
    }
    if metric.ends_with("_usd") {
        return crate::plot::money(v);
    }
    format!("{v:.4}")
}

/// The first objective's metric per fresh world, for the front and the
/// presets (in the study's reference order).
struct Paired {
    front: Vec<Vec<f64>>,
    presets: Vec<Vec<f64>>,
}

fn summary_md(
    study: &Study,
    s: &Search,
    front: &[Scored],
    validation: &[Vec<f64>],
    presets: &[(String, Vec<f64>, Vec<f64>)],
    paired: &Paired,
) -> String {
    use crate::output::table::count;
    let o0 = &study.objectives[0];
    let better = |a: f64, b: f64| if o0.maximize { a > b } else { a < b };
    let mut md = format!(
        "# Policy search `{}`\n\n{} over {}: {} in {}, each candidate in {} x {} (common random numbers); front of {}; validation on {} with fresh seeds.\n\n",
        study.name,
        study.algorithm.name(),
        count(study.levers.len(), "lever"),
        count(s.evaluated.len(), "evaluation"),
        count(s.history.len(), "generation"),
        count(study.worlds, "world"),
        count(study.replicates, "replicate"),
        count(front.len(), "candidate"),
        count(study.validation_worlds, "fresh world")
    );
    if front.is_empty() {
        md.push_str("**No feasible candidate was found**: every evaluated policy broke a constraint. Loosen the constraints or widen the levers.\n");
        return md;
    }
    // The best front candidate on the first objective, in and out of sample.
    let best = (0..front.len())
        .reduce(|a, b| {
            if better(front[b].objectives[0], front[a].objectives[0]) {
                b
            } else {
                a
            }
        })
        .expect("a front");
    let f = &front[best];
    md.push_str(&format!(
        "## Best on {}\n\nCandidate {}: {}.\n\n{} in sample {}, out of sample {}.\n\n",
        o0.label,
        f.id,
        study
            .levers
            .iter()
            .zip(&f.levers)
            .map(|(l, v)| format!("{} = {}", l.label, crate::output::table::significant(*v, 4)))
            .collect::<Vec<_>>()
            .join(", "),
        o0.label,
        show(&o0.metric, &o0.measure, f.objectives[0]),
        show(&o0.metric, &o0.measure, validation[best][0])
    ));
    if let Some(k) = (0..presets.len()).reduce(|a, b| if better(presets[b].2[0], presets[a].2[0]) { b } else { a }) {
        let (name, _, out) = &presets[k];
        let holds = better(validation[best][0], out[0]);
        md.push_str(&format!(
            "The best preset out of sample is {name} at {}: the searched policy {} it on fresh worlds",
            show(&o0.metric, &o0.measure, out[0]),
            if holds {
                "scores above"
            } else {
                "does **not** score above"
            }
        ));
        // In the same fresh worlds with the same seeds, the difference is
        // paired: its interval says whether the gap is more than noise.
        let d = crate::stats::Estimate::paired(&paired.front[best], &paired.presets[k]);
        if d.n >= 2 && d.ci95_low.is_finite() {
            let sign = if o0.maximize { 1.0 } else { -1.0 };
            let (lo, hi) = (d.ci95_low, d.ci95_high);
            let verdict = if sign * lo > 0.0 {
                "better in this metric beyond noise"
            } else if sign * hi < 0.0 {
                "worse in this metric beyond noise"
            } else {
                "not distinguishable from it at this many worlds"
            };
            md.push_str(&format!(
                ". Paired over {} fresh worlds, {} differs from {name}'s by {} per world (95% CI {} to {}): {verdict}.\n\n",
                d.n,
                o0.metric,
                show(&o0.metric, &Measure::Mean, d.mean),
                show(&o0.metric, &Measure::Mean, lo),
                show(&o0.metric, &Measure::Mean, hi)
            ));
        } else {
            md.push_str(".\n\n");
        }
    }
    md.push_str("## Front (in sample | out of sample)\n\n| candidate |");
    for l in &study.levers {
        md.push_str(&format!(" {} |", l.label));
    }
    for o in &study.objectives {
        md.push_str(&format!(" {} |", o.label));
    }
    md.push('\n');
    md.push_str(&"|---".repeat(1 + study.levers.len() + study.objectives.len()));
    md.push_str("|\n");
    for (f, v) in front.iter().zip(validation) {
        md.push_str(&format!("| {} |", f.id));
        for x in &f.levers {
            md.push_str(&format!(" {} |", crate::output::table::significant(*x, 4)));
        }
        for (k, o) in study.objectives.iter().enumerate() {
            md.push_str(&format!(
                " {} \\| {} |",
                show(&o.metric, &o.measure, f.objectives[k]),
                show(&o.metric, &o.measure, v[k])
            ));
        }
        md.push('\n');
    }
    if !presets.is_empty() {
        md.push_str("\n## Presets (in sample | out of sample)\n\n| policy |");
        for o in &study.objectives {
            md.push_str(&format!(" {} |", o.label));
        }
        md.push('\n');
        md.push_str(&"|---".repeat(1 + study.objectives.len()));
        md.push_str("|\n");
        for (n, i, o) in presets {
            md.push_str(&format!("| {n} |"));
            for (k, ob) in study.objectives.iter().enumerate() {
                md.push_str(&format!(
                    " {} \\| {} |",
                    show(&ob.metric, &ob.measure, i[k]),
                    show(&ob.metric, &ob.measure, o[k])
                ));
            }
            md.push('\n');
        }
    }
    md
}
