//! The `calibrate` job: load an evidence file, run ABC-SMC on the model,
//! simulate the posterior predictive of every target (fit and held-out
//! check), and write posterior.csv, generations.csv, ppc.csv and the
//! manifest, all or nothing.

use crate::calibrate::state::{self, State};
use crate::calibrate::{Problem, abc};
use crate::jobs::error::JobError;
use crate::jobs::folder;
use crate::jobs::run::resolve_threads;
use crate::output::atomic::remove;
use crate::output::atomic::write_atomically;
use crate::output::calibration;
use crate::output::folder::{CALIBRATE_STATE, Holding};
use crate::output::manifest::{self, CalibrateManifest, CalibratedParameter, Job, Manifest};
use crate::scenario::evidence::{self, Role};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// A library caller's cancellation flag (the command line gives none):
    /// once set, simulations still due return at once, the batch under way
    /// is dropped, and the job ends with [`JobError::Cancelled`], the state
    /// of its last finished generation saved for `--resume`.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
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
    cancel: &'a AtomicBool,
) -> impl Fn(&[f64], u64) -> abc::Simulated + Sync + 'a {
    move |theta: &[f64], seed: u64| match if cancel.load(Ordering::Relaxed) {
        // Cancelled: the batch is dropped unabsorbed, so skip the work.
        Ok(vec![f64::NAN; problem.evidence.targets.len()])
    } else {
        problem.simulate(theta, seed, false)
    } {
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
    let identity = state::identity(&problem);
    let continuing = opts.resume || opts.gather;
    let (_lock, holding, mut claim) = folder::claim(&out, opts.force && !continuing, |h| {
        matches!(h, Holding::Result { job, name: n } if job == "calibrate" && *n == name)
            || (continuing && *h == Holding::InterruptedCalibration)
    })?;
    crate::output::folder::remove_temporaries(&out)?;
    let state = if continuing && !(opts.gather && holding == Holding::Nothing) {
        if holding != Holding::InterruptedCalibration {
            return Err(JobError::Resume(format!(
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
    let never = AtomicBool::new(false);
    let cancel = opts.cancel.as_deref().unwrap_or(&never);
    let simulate = simulate_with(&problem, &first_error, cancel);
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
    let save = |gens: &[abc::Generation], walls: &[f64], open: Option<&abc::Open>, open_wall: f64| {
        write_atomically(
            &out,
            &[(
                CALIBRATE_STATE.to_string(),
                state::encode(&identity, gens, walls, open, open_wall).into_bytes(),
            )],
        )
    };
    if opts.gather {
        let step = sampler.next_batch(SHARD_MARGIN, 1);
        if let abc::Step::Batch(_) = step {
            save(&sampler.gens, &kept_walls, sampler.open.as_ref(), open_wall)?;
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
    let stop = pool.install(|| {
        sampler.run(
            &simulate,
            &mut |gens| {
                let secs = open_wall + opened.elapsed().as_secs_f64();
                open_wall = 0.0;
                opened = Instant::now();
                kept_walls.push(secs);
                on_generation(gens.last().expect("a new generation"), secs);
                // The state after every generation, so a killed calibration
                // resumes from its last finished generation.
                save(gens, &kept_walls, None, 0.0)
            },
            cancel,
        )
    });
    drop(simulate);
    let Some(stop) = stop? else {
        return Err(JobError::Cancelled { out });
    };
    if let Some(e) = first_error.into_inner().expect("not poisoned") {
        return Err(e.into());
    }
    let stopped = Instant::now();
    let generations = sampler.gens;
    let walls = kept_walls;
    let ev = &problem.evidence;
    let Some(posterior) = generations.last() else {
        return Err(JobError::Calibration(
            "the first generation could not be filled: no proposal was accepted".into(),
        ));
    };
    let Some(predictive) =
        pool.install(|| crate::calibrate::posterior_predictive(&problem, posterior, generations.len(), cancel))?
    else {
        return Err(JobError::Cancelled { out });
    };
    let simulations: usize = generations.iter().map(|g| g.proposed).sum::<usize>() + posterior.particles.len();
    // The generations' wall seconds (for a job array: each round's slowest
    // shard) and this last step's.
    let wall_seconds = walls.iter().sum::<f64>() + stopped.elapsed().as_secs_f64();

    let stop_text = format!("{stop:?}");
    let data_files = [
        (
            "posterior.csv".to_string(),
            calibration::posterior_csv(&problem, &generations),
        ),
        (
            "generations.csv".to_string(),
            calibration::generations_csv(&generations, &walls),
        ),
        ("ppc.csv".to_string(), calibration::ppc_csv(&problem, &predictive)),
    ];
    let parameters: Vec<CalibratedParameter> = ev
        .priors
        .iter()
        .map(|p| CalibratedParameter {
            key: p.key.clone(),
            low: p.low,
            high: p.high,
            log: p.log,
        })
        .collect();
    // The charts and summary.md are read from the files about to be
    // written, as `plot` and `report` read them from the folder, so the
    // three never disagree.
    let labels = super::plot::calibration_labels(&ev.base_source, &ev.set, &parameters);
    let read = crate::report::calibration::Calibration::from_csv(
        &crate::report::calibration::Recorded {
            name: &ev.name,
            particles: ev.particles,
            generations_asked: ev.generations,
            stop: &stop_text,
            simulations,
            seed: ev.seed,
            parameters: &parameters,
            labels: &labels,
        },
        &data_files[0].1,
        &data_files[1].1,
        &data_files[2].1,
    );
    // Charts never block results: a chart that cannot be drawn is reported
    // after the results are committed, as run and sweep do.
    let charts = match &read {
        Ok(c) => crate::plot::calibration_charts(
            &c.chart_data(),
            crate::plot::Format::Both,
            &crate::plot::Look::default(),
        ),
        Err(e) => Err(crate::plot::PlotError::Draw {
            chart: "the calibration's charts".into(),
            message: e.to_string(),
        }),
    };
    let (mut files, chart_error) = match charts {
        Ok(charts) => (crate::plot::chart_files(charts), None),
        Err(e) => (Vec::new(), Some(e)),
    };
    files.extend(data_files);
    crate::output::columns::add_to(&mut files);
    // Every data file and chart by its SHA-256 (a report embeds only the
    // charts listed).
    let files_sha256 = manifest::hashes(&files);
    files.push(crate::report::summary_file(&match &read {
        Ok(c) => c.summary_md(),
        Err(_) => format!(
            "# Calibration `{}`\n\n```\n{}```\n",
            ev.name,
            table(&problem, &generations, &predictive)
        ),
    }));
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
        stop: stop_text,
        seed: ev.seed,
        replicates: ev.replicates,
        set: ev.set.clone(),
        parameters,
        simulations,
        threads,
        wall_time_s: wall_seconds,
        presentation: None,
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
            redraw: format!("redraw the charts with `tokenmaxx plot {}`", out.display()),
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
        let (lo, hi) = (
            crate::stats::weighted_quantile(&x, &w, 0.05),
            crate::stats::weighted_quantile(&x, &w, 0.95),
        );
        let width = if p.log {
            (hi / lo).ln() / (p.high / p.low).ln()
        } else {
            (hi - lo) / (p.high - p.low)
        };
        s.push_str(&format!(
            "{:<45} {:>21} {:>12} {:>25} {:>6.0}%\n",
            p.key,
            format!(
                "{} to {}{}",
                short(p.low),
                short(p.high),
                if p.log { " log" } else { "" }
            ),
            short(mean),
            format!("[{}, {}]", short(lo), short(hi)),
            100.0 * width
        ));
    }
    s.push_str("width: the 90% interval as a share of the prior's range (on the log scale for log priors)\n");
    let marginals = marginals(problem, post);
    let pairs = crate::results::calibration::pair_correlations(&marginals);
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
fn marginals(problem: &Problem, g: &abc::Generation) -> Vec<crate::results::Marginal> {
    problem
        .evidence
        .priors
        .iter()
        .enumerate()
        .map(|(i, p)| crate::results::Marginal {
            key: p.key.clone(),
            label: p.key.clone(),
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

/// A number for people, as the report prints it (three significant
/// digits, no exponent).
fn short(x: f64) -> String {
    crate::report::calibration::plain(x)
}

/// The saved state of the calibration in `out`.
fn read_state(out: &Path, identity: &str, problem: &Problem) -> Result<State, JobError> {
    let path = out.join(CALIBRATE_STATE);
    let bytes = crate::output::read_own_file(&path, 1 << 30).map_err(|e| JobError::read(&path, e))?;
    let text = String::from_utf8(bytes).map_err(|_| JobError::Damaged {
        path: path.clone(),
        message: "not text: it was cut or edited".into(),
    })?;
    state::decode(
        &text,
        identity,
        problem.evidence.priors.len(),
        problem.evidence.targets.len(),
    )
    .map_err(|message| JobError::Damaged { path, message })
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
    let identity = state::identity(problem);
    if crate::output::folder::holding(out) != Holding::InterruptedCalibration {
        return Err(JobError::WrongFolder {
            path: out.to_path_buf(),
            message: format!(
                "holds no calibration in progress for --shard: start one there with `tokenmaxx calibrate {} --out {} --gather` (scripts/slurm/calibrate.sh does)",
                problem.evidence.path.display(),
                out.display()
            ),
        });
    }
    let State { gens, open, .. } = read_state(out, &identity, problem)?;
    let settings = settings(problem);
    let priors = problem.priors();
    let mut sampler = abc::Sampler::new(&priors, &settings, gens, open);
    let range = match sampler.next_batch(SHARD_MARGIN, 16 * n as u64) {
        abc::Step::Batch(range) => range,
        abc::Step::Done(_) => return Ok(Calibrated::NothingToDo { out: out.to_path_buf() }),
    };
    let std::ops::Range { start: from, end: to } = state::shard_slice(range, index, n);
    let generation = sampler.open.as_ref().expect("open").index;
    let clock = Instant::now();
    let first_error: Mutex<Option<crate::scenario::ScenarioError>> = Mutex::new(None);
    let never = AtomicBool::new(false);
    let simulate = simulate_with(problem, &first_error, &never);
    let results = pool(threads)?.install(|| sampler.simulate_batch(from..to, &simulate));
    drop(simulate);
    if let Some(e) = first_error.into_inner().expect("not poisoned") {
        return Err(e.into());
    }
    let seconds = clock.elapsed().as_secs_f64();
    let text = state::encode_shard(
        &identity,
        &state::Shard {
            generation,
            from,
            to,
            seconds,
            results,
        },
    );
    write_atomically(
        out,
        &[(format!("{SHARD_PREFIX}{generation}-{from}-{to}"), text.into_bytes())],
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

/// Reads one shard file of generation `generation` covering `from..to`.
fn read_shard(
    path: &Path,
    identity: &str,
    problem: &Problem,
    range: (usize, u64, u64),
) -> Result<state::Shard, JobError> {
    let bad = |m: &str| JobError::Damaged {
        path: path.to_path_buf(),
        message: format!("{m}; remove it and run that shard again"),
    };
    let file = crate::output::read_own_file(path, 1 << 30).map_err(|e| JobError::read(path, e))?;
    let text = String::from_utf8(file).map_err(|_| bad("not text: it was cut or edited"))?;
    state::decode_shard(
        &text,
        identity,
        range,
        problem.evidence.priors.len(),
        problem.evidence.targets.len(),
    )
    .map_err(|m| bad(&m))
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
        let shard = read_shard(&out.join(name), identity, problem, (generation, *from, *to))?;
        slowest = slowest.max(shard.seconds);
        let take: Vec<abc::Proposal> = shard.results.into_iter().filter(|r| r.0 >= next).collect();
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
