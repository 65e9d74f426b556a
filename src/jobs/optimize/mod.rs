//! The `optimize` job: a robust search for the best incentive policy over
//! plausible worlds. Each candidate (a value for every lever) runs in the
//! same N worlds with the same seeds (common random numbers), its
//! objectives are robustness measures across those worlds, and ε-NSGA-II
//! (or NSGA-II) proposes the next candidates. The search's state (every
//! evaluation) is saved after each generation, so `--resume` after a kill
//! replays it to the same bytes. At the end, every front candidate and
//! every reference preset runs again on fresh worlds and seeds
//! (out-of-sample validation). This file is the recipe: claim the
//! folder, replay or evaluate each generation, validate, write; the runs
//! are `worlds.rs`, the folder's files `files.rs`, the codecs, scores and
//! hypervolume `crate::optimize`, the tables `output::optimize` and the
//! words `report::optimize`.

mod files;
mod worlds;

use crate::jobs::error::JobError;
use crate::jobs::folder;
use crate::jobs::run::resolve_threads;
use crate::optimize::convergence::{self, Scale};
use crate::optimize::nsga2::Member;
use crate::optimize::score::{Score, WorldValues, evaluation, score};
use crate::optimize::state::{self, SavedGeneration, State, bits};
use crate::optimize::study::Study;
use crate::optimize::{Evaluation, GenerationRecord, Search, Settings};
use crate::output::folder::{Holding, OPTIMIZE_STATE};
use crate::output::manifest::{Job, Manifest};
use crate::output::optimize as tables;
use crate::output::{self, write_atomically};
use crate::plot::OptimizeData;
use crate::report::optimize::{Paired, describe, summary_md};
use crate::scenario;
use crate::scenario::optimize::Amendments;
use files::{read_state, read_warm_start, remove_shards, save_state};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use worlds::{Batch, Evaluator, run_worlds, search_presets, worlds};

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

/// Runs a policy search.
pub fn optimize(
    opts: &OptimizeOptions,
    on_start: &dyn Fn(&str),
    on_generation: &(dyn Fn(&Progress) + Sync),
) -> Result<Optimized, JobError> {
    let study = scenario::optimize::load(&opts.file, &opts.amend)?;
    let threads = resolve_threads(opts.threads, opts.allow_large)?;
    let runs = study.planned_runs();
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
        crate::report::summary_file(&summary),
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
