//! A candidate's score from its runs: the study's robustness measures of
//! each metric across worlds (regret against the references' values in
//! the same worlds), and the search's form of it (objectives to minimise,
//! total violation). Pure functions of per-world values; the optimize job
//! runs the worlds.

use super::Evaluation;
use super::measure::Measure;
use super::study::Study;

/// Per-world means over replicates of each metric: `[metric][world]`.
pub type WorldValues = Vec<Vec<f64>>;

/// A candidate's score: its objectives and constraint measures, in their
/// own units.
pub type Score = (Vec<f64>, Vec<f64>);

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

/// The objectives and constraint measures of per-world values, given the
/// references' values in the same worlds (`presets`, in the study's
/// reference order).
pub fn score(study: &Study, values: &WorldValues, presets: &[WorldValues]) -> Score {
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
pub fn evaluation(study: &Study, objectives: &[f64], constraints: &[f64]) -> Evaluation {
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
