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
use crate::output::csv::num;
use crate::output::folder::{CALIBRATE_STATE, Holding};
use crate::output::manifest::manifest_bytes;
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
}

/// The posterior predictive of one target.
#[derive(Debug, Clone)]
pub struct Predictive {
    pub mean: f64,
    pub q05: f64,
    pub q50: f64,
    pub q95: f64,
    /// The posterior-predictive median lies within the target's tolerance.
    pub inside: bool,
}

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
    let ev = &problem.evidence;
    let fit = ev.targets.iter().filter(|t| t.role == Role::Fit).count();
    format!(
        "{}: {} parameters, {} fit and {} check targets, {} particles x up to {} generations, {} runs per proposal ({} variants, {} replicates)",
        ev.name,
        ev.priors.len(),
        fit,
        ev.targets.len() - fit,
        ev.particles,
        ev.generations,
        problem.runs_per_particle(false),
        problem.variants.len(),
        ev.replicates
    )
}

/// Runs a calibration. `on_generation` sees each finished generation with
/// its wall seconds.
pub fn calibrate(
    opts: &CalibrateOptions,
    on_start: &dyn Fn(&str),
    on_generation: &(dyn Fn(&abc::Generation, f64) + Sync),
) -> Result<Option<CalibrateReport>, JobError> {
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
    let threads = resolve_threads(opts.threads, false)?;
    let problem = Problem::new(ev);
    on_start(&describe(&problem));
    if opts.dry_run {
        return Ok(None);
    }
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join("calibrate").join(&problem.evidence.name));
    let name = problem.evidence.name.clone();
    let identity = state_identity(&problem);
    let (_lock, holding, mut claim) = folder::claim(&out, opts.force && !opts.resume, |h| {
        matches!(h, Holding::Result { job, name: n } if job == "calibrate" && *n == name)
            || (opts.resume && *h == Holding::InterruptedCalibration)
    })?;
    crate::output::folder::remove_temporaries(&out)?;
    let start: Vec<(abc::Generation, f64)> = if opts.resume {
        if holding != Holding::InterruptedCalibration {
            return Err(JobError::Usage(format!(
                "--resume: {} holds {}, not an interrupted calibration",
                out.display(),
                holding.describe()
            )));
        }
        claim = folder::Claim::Empty;
        let text = std::fs::read_to_string(out.join(CALIBRATE_STATE)).map_err(|e| {
            JobError::Usage(format!(
                "--resume: cannot read {}: {e}",
                out.join(CALIBRATE_STATE).display()
            ))
        })?;
        decode_state(
            &text,
            &identity,
            problem.evidence.priors.len(),
            problem.evidence.targets.len(),
        )
        .map_err(|m| JobError::Usage(format!("--resume: {}: {m}", out.join(CALIBRATE_STATE).display())))?
    } else {
        Vec::new()
    };
    if claim == folder::Claim::Replace {
        folder::clear_if(&out, claim)?;
        claim = folder::Claim::Empty;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| JobError::Threads { threads, source })?;
    let clock = Instant::now();
    let first_error: Mutex<Option<crate::scenario::ScenarioError>> = Mutex::new(None);
    let simulate = |theta: &[f64], seed: u64| match problem.simulate(theta, seed, false) {
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
    };
    let ev = &problem.evidence;
    let settings = abc::Settings {
        particles: ev.particles,
        generations: ev.generations,
        min_acceptance: ev.min_acceptance,
        quantile: ev.quantile,
        seed: ev.seed,
        max_proposals: ev.particles.saturating_mul(1000).max(10_000),
    };
    let priors = problem.priors();
    let mut last = Instant::now();
    let mut walls: Vec<f64> = start.iter().map(|(_, w)| *w).collect();
    let mut kept: Vec<abc::Generation> = start.iter().map(|(g, _)| g.clone()).collect();
    let mut save_error = None;
    let (generations, stop) = pool.install(|| {
        abc::run(&priors, &settings, kept.clone(), &simulate, &mut |g| {
            let secs = last.elapsed().as_secs_f64();
            last = Instant::now();
            walls.push(secs);
            kept.push(g.clone());
            // The state after every generation, so a killed calibration
            // resumes from its last finished generation.
            if save_error.is_none()
                && let Err(e) = write_atomically(
                    &out,
                    &[(
                        CALIBRATE_STATE.to_string(),
                        encode_state(&identity, &kept, &walls).into_bytes(),
                    )],
                )
            {
                save_error = Some(e);
            }
            on_generation(g, secs);
        })
    });
    if let Some(e) = save_error {
        return Err(e.into());
    }
    if let Some(e) = first_error.into_inner().expect("not poisoned") {
        return Err(e.into());
    }
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
            let total: f64 = w.iter().sum();
            let mean = x.iter().zip(&w).map(|(x, w)| x * w).sum::<f64>() / total;
            let q50 = abc::quantile(&x, &w, 0.5);
            Predictive {
                mean,
                q05: abc::quantile(&x, &w, 0.05),
                q50,
                q95: abc::quantile(&x, &w, 0.95),
                inside: q50 >= t.low && q50 <= t.high,
            }
        })
        .collect();
    let simulations: usize = generations.iter().map(|g| g.proposed).sum::<usize>() + posterior.particles.len();
    let wall_seconds = clock.elapsed().as_secs_f64();

    let chart_data = crate::plot::CalibrationData {
        name: ev.name.clone(),
        marginals: ev
            .priors
            .iter()
            .enumerate()
            .map(|(i, p)| crate::plot::Marginal {
                key: p.key.clone(),
                low: p.low,
                high: p.high,
                log: p.log,
                sample: posterior.particles.iter().map(|q| (q.theta[i], q.weight)).collect(),
            })
            .collect(),
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
    let charts = crate::plot::calibration_charts(&chart_data, crate::plot::Format::Both)
        .map_err(|e| JobError::Usage(format!("a calibration chart could not be drawn: {e}")))?;
    let mut files = crate::plot::chart_files(charts);
    let data_files = [
        ("posterior.csv".to_string(), posterior_csv(&problem, &generations)),
        ("generations.csv".to_string(), generations_csv(&generations, &walls)),
        ("ppc.csv".to_string(), ppc_csv(&problem, &predictive)),
    ];
    let files_sha256: serde_json::Map<String, serde_json::Value> = data_files
        .iter()
        .map(|(n, b)| (n.clone(), crate::output::sha256_hex(b).into()))
        .collect();
    files.extend(data_files);
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
    files.extend(vec![(
        "manifest.json".to_string(),
        manifest_bytes(
            "calibrate",
            serde_json::json!({
                "name": ev.name,
                "evidence": ev.path.display().to_string(),
                "evidence_text": ev.source,
                "base": ev.base_path.display().to_string(),
                "base_text": ev.base_source,
                "particles": ev.particles,
                "generations_asked": ev.generations,
                "generations_run": generations.len(),
                "stop": format!("{stop:?}"),
                "seed": ev.seed,
                "replicates": ev.replicates,
                "set": ev.set,
                "parameters": ev.priors.iter().map(|p| serde_json::json!({
                    "key": p.key, "low": p.low, "high": p.high, "log": p.log
                })).collect::<Vec<_>>(),
                "simulations": simulations,
                "threads": threads,
                "wall_seconds": wall_seconds,
                "files_sha256": files_sha256,
            }),
        ),
    )]);
    folder::clear_if(&out, claim)?;
    write_atomically(&out, &files)?;
    remove(&out, CALIBRATE_STATE)?;
    Ok(Some(CalibrateReport {
        problem,
        out,
        generations,
        stop,
        predictive,
        simulations,
        wall_seconds,
        threads,
    }))
}

/// posterior.csv: every generation's particles (the last generation is the
/// posterior): generation, particle, weight, one column per parameter,
/// distance.
fn posterior_csv(problem: &Problem, gens: &[abc::Generation]) -> Vec<u8> {
    let mut s = String::from("generation,particle,weight");
    for p in &problem.evidence.priors {
        s.push(',');
        s.push_str(&p.key);
    }
    s.push_str(",distance\n");
    for g in gens {
        for (i, p) in g.particles.iter().enumerate() {
            s.push_str(&format!("{},{},{}", g.index, i, num(p.weight)));
            for x in &p.theta {
                s.push(',');
                s.push_str(&num(*x));
            }
            s.push_str(&format!(",{}\n", num(p.distance)));
        }
    }
    s.into_bytes()
}

/// generations.csv: one row per generation (wall seconds are the only
/// column that changes between identical calibrations).
fn generations_csv(gens: &[abc::Generation], walls: &[f64]) -> Vec<u8> {
    let mut s = String::from("generation,epsilon,proposed,accepted,acceptance_rate,ess,wall_seconds\n");
    for (g, w) in gens.iter().zip(walls) {
        let eps = if g.epsilon.is_finite() {
            num(g.epsilon)
        } else {
            String::new()
        };
        s.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            g.index,
            eps,
            g.proposed,
            g.accepted,
            num(g.acceptance()),
            num(g.ess),
            num(*w)
        ));
    }
    s.into_bytes()
}

/// ppc.csv: each target's observed value and tolerance against its
/// posterior-predictive mean and 5 %, 50 % and 95 % quantiles.
fn ppc_csv(problem: &Problem, pred: &[Predictive]) -> Vec<u8> {
    let mut s = String::from(
        "target,metric,policy,role,observed,tolerance_low,tolerance_high,ppc_mean,ppc_05,ppc_50,ppc_95,inside,source\n",
    );
    for (t, p) in problem.evidence.targets.iter().zip(pred) {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            quote(&t.name),
            t.metric,
            t.policy,
            t.role.name(),
            num(t.observed),
            num(t.low),
            num(t.high),
            num(p.mean),
            num(p.q05),
            num(p.q50),
            num(p.q95),
            p.inside,
            quote(&t.source)
        ));
    }
    s.into_bytes()
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
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
    s.push_str("width: the 90% interval as a share of the prior's range (on the log scale for log priors)\n\n");
    s.push_str(&format!(
        "{:<55} {:>5} {:>12} {:>25} {:>12}  in\n",
        "target", "role", "observed", "tolerance", "ppc median"
    ));
    for (t, p) in problem.evidence.targets.iter().zip(predictive) {
        s.push_str(&format!(
            "{:<55} {:>5} {:>12} {:>25} {:>12}  {}\n",
            t.name,
            t.role.name(),
            short(t.observed),
            format!("[{}, {}]", short(t.low), short(t.high)),
            short(p.q50),
            if p.inside { "yes" } else { "NO" }
        ));
    }
    s
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

/// The state file: a header with the identity, then per generation a line
/// of its numbers and a line per particle, every float as its 64 bits in
/// hex so that a resumed calibration continues from exactly the same
/// numbers.
fn encode_state(identity: &str, gens: &[abc::Generation], walls: &[f64]) -> String {
    let b = |x: f64| format!("{:016x}", x.to_bits());
    let mut s = format!("tokenmaxx calibrate state 1\n{identity}\n");
    for (g, w) in gens.iter().zip(walls) {
        s.push_str(&format!(
            "generation {} {} {} {} {} {}\n",
            g.index,
            b(g.epsilon),
            g.proposed,
            g.accepted,
            b(g.ess),
            b(*w)
        ));
        for p in &g.particles {
            let theta: Vec<String> = p.theta.iter().map(|&x| b(x)).collect();
            let stats: Vec<String> = p.stats.iter().map(|&x| b(x)).collect();
            s.push_str(&format!(
                "particle {} {} {} {} | {}\n",
                p.proposal,
                b(p.weight),
                b(p.distance),
                theta.join(" "),
                stats.join(" ")
            ));
        }
    }
    s
}

fn decode_state(
    text: &str,
    identity: &str,
    n_params: usize,
    n_targets: usize,
) -> Result<Vec<(abc::Generation, f64)>, String> {
    let f = |t: &str| -> Result<f64, String> {
        u64::from_str_radix(t, 16)
            .map(f64::from_bits)
            .map_err(|_| format!("`{t}` is not a number"))
    };
    let n = |t: &str| -> Result<usize, String> { t.parse().map_err(|_| format!("`{t}` is not a count")) };
    let mut lines = text.lines();
    if lines.next() != Some("tokenmaxx calibrate state 1") {
        return Err("not a calibration state file".into());
    }
    if lines.next() != Some(identity) {
        return Err(
            "it was written for another evidence file, base scenario or settings: run without --resume (and with --force) to start over"
                .into(),
        );
    }
    let mut out: Vec<(abc::Generation, f64)> = Vec::new();
    for (i, line) in lines.enumerate() {
        let bad = |m: String| format!("line {}: {m}", i + 3);
        let words: Vec<&str> = line.split(' ').collect();
        match words.first() {
            Some(&"generation") if words.len() == 7 => {
                let g = abc::Generation {
                    index: n(words[1]).map_err(bad)?,
                    epsilon: f(words[2]).map_err(bad)?,
                    proposed: n(words[3]).map_err(bad)?,
                    accepted: n(words[4]).map_err(bad)?,
                    ess: f(words[5]).map_err(bad)?,
                    particles: Vec::new(),
                };
                if g.index != out.len() {
                    return Err(bad(format!("generation {} out of order", g.index)));
                }
                out.push((g, f(words[6]).map_err(bad)?));
            }
            Some(&"particle") if words.len() == 4 + n_params + 1 + n_targets => {
                let (g, _) = out
                    .last_mut()
                    .ok_or_else(|| bad("a particle before any generation".into()))?;
                if words[4 + n_params] != "|" {
                    return Err(bad("malformed particle".into()));
                }
                g.particles.push(abc::Particle {
                    proposal: n(words[1]).map_err(bad)? as u64,
                    weight: f(words[2]).map_err(bad)?,
                    distance: f(words[3]).map_err(bad)?,
                    theta: words[4..4 + n_params]
                        .iter()
                        .map(|t| f(t))
                        .collect::<Result<_, _>>()
                        .map_err(bad)?,
                    stats: words[5 + n_params..]
                        .iter()
                        .map(|t| f(t))
                        .collect::<Result<_, _>>()
                        .map_err(bad)?,
                });
            }
            _ => return Err(bad("malformed line".into())),
        }
    }
    for (g, _) in &out {
        if g.particles.len() != g.accepted {
            return Err(format!(
                "generation {} has {} particles, its header says {}: the file was cut",
                g.index,
                g.particles.len(),
                g.accepted
            ));
        }
    }
    Ok(out)
}
