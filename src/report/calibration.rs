//! A calibration for people: its findings in words, its tables with
//! display labels, units and plain numbers, the warning when its
//! population is too small to trust, and the data of its charts, all from
//! the files a calibration writes (posterior.csv, generations.csv,
//! ppc.csv) and what its manifest records. `calibrate` builds it from the
//! bytes it is about to write, `plot` and `report` from the folder, so the
//! three never disagree. Pure: no I/O.

use crate::human::money;
use crate::output::table::significant;
pub use crate::results::calibration::{Calibration, Fact, GenerationRow, Recorded};
use crate::results::{CalibrationData, FactCheck, Marginal};
use crate::scenario::labels::without_unit;

/// Fewer particles than this are too few to trust: the population size
/// pyABC (`ABCSMC(population_size=100)`) and SimBIID (`npart = 100`) use
/// by default, the smallest population common practice runs.
pub const MIN_PARTICLES: usize = 100;
/// A final population whose effective sample size (Kish's, (Σw)²/Σw²) is
/// below this is too few independent draws to trust: each 5 % tail of a
/// 90 % credible interval then rests on fewer than five draws. SMC
/// samplers resample when the ESS falls to a set share of the population
/// (half of it in Del Moral, Doucet & Jasra 2012); docs/calibration.md,
/// "How many particles".
pub const MIN_ESS: f64 = 100.0;

impl Calibration {
    /// The effective sample size of the final population.
    pub fn final_ess(&self) -> f64 {
        self.generations.last().map_or(f64::NAN, |g| g.ess)
    }

    /// The warning when the population is too small to trust, if it is.
    pub fn warning(&self) -> Option<String> {
        trust_warning(self.particles, self.final_ess())
    }

    /// What the charts are drawn from; a population too small to trust
    /// says so in the source line.
    pub fn chart_data(&self) -> CalibrationData {
        let caution = match self.warning() {
            Some(_) => format!(
                " Too small to trust: effective sample size {} (docs/calibration.md).",
                thousands(self.final_ess().round())
            ),
            None => String::new(),
        };
        CalibrationData {
            name: self.name.clone(),
            marginals: self.marginals.clone(),
            facts: self.facts.iter().map(|f| f.check.clone()).collect(),
            source: format!(
                "Source: tokenmaxx {} calibration \"{}\": {} particles, {}, {} simulations (ABC-SMC, seed {}).{caution}",
                env!("CARGO_PKG_VERSION"),
                self.name,
                self.particles,
                count(self.generations.len(), "generation"),
                self.simulations,
                self.seed
            ),
        }
    }

    /// How sampling ended, in words.
    pub fn stop_words(&self) -> String {
        stop_words(&self.stop, self.generations.len(), self.generations_asked)
    }

    /// The findings, one sentence each: the warning first, then which facts
    /// the calibrated model reproduces, then what the facts say about each
    /// parameter.
    pub fn findings(&self) -> Vec<String> {
        let mut out: Vec<String> = self.warning().into_iter().collect();
        for fit in [true, false] {
            let facts: Vec<&Fact> = self.facts.iter().filter(|f| f.check.fit == fit).collect();
            if facts.is_empty() {
                continue;
            }
            let ok = facts.iter().filter(|f| inside(&f.check)).count();
            let missed: Vec<String> = facts
                .iter()
                .filter(|f| !inside(&f.check))
                .map(|f| {
                    format!(
                        "\"{}\" (predicted {}, tolerance {})",
                        f.check.name,
                        value(&f.metric, f.check.point),
                        range(&f.metric, f.check.low, f.check.high)
                    )
                })
                .collect();
            out.push(format!(
                "The calibrated model reproduces {ok} of {} {} (its predicted median, or mean for a rate, inside the fact's tolerance){}.",
                facts.len(),
                if fit {
                    "facts it was fitted to"
                } else {
                    "held-out check facts"
                },
                if missed.is_empty() {
                    String::new()
                } else {
                    format!("; it misses {}", missed.join(", "))
                }
            ));
        }
        for m in &self.marginals {
            let p = posterior(m);
            let label = without_unit(&m.label);
            let unit = unit_of(&m.label);
            let how = if p.width < 0.5 {
                "narrow"
            } else if p.width < 0.9 {
                "partly narrow"
            } else {
                "hardly narrow"
            };
            out.push(format!(
                "{label}: the facts {how} its prior range of {}{unit} to a 90% credible interval of {} (weighted mean {}), {} of the prior's width{}.",
                dash(m.low, m.high),
                dash(p.low, p.high),
                plain(p.mean),
                percent(p.width),
                if m.log { " on the log scale" } else { "" }
            ));
        }
        out
    }

    /// The tables, under their headings, as Markdown.
    pub fn tables(&self) -> Vec<(String, String)> {
        let cell = |s: &str| crate::report::cell(s);
        let mut params = String::from(
            "| Parameter | Prior | Posterior mean | 90% credible interval | Share of the prior's range |\n|---|---|---:|---:|---:|\n",
        );
        for m in &self.marginals {
            let p = posterior(m);
            params.push_str(&format!(
                "| {} | {} {} | {} | {} | {} |\n",
                cell(&m.label),
                range_plain(m.low, m.high),
                if m.log { "(log-uniform)" } else { "(uniform)" },
                plain(p.mean),
                range_plain(p.low, p.high),
                percent(p.width)
            ));
        }
        params.push_str(
            "\nShare of the prior's range: the 90% interval's width over the prior's (on the log scale for log-uniform priors); 100% means the facts say nothing about it.\n",
        );
        let pairs = crate::results::calibration::pair_correlations(&self.marginals);
        if !pairs.is_empty() {
            params.push_str("\nStrongest posterior correlations (weighted Pearson r): ");
            let shown: Vec<String> = pairs
                .iter()
                .take(3)
                .map(|&(i, j, r)| {
                    format!(
                        "{} and {} {}",
                        cell(without_unit(&self.marginals[i].label)),
                        cell(without_unit(&self.marginals[j].label)),
                        signed(r)
                    )
                })
                .collect();
            params.push_str(&shown.join("; "));
            params.push_str(".\n");
        }
        let mut facts = String::from(
            "| Fact | Policy | Role | Observed | Tolerance | Predicted (90% interval) | Reproduced |\n|---|---|---|---:|---:|---:|---|\n",
        );
        for f in &self.facts {
            let c = &f.check;
            facts.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} ({}) | {} |\n",
                cell(&c.name),
                cell(&self.labels.policy(&f.policy)),
                if c.fit { "fit" } else { "held-out check" },
                value(&f.metric, c.observed),
                range(&f.metric, c.low, c.high),
                value(&f.metric, c.point),
                range(&f.metric, c.q05, c.q95),
                if inside(c) { "yes" } else { "**no**" }
            ));
        }
        facts.push_str(
            "\nPredicted: the posterior predictive (every final particle run again on fresh seeds, weighted) median; for a rate (escalation, no measured return), the mean.\n",
        );
        let mut gens = String::from(
            "| Generation | Tolerance (distance) | Proposed | Accepted | Acceptance rate | Effective sample size |\n|---:|---:|---:|---:|---:|---:|\n",
        );
        for g in &self.generations {
            gens.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                g.index,
                if g.epsilon.is_finite() {
                    significant(g.epsilon, 3)
                } else {
                    "none (from the prior)".into()
                },
                thousands(g.proposed as f64),
                thousands(g.accepted as f64),
                percent(if g.proposed > 0 {
                    g.accepted as f64 / g.proposed as f64
                } else {
                    f64::NAN
                }),
                thousands(g.ess.round())
            ));
        }
        vec![
            ("What the facts say about each parameter".into(), params),
            ("Does the calibrated model reproduce the facts?".into(), facts),
            ("How sampling went".into(), gens),
        ]
    }

    /// The lead paragraph: what was calibrated, how, how it ended.
    pub fn lead(&self) -> String {
        format!(
            "ABC-SMC calibration of {} to {} and {}: {} particles; {}; {} simulations in all, seed {}. The final population's effective sample size is {}.",
            count(self.marginals.len(), "parameter"),
            count(self.facts.iter().filter(|f| f.check.fit).count(), "fit fact"),
            count(self.facts.iter().filter(|f| !f.check.fit).count(), "held-out check"),
            thousands(self.particles as f64),
            self.stop_words(),
            thousands(self.simulations as f64),
            self.seed,
            thousands(self.final_ess().round())
        )
    }

    /// summary.md: the title, the lead, the warning, the findings and the
    /// tables.
    pub fn summary_md(&self) -> String {
        let mut s = format!("# Calibration `{}`\n\n{}\n\n", self.name, self.lead());
        s.push_str("## Findings\n\n");
        for f in self.findings() {
            s.push_str(&format!("- {f}\n"));
        }
        for (heading, body) in self.tables() {
            s.push_str(&format!("\n## {heading}\n\n{body}"));
        }
        s
    }
}

/// How sampling ended, in words, from the stop a manifest records
/// ("Generations", "Acceptance(0.01)", "Exhausted { .. }"), the
/// generations run and the most asked for.
pub fn stop_words(stop: &str, n: usize, asked: usize) -> String {
    if stop == "Generations" {
        format!("all {} asked for ran", count(n, "generation"))
    } else if let Some(rate) = stop
        .strip_prefix("Acceptance(")
        .and_then(|s| s.strip_suffix(')'))
        .and_then(|s| s.parse::<f64>().ok())
    {
        format!(
            "{} of up to {asked} ran: sampling stopped when the acceptance rate fell to {}, below the minimum",
            count(n, "generation"),
            percent(rate)
        )
    } else if stop.starts_with("Exhausted") {
        format!(
            "{} ran; the next could not be filled within its proposal budget and was not kept",
            count(n, "generation")
        )
    } else {
        format!("{} ran", count(n, "generation"))
    }
}

/// The warning when `particles` or the final effective sample size `ess`
/// is below what can be trusted ([`MIN_PARTICLES`], [`MIN_ESS`]), else none.
pub fn trust_warning(particles: usize, ess: f64) -> Option<String> {
    let mut why = Vec::new();
    if particles < MIN_PARTICLES {
        why.push(format!("{particles} particles (fewer than {MIN_PARTICLES})"));
    }
    if ess.is_nan() || ess < MIN_ESS {
        why.push(format!(
            "an effective sample size of {} in the final population (below {})",
            // Floored: a warned ESS never reads as the threshold itself.
            if ess.is_nan() {
                "n/a".into()
            } else {
                thousands(ess.floor())
            },
            MIN_ESS
        ));
    }
    if why.is_empty() {
        return None;
    }
    Some(format!(
        "Warning: too small to trust: {}. Intervals and the posterior predictive rest on too few independent draws; run again with more particles (at least {MIN_PARTICLES}; docs/calibration.md, \"How many particles\").",
        why.join(" and ")
    ))
}

/// A parameter's posterior: weighted mean, 90 % interval, and that
/// interval's width as a share of the prior's range.
struct Posterior {
    mean: f64,
    low: f64,
    high: f64,
    width: f64,
}

fn posterior(m: &Marginal) -> Posterior {
    let (x, w): (Vec<f64>, Vec<f64>) = m.sample.iter().cloned().unzip();
    let total: f64 = w.iter().sum();
    let mean = x.iter().zip(&w).map(|(x, w)| x * w).sum::<f64>() / total;
    let (low, high) = if x.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        (
            crate::stats::weighted_quantile(&x, &w, 0.05),
            crate::stats::weighted_quantile(&x, &w, 0.95),
        )
    };
    let width = if m.log {
        (high / low).ln() / (m.high / m.low).ln()
    } else {
        (high - low) / (m.high - m.low)
    };
    Posterior { mean, low, high, width }
}

fn inside(f: &FactCheck) -> bool {
    f.point >= f.low && f.point <= f.high
}

/// The unit of a label ("Busywork opportunities (per week)" → " per
/// week"), to follow a range in a sentence.
fn unit_of(label: &str) -> String {
    let bare = without_unit(label);
    if bare.len() == label.len() {
        return String::new();
    }
    let unit = label[bare.len()..].trim().trim_start_matches('(').trim_end_matches(')');
    match unit {
        "share" | "chance" | "probability" => String::new(),
        u if u.starts_with('$') || u.starts_with("USD") => format!(" ({u})"),
        u => format!(" {u}"),
    }
}

/// `n noun`, plural unless 1 (the one plural rule).
fn count(n: usize, noun: &str) -> String {
    crate::output::table::count(thousands(n as f64), noun)
}

/// A whole number with thousands separators: 1250 → "1,250".
fn thousands(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let s = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 && out != "0" {
        format!("−{out}")
    } else {
        out
    }
}

/// A number for people: three significant digits, thousands separated,
/// millions and billions by name (706000000 → "706 million", 0.0283 →
/// "0.0283", 4 → "4"); never an exponent.
pub fn plain(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let a = x.abs();
    let sign = if x < 0.0 { "−" } else { "" };
    if a >= 1e9 {
        format!("{sign}{} billion", significant(a / 1e9, 3))
    } else if a >= 1e6 {
        format!("{sign}{} million", significant(a / 1e6, 3))
    } else if a >= 1e3 {
        format!("{sign}{}", thousands(significant(a, 3).parse::<f64>().unwrap_or(a)))
    } else if a > 0.0 && a < 1e-4 {
        // Below what three significant digits print plainly: as a share of
        // a millionth.
        format!("{sign}{} millionths", significant(a * 1e6, 3))
    } else {
        format!("{sign}{}", significant(a, 3))
    }
}

/// A range in a sentence: "4–30".
fn dash(low: f64, high: f64) -> String {
    format!("{}–{}", plain(low), plain(high))
}

fn range_plain(low: f64, high: f64) -> String {
    format!("{} to {}", plain(low), plain(high))
}

/// A share as a percentage: 0.153 → "15%", 0.028 → "2.8%".
fn percent(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let s = format!("{}%", significant(100.0 * x, 2));
    match s.strip_prefix('-') {
        Some(rest) => format!("−{rest}"),
        None => s,
    }
}

fn signed(r: f64) -> String {
    if r < 0.0 {
        format!("−{:.2}", -r)
    } else {
        format!("+{r:.2}")
    }
}

/// How a metric's values read: money, a share, or a plain number.
#[derive(Clone, Copy)]
enum Unit {
    Money,
    Share,
    Plain,
}

fn unit(metric: &str) -> Unit {
    if metric.ends_with("_share")
        || metric.contains("_share_")
        || metric.ends_with("_rate")
        || metric.starts_with("share_")
    {
        Unit::Share
    } else if metric.contains("cost")
        || metric.contains("spend")
        || metric.ends_with("_usd")
        || metric.contains("_usd_")
    {
        Unit::Money
    } else {
        Unit::Plain
    }
}

/// A value of `metric`, in its unit.
fn value(metric: &str, x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    match unit(metric) {
        Unit::Money => money(x).replace('-', "−"),
        Unit::Share => percent(x),
        Unit::Plain => plain(x),
    }
}

fn range(metric: &str, low: f64, high: f64) -> String {
    format!("{} to {}", value(metric, low), value(metric, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guarded_cell_reads_as_its_text() {
        use crate::output::csv::{cell_text, text_cell};
        for s in ["=HYPERLINK(\"x\")", "-5% cost", "@SUM(A1)", "plain", "-1.5", "'quoted"] {
            assert_eq!(cell_text(&text_cell(s)), s);
        }
    }

    #[test]
    fn numbers_read_plainly() {
        assert_eq!(plain(706e6), "706 million");
        assert_eq!(plain(1.412e9), "1.41 billion");
        assert_eq!(plain(4.0), "4");
        assert_eq!(plain(30.0), "30");
        assert_eq!(plain(0.028), "0.028");
        assert_eq!(plain(1250.0), "1,250");
        assert_eq!(plain(123456.0), "123,000");
        assert_eq!(plain(-2.5), "−2.5");
        assert_eq!(range_plain(4.0, 30.0), "4 to 30");
        assert_eq!(dash(0.05, 2.0), "0.05–2");
        assert_eq!(percent(-0.014), "−1.4%");
        assert_eq!(value("tokens_per_employee_month", 706e6), "706 million");
        assert_eq!(value("engineer_list_cost_per_month", 200.0), "$200");
        assert_eq!(value("noise_share", 0.15), "15%");
        assert_eq!(value("hours_saved_share", 0.028), "2.8%");
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(count(1, "generation"), "1 generation");
        assert_eq!(count(2, "generation"), "2 generations");
    }

    /// The warning's thresholds: fewer than 100 particles, or a final ESS
    /// below 100, and only then.
    #[test]
    fn too_few_particles_or_too_small_an_ess_is_warned_of() {
        assert_eq!(trust_warning(200, 150.0), None);
        assert_eq!(trust_warning(100, 100.0), None);
        let w = trust_warning(20, 18.4).unwrap();
        assert!(
            w.starts_with(
                "Warning: too small to trust: 20 particles (fewer than 100) and an effective sample size of 18"
            ),
            "{w}"
        );
        let w = trust_warning(500, 99.4).unwrap();
        assert!(!w.contains("500 particles"), "{w}");
        assert!(w.contains("effective sample size of 99 "), "{w}");
        assert!(trust_warning(99, 5000.0).unwrap().contains("99 particles"));
        assert!(trust_warning(200, f64::NAN).is_some());
        assert!(trust_warning(200, 99.7).unwrap().contains("size of 99 "));
    }
}
