//! The end of a sweep (or a merge): summaries, verdicts and sensitivity
//! indices computed from `runs.csv` itself point by point, the charts, then
//! the partial files take their final names, and the manifest is written
//! last as the commit record.

use super::journal::{self, RUNS_PARTIAL};
use crate::experiment::plan::{Domain, SweepPlan};
use crate::experiment::{self};
use crate::jobs::error::JobError;
use crate::output;
use crate::output::atomic::PendingFile;
use crate::output::manifest::{Job, Manifest, SweepAutoReplicates, SweepManifest, SweptParameter, WorldsFrom};
use crate::plot;
use std::fs::File;
use std::path::Path;
use std::time::{Instant, SystemTime};

/// The robust verdicts of a worlds design, as summary.md gives them: where
/// the worlds come from, and the table of policies across them.
#[derive(Debug, Clone)]
pub struct Robust {
    pub origin: String,
    pub table: String,
    pub rows: Vec<experiment::robust::RobustRow>,
}

/// Ends a sweep whose `runs.csv.partial` and `telemetry.csv.partial` are
/// complete: summaries, verdicts, sensitivity, charts and manifest are
/// written, then the partial files take their final names. Returns the
/// robust verdicts of a worlds design, for the caller to show.
#[allow(clippy::too_many_arguments)]
pub fn finalize(
    spec: &SweepPlan,
    out: &Path,
    hash: &str,
    threads: usize,
    started: SystemTime,
    clock: &Instant,
    decisions: u64,
    resumed_at_point: usize,
    merged_from: &[String],
    asked: &crate::jobs::plot::LookAsked,
) -> Result<Option<Robust>, JobError> {
    // The charts' look: the sweep's and its base's `[presentation]`, the
    // look flags on top.
    let look = asked.over(crate::scenario::sweep::presentation(spec)?);
    let runs_path = out.join(RUNS_PARTIAL);
    // Summaries are computed from runs.csv itself, point by point, so a
    // resumed sweep summarises exactly the bytes an uninterrupted one would.
    // Summary and verdict rows go to disk point by point (memory does not
    // grow with the number of points).
    let mut summary = PendingFile::begin(out, "summary.csv")?;
    let mut verdicts = PendingFile::begin(out, "verdicts.csv")?;
    let worlds = spec.design == crate::experiment::plan::Design::Worlds;
    let mut tally = NetTally::new(spec.arms.len(), worlds);
    let mut adaptive = match spec.auto {
        Some(_) => Some((PendingFile::begin(out, "replicates.csv")?, AutoTally::default())),
        None => None,
    };
    let means = summarise_file(spec, &runs_path, &mut summary, &mut verdicts, &mut adaptive, &mut tally)?;
    let mut streamed = vec![summary.finish()?, verdicts.finish()?];
    let auto_tally = match adaptive {
        Some((file, t)) => {
            streamed.push(file.finish()?);
            Some(t)
        }
        None => None,
    };
    let wall_seconds = clock.elapsed().as_secs_f64();
    let mut summary_text = summary_md(spec, &tally, auto_tally.as_ref());
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut robust = None;
    if let Some(net) = &tally.per_point {
        // Robust verdicts across the worlds, and the worlds themselves.
        let rows = experiment::robust::analyse(&spec.arms, net);
        let (values, rejected) = crate::scenario::sweep::point_values(spec)?;
        let origin = match &spec.posterior {
            Some(p) if p.prior_parameters > 0 => format!(
                "The {} parameters of the posterior drawn together, by weight, from its generation {} ({}); the {} other parameters from their priors, {rejected} draws of them made invalid scenarios and were drawn again.",
                spec.parameters.len() - p.prior_parameters,
                p.generation,
                p.path
                    .file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
                p.prior_parameters
            ),
            Some(p) => format!(
                "Worlds drawn by weight from generation {} of the posterior {}.",
                p.generation,
                p.path.display()
            ),
            None => format!(
                "Worlds drawn from the priors of {} parameters; {rejected} draws made invalid scenarios and were drawn again (the priors truncated to valid scenarios).",
                spec.parameters.len()
            ),
        };
        let table = experiment::robust::table(&spec.arms, &display_names(spec), &rows);
        summary_text.push_str(&format!(
            "\n## Across plausible worlds\n\n{origin}\n\n```\n{table}```\n"
        ));
        files.push(("robust_verdicts.csv".to_string(), output::robust_csv(&rows)));
        robust = Some(Robust { origin, table, rows });
        let points = output::sweep_points_csv(spec, &values);
        let text = String::from_utf8(points).expect("CSV is UTF-8");
        let worlds_csv = match text.split_once(',') {
            Some(("point", rest)) => format!("world,{rest}"),
            _ => text,
        };
        files.push(("worlds.csv".to_string(), worlds_csv.into_bytes()));
    }
    files.push(crate::report::summary_file(&summary_text));
    // Charts never block results: a chart that cannot be drawn is reported
    // once the results are committed.
    let mut charts = Vec::new();
    let mut chart_error = None;
    if spec.design.is_sensitivity() {
        let rows = experiment::sensitivity::analyse(spec, &means);
        files.push(("sensitivity.csv".to_string(), output::sensitivity_csv(&rows)));
        match plot::sensitivity_charts(spec, &rows, plot::Format::Both, &look) {
            Ok(c) => charts.extend(plot::chart_files(c)),
            Err(e) => chart_error = Some(e),
        }
    }
    // The manifest is written last: the charts take the sweep's name, seed
    // and labels from the plan (not the folder's name).
    let named = |mut d: plot::SweepData| {
        d.runs.scenario = spec.name.clone();
        d.runs.seed = spec.seed.to_string();
        d.runs.labels = crate::scenario::labels::Labels::of_plan(spec);
        d
    };
    match plot::SweepData::from_dir_with(out, RUNS_PARTIAL)
        .map(named)
        .map_err(plot::PlotError::from)
        .and_then(|d| plot::sweep_charts(&d, plot::Format::Both, &look))
    {
        Ok(c) => charts.extend(plot::chart_files(c)),
        Err(e) => chart_error = chart_error.or(Some(e)),
    }
    // The data dictionary of the folder's files, the streamed ones included.
    let names: Vec<&str> = files
        .iter()
        .map(|(n, _)| n.as_str())
        .chain(["points.csv", "runs.csv", "telemetry.csv", "summary.csv", "verdicts.csv"])
        .chain(auto_tally.as_ref().map(|_| "replicates.csv"))
        .collect();
    let dictionary = output::columns::for_files(names);
    files.push((output::columns::FILE.to_string(), dictionary));
    files.extend(charts);
    // Order of commitment: the derived files, then runs.csv and
    // telemetry.csv take their final names, then the manifest (the commit
    // record, listing every file's SHA-256), then the state goes. A kill at
    // any step before the manifest is finished by --resume.
    output::write_atomically(out, &files)?;
    output::atomic::rename_into_place(&streamed)?;
    journal::publish(out)?;
    let mut hashes: Vec<(String, String)> = Vec::new();
    for name in ["points.csv", "runs.csv", "telemetry.csv"] {
        let path = out.join(name);
        hashes.push((
            name.to_string(),
            output::sha256_file(&path).map_err(|e| JobError::read(&path, e))?,
        ));
    }
    hashes.extend(files.iter().map(|(n, b)| (n.clone(), output::sha256_hex(b))));
    hashes.extend(streamed.iter().map(|f| (f.name.clone(), f.sha256.clone())));
    hashes.sort();
    let manifest = manifest(
        spec,
        hash,
        threads,
        started,
        wall_seconds,
        decisions,
        resumed_at_point,
        &hashes,
        merged_from,
        &look,
        auto_tally.as_ref(),
    );
    output::write_atomically(out, &[("manifest.json".to_string(), manifest)])?;
    journal::clear_state(out)?;
    match chart_error {
        Some(source) => Err(JobError::charts_to_replot(out, source)),
        None => Ok(robust),
    }
}

/// Mean of each key metric per point and arm: `[point][arm][metric]`
/// (kept for sensitivity designs only).
type Means = Vec<Vec<[f64; 4]>>;

/// What the adaptive rule did over a sweep's points (`replicates = "auto"`):
/// the runs in all, and how many points stopped for each reason.
#[derive(Debug, Default)]
pub struct AutoTally {
    pub runs: usize,
    pub fewest: usize,
    pub most: usize,
    /// Points by the key of their stop (`verdicts_decided`, ...).
    pub stops: std::collections::BTreeMap<&'static str, usize>,
}

/// Reads runs.csv point by point, writing each point's summary and verdict
/// rows as it goes (and, with `replicates = "auto"`, its row of
/// replicates.csv: what the rule did there, found again from the rows).
fn summarise_file(
    spec: &SweepPlan,
    path: &Path,
    summary: &mut PendingFile,
    verdicts: &mut PendingFile,
    adaptive: &mut Option<(PendingFile, AutoTally)>,
    tally: &mut NetTally,
) -> Result<Means, JobError> {
    use crate::engine::metrics::RunMetrics;
    let file = File::open(path).map_err(|e| JobError::read(path, e))?;
    let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
    let bad = |message: String| JobError::Damaged {
        path: path.to_path_buf(),
        message,
    };
    summary.write(&output::sweep_summary_header())?;
    verdicts.write(&output::verdicts_header(true))?;
    if let Some((file, _)) = adaptive.as_mut() {
        file.write(&output::sweep_replicates_header())?;
    }
    let mut means: Means = Vec::new();
    let keep_means = spec.design.is_sensitivity();
    let n_arms = spec.arms.len();
    let per_point = n_arms * spec.replicates as usize;
    // The runs of the point under way, with each run's arm and replicate.
    let mut current: Vec<RunMetrics> = Vec::with_capacity(per_point);
    let mut keys: Vec<(usize, u32)> = Vec::with_capacity(per_point);
    let mut point = 0usize;
    let mut flush =
        |point: usize, current: &mut Vec<RunMetrics>, keys: &mut Vec<(usize, u32)>| -> Result<(), JobError> {
            let counts: Vec<usize> = match spec.auto {
                None => {
                    if current.len() != per_point {
                        return Err(bad(format!(
                            "point {point} has {} runs, expected {per_point}",
                            current.len()
                        )));
                    }
                    vec![spec.replicates as usize; n_arms]
                }
                Some(rule) => {
                    // Runs in (arm, replicate) order, replicates from 0 in each
                    // arm, and exactly the counts the rule runs on their values.
                    let mut nets: Vec<Vec<f64>> = vec![Vec::new(); n_arms];
                    let mut last_arm = 0;
                    for (m, &(arm, r)) in current.iter().zip(keys.iter()) {
                        if arm < last_arm || r as usize != nets[arm].len() {
                            return Err(bad(format!(
                                "point {point}: runs out of (policy, replicate) order at {} replicate {r}",
                                spec.arms[arm]
                            )));
                        }
                        last_arm = arm;
                        nets[arm].push(crate::experiment::sweep::net(m));
                    }
                    let outcome = crate::experiment::adaptive::replay(&rule, &nets)
                        .map_err(|m| bad(format!("point {point}: {m}: not the runs of this sweep's rule")))?;
                    let (file, t) = adaptive.as_mut().expect("an adaptive sweep keeps its tally");
                    file.write(&output::sweep_replicates_rows(spec, point, &outcome))?;
                    let runs: usize = nets.iter().map(Vec::len).sum();
                    t.fewest = if t.runs == 0 { runs } else { t.fewest.min(runs) };
                    t.most = t.most.max(runs);
                    t.runs += runs;
                    *t.stops.entry(outcome.stop.key()).or_default() += 1;
                    nets.iter().map(Vec::len).collect()
                }
            };
            let refs: Vec<_> = current.iter().collect();
            let rows = experiment::summary::summarise_counts(&refs, &counts);
            tally.add(&rows);
            summary.write(&output::sweep_summary_rows(spec, point, &rows))?;
            verdicts.write(&output::verdicts_rows(
                &spec.arms,
                Some(point),
                &experiment::verdict::verdicts_counts(&refs, &counts),
            ))?;
            if keep_means {
                let ranges = experiment::summary::arm_ranges(&counts);
                means.push(
                    (0..n_arms)
                        .map(|a| {
                            let runs = &current[ranges[a].clone()];
                            let mut m = [0.0; 4];
                            for (k, name) in experiment::KEY_METRICS.iter().enumerate() {
                                m[k] =
                                    crate::stats::mean_defined(runs.iter().map(|r| r.get(name).expect("known metric")));
                            }
                            m
                        })
                        .collect(),
                );
            }
            current.clear();
            keys.clear();
            Ok(())
        };
    for rec in reader.records() {
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        let p: usize = rec
            .get(0)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("a row without a point index".into()))?;
        if p != point {
            // Points follow one another: a point seen twice or skipped is
            // damage (two writers, or an edited state), never a result.
            if p != point + 1 {
                return Err(bad(format!(
                    "a row of point {p} follows point {point}: points must run 0, 1, 2, ... once each"
                )));
            }
            flush(point, &mut current, &mut keys)?;
            point = p;
        }
        if spec.auto.is_some() {
            let arm = rec
                .get(1)
                .and_then(|a| spec.arms.iter().position(|x| x == a))
                .ok_or_else(|| bad(format!("point {p}: a row of a policy that is not an arm of the sweep")))?;
            let r: u32 = rec
                .get(2)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad(format!("point {p}: a row without a replicate number")))?;
            keys.push((arm, r));
        }
        let values: Vec<f64> = rec
            .iter()
            .skip(4)
            .map(|s| {
                if s.is_empty() {
                    f64::NAN
                } else {
                    s.parse().unwrap_or(f64::NAN)
                }
            })
            .collect();
        current.push(RunMetrics::from_values(&values).ok_or_else(|| bad("a row with too few columns".into()))?);
    }
    flush(point, &mut current, &mut keys)?;
    if point + 1 != spec.points {
        return Err(bad(format!("runs end at point {point}, expected {}", spec.points - 1)));
    }
    Ok(means)
}

#[allow(clippy::too_many_arguments)]
fn manifest(
    spec: &SweepPlan,
    hash: &str,
    threads: usize,
    started: SystemTime,
    wall_seconds: f64,
    decisions: u64,
    resumed_at_point: usize,
    files: &[(String, String)],
    merged_from: &[String],
    look: &plot::Look,
    auto: Option<&AutoTally>,
) -> Vec<u8> {
    let parameters = spec
        .parameters
        .iter()
        .map(|p| match &p.domain {
            Domain::Values(v) => SweptParameter::Values {
                key: p.key.clone(),
                values: v.iter().map(ToString::to_string).collect(),
            },
            &Domain::Range {
                low,
                high,
                log,
                integer,
                steps,
            } => SweptParameter::Range {
                key: p.key.clone(),
                range: [low, high],
                log,
                integer,
                steps,
            },
        })
        .collect();
    let worlds = spec.design == crate::experiment::plan::Design::Worlds;
    let sweep = SweepManifest {
        sweep_path: crate::output::manifest::recorded_path(&spec.path),
        sweep_sha256: output::sha256_hex(spec.source.as_bytes()),
        sweep_and_base_sha256: hash.to_string(),
        base_path: crate::output::manifest::recorded_path(&spec.base_path),
        base_sha256: output::sha256_hex(spec.base_source.as_bytes()),
        name: spec.name.clone(),
        design: spec.design.name().to_string(),
        worlds_from: match &spec.posterior {
            Some(p) => Some(WorldsFrom::Posterior {
                posterior: crate::output::manifest::recorded_path(&p.path),
                posterior_sha256: p.sha256.clone(),
                generation: p.generation,
                particles: p.weights.len(),
            }),
            None if worlds => Some(WorldsFrom::Named("prior".into())),
            None => None,
        },
        // `run --worlds` writes its sweep for itself: keep the text.
        sweep_text: worlds.then(|| spec.source.clone()),
        points: spec.points,
        parameters,
        labels: crate::scenario::labels::Labels::of_plan(spec),
        arms: spec.arms.clone(),
        replicates: spec.replicates,
        runs: auto.map_or(spec.runs(), |t| t.runs),
        auto_replicates: spec.auto.zip(auto).map(|(r, t)| SweepAutoReplicates {
            rule: "auto".into(),
            min: r.min,
            max_per_arm: r.max,
            batch: r.batch,
            delta_usd: r.delta,
            pcs_target: r.pcs,
            total_max: r.total_max,
            runs: t.runs,
            fewest_runs_at_a_point: t.fewest,
            most_runs_at_a_point: t.most,
            points_stopped: t.stops.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
            per_point: "replicates.csv".into(),
        }),
        seed: spec.seed,
        common_random_numbers: spec.common_random_numbers,
        amendments: spec.amendments.clone(),
        threads,
        started_at: humantime::format_rfc3339_seconds(started).to_string(),
        wall_time_s: wall_seconds,
        resumed_at_point,
        merged_from: merged_from
            .iter()
            .map(|m| crate::output::manifest::recorded_path(Path::new(m)))
            .collect(),
        task_decisions_this_invocation: decisions,
        // The look the charts are drawn in (the sweep's and base's tables
        // under the look flags), so a later `plot` redraws them as they are.
        presentation: look.recorded(),
    };
    let files = files.iter().map(|(n, h)| (n.clone(), h.clone())).collect();
    Manifest::new(Job::Sweep(Box::new(sweep)), files).to_bytes()
}

/// Each arm's mean net value (value − spend) across points: the sum, the
/// worst and best point, and the points where it is the highest of all arms.
struct NetTally {
    /// Each point's mean net value per arm (kept for worlds designs).
    per_point: Option<Vec<Vec<f64>>>,
    sum: Vec<f64>,
    worst: Vec<f64>,
    best: Vec<f64>,
    wins: Vec<usize>,
    points: usize,
}

impl NetTally {
    fn new(arms: usize, keep: bool) -> Self {
        NetTally {
            per_point: keep.then(Vec::new),
            sum: vec![0.0; arms],
            worst: vec![f64::INFINITY; arms],
            best: vec![f64::NEG_INFINITY; arms],
            wins: vec![0; arms],
            points: 0,
        }
    }

    /// Adds one point's summary rows.
    fn add(&mut self, rows: &[experiment::SummaryRow]) {
        let mut net = vec![f64::NAN; self.sum.len()];
        for r in rows.iter().filter(|r| r.metric == experiment::NET_VALUE) {
            net[r.arm] = r.estimate.mean;
        }
        let top = net.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        for (a, &v) in net.iter().enumerate() {
            self.sum[a] += v;
            self.worst[a] = self.worst[a].min(v);
            self.best[a] = self.best[a].max(v);
            if v == top {
                self.wins[a] += 1;
            }
        }
        self.points += 1;
        if let Some(p) = self.per_point.as_mut() {
            p.push(net);
        }
    }
}

/// The arms' display names, in arm order.
fn display_names(spec: &SweepPlan) -> Vec<String> {
    spec.arms
        .iter()
        .map(|a| spec.policy_labels.get(a).cloned().unwrap_or_else(|| a.clone()))
        .collect()
}

/// summary.md of a sweep: what was swept, and each policy's net value
/// across the points (the per-point tables are summary.csv and verdicts.csv).
fn summary_md(spec: &SweepPlan, t: &NetTally, auto: Option<&AutoTally>) -> String {
    use crate::output::table::count;
    let m = |x: f64| format!("{:.2}", x / 1e6);
    let mut s = match spec.auto.zip(auto) {
        None => format!(
            "# Sweep `{}`\n\n{} design, {} x {} x {} = {}.\n\nParameters:\n\n",
            spec.name,
            spec.design.name(),
            count(spec.points, "point"),
            count(spec.arms.len(), "policy"),
            count(spec.replicates, "replicate"),
            count(spec.points * spec.arms.len() * spec.replicates as usize, "run")
        ),
        Some((r, a)) => format!(
            "# Sweep `{}`\n\n{} design, {} x {} x adaptive replicates = {} (at most {} were allowed).\n\n{}Parameters:\n\n",
            spec.name,
            spec.design.name(),
            count(spec.points, "point"),
            count(spec.arms.len(), "policy"),
            count(a.runs, "run"),
            spec.runs(),
            auto_text(&r, a, spec.points)
        ),
    };
    for p in &spec.parameters {
        match spec.parameter_labels.get(&p.key) {
            Some(label) => s.push_str(&format!("- {label} (`{}`): {}\n", p.key, p.domain.describe())),
            None => s.push_str(&format!("- `{}`: {}\n", p.key, p.domain.describe())),
        }
    }
    s.push_str(
        "\nEach policy's mean net value (value − spend, $M over the run) across the points; \
         \"highest at\" counts the points where no policy's mean net value is higher.\n\n\
         | policy | mean over points | worst point | best point | highest at |\n|---|---:|---:|---:|---:|\n",
    );
    for (a, name) in display_names(spec).iter().enumerate() {
        s.push_str(&format!(
            "| {name} | {} | {} | {} | {} of {} |\n",
            m(t.sum[a] / t.points.max(1) as f64),
            m(t.worst[a]),
            m(t.best[a]),
            t.wins[a],
            t.points
        ));
    }
    s
}

/// The adaptive rule of a sweep and what it did, for summary.md.
fn auto_text(r: &crate::experiment::adaptive::AutoRule, a: &AutoTally, points: usize) -> String {
    use crate::experiment::adaptive::Stop;
    let stops: Vec<String> = [Stop::VerdictsDecided, Stop::BestSelected, Stop::MaxReached]
        .iter()
        .filter_map(|stop| {
            a.stops.get(stop.key()).map(|n| {
                format!(
                    "{} because {}",
                    crate::output::table::count(*n, "point"),
                    stop.describe()
                )
            })
        })
        .collect();
    format!(
        "Replicates were adaptive, point by point: at each point every policy ran {} first, then OCBA added {} at a time (common random numbers: replicate r has the same seed in every policy) until every paired verdict against the first policy was decided (its 95% CI of net value excludes zero or is narrower than ${:.0}), or the best policy was selected with probability {}, or a policy reached {} replicates{}. Points ran from {} to {} runs. Stopped: {}. replicates.csv gives each point's replicates by policy and why it stopped.\n\n",
        r.min,
        r.batch,
        r.delta,
        r.pcs,
        r.max,
        r.total_max.map_or(String::new(), |t| format!(
            " (the cap per policy and point that at most {t} runs in all, split evenly over {} x policies, gives)",
            crate::output::table::count(points, "point")
        )),
        a.fewest,
        a.most,
        stops.join("; ")
    )
}
