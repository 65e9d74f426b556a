//! The `discover` job: scenario discovery on a worlds run or any sweep.
//! Where does a policy win? Each point (world) is a case of interest when
//! the policy's mean metric (minus the other policy's, with `--against`)
//! is above the threshold; PRIM ([`crate::experiment::prim`]) finds the box
//! of the varied parameters where such points are dense, with quasi-p-values
//! and its stability under bootstrap resampling. Writes RESULTS/discovery/:
//! trajectory.csv, boxes.csv, summary.md, charts and a manifest, all or
//! nothing.

use crate::experiment::prim::{self, Data, Settings, Step};
use crate::jobs::error::JobError;
use crate::jobs::folder;
use crate::output::atomic::write_atomically;
use crate::output::csv::num;
use crate::output::folder::Holding;
use crate::output::manifest::{self, DiscoverManifest, Job, Manifest};
use std::path::{Path, PathBuf};

/// What a discovery was run on, by name, never by path: the sweep or
/// worlds run its manifest names, else the results folder's own name.
fn studied(results: &Path, manifest: Option<&Manifest>) -> String {
    let name = manifest.and_then(Manifest::name).map(str::to_string);
    let folder = || {
        results
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
    };
    match name.or_else(folder) {
        Some(n) => format!("\"{n}\""),
        None => "its results".to_string(),
    }
}

/// What `tokenmaxx discover` was asked to do.
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    pub results: PathBuf,
    pub policy: String,
    pub against: Option<String>,
    /// `net_value` (value − spend) or any column of runs.csv.
    pub metric: String,
    pub threshold: f64,
    /// A share of the points as the cases of interest instead of a
    /// threshold (`--cases top:0.2`); the threshold must then be 0.
    pub cases: Option<Cases>,
    pub peel_alpha: f64,
    /// A step of the trajectory to report instead of the chosen box.
    pub box_index: Option<usize>,
    /// Bootstrap resamples for the box's stability.
    pub bootstrap: usize,
}

/// A share of the points as the cases of interest (`--cases top:0.2`):
/// `top` the points where the value (the policy's metric, or its
/// difference to `--against`) is highest, so with net value the best
/// outcomes for the policy; `bottom` where it is lowest, the worst ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cases {
    /// The highest values (`top`) or the lowest (`bottom`).
    pub top: bool,
    /// Above 0 and below 1.
    pub share: f64,
}

impl Cases {
    /// Reads `top:0.2`, `bottom:0.1` or `top:20%`; the error says how to
    /// write it.
    pub fn parse(text: &str) -> Result<Cases, String> {
        let how = "write top:SHARE or bottom:SHARE with a share above 0 and below 1, e.g. top:0.2 for the 20 % of points where the value is highest";
        let t = text.trim();
        let Some((side, share)) = t.split_once(':') else {
            return Err(format!("`{text}` is not a share of cases: {how}"));
        };
        let top = match side.trim().to_ascii_lowercase().as_str() {
            "top" => true,
            "bottom" => false,
            other => {
                let hint = ["top", "bottom"]
                    .into_iter()
                    .find(|k| strsim::levenshtein(k, other) <= 2)
                    .map_or(String::new(), |k| format!(" (did you mean `{k}`?)"));
                return Err(format!("`{text}`: `{other}` is neither top nor bottom{hint}: {how}"));
            }
        };
        let share = share.trim();
        if share.is_empty() {
            return Err(format!("`{text}` gives no share after `{side}:`: {how}"));
        }
        let value = match share.strip_suffix('%') {
            Some(pct) => pct.trim().parse::<f64>().map(|v| v / 100.0),
            None => share.parse::<f64>(),
        }
        .map_err(|_| format!("`{text}`: `{share}` is not a number: {how}"))?;
        if !(value > 0.0 && value < 1.0) {
            return Err(format!(
                "`{text}`: the share must be above 0 and below 1 (got {share}): {how}"
            ));
        }
        Ok(Cases { top, share: value })
    }

    /// As the flag is written: `top:0.2`.
    pub fn flag(&self) -> String {
        format!("{}:{}", if self.top { "top" } else { "bottom" }, self.share)
    }

    /// Which points are cases of interest, and the cut-off value: the
    /// `share` of the points with a value (rounded, at least one) whose
    /// value is highest (or lowest), with every point tied at the cut-off
    /// included so that equal values are never split.
    fn pick(&self, value: &[f64]) -> (Vec<bool>, f64) {
        let mut finite: Vec<f64> = value.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.is_empty() {
            return (vec![false; value.len()], f64::NAN);
        }
        finite.sort_by(f64::total_cmp);
        if self.top {
            finite.reverse();
        }
        let k = ((self.share * finite.len() as f64).round() as usize).clamp(1, finite.len());
        let cut = finite[k - 1];
        let y = value
            .iter()
            .map(|&v| v.is_finite() && if self.top { v >= cut } else { v <= cut })
            .collect();
        (y, cut)
    }
}

/// Bootstrap resamples by default.
pub const BOOTSTRAP: usize = 100;

/// What discovery found.
#[derive(Debug)]
pub struct Discovery {
    pub out: PathBuf,
    pub sentence: String,
    pub steps: Vec<Step>,
    pub chosen: Option<usize>,
    pub keys: Vec<String>,
    /// Points, and cases of interest among them.
    pub points: usize,
    pub cases: usize,
}

fn usage(m: String) -> JobError {
    JobError::Usage(m)
}

/// A limit's value in a sentence, as its chart shows it.
fn show(x: f64) -> String {
    crate::output::table::limit(x)
}

/// The box's conditions in words: `key ≤ v`, `key ≥ v` or `a ≤ key ≤ b`.
pub fn conditions(keys: &[String], step: &Step, init: &[(f64, f64)]) -> Vec<String> {
    (0..keys.len())
        .filter_map(|j| {
            let (lo, hi) = step.limits[j];
            match (lo != init[j].0, hi != init[j].1) {
                (true, true) => Some(format!("{} ≤ {} ≤ {}", show(lo), keys[j], show(hi))),
                (true, false) => Some(format!("{} ≥ {}", keys[j], show(lo))),
                (false, true) => Some(format!("{} ≤ {}", keys[j], show(hi))),
                (false, false) => None,
            }
        })
        .collect()
}

/// Runs scenario discovery on a results folder.
pub fn discover(opts: &DiscoverOptions) -> Result<Discovery, JobError> {
    // The sweep is read under its lock (shared): a run replacing it is
    // refused while discovery reads it, and the other way round.
    let _read_lock = crate::output::folder::ReadLock::acquire(&opts.results)?;
    crate::jobs::plot::verify(&opts.results)?;
    if !(opts.peel_alpha > 0.0 && opts.peel_alpha < 0.5) {
        return Err(usage(format!(
            "--peel-alpha must be above 0 and below 0.5, got {}",
            opts.peel_alpha
        )));
    }
    if opts.cases.is_some() && opts.threshold != 0.0 {
        return Err(usage(
            "--cases and --threshold each say what a case of interest is: give one of them".into(),
        ));
    }
    if !opts.threshold.is_finite() {
        return Err(usage(format!(
            "--threshold must be a finite number, got {}",
            opts.threshold
        )));
    }
    let (keys, x) = crate::results::worlds::read_points(&opts.results)?;
    let n = x[0].len();
    let means = crate::results::worlds::read_means(&opts.results, &opts.metric, n)?;
    let arm = |name: &str| -> Result<&Vec<f64>, JobError> {
        means.get(name).ok_or_else(|| {
            let known: Vec<&str> = means.keys().map(String::as_str).collect();
            usage(format!(
                "policy `{name}` has no runs in {} (its policies: {})",
                opts.results.display(),
                known.join(", ")
            ))
        })
    };
    let a = arm(&opts.policy)?;
    let b = match &opts.against {
        Some(other) => Some(arm(other)?),
        None => None,
    };
    let value: Vec<f64> = match b {
        Some(b) => a.iter().zip(b).map(|(x, y)| x - y).collect(),
        None => a.clone(),
    };
    let (y, cut) = match &opts.cases {
        Some(c) => c.pick(&value),
        None => (value.iter().map(|v| *v > opts.threshold).collect(), opts.threshold),
    };
    let cases = y.iter().filter(|&&c| c).count();
    let metric = if opts.metric == "net_value" || opts.metric == "net_value_usd" {
        "net value"
    } else {
        &opts.metric
    };
    // The results' manifest, if it reads (the folder was verified).
    let manifest = Manifest::read(&opts.results).ok();
    // Display names: policies and parameters as the results' manifest names them.
    let labels = manifest.as_ref().map(Manifest::labels).unwrap_or_default();
    let names: Vec<String> = keys.iter().map(|k| labels.parameter(k)).collect();
    let (policy, against) = (
        labels.policy(&opts.policy),
        opts.against.as_ref().map(|o| labels.policy(o)),
    );
    // The metric in words where it has a display name (`spend_usd` is
    // "token spend"); the manifest keeps its key.
    let recorded = metric;
    let metric = match crate::scenario::labels::metric_phrase(metric) {
        "the metric" => metric,
        label => label,
    };
    let what = match &opts.against {
        Some(_) => format!("{policy} beats {} on {metric}", against.clone().unwrap_or_default()),
        None => format!("{policy}'s {metric} is above"),
    };
    // A threshold on money reads as money (`-$500k`, not `-500000`).
    let threshold = if opts.metric == "net_value" || opts.metric.ends_with("_usd") {
        crate::human::money(cut)
    } else {
        show(cut)
    };
    let what = if let Some(c) = &opts.cases {
        let subject = match &against {
            Some(other) => format!("{policy} − {other} on {metric}"),
            None => format!("{policy}'s {metric}"),
        };
        format!(
            "{subject} is among its {} {:.0} % ({} {threshold})",
            if c.top { "highest" } else { "lowest" },
            100.0 * c.share,
            if c.top { "at least" } else { "at most" }
        )
    } else if let (Some(other), true) = (&against, opts.threshold != 0.0) {
        format!("{policy} − {other} on {metric} is above {threshold}")
    } else if opts.against.is_none() {
        format!("{what} {threshold}")
    } else {
        what
    };
    if cases == 0 || cases == n {
        return Err(usage(format!(
            "{what} in {} of the {n} points: there is nothing to tell apart; choose another --threshold (or a share: --cases top:0.2), --metric or policy",
            if cases == 0 { "none" } else { "all" }
        )));
    }
    let settings = Settings {
        peel_alpha: opts.peel_alpha,
        ..Settings::default()
    };
    let data = Data { x: &x, y: &y };
    let steps = prim::trajectory(&data, &settings);
    let init = data.initial_box();
    let picked: Option<(usize, Step)> = match opts.box_index {
        Some(k) if k < steps.len() => Some((k, prim::prune(&data, &steps[k], prim::SIGNIFICANCE))),
        Some(k) => {
            return Err(usage(format!(
                "--box {k}: the trajectory has steps 0 to {}",
                steps.len() - 1
            )));
        }
        None => prim::choose(&data, &steps),
    };
    let chosen = picked.as_ref().map(|(k, _)| *k);
    let worlds = matches!(&manifest, Some(Manifest { job: Job::Sweep(s), .. }) if s.design == "worlds");
    let unit = if worlds { "plausible worlds" } else { "points" };
    let share = 100.0 * cases as f64 / n as f64;
    // A share in words: one decimal below 10 %, so 1 of 250 is not "0 %".
    let share = if share < 10.0 {
        format!("{share:.1}")
    } else {
        format!("{share:.0}")
    };
    let seed = manifest.as_ref().and_then(Manifest::seed).unwrap_or(1);
    let prim::Bootstrap {
        restricted: stability,
        overlap,
        found,
    } = match &picked {
        Some((_, b)) => prim::bootstrap(&data, &settings, b, opts.bootstrap, seed),
        None => prim::Bootstrap {
            restricted: vec![f64::NAN; keys.len()],
            overlap: f64::NAN,
            found: 0,
        },
    };
    let sentence = match &picked {
        Some((_, s)) => {
            format!(
                "{what} in {share} % of {n} {unit}; {:.0} % of those lie where {} (density {:.2}, coverage {:.2}; a box found in {found} of {} bootstrap resamples, overlap {:.2})",
                100.0 * s.coverage,
                conditions(&names, s, &init).join(" and "),
                s.density,
                s.coverage,
                opts.bootstrap,
                overlap
            )
        }
        None => format!(
            "{what} in {share} % of {n} {unit}; PRIM finds no region where that is significantly more likely (no box keeps a limit with a quasi-p-value below {:.2e}, 5 % over the {} boxes examined, while covering at least {:.0} % of those {unit})",
            prim::corrected(steps.len()),
            steps.len() - 1,
            100.0 * prim::MIN_COVERAGE
        ),
    };

    // Files.
    // Through the one CSV writer: quoted where needed, and a text cell a
    // spreadsheet would read as a formula (a parameter key) neutralised.
    let mut traj_head: Vec<String> = "step,coverage,density,mass,n,k,parameters_restricted,pasted,chosen"
        .split(',')
        .map(String::from)
        .collect();
    for key in &keys {
        traj_head.push(format!("{key}_low"));
        traj_head.push(format!("{key}_high"));
    }
    let traj = crate::output::csv_bytes(
        traj_head,
        steps.iter().enumerate().map(|(i, s)| {
            let mut row = vec![
                i.to_string(),
                num(s.coverage),
                num(s.density),
                num(s.mass),
                s.n.to_string(),
                s.k.to_string(),
                s.restricted(&init).len().to_string(),
                s.pasted.to_string(),
                (chosen == Some(i)).to_string(),
            ];
            for &(lo, hi) in &s.limits {
                row.push(num(lo));
                row.push(num(hi));
            }
            row
        }),
    );
    let boxes_head = "step,parameter,low,high,restricted,qp_low,qp_high,data_low,data_high,bootstrap_restricted_share"
        .split(',')
        .map(String::from)
        .collect();
    let boxes = match &picked {
        Some((k, s)) => crate::output::csv_bytes(
            boxes_head,
            keys.iter()
                .enumerate()
                .map(|(j, key)| {
                    vec![
                        k.to_string(),
                        key.to_string(),
                        num(s.limits[j].0),
                        num(s.limits[j].1),
                        (s.limits[j] != init[j]).to_string(),
                        num(s.qp[j].0),
                        num(s.qp[j].1),
                        num(init[j].0),
                        num(init[j].1),
                        num(stability[j]),
                    ]
                })
                .collect::<Vec<_>>()
                .into_iter(),
        ),
        None => crate::output::csv_bytes(boxes_head, std::iter::empty()),
    };
    let out = opts.results.join("discovery");
    let mut summary = format!("# Scenario discovery\n\n{sentence}.\n\n");
    if let Some((_, b)) = &picked {
        summary.push_str(
            "| parameter | box | quasi-p (low, high) | restricted in bootstrap boxes |\n|---|---|---|---:|\n",
        );
        for j in b.restricted(&init) {
            let qp = |q: f64| {
                if q.is_nan() {
                    "-".to_string()
                } else if q < 0.001 {
                    format!("{q:.1e}")
                } else {
                    format!("{q:.3}")
                }
            };
            summary.push_str(&format!(
                "| {} (`{}`) | {} to {} | {}, {} | {:.0} % |\n",
                names[j],
                keys[j],
                show(b.limits[j].0),
                show(b.limits[j].1),
                qp(b.qp[j].0),
                qp(b.qp[j].1),
                100.0 * stability[j]
            ));
        }
    }
    summary.push_str(&format!(
        "\nPRIM (Friedman & Fisher 1999): peel alpha {}, paste alpha {}, minimum mass {}; {} steps; box chosen {}.\n",
        settings.peel_alpha,
        settings.paste_alpha,
        settings.mass_min,
        steps.len(),
        match (opts.box_index, chosen) {
            (Some(k), _) => format!("by --box {k}, its limits with a quasi-p-value of {} or more dropped", prim::SIGNIFICANCE),
            (None, Some(k)) => format!(
                "at step {k}: of the trajectory's boxes, each with its limits of quasi-p-value {:.2e} or more dropped (5 % over {} boxes, Bonferroni), the densest that covers at least {}",
                prim::corrected(steps.len()),
                steps.len() - 1,
                prim::MIN_COVERAGE
            ),
            (None, None) => "none".into(),
        }
    ));
    let scales = manifest.as_ref().map(Manifest::parameter_scales).unwrap_or_default();
    let chart_data = crate::plot::DiscoveryData {
        title: what.clone(),
        unit: unit.to_string(),
        keys: names.clone(),
        steps: steps.clone(),
        init: init.clone(),
        log: keys
            .iter()
            .map(|k| scales.iter().any(|(key, log)| key == k && *log))
            .collect(),
        chosen,
        pruned: picked.as_ref().map(|(_, b)| b.clone()),
        source: format!(
            "Source: tokenmaxx {} discover on {} ({n} {unit}, {cases} cases of interest).",
            env!("CARGO_PKG_VERSION"),
            studied(&opts.results, manifest.as_ref())
        ),
    };
    // Charts never block results: a chart that cannot be drawn is reported
    // after the results are committed, as run and sweep do.
    // They look like the charts of the folder studied.
    let look = crate::plot::Look::from_presentation(
        &crate::jobs::plot::manifest_presentation(&opts.results)?.unwrap_or_default(),
    );
    let (mut files, chart_error) = match crate::plot::discovery_charts(&chart_data, crate::plot::Format::Both, &look) {
        Ok(charts) => (crate::plot::chart_files(charts), None),
        Err(e) => (Vec::new(), Some(e)),
    };
    files.push(("trajectory.csv".into(), traj));
    files.push(("boxes.csv".into(), boxes));
    files.push(crate::report::summary_file(&summary));
    crate::output::columns::add_to(&mut files);
    let discovery = DiscoverManifest {
        name: "discovery".into(),
        results: crate::output::manifest::recorded_path(&opts.results),
        policy: opts.policy.clone(),
        against: opts.against.clone(),
        metric: recorded.to_string(),
        threshold: cut,
        cases: opts.cases.map(|c| c.flag()),
        peel_alpha: settings.peel_alpha,
        paste_alpha: settings.paste_alpha,
        mass_min: settings.mass_min,
        chosen,
        bootstrap: opts.bootstrap,
        sentence: sentence.clone(),
        sources_sha256: manifest
            .as_ref()
            .and_then(|m| m.header.files_sha256.as_ref())
            .map(|listed| {
                listed
                    .iter()
                    .filter(|(name, _)| manifest::DISCOVERY_SOURCES.contains(&name.as_str()))
                    .map(|(n, h)| (n.clone(), h.clone()))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let hashes = manifest::hashes(&files);
    files.push((
        "manifest.json".into(),
        Manifest::new(Job::Discover(Box::new(discovery)), hashes).to_bytes(),
    ));
    let (_lock, _, claim) = folder::claim(
        &out,
        false,
        |h| matches!(h, Holding::Result { job, .. } if job == "discover"),
    )?;
    folder::clear_if(&out, claim)?;
    write_atomically(&out, &files)?;
    if let Some(source) = chart_error {
        return Err(JobError::Charts {
            redraw: format!("run `tokenmaxx discover {}` again to draw them", opts.results.display()),
            out,
            source: Box::new(source),
        });
    }
    Ok(Discovery {
        out,
        sentence,
        steps,
        chosen,
        keys,
        points: n,
        cases,
    })
}
