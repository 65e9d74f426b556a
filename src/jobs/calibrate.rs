//! The `calibrate` job: load an evidence file, run ABC-SMC on the model,
//! simulate the posterior predictive of every target (fit and held-out
//! check), and write posterior.csv, generations.csv, ppc.csv and the
//! manifest, all or nothing.

use crate::calibrate::{Problem, abc};
use crate::jobs::error::JobError;
use crate::jobs::folder;
use crate::jobs::run::resolve_threads;
use crate::output::atomic::remove;
use crate::output::atomic::write_atomically;
use crate::output::csv::{csv_bytes, num};
use crate::output::folder::{CALIBRATE_STATE, Holding};
use crate::output::manifest::{self, CalibrateManifest, CalibratedParameter, Job, Manifest};
use crate::scenario::evidence::{self, Role};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// What `tokenmaxx calibrate` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct CalibrateOptions {
    pub evidence: PathBuf,
    pub out: Option<PathBuf>,
    pub particles: Option<usize>,
    pub generations: Option<usize>,
    pub threads: Option<usize>,
    pub dry_run: bool,
    pub force: bool,
    /// Finish an interrupted calibration of the same evidence in `out`.
    pub resume: bool,
    /// Simulate one shard (index, count) of the open generation's next
    /// batch into `out`, for `--gather` to absorb.
    pub shard: Option<(usize, usize)>,
    /// Absorb the shards' work, save the state, and finish the calibration
    /// if sampling has stopped (the step between a job array's rounds).
    pub gather: bool,
}

pub use crate::calibrate::Predictive;

/// What a finished calibration reports.
#[derive(Debug)]
pub struct CalibrateReport {
    pub problem: Problem,
    pub out: PathBuf,
    pub generations: Vec<abc::Generation>,
    pub stop: abc::Stop,
    pub predictive: Vec<Predictive>,
    pub simulations: usize,
    pub wall_seconds: f64,
    pub threads: usize,
}

/// The plan of a calibration, one line (for `--dry-run` and the log).
pub fn describe(problem: &Problem) -> String {
    use crate::output::table::count;
    let ev = &problem.evidence;
    let fit = ev.targets.iter().filter(|t| t.role == Role::Fit).count();
    format!(
        "{}: {}, {} fit and {} check targets, {} x up to {}, {} per proposal ({}, {})",
        ev.name,
        count(ev.priors.len(), "parameter"),
        fit,
        ev.targets.len() - fit,
        count(ev.particles, "particle"),
        count(ev.generations, "generation"),
        count(problem.runs_per_particle(false), "run"),
        count(problem.variants.len(), "variant"),
        count(ev.replicates, "replicate")
    )
}

/// What a calibration command did.
#[derive(Debug)]
pub enum Calibrated {
    /// `--dry-run`: the plan was printed.
    Planned,
    /// The calibration finished and its results are written.
    Finished(Box<CalibrateReport>),
    /// `--shard`: this shard simulated `proposals` of `generation`.
    Shard {
        out: PathBuf,
        generation: usize,
        proposals: std::ops::Range<u64>,
        seconds: f64,
    },
    /// `--shard` when sampling has already stopped: nothing to simulate.
    NothingToDo { out: PathBuf },
    /// `--gather`: the shards' work is absorbed; more is needed.
    Pending {
        out: PathBuf,
        generation: usize,
        accepted: usize,
        proposed: u64,
    },
}

impl Calibrated {
    /// The report of a finished calibration.
    pub fn finished(self) -> Option<CalibrateReport> {
        match self {
            Calibrated::Finished(r) => Some(*r),
            _ => None,
        }
    }
}

/// The evidence file with the command line's overrides.
fn load_problem(opts: &CalibrateOptions) -> Result<Problem, JobError> {
    let mut ev = evidence::load(&opts.evidence)?;
    if let Some(n) = opts.particles {
        if !(2..=evidence::MAX_PARTICLES as usize).contains(&n) {
            return Err(JobError::Usage(format!(
                "--particles must be between 2 and {}, got {n}",
                evidence::MAX_PARTICLES
            )));
        }
        ev.particles = n;
    }
    if let Some(g) = opts.generations {
        if !(1..=evidence::MAX_GENERATIONS as usize).contains(&g) {
            return Err(JobError::Usage(format!(
                "--generations must be between 1 and {}, got {g}",
                evidence::MAX_GENERATIONS
            )));
        }
        ev.generations = g;
    }
    Ok(Problem::new(ev))
}

fn settings(problem: &Problem) -> abc::Settings {
    let ev = &problem.evidence;
    abc::Settings {
        particles: ev.particles,
        generations: ev.generations,
        min_acceptance: ev.min_acceptance,
        quantile: ev.quantile,
        seed: ev.seed,
        max_proposals: ev.particles.saturating_mul(1000).max(10_000),
    }
}

/// One simulation of a proposal; a scenario error (an override the base
/// cannot take) is kept for the caller and the proposal rejected.
fn simulate_with<'a>(
    problem: &'a Problem,
    first_error: &'a Mutex<Option<crate::scenario::ScenarioError>>,
) -> impl Fn(&[f64], u64) -> abc::Simulated + Sync + 'a {
    move |theta: &[f64], seed: u64| match problem.simulate(theta, seed, false) {
        Ok(stats) => abc::Simulated {
            distance: problem.distance(&stats),
            stats,
        },
        Err(e) => {
            first_error.lock().expect("not poisoned").get_or_insert(e);
            abc::Simulated {
                stats: vec![f64::NAN; problem.evidence.targets.len()],
                distance: f64::INFINITY,
            }
        }
    }
}

fn pool(threads: usize) -> Result<rayon::ThreadPool, JobError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| JobError::Threads { threads, source })
}

/// A shard's batch: the open generation's next proposals, sized for the
/// acceptance rate seen so far with a margin, so that one round of a job
/// array usually fills a generation. The result does not depend on it.
const SHARD_MARGIN: f64 = 1.3;

/// Runs a calibration: on this machine (fresh, or `--resume`), as one
/// shard of a job array (`--shard`), or as the step that gathers the
/// shards' work (`--gather`). `on_generation` sees each finished generation
/// with its wall seconds.
pub fn calibrate(
    opts: &CalibrateOptions,
    on_start: &dyn Fn(&str),
    on_generation: &(dyn Fn(&abc::Generation, f64) + Sync),
) -> Result<Calibrated, JobError> {
    let problem = load_problem(opts)?;
    let threads = resolve_threads(opts.threads, false)?;
    on_start(&describe(&problem));
    if opts.dry_run {
        return Ok(Calibrated::Planned);
    }
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join("calibrate").join(&problem.evidence.name));
    if let Some(shard) = opts.shard {
        return run_shard(&problem, &out, shard, threads);
    }
    let name = problem.evidence.name.clone();
    let identity = state_identity(&problem);
    let continuing = opts.resume || opts.gather;
    let (_lock, holding, mut claim) = folder::claim(&out, opts.force && !continuing, |h| {
        matches!(h, Holding::Result { job, name: n } if job == "calibrate" && *n == name)
            || (continuing && *h == Holding::InterruptedCalibration)
    })?;
    crate::output::folder::remove_temporaries(&out)?;
    let state = if continuing && !(opts.gather && holding == Holding::Nothing) {
        if holding != Holding::InterruptedCalibration {
            return Err(JobError::Usage(format!(
                "--{}: {} holds {}, not an interrupted calibration",
                if opts.gather { "gather" } else { "resume" },
                out.display(),
                holding.describe()
            )));
        }
        claim = folder::Claim::Empty;
        read_state(&out, &identity, &problem)?
    } else {
        State::default()
    };
    if claim == folder::Claim::Replace {
        folder::clear_if(&out, claim)?;
        claim = folder::Claim::Empty;
    }
    let pool = pool(threads)?;
    let first_error: Mutex<Option<crate::scenario::ScenarioError>> = Mutex::new(None);
    let simulate = simulate_with(&problem, &first_error);
    let settings = settings(&problem);
    let priors = problem.priors();
    let State {
        gens,
        walls: mut kept_walls,
        open,
        mut open_wall,
    } = state;
    let mut sampler = abc::Sampler::new(&priors, &settings, gens, open);
    // The work of shards, when there is any (a job array's round, or what
    // a cut-short array left for `--resume`).
    gather(
        &out,
        &identity,
        &mut sampler,
        &mut open_wall,
        &mut kept_walls,
        on_generation,
        &problem,
    )?;
    let save = |sampler: &abc::Sampler, walls: &[f64], open_wall: f64| {
        write_atomically(
            &out,
            &[(
                CALIBRATE_STATE.to_string(),
                encode_state(&identity, &sampler.gens, walls, sampler.open.as_ref(), open_wall).into_bytes(),
            )],
        )
    };
    if opts.gather {
        let step = sampler.next_batch(SHARD_MARGIN, 1);
        if let abc::Step::Batch(_) = step {
            save(&sampler, &kept_walls, open_wall)?;
            remove_shard_files(&out, &sampler)?;
            let open = sampler.open.as_ref().expect("a batch has an open generation");
            return Ok(Calibrated::Pending {
                out,
                generation: open.index,
                accepted: open.accepted.len(),
                proposed: open.next,
            });
        }
    }
    let mut opened = Instant::now();
    let mut save_error = None;
    pool.install(|| {
        while let abc::Step::Batch(range) = sampler.next_batch(1.0, 16) {
            let results = sampler.simulate_batch(range, &simulate);
            if let Some(g) = sampler.absorb(results) {
                let secs = open_wall + opened.elapsed().as_secs_f64();
                open_wall = 0.0;
                opened = Instant::now();
                kept_walls.push(secs);
                on_generation(g, secs);
                // The state after every generation, so a killed
                // calibration resumes from its last finished generation.
                if let Err(e) = save(&sampler, &kept_walls, 0.0) {
                    save_error = Some(e);
                    break;
                }
            }
        }
    });
    drop(simulate);
    if let Some(e) = save_error {
        return Err(e.into());
    }
    if let Some(e) = first_error.into_inner().expect("not poisoned") {
        return Err(e.into());
    }
    let abc::Step::Done(stop) = sampler.next_batch(1.0, 1) else {
        unreachable!("the loop ends when the sampler stops")
    };
    let stopped = Instant::now();
    let generations = sampler.gens;
    let walls = kept_walls;
    let ev = &problem.evidence;
    let Some(posterior) = generations.last() else {
        return Err(JobError::Usage(
            "the first generation could not be filled: no proposal was accepted".into(),
        ));
    };
    // The posterior predictive: every final particle run again, with every
    // target (checks included), on fresh seeds.
    let fresh = generations.len();
    let predictive_stats: Vec<Result<Vec<f64>, _>> = pool.install(|| {
        use rayon::prelude::*;
        posterior
            .particles
            .par_iter()
            .enumerate()
            .map(|(i, p)| problem.simulate(&p.theta, abc::simulation_seed(ev.seed, fresh, i as u64), true))
            .collect()
    });
    let predictive_stats: Vec<Vec<f64>> = predictive_stats.into_iter().collect::<Result<_, _>>()?;
    let weights: Vec<f64> = posterior.particles.iter().map(|p| p.weight).collect();
    let predictive: Vec<Predictive> = ev
        .targets
        .iter()
        .enumerate()
        .map(|(ti, t)| {
            let (x, w): (Vec<f64>, Vec<f64>) = predictive_stats
                .iter()
                .zip(&weights)
                .filter(|(s, _)| s[ti].is_finite())
                .map(|(s, &w)| (s[ti], w))
                .unzip();
            crate::calibrate::predictive(&x, &w, t.low, t.high, crate::calibrate::is_rate(&t.metric))
        })
        .collect();
    let simulations: usize = generations.iter().map(|g| g.proposed).sum::<usize>() + posterior.particles.len();
    // The generations' wall seconds (for a job array: each round's slowest
    // shard) and this last step's.
    let wall_seconds = walls.iter().sum::<f64>() + stopped.elapsed().as_secs_f64();

    let chart_data = crate::plot::CalibrationData {
        name: ev.name.clone(),
        marginals: marginals(&problem, posterior),
        facts: ev
            .targets
            .iter()
            .zip(&predictive)
            .map(|(t, p)| crate::plot::FactCheck {
                name: t.name.clone(),
                fit: t.role == Role::Fit,
                observed: t.observed,
                low: t.low,
                high: t.high,
                q05: p.q05,
                q50: p.q50,
                q95: p.q95,
                point: p.point,
            })
            .collect(),
        source: format!(
            "Source: tokenmaxx {} calibration \"{}\": {} particles, {} generations, {} simulations (ABC-SMC, seed {}).",
            env!("CARGO_PKG_VERSION"),
            ev.name,
            ev.particles,
            generations.len(),
            simulations,
            ev.seed
        ),
    };
    // Charts never block results: a chart that cannot be drawn is reported
    // after the results are committed, as run and sweep do.
    let (mut files, chart_error) = match crate::plot::calibration_charts(&chart_data, crate::plot::Format::Both) {
        Ok(charts) => (crate::plot::chart_files(charts), None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let data_files = [
        ("posterior.csv".to_string(), posterior_csv(&problem, &generations)),
        ("generations.csv".to_string(), generations_csv(&generations, &walls)),
        ("ppc.csv".to_string(), ppc_csv(&problem, &predictive)),
    ];
    files.extend(data_files);
    // Every data file and chart by its SHA-256 (a report embeds only the
    // charts listed).
    let files_sha256 = manifest::hashes(&files);
    files.push((
        "summary.md".to_string(),
        format!(
            "# Calibration `{}`\n\n{} generations ({stop:?}), {simulations} simulations, seed {}.\n\n```\n{}```\n",
            ev.name,
            generations.len(),
            ev.seed,
            table(&problem, &generations, &predictive)
        )
        .into_bytes(),
    ));
    let calibration = CalibrateManifest {
        name: ev.name.clone(),
        evidence_path: crate::output::manifest::recorded_path(&ev.path),
        evidence_sha256: Some(crate::output::sha256_hex(ev.source.as_bytes())),
        evidence_text: ev.source.clone(),
        base_path: crate::output::manifest::recorded_path(&ev.base_path),
        base_sha256: Some(crate::output::sha256_hex(ev.base_source.as_bytes())),
        base_text: ev.base_source.clone(),
        particles: ev.particles,
        generations_asked: ev.generations,
        generations_run: generations.len(),
        stop: format!("{stop:?}"),
        seed: ev.seed,
        replicates: ev.replicates,
        set: ev.set.clone(),
        parameters: ev
            .priors
            .iter()
            .map(|p| CalibratedParameter {
                key: p.key.clone(),
                low: p.low,
                high: p.high,
                log: p.log,
            })
            .collect(),
        simulations,
        threads,
        wall_time_s: wall_seconds,
    };
    files.push((
        "manifest.json".to_string(),
        Manifest::new(Job::Calibrate(Box::new(calibration)), files_sha256).to_bytes(),
    ));
    folder::clear_if(&out, claim)?;
    write_atomically(&out, &files)?;
    // Shard files before the state: a kill between the two leaves a state
    // that `--resume` finishes again to the same files.
    remove_all_shard_files(&out)?;
    remove(&out, CALIBRATE_STATE)?;
    if let Some(source) = chart_error {
        return Err(JobError::Charts {
            redraw: "a calibration's charts are drawn only by `tokenmaxx calibrate` (rerun it with --force)".into(),
            out,
            source: Box::new(source),
        });
    }
    Ok(Calibrated::Finished(Box::new(CalibrateReport {
        problem,
        out,
        generations,
        stop,
        predictive,
        simulations,
        wall_seconds,
        threads,
    })))
}

/// posterior.csv: every generation's particles (the last generation is the
/// posterior): generation, particle, weight, one column per parameter,
/// distance.
fn posterior_csv(problem: &Problem, gens: &[abc::Generation]) -> Vec<u8> {
    let mut header: Vec<String> = vec!["generation".into(), "particle".into(), "weight".into()];
    header.extend(problem.evidence.priors.iter().map(|p| p.key.clone()));
    header.push("distance".into());
    csv_bytes(
        header,
        gens.iter().flat_map(|g| {
            g.particles.iter().enumerate().map(move |(i, p)| {
                let mut row = vec![g.index.to_string(), i.to_string(), num(p.weight)];
                row.extend(p.theta.iter().map(|&x| num(x)));
                row.push(num(p.distance));
                row
            })
        }),
    )
}

/// generations.csv: one row per generation (wall seconds are the only
/// column that changes between identical calibrations).
fn generations_csv(gens: &[abc::Generation], walls: &[f64]) -> Vec<u8> {
    let header = "generation,epsilon,proposed,accepted,acceptance_rate,ess,wall_seconds";
    csv_bytes(
        header.split(',').map(str::to_string).collect(),
        gens.iter().zip(walls).map(|(g, w)| {
            vec![
                g.index.to_string(),
                if g.epsilon.is_finite() {
                    num(g.epsilon)
                } else {
                    String::new()
                },
                g.proposed.to_string(),
                g.accepted.to_string(),
                num(g.acceptance()),
                num(g.ess),
                num(*w),
            ]
        }),
    )
}

/// ppc.csv: each target's observed value and tolerance against its
/// posterior-predictive mean and 5 %, 50 % and 95 % quantiles.
fn ppc_csv(problem: &Problem, pred: &[Predictive]) -> Vec<u8> {
    let header =
        "target,metric,policy,role,observed,tolerance_low,tolerance_high,ppc_mean,ppc_05,ppc_50,ppc_95,inside,source";
    csv_bytes(
        header.split(',').map(str::to_string).collect(),
        problem.evidence.targets.iter().zip(pred).map(|(t, p)| {
            vec![
                t.name.clone(),
                t.metric.clone(),
                t.policy.clone(),
                t.role.name().to_string(),
                num(t.observed),
                num(t.low),
                num(t.high),
                num(p.mean),
                num(p.q05),
                num(p.q50),
                num(p.q95),
                p.inside.to_string(),
                t.source.clone(),
            ]
        }),
    )
}

/// The console summary of a calibration: each parameter's prior and
/// posterior (weighted mean and 90 % interval), and each target's fit.
pub fn table(problem: &Problem, generations: &[abc::Generation], predictive: &[Predictive]) -> String {
    let post = generations.last().expect("a posterior");
    let w: Vec<f64> = post.particles.iter().map(|p| p.weight).collect();
    let mut s = format!(
        "{:<45} {:>21} {:>12} {:>25} {:>7}\n",
        "parameter", "prior", "post. mean", "90% credible interval", "width"
    );
    for (i, p) in problem.evidence.priors.iter().enumerate() {
        let x: Vec<f64> = post.particles.iter().map(|q| q.theta[i]).collect();
        let (mean, _) = abc::weighted_moments(post, i);
        let (lo, hi) = (abc::quantile(&x, &w, 0.05), abc::quantile(&x, &w, 0.95));
        let width = if p.log {
            (hi / lo).ln() / (p.high / p.low).ln()
        } else {
            (hi - lo) / (p.high - p.low)
        };
        s.push_str(&format!(
            "{:<45} {:>21} {:>12} {:>25} {:>6.0}%\n",
            p.key,
            format!("{}-{}{}", short(p.low), short(p.high), if p.log { " log" } else { "" }),
            short(mean),
            format!("[{}, {}]", short(lo), short(hi)),
            100.0 * width
        ));
    }
    s.push_str("width: the 90% interval as a share of the prior's range (on the log scale for log priors)\n");
    let marginals = marginals(problem, post);
    let pairs = crate::plot::pair_correlations(&marginals);
    if !pairs.is_empty() {
        s.push_str("strongest posterior correlations (weighted r):");
        for &(i, j, r) in pairs.iter().take(3) {
            s.push_str(&format!(
                "  {} ~ {} {r:+.2};",
                short_key(&marginals[i].key),
                short_key(&marginals[j].key)
            ));
        }
        s.pop();
        s.push('\n');
    }
    s.push('\n');
    s.push_str(&format!(
        "{:<55} {:>5} {:>12} {:>25} {:>12}  in\n",
        "target", "role", "observed", "tolerance", "ppc point"
    ));
    for (t, p) in problem.evidence.targets.iter().zip(predictive) {
        s.push_str(&format!(
            "{:<55} {:>5} {:>12} {:>25} {:>12}  {}\n",
            t.name,
            t.role.name(),
            short(t.observed),
            format!("[{}, {}]", short(t.low), short(t.high)),
            short(p.point),
            if p.inside { "yes" } else { "NO" }
        ));
    }
    s.push_str(
        "ppc point: the posterior-predictive median; for a rate (escalation, no measured return), the pooled mean over particles and replicates\n",
    );
    s
}

/// Each parameter's prior and weighted sample in a generation.
fn marginals(problem: &Problem, g: &abc::Generation) -> Vec<crate::plot::Marginal> {
    problem
        .evidence
        .priors
        .iter()
        .enumerate()
        .map(|(i, p)| crate::plot::Marginal {
            key: p.key.clone(),
            low: p.low,
            high: p.high,
            log: p.log,
            sample: g.particles.iter().map(|q| (q.theta[i], q.weight)).collect(),
        })
        .collect()
}

/// The last two segments of a parameter key.
fn short_key(key: &str) -> &str {
    let mut dots = key.rmatch_indices('.').map(|(i, _)| i);
    match (dots.next(), dots.next()) {
        (Some(_), Some(i)) => &key[i + 1..],
        _ => key,
    }
}

/// A number in four significant digits.
fn short(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e7).contains(&a) {
        format!("{x:.3e}")
    } else {
        let digits = if a >= 1000.0 {
            0
        } else if a >= 10.0 {
            2
        } else {
            4
        };
        format!("{x:.digits$}")
    }
}

/// What a state file must match to be resumed: the evidence and base texts
/// and every setting that changes the draws.
fn state_identity(problem: &Problem) -> String {
    let ev = &problem.evidence;
    crate::output::sha256_hex(
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
            ev.source, ev.base_source, ev.particles, ev.seed, ev.replicates, ev.quantile
        )
        .as_bytes(),
    )
}

/// A calibration's state between runs: the finished generations with their
/// wall seconds, and the generation being filled with its seconds so far.
#[derive(Debug, Default)]
struct State {
    gens: Vec<abc::Generation>,
    walls: Vec<f64>,
    open: Option<abc::Open>,
    open_wall: f64,
}

fn read_state(out: &Path, identity: &str, problem: &Problem) -> Result<State, JobError> {
    let path = out.join(CALIBRATE_STATE);
    let text =
        std::fs::read_to_string(&path).map_err(|e| JobError::Usage(format!("cannot read {}: {e}", path.display())))?;
    decode_state(
        &text,
        identity,
        problem.evidence.priors.len(),
        problem.evidence.targets.len(),
    )
    .map_err(|m| JobError::Usage(format!("{}: {m}", path.display())))
}

/// A float as its 64 bits in hex: read back to exactly the same number.
fn bits(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

fn unbits(t: &str) -> Result<f64, String> {
    u64::from_str_radix(t, 16)
        .map(f64::from_bits)
        .map_err(|_| format!("`{t}` is not a number"))
}

fn count(t: &str) -> Result<usize, String> {
    t.parse().map_err(|_| format!("`{t}` is not a count"))
}

fn encode_particle(p: &abc::Particle) -> String {
    let theta: Vec<String> = p.theta.iter().map(|&x| bits(x)).collect();
    let stats: Vec<String> = p.stats.iter().map(|&x| bits(x)).collect();
    format!(
        "particle {} {} {} {} | {}\n",
        p.proposal,
        bits(p.weight),
        bits(p.distance),
        theta.join(" "),
        stats.join(" ")
    )
}

fn decode_particle(words: &[&str], n_params: usize) -> Result<abc::Particle, String> {
    if words[4 + n_params] != "|" {
        return Err("malformed particle".into());
    }
    Ok(abc::Particle {
        proposal: count(words[1])? as u64,
        weight: unbits(words[2])?,
        distance: unbits(words[3])?,
        theta: words[4..4 + n_params]
            .iter()
            .map(|t| unbits(t))
            .collect::<Result<_, _>>()?,
        stats: words[5 + n_params..]
            .iter()
            .map(|t| unbits(t))
            .collect::<Result<_, _>>()?,
    })
}

/// The state file: a header with the identity, then per generation a line
/// of its numbers and a line per particle, then the open generation (its
/// next proposal, seconds so far, and the particles accepted so far), every
/// float as its 64 bits in hex so that a resumed calibration continues from
/// exactly the same numbers.
fn encode_state(
    identity: &str,
    gens: &[abc::Generation],
    walls: &[f64],
    open: Option<&abc::Open>,
    open_wall: f64,
) -> String {
    let mut s = format!("tokenmaxx calibrate state 2\n{identity}\n");
    for (g, w) in gens.iter().zip(walls) {
        s.push_str(&format!(
            "generation {} {} {} {} {} {}\n",
            g.index,
            bits(g.epsilon),
            g.proposed,
            g.accepted,
            bits(g.ess),
            bits(*w)
        ));
        for p in &g.particles {
            s.push_str(&encode_particle(p));
        }
    }
    if let Some(o) = open {
        s.push_str(&format!("open {} {} {}\n", o.index, o.next, bits(open_wall)));
        for p in &o.accepted {
            s.push_str(&encode_particle(p));
        }
    }
    s.push_str("end\n");
    s
}

fn decode_state(text: &str, identity: &str, n_params: usize, n_targets: usize) -> Result<State, String> {
    let mut lines = text.lines();
    if lines.next() != Some("tokenmaxx calibrate state 2") {
        return Err("not a calibration state file of this tokenmaxx".into());
    }
    if lines.next() != Some(identity) {
        return Err(
            "it was written for another evidence file, base scenario or settings: run without --resume (and with --force) to start over"
                .into(),
        );
    }
    let mut state = State::default();
    let mut ended = false;
    for (i, line) in lines.enumerate() {
        let bad = |m: String| format!("line {}: {m}", i + 3);
        if ended {
            return Err(bad("text after the end".into()));
        }
        let words: Vec<&str> = line.split(' ').collect();
        match words.first() {
            Some(&"generation") if words.len() == 7 && state.open.is_none() => {
                let g = abc::Generation {
                    index: count(words[1]).map_err(bad)?,
                    epsilon: unbits(words[2]).map_err(bad)?,
                    proposed: count(words[3]).map_err(bad)?,
                    accepted: count(words[4]).map_err(bad)?,
                    ess: unbits(words[5]).map_err(bad)?,
                    particles: Vec::new(),
                };
                if g.index != state.gens.len() {
                    return Err(bad(format!("generation {} out of order", g.index)));
                }
                state.gens.push(g);
                state.walls.push(unbits(words[6]).map_err(bad)?);
            }
            Some(&"open") if words.len() == 4 && state.open.is_none() => {
                let index = count(words[1]).map_err(bad)?;
                if index != state.gens.len() {
                    return Err(bad(format!("open generation {index} out of order")));
                }
                state.open = Some(abc::Open {
                    index,
                    next: count(words[2]).map_err(bad)? as u64,
                    accepted: Vec::new(),
                });
                state.open_wall = unbits(words[3]).map_err(bad)?;
            }
            Some(&"particle") if words.len() == 4 + n_params + 1 + n_targets => {
                let p = decode_particle(&words, n_params).map_err(bad)?;
                match (state.open.as_mut(), state.gens.last_mut()) {
                    (Some(o), _) => o.accepted.push(p),
                    (None, Some(g)) => g.particles.push(p),
                    (None, None) => return Err(bad("a particle before any generation".into())),
                }
            }
            Some(&"end") if words.len() == 1 => ended = true,
            _ => return Err(bad("malformed line".into())),
        }
    }
    if !ended {
        return Err("the file was cut (no end line)".into());
    }
    for g in &state.gens {
        if g.particles.len() != g.accepted {
            return Err(format!(
                "generation {} has {} particles, its header says {}: the file was cut",
                g.index,
                g.particles.len(),
                g.accepted
            ));
        }
    }
    Ok(state)
}

/// A shard's file in the results folder is `.calibrate-shard-G-FROM-TO`:
/// proposals FROM..TO of generation G.
use crate::output::folder::CALIBRATE_SHARD_PREFIX as SHARD_PREFIX;

/// `--shard I/N`: simulates this shard's slice of the open generation's next
/// batch and writes it for `--gather`. Takes no lock: the shards of one
/// round run at once, each writing its own file (atomically); the state is
/// only read.
fn run_shard(
    problem: &Problem,
    out: &Path,
    (index, n): (usize, usize),
    threads: usize,
) -> Result<Calibrated, JobError> {
    let identity = state_identity(problem);
    if crate::output::folder::holding(out) != Holding::InterruptedCalibration {
        return Err(JobError::Usage(format!(
            "--shard: {} holds no calibration in progress: start one there with `tokenmaxx calibrate {} --out {} --gather` (scripts/slurm/calibrate.sh does)",
            out.display(),
            problem.evidence.path.display(),
            out.display()
        )));
    }
    let State { gens, open, .. } = read_state(out, &identity, problem)?;
    let settings = settings(problem);
    let priors = problem.priors();
    let mut sampler = abc::Sampler::new(&priors, &settings, gens, open);
    let range = match sampler.next_batch(SHARD_MARGIN, 16 * n as u64) {
        abc::Step::Batch(range) => range,
        abc::Step::Done(_) => return Ok(Calibrated::NothingToDo { out: out.to_path_buf() }),
    };
    let len = range.end - range.start;
    let from = range.start + len * index as u64 / n as u64;
    let to = range.start + len * (index as u64 + 1) / n as u64;
    let generation = sampler.open.as_ref().expect("open").index;
    let clock = Instant::now();
    let first_error: Mutex<Option<crate::scenario::ScenarioError>> = Mutex::new(None);
    let simulate = simulate_with(problem, &first_error);
    let results = pool(threads)?.install(|| sampler.simulate_batch(from..to, &simulate));
    drop(simulate);
    if let Some(e) = first_error.into_inner().expect("not poisoned") {
        return Err(e.into());
    }
    let seconds = clock.elapsed().as_secs_f64();
    let mut s = format!(
        "tokenmaxx calibrate shard 2\n{identity}\n{}\n{generation} {from} {to} {}\n",
        env!("CARGO_PKG_VERSION"),
        bits(seconds)
    );
    for (k, theta, sim) in &results {
        let theta: Vec<String> = theta.iter().map(|&x| bits(x)).collect();
        let stats: Vec<String> = sim.stats.iter().map(|&x| bits(x)).collect();
        s.push_str(&format!(
            "{k} {} {} | {}\n",
            bits(sim.distance),
            theta.join(" "),
            stats.join(" ")
        ));
    }
    s.push_str("end\n");
    // The shard's SHA-256 over everything above: an edited shard is
    // refused at gather, as sweep shards are.
    let digest = crate::output::sha256_hex(s.as_bytes());
    s.push_str(&format!("sha256 {digest}\n"));
    write_atomically(
        out,
        &[(format!("{SHARD_PREFIX}{generation}-{from}-{to}"), s.into_bytes())],
    )?;
    Ok(Calibrated::Shard {
        out: out.to_path_buf(),
        generation,
        proposals: from..to,
        seconds,
    })
}

/// The shard files in `out`: (generation, from, to, name).
fn shard_files(out: &Path) -> Vec<(usize, u64, u64, String)> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(out) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(SHARD_PREFIX) else {
                continue;
            };
            let parts: Vec<&str> = rest.split('-').collect();
            if let [g, a, b] = parts[..]
                && let (Ok(g), Ok(a), Ok(b)) = (g.parse(), a.parse(), b.parse())
            {
                found.push((g, a, b, name));
            }
        }
    }
    found.sort();
    found
}

/// Reads one shard file: its seconds and its simulated proposals.
fn read_shard(
    path: &Path,
    identity: &str,
    problem: &Problem,
    range: (u64, u64),
) -> Result<(f64, Vec<abc::Proposal>), JobError> {
    let bad = |m: &str| JobError::Usage(format!("{}: {m}; remove it and run that shard again", path.display()));
    let file = crate::output::read_capped(path, 1 << 30).map_err(|e| JobError::read(path, e))?;
    let text = String::from_utf8(file).map_err(|_| bad("not text: it was cut or edited"))?;
    let body_end = text.rfind("end\n").map(|i| i + 4).unwrap_or(0);
    let recorded = text[body_end..].strip_prefix("sha256 ").map(str::trim_end);
    if recorded != Some(crate::output::sha256_hex(&text.as_bytes()[..body_end]).as_str()) {
        return Err(bad(
            "differs from the SHA-256 it records: it was cut or edited after it was written",
        ));
    }
    let text = &text[..body_end];
    let mut lines = text.lines();
    if lines.next() != Some("tokenmaxx calibrate shard 2") || lines.next() != Some(identity) {
        return Err(bad(
            "not a shard of this calibration (another evidence file or settings)",
        ));
    }
    if lines.next() != Some(env!("CARGO_PKG_VERSION")) {
        return Err(bad("written by another version of tokenmaxx"));
    }
    let head: Vec<&str> = lines.next().unwrap_or("").split(' ').collect();
    let seconds = match head[..] {
        [_, a, b, w] if a.parse() == Ok(range.0) && b.parse() == Ok(range.1) => unbits(w).map_err(|m| bad(&m))?,
        _ => return Err(bad("its header does not match its name")),
    };
    let (n_params, n_targets) = (problem.evidence.priors.len(), problem.evidence.targets.len());
    let mut results = Vec::new();
    let mut ended = false;
    for line in lines {
        if line == "end" {
            ended = true;
            break;
        }
        let w: Vec<&str> = line.split(' ').collect();
        if w.len() != 2 + n_params + 1 + n_targets || w[2 + n_params] != "|" {
            return Err(bad("a malformed line"));
        }
        let k: u64 = w[0].parse().map_err(|_| bad("a malformed proposal index"))?;
        let theta: Vec<f64> = w[2..2 + n_params]
            .iter()
            .map(|t| unbits(t))
            .collect::<Result<_, _>>()
            .map_err(|m| bad(&m))?;
        let stats: Vec<f64> = w[3 + n_params..]
            .iter()
            .map(|t| unbits(t))
            .collect::<Result<_, _>>()
            .map_err(|m| bad(&m))?;
        let distance = unbits(w[1]).map_err(|m| bad(&m))?;
        results.push((k, theta, abc::Simulated { stats, distance }));
    }
    let expected: Vec<u64> = (range.0..range.1).collect();
    if !ended || results.iter().map(|r| r.0).collect::<Vec<_>>() != expected {
        return Err(bad("it was cut or edited (its proposals do not cover its range)"));
    }
    Ok((seconds, results))
}

/// Absorbs the shard files that continue the open generation, in proposal
/// order, for as long as they do. A generation they fill is reported, with
/// its wall seconds: per gathering (one round of a job array), its slowest
/// shard's.
fn gather(
    out: &Path,
    identity: &str,
    sampler: &mut abc::Sampler,
    open_wall: &mut f64,
    walls: &mut Vec<f64>,
    on_generation: &(dyn Fn(&abc::Generation, f64) + Sync),
    problem: &Problem,
) -> Result<(), JobError> {
    let files = shard_files(out);
    let mut slowest = 0.0f64;
    while let abc::Step::Batch(_) = sampler.next_batch(1.0, 1) {
        let (generation, next) = {
            let o = sampler.open.as_ref().expect("a batch has an open generation");
            (o.index, o.next)
        };
        // The file that holds proposal `next` (several may: shards of
        // different rounds overlap; their proposals are the same).
        let Some((_, from, to, name)) = files
            .iter()
            .find(|(g, from, to, _)| *g == generation && *from <= next && next < *to)
        else {
            break;
        };
        let (seconds, results) = read_shard(&out.join(name), identity, problem, (*from, *to))?;
        slowest = slowest.max(seconds);
        let take: Vec<abc::Proposal> = results.into_iter().filter(|r| r.0 >= next).collect();
        if let Some(g) = sampler.absorb(take) {
            let secs = *open_wall + slowest;
            walls.push(secs);
            on_generation(g, secs);
            *open_wall = 0.0;
            slowest = 0.0;
        }
    }
    *open_wall += slowest;
    Ok(())
}

/// Removes the shard files the open generation no longer needs.
fn remove_shard_files(out: &Path, sampler: &abc::Sampler) -> Result<(), JobError> {
    let open = sampler.open.as_ref().map(|o| (o.index, o.next));
    for (g, _, to, name) in shard_files(out) {
        if open.is_none_or(|(og, next)| g != og || to <= next) {
            remove(out, &name)?;
        }
    }
    Ok(())
}

fn remove_all_shard_files(out: &Path) -> Result<(), JobError> {
    for (_, _, _, name) in shard_files(out) {
        remove(out, &name)?;
    }
    Ok(())
}
