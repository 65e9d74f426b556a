//! A policy search's tables: archive.csv (every candidate evaluated),
//! front.csv (the front's candidates), convergence.csv (one row per
//! generation) and validation.csv (the front and the presets in and out
//! of sample), as bytes.

use crate::optimize::Search;
use crate::optimize::measure::Measure;
use crate::optimize::nsga2::Member;
use crate::optimize::score::{Score, Scored};
use crate::optimize::state::kind_name;
use crate::optimize::study::Study;
use crate::output::csv::{csv_bytes, num};
use std::collections::{HashMap, HashSet};

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

fn objective_columns(study: &Study) -> Vec<String> {
    (0..study.objectives.len())
        .map(|i| objective_column(study, i))
        .collect()
}

/// archive.csv and front.csv: a row per candidate (every one evaluated,
/// or the front's) with its generation, kind, lever values, objectives,
/// constraint measures and feasibility; the archive says which are on the
/// front. `scores` are by candidate id.
pub fn candidates_csv(study: &Study, s: &Search, scores: &[Score], front: &[Scored]) -> (Vec<u8>, Vec<u8>) {
    let members: HashMap<usize, &Member> = s.evaluated.iter().map(|m| (m.id, m)).collect();
    let on_front: HashSet<usize> = front.iter().map(|f| f.id).collect();
    let generation_of: Vec<(usize, &'static str)> = {
        let mut v = Vec::with_capacity(s.evaluated.len());
        let mut prev = 0;
        for g in &s.history {
            v.extend(std::iter::repeat_n(
                (g.generation, kind_name(g.kind)),
                g.evaluations - prev,
            ));
            prev = g.evaluations;
        }
        v
    };
    let row = |id: usize| -> Vec<String> {
        let m = members[&id];
        let mut r = vec![
            id.to_string(),
            generation_of[id].0.to_string(),
            generation_of[id].1.to_string(),
        ];
        r.extend(study.decode(&m.genes).into_iter().map(num));
        r.extend(scores[id].0.iter().copied().map(num));
        r.extend(scores[id].1.iter().copied().map(num));
        r.push(m.feasible().to_string());
        r
    };
    let head = |extra: &[&str]| -> Vec<String> {
        let mut h: Vec<String> = vec!["candidate".into(), "generation".into(), "kind".into()];
        h.extend(study.levers.iter().map(|l| l.key.clone()));
        h.extend(objective_columns(study));
        h.extend((0..study.constraints.len()).map(|i| format!("constraint_{i}")));
        h.push("feasible".into());
        h.extend(extra.iter().map(|s| s.to_string()));
        h
    };
    let archive = csv_bytes(
        head(&["on_front"]),
        (0..s.evaluated.len()).map(|id| {
            let mut r = row(id);
            r.push(on_front.contains(&id).to_string());
            r
        }),
    );
    let front = csv_bytes(head(&[]), front.iter().map(|f| row(f.id)));
    (archive, front)
}

/// convergence.csv: after each generation, its kind, the evaluations so
/// far, population and archive sizes, ε-progress and the hypervolume.
pub fn convergence_csv(s: &Search, hypervolumes: &[f64]) -> Vec<u8> {
    let rows = s.history.iter().zip(hypervolumes).map(|(g, &h)| {
        vec![
            g.generation.to_string(),
            kind_name(g.kind).to_string(),
            g.evaluations.to_string(),
            g.population.to_string(),
            g.archive.to_string(),
            g.progress.to_string(),
            num(h),
        ]
    });
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
        rows,
    )
}

/// validation.csv: each front candidate's and each preset's objectives in
/// sample and out of sample.
pub fn validation_csv(
    study: &Study,
    front: &[Scored],
    front_validation: &[Vec<f64>],
    presets: &[(String, Vec<f64>, Vec<f64>)],
) -> Vec<u8> {
    let obj_cols = objective_columns(study);
    let mut vh: Vec<String> = vec!["kind".into(), "name".into()];
    vh.extend(obj_cols.iter().map(|c| format!("{c}_in_sample")));
    vh.extend(obj_cols.iter().map(|c| format!("{c}_out_of_sample")));
    csv_bytes(
        vh,
        front
            .iter()
            .zip(front_validation)
            .map(|(f, v)| ("front".to_string(), format!("candidate {}", f.id), &f.objectives, v))
            .chain(presets.iter().map(|(n, i, o)| ("preset".to_string(), n.clone(), i, o)))
            .map(|(k, n, i, o)| {
                let mut r = vec![k, n];
                r.extend(i.iter().copied().map(num));
                r.extend(o.iter().copied().map(num));
                r
            }),
    )
}
