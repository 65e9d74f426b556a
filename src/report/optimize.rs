//! A policy search for people: the study in words (for --dry-run and the
//! start of a search) and its summary.md (the best candidate on the
//! first objective against the best preset out of sample, the front and
//! the presets in and out of sample) from the scored front and presets.
//! Pure: no I/O.

use crate::optimize::Search;
use crate::optimize::measure::Measure;
use crate::optimize::score::Scored;
use crate::optimize::study::{LeverDomain, Study};
use crate::output::table::count;

/// The study in words, for --dry-run and the start of a search.
pub fn describe(study: &Study) -> String {
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
        study.planned_runs()
    );
    for l in &study.levers {
        let domain = match &l.domain {
            LeverDomain::Range {
                low,
                high,
                log,
                integer,
            } => format!(
                "{low} to {high}{}{}",
                if *log { ", log scale" } else { "" },
                if *integer { ", integers" } else { "" }
            ),
            LeverDomain::Values { values } => format!("one of {values:?}"),
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

/// A number for a sentence: money in $M or $k, shares as percent.
fn show(metric: &str, measure: &Measure, v: f64) -> String {
    if matches!(measure, Measure::ShareAbove { .. } | Measure::ShareBelow { .. }) {
        return format!("{:.0} %", v * 100.0);
    }
    if metric.ends_with("_usd") {
        return crate::human::money(v);
    }
    format!("{v:.4}")
}

/// The first objective's metric per fresh world, for the front and the
/// presets (in the study's reference order).
pub struct Paired {
    pub front: Vec<Vec<f64>>,
    pub presets: Vec<Vec<f64>>,
}

/// summary.md: the search in a sentence, the best front candidate on the
/// first objective against the best preset out of sample (with a paired
/// interval), and the front and presets in and out of sample.
pub fn summary_md(
    study: &Study,
    s: &Search,
    front: &[Scored],
    validation: &[Vec<f64>],
    presets: &[(String, Vec<f64>, Vec<f64>)],
    paired: &Paired,
) -> String {
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
