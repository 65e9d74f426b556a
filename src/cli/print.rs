//! What each command prints for its user on stdout (results, tables, a
//! sweep's robust verdicts) and stderr (warnings, a calibration's
//! generations), apart from the commands themselves.

use tokenmaxx::jobs::calibrate::Calibrated;
use tokenmaxx::jobs::sweep as sweep_job;
use tokenmaxx::jobs::{JobError, run::RunReport, validate::Checked};

/// A finished run: its size and speed, its summary and verdict tables.
pub fn run_report(report: &RunReport) {
    let cfg = &report.scenario.config;
    let replicates = match &report.adaptive {
        None => tokenmaxx::output::table::count(report.runs.len() / cfg.arms.len(), "replicate"),
        Some(o) => format!(
            "adaptive replicates ({} runs, {} per arm; stopped: {})",
            report.runs.len(),
            o.per_arm.iter().map(u32::to_string).collect::<Vec<_>>().join("/"),
            o.stop.describe()
        ),
    };
    say!(
        "{}: {} x {replicates}, {} task decisions in {:.2} s on {} threads",
        report.scenario.raw.name,
        tokenmaxx::output::table::count(cfg.arms.len(), "arm"),
        report.decisions,
        report.wall_seconds,
        report.threads
    );
    let labels = tokenmaxx::scenario::labels::Labels::of(&report.scenario.raw, &[]);
    let names: Vec<String> = cfg.arms.iter().map(|&a| labels.policy(&cfg.policies[a].name)).collect();
    say_raw!("{}", tokenmaxx::output::summary_table(cfg, &report.summary, &names));
    say_raw!("{}", tokenmaxx::output::verdict_table(&names, &report.verdicts));
    say!("results in {}", report.out.display());
}

/// One input file's check: its kind and what it would do, or its error.
pub fn validated(outcome: &Result<Checked, JobError>) {
    match outcome {
        Ok(v) => {
            for w in &v.warnings {
                say_err!("warning: {}: {w}", v.path.display());
            }
            say!("{}: ok, {}: {}", v.path.display(), v.kind.describe(), v.summary);
        }
        Err(e) => say_err!("error: {e}"),
    }
}

/// A calibration's generation as it finishes.
pub fn generation(g: &tokenmaxx::calibrate::abc::Generation, secs: f64) {
    say_err!(
        "generation {}: epsilon {}, accepted {} of {} proposed ({:.1}%), ESS {:.0}, {:.1} s",
        g.index,
        if g.epsilon.is_finite() {
            format!("{:.4}", g.epsilon)
        } else {
            "none".into()
        },
        g.accepted,
        g.proposed,
        100.0 * g.acceptance(),
        g.ess,
        secs
    );
}

/// What a calibration (or one of its shards, or a gather) did.
pub fn calibrated(report: &Calibrated) {
    match report {
        Calibrated::Finished(r) => {
            use tokenmaxx::report::calibration::{stop_words, trust_warning};
            say_raw!(
                "{}",
                tokenmaxx::jobs::calibrate::table(&r.problem, &r.generations, &r.predictive)
            );
            let ess = r.generations.last().map_or(f64::NAN, |g| g.ess);
            if let Some(w) = trust_warning(r.problem.evidence.particles, ess) {
                say_err!("{w}");
            }
            say!(
                "{}; {} simulations in {:.1} s on {} threads\nresults in {}",
                stop_words(
                    &format!("{:?}", r.stop),
                    r.generations.len(),
                    r.problem.evidence.generations
                ),
                r.simulations,
                r.wall_seconds,
                r.threads,
                r.out.display()
            );
        }
        Calibrated::Shard {
            out,
            generation,
            proposals,
            seconds,
        } => say!(
            "shard: generation {generation}, proposals {}..{} simulated in {seconds:.1} s into {}",
            proposals.start,
            proposals.end,
            out.display()
        ),
        Calibrated::NothingToDo { out } => say!(
            "shard: sampling has stopped in {}: nothing to simulate; run --gather to finish",
            out.display()
        ),
        Calibrated::Pending {
            out,
            generation,
            accepted,
            proposed,
        } => say!(
            "gathered: generation {generation} has {accepted} particles from {proposed} proposals; run the next round of shards into {}",
            out.display()
        ),
        // The plan was printed as it was made.
        Calibrated::Planned => {}
    }
}

/// Prints what a sweep (or a `run --worlds`) did; for worlds, the robust
/// verdicts of its summary.md.
pub fn sweep_outcome(outcome: sweep_job::SweepOutcome, quiet: bool) {
    match outcome {
        sweep_job::SweepOutcome::DryRun(d) => say!(
            "{}: {} design, {} x {} x {} = {}{}\nestimated time: {:.0} s on {} threads ({:.3} s per run, {}); estimated disk: {:.1} MB in {}; estimated memory: {:.0} MB",
            d.spec.name,
            d.spec.design.name(),
            tokenmaxx::output::table::count(d.spec.points, "point"),
            tokenmaxx::output::table::count(d.spec.arms.len(), "arm"),
            tokenmaxx::output::table::count(d.spec.replicates, "replicate"),
            tokenmaxx::output::table::count(d.runs, "run"),
            if d.spec.auto.is_some() {
                " at most (replicates = \"auto\": each point stops when its verdicts are decided)"
            } else {
                ""
            },
            d.estimated_seconds,
            d.threads,
            d.seconds_per_run,
            d.rate.describe(),
            d.estimated_bytes as f64 / 1e6,
            d.out.display(),
            d.estimated_memory as f64 / 1e6
        ),
        sweep_job::SweepOutcome::AlreadyDone { out } => {
            if !quiet {
                say!("{}: already finished, nothing to do", out.display());
            }
        }
        sweep_job::SweepOutcome::Done(r) => {
            if !quiet {
                let resumed = if r.resumed_at_point > 0 {
                    format!(" (resumed at point {})", r.resumed_at_point)
                } else {
                    String::new()
                };
                say!(
                    "{}: {} ({} x {} x {}) in {:.2} s on {} threads{resumed}\nresults in {}",
                    r.spec.name,
                    tokenmaxx::output::table::count(r.runs, "run"),
                    tokenmaxx::output::table::count(r.spec.points, "point"),
                    tokenmaxx::output::table::count(r.spec.arms.len(), "arm"),
                    tokenmaxx::output::table::count(r.spec.replicates, "replicate"),
                    r.wall_seconds,
                    r.threads,
                    r.out.display()
                );
                if let Some(robust) = &r.robust {
                    say_raw!("{}\n\n\n{}\n", robust.origin, robust.table);
                }
            }
        }
    }
}

/// One generation of a policy search (stderr): progress, archive,
/// hypervolume and an ETA.
pub fn optimize_generation(p: &tokenmaxx::jobs::optimize::Progress) {
    let r = &p.record;
    let done = r.evaluations as f64 / p.budget as f64;
    let eta = if p.replayed || done <= 0.0 {
        String::new()
    } else {
        format!(", ETA {:.0} s", p.elapsed * (1.0 - done) / done)
    };
    say_err!(
        "generation {} ({}{}): {}/{} evaluations, archive {}, hypervolume {:.4}, {:.1} s{eta}",
        r.generation,
        match r.kind {
            tokenmaxx::optimize::Kind::Initial => "initial",
            tokenmaxx::optimize::Kind::Offspring => "offspring",
            tokenmaxx::optimize::Kind::Restart => "restart",
        },
        if p.replayed { ", replayed" } else { "" },
        r.evaluations,
        p.budget,
        r.archive,
        p.hypervolume,
        p.elapsed
    );
}

/// What a policy search (or one of its shards, or a gather) did.
pub fn optimize_outcome(result: &tokenmaxx::jobs::optimize::Optimized) {
    use tokenmaxx::jobs::optimize::Optimized;
    match result {
        Optimized::Finished(r) => optimized(r),
        Optimized::Shard {
            out,
            generation,
            units,
            total,
            seconds,
        } => say!(
            "shard: generation {generation}, candidate-worlds {}..{} of {total} evaluated in {seconds:.1} s into {}",
            units.start,
            units.end,
            out.display()
        ),
        Optimized::NothingToDo { out } => say!(
            "shard: the search in {} has spent its budget: nothing to evaluate; run --gather to finish",
            out.display()
        ),
        Optimized::Pending {
            out,
            generation,
            missing,
            total,
        } => say!(
            "gathered: generation {generation} awaits {missing} of its {total} candidate-worlds; run the next round of shards into {}",
            out.display()
        ),
        // The plan was printed as it was made.
        Optimized::Planned(_) => {}
    }
}

/// A finished policy search: its summary and where its files are.
fn optimized(r: &tokenmaxx::jobs::optimize::OptimizeReport) {
    say_raw!("{}", r.summary);
    say!(
        "{} evaluations in {:.1} s on {} threads\nresults in {}",
        r.evaluations,
        r.wall_seconds,
        r.threads,
        r.out.display()
    );
}

/// What `compare` found, in words, and where it wrote it.
pub fn compared(c: &tokenmaxx::jobs::compare::Compared) {
    for f in &c.findings {
        say!("{}", f.replace("**", ""));
    }
    for (side, only) in [("A", &c.only_in_a), ("B", &c.only_in_b)] {
        if !only.is_empty() {
            say!("only in {side}: {}", only.join(", "));
        }
    }
    let keys = match c.differing_keys {
        1 => "1 key differs".to_string(),
        n => format!("{n} keys differ"),
    };
    say!("{keys} in the scenarios or study settings (differences.csv)");
    say!("results in {}", c.out.display());
}

/// `text` as the terminal may show it: C0 and C1 control characters (but
/// newline and tab), DEL and bidirectional overrides are written as
/// `\u{..}` escapes, so no input can move the cursor, recolour or clear
/// the screen, or reorder what is shown.
pub fn terminal(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                if unsafe_char(c) {
                    format!("\\u{{{:x}}}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::terminal;

    #[test]
    fn the_terminal_never_gets_a_raw_control_character() {
        assert_eq!(terminal("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(terminal("key `\u{1b}[31mred`"), "key `\\u{1b}[31mred`");
        assert_eq!(terminal("a\u{7f}b\u{9b}c\rd"), "a\\u{7f}b\\u{9b}c\\u{d}d");
        assert_eq!(terminal("x\u{202e}y"), "x\\u{202e}y");
    }
}
