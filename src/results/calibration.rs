//! A calibration read back: its generations, each parameter's prior and
//! final weighted sample, and each fact's posterior predictive, from the
//! files a calibration writes (posterior.csv, generations.csv, ppc.csv)
//! and what its manifest records. `calibrate` reads it from the bytes it
//! is about to write, `plot` and `report` from the folder, so the three
//! never disagree. Pure: no I/O.

use super::error::ReadError;
use super::table::Table;
use crate::output::manifest::CalibratedParameter;
use crate::scenario::labels::Labels;

/// One parameter: its prior and its weighted posterior sample.
#[derive(Debug, Clone)]
pub struct Marginal {
    pub key: String,
    /// Its display label with its unit.
    pub label: String,
    pub low: f64,
    pub high: f64,
    pub log: bool,
    /// (value, normalised weight) of the final population.
    pub sample: Vec<(f64, f64)>,
}

/// One fact and its posterior predictive.
#[derive(Debug, Clone)]
pub struct FactCheck {
    pub name: String,
    pub fit: bool,
    pub observed: f64,
    pub low: f64,
    pub high: f64,
    pub q05: f64,
    pub q50: f64,
    pub q95: f64,
    /// The value compared with the tolerance (the mean for a rate, the median otherwise).
    pub point: f64,
}

/// What the calibration charts are drawn from.
#[derive(Debug, Clone)]
pub struct CalibrationData {
    pub name: String,
    pub marginals: Vec<Marginal>,
    pub facts: Vec<FactCheck>,
    /// The source line.
    pub source: String,
}

/// One generation as generations.csv holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationRow {
    pub index: usize,
    /// The tolerance (NaN for the first generation, which has none).
    pub epsilon: f64,
    pub proposed: usize,
    pub accepted: usize,
    pub ess: f64,
}

/// One fact: its chart row, and the metric and policy it measures.
#[derive(Debug, Clone)]
pub struct Fact {
    pub check: FactCheck,
    pub metric: String,
    pub policy: String,
}

/// What a calibration's manifest records beside its files.
#[derive(Debug, Clone)]
pub struct Recorded<'a> {
    pub name: &'a str,
    pub particles: usize,
    pub generations_asked: usize,
    /// The stop as the manifest records it ("Generations",
    /// "Acceptance(0.01)", "Exhausted { generation: 3, accepted: 5 }").
    pub stop: &'a str,
    pub simulations: usize,
    pub seed: u64,
    pub parameters: &'a [CalibratedParameter],
    /// Display labels of the parameters and the policies.
    pub labels: &'a Labels,
}

/// A finished calibration, read from its files.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub name: String,
    pub particles: usize,
    pub generations_asked: usize,
    pub stop: String,
    pub simulations: usize,
    pub seed: u64,
    pub generations: Vec<GenerationRow>,
    /// Each parameter's prior and final weighted sample, labelled.
    pub marginals: Vec<Marginal>,
    pub facts: Vec<Fact>,
    pub labels: Labels,
}

impl Calibration {
    /// Reads a calibration from the bytes of its posterior.csv,
    /// generations.csv and ppc.csv.
    pub fn from_csv(
        rec: &Recorded,
        posterior: &[u8],
        generations: &[u8],
        ppc: &[u8],
    ) -> Result<Calibration, ReadError> {
        let keys: Vec<&str> = rec.parameters.iter().map(|p| p.key.as_str()).collect();
        let mut num = vec!["generation", "weight"];
        num.extend(&keys);
        let post = Table::parse("posterior.csv", posterior, &[], &num)?;
        let last = post.n("generation").iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let rows: Vec<usize> = (0..post.rows).filter(|&i| post.n("generation")[i] == last).collect();
        let marginals = rec
            .parameters
            .iter()
            .map(|p| Marginal {
                key: p.key.clone(),
                label: rec.labels.parameter(&p.key),
                low: p.low,
                high: p.high,
                log: p.log,
                sample: rows.iter().map(|&i| (post.n(&p.key)[i], post.n("weight")[i])).collect(),
            })
            .collect();
        let gens = Table::parse(
            "generations.csv",
            generations,
            &[],
            &["generation", "epsilon", "proposed", "accepted", "ess"],
        )?;
        let generations = (0..gens.rows)
            .map(|i| GenerationRow {
                index: gens.n("generation")[i] as usize,
                epsilon: gens.n("epsilon")[i],
                proposed: gens.n("proposed")[i] as usize,
                accepted: gens.n("accepted")[i] as usize,
                ess: gens.n("ess")[i],
            })
            .collect();
        let t = Table::parse(
            "ppc.csv",
            ppc,
            &["target", "metric", "policy", "role"],
            &[
                "observed",
                "tolerance_low",
                "tolerance_high",
                "ppc_mean",
                "ppc_05",
                "ppc_50",
                "ppc_95",
            ],
        )?;
        let facts = (0..t.rows)
            .map(|i| {
                let metric = t.t("metric")[i].clone();
                Fact {
                    check: FactCheck {
                        // As the evidence file wrote it, without the
                        // guard against spreadsheet formulas.
                        name: crate::output::csv::cell_text(&t.t("target")[i]).to_string(),
                        fit: t.t("role")[i] == "fit",
                        observed: t.n("observed")[i],
                        low: t.n("tolerance_low")[i],
                        high: t.n("tolerance_high")[i],
                        q05: t.n("ppc_05")[i],
                        q50: t.n("ppc_50")[i],
                        q95: t.n("ppc_95")[i],
                        point: if crate::calibrate::is_rate(&metric) {
                            t.n("ppc_mean")[i]
                        } else {
                            t.n("ppc_50")[i]
                        },
                    },
                    metric,
                    policy: t.t("policy")[i].clone(),
                }
            })
            .collect();
        Ok(Calibration {
            name: rec.name.to_string(),
            particles: rec.particles,
            generations_asked: rec.generations_asked,
            stop: rec.stop.to_string(),
            simulations: rec.simulations,
            seed: rec.seed,
            generations,
            marginals,
            facts,
            labels: rec.labels.clone(),
        })
    }
}

/// The weighted correlation of every pair of parameters in the posterior,
/// on the axes the priors are flat on (the log for log priors), strongest
/// first: (i, j, r).
pub fn pair_correlations(marginals: &[Marginal]) -> Vec<(usize, usize, f64)> {
    let t = |m: &Marginal, x: f64| if m.log { x.ln() } else { x };
    let mut out = Vec::new();
    for i in 0..marginals.len() {
        for j in i + 1..marginals.len() {
            let (a, b) = (&marginals[i], &marginals[j]);
            let w: f64 = a.sample.iter().map(|s| s.1).sum();
            let ma: f64 = a.sample.iter().map(|&(x, w)| w * t(a, x)).sum::<f64>() / w;
            let mb: f64 = b.sample.iter().map(|&(x, w)| w * t(b, x)).sum::<f64>() / w;
            let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
            for (&(xa, w), &(xb, _)) in a.sample.iter().zip(&b.sample) {
                let (da, db) = (t(a, xa) - ma, t(b, xb) - mb);
                sab += w * da * db;
                saa += w * da * da;
                sbb += w * db * db;
            }
            let r = if saa > 0.0 && sbb > 0.0 {
                sab / (saa * sbb).sqrt()
            } else {
                0.0
            };
            out.push((i, j, r));
        }
    }
    out.sort_by(|x, y| y.2.abs().total_cmp(&x.2.abs()).then(x.0.cmp(&y.0)).then(x.1.cmp(&y.1)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marginal(log: bool, sample: Vec<(f64, f64)>) -> Marginal {
        Marginal {
            key: "k".into(),
            label: "K".into(),
            low: 0.1,
            high: 100.0,
            log,
            sample,
        }
    }

    /// r is computed on the scale the prior is flat on (the log for log
    /// priors), weighted, and pairs come strongest first.
    #[test]
    fn pair_correlations_are_weighted_and_on_the_prior_scale() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        let w = 0.2;
        let a = marginal(false, xs.iter().map(|&x| (x, w)).collect());
        // exp(x) on a log prior: a perfect correlation with x.
        let b = marginal(true, xs.iter().map(|&x| (f64::exp(x), w)).collect());
        // Unrelated: symmetric around the middle.
        let c = marginal(false, [3.0, 1.0, 5.0, 1.0, 3.0].iter().map(|&x| (x, w)).collect());
        let pairs = pair_correlations(&[a, b, c]);
        assert_eq!((pairs[0].0, pairs[0].1), (0, 1));
        assert!((pairs[0].2 - 1.0).abs() < 1e-12, "{pairs:?}");
        assert!(pairs[1].2.abs() < 1e-12 && pairs[2].2.abs() < 1e-12, "{pairs:?}");
        // A zero weight removes a point: with the outlier weighted out, a
        // perfect negative correlation remains.
        let d = marginal(false, vec![(1.0, 0.5), (2.0, 0.5), (10.0, 0.0)]);
        let e = marginal(false, vec![(2.0, 0.5), (1.0, 0.5), (10.0, 0.0)]);
        assert!((pair_correlations(&[d, e])[0].2 + 1.0).abs() < 1e-12);
    }
}
