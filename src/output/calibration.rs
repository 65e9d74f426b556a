//! A calibration's tables: posterior.csv (every generation's particles),
//! generations.csv (one row per generation) and ppc.csv (each target's
//! posterior predictive against its tolerance), as bytes.

use crate::calibrate::{Predictive, Problem, abc};
use crate::output::csv::{csv_bytes, num};

/// posterior.csv: every generation's particles (the last generation is the
/// posterior): generation, particle, weight, one column per parameter,
/// distance.
pub fn posterior_csv(problem: &Problem, gens: &[abc::Generation]) -> Vec<u8> {
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
pub fn generations_csv(gens: &[abc::Generation], walls: &[f64]) -> Vec<u8> {
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
pub fn ppc_csv(problem: &Problem, pred: &[Predictive]) -> Vec<u8> {
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
