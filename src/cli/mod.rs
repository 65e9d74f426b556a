//! The command line: [`args`] parses the flags, [`run`] runs the command
//! with its charts in the look asked for, [`print`] writes what a command
//! tells its user, [`progress`] draws progress bars.

/// `println!` for the terminal: control characters and bidirectional
/// overrides from any input (a path, a key, a name) are shown escaped,
/// never sent raw.
macro_rules! say {
    () => { println!() };
    ($($t:tt)*) => { println!("{}", $crate::cli::print::terminal(&format!($($t)*))) };
}

/// `eprintln!` for the terminal (see [`say!`]).
macro_rules! say_err {
    ($($t:tt)*) => { eprintln!("{}", $crate::cli::print::terminal(&format!($($t)*))) };
}

/// `print!` for the terminal (see [`say!`]).
macro_rules! say_raw {
    ($($t:tt)*) => { print!("{}", $crate::cli::print::terminal(&format!($($t)*))) };
}

pub mod args;
pub mod print;
pub mod progress;

use anyhow::Result;
use args::{AllowLarge, Cli, Command, Force, FormatArg, Overrides, Quiet, ReportFormatArg, Threads};
use tokenmaxx::jobs::run::{self as job, RunOptions};
use tokenmaxx::jobs::sweep as sweep_job;

/// Runs the command; each job resolves its charts' look (the look flags
/// over the `[presentation]` of its scenario, sweep or results folder).
pub fn run(cli: Cli) -> Result<()> {
    let quiet = match &cli.command {
        Command::Run { quiet, .. }
        | Command::Sweep { quiet, .. }
        | Command::Calibrate { quiet, .. }
        | Command::Optimize { quiet, .. } => quiet.quiet,
        _ => false,
    };
    let outcome = command(cli);
    // A report removed with the result it reported is said, even when the
    // command then failed (the folder has lost it either way).
    if !quiet {
        for notice in tokenmaxx::jobs::folder::take_notices() {
            eprintln!("note: {notice}");
        }
    }
    outcome
}

fn command(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run {
            scenario,
            out,
            replicates,
            seed,
            threads: Threads { threads },
            set: Overrides { set },
            quiet: Quiet { quiet },
            allow_large: AllowLarge { allow_large },
            force: Force { force },
            worlds,
            from,
            vary,
            resume,
            look,
        } => {
            let look = look.asked()?;
            if let Some(n) = worlds {
                let (replicates, auto_replicates) = match replicates {
                    None => (None, false),
                    Some(tokenmaxx::jobs::run::ReplicatesArg::Count(r)) => (Some(r), false),
                    Some(tokenmaxx::jobs::run::ReplicatesArg::Auto) => (None, true),
                };
                let (path, source) =
                    tokenmaxx::scenario::worlds::sweep_source(&tokenmaxx::scenario::worlds::WorldsRequest {
                        scenario,
                        worlds: n,
                        from,
                        vary,
                        replicates,
                        auto_replicates,
                        seed,
                        set: set.clone(),
                    })?;
                let opts = sweep_job::SweepOptions {
                    sweep: path,
                    out,
                    threads,
                    resume,
                    dry_run: false,
                    shard: None,
                    allow_large,
                    force,
                    amend: tokenmaxx::scenario::sweep::Amendments {
                        set,
                        points: None,
                        replicates: None,
                        auto_replicates: false,
                    },
                    source: Some(source),
                    cancel: None,
                    look,
                };
                let reporter = progress::Reporter::new("worlds", quiet);
                let progress = |done: usize, total: usize| reporter.update(done, total);
                let outcome = sweep_job::run(&opts, &progress)?;
                reporter.finish();
                print::sweep_outcome(outcome, quiet);
                return Ok(());
            }
            let opts = RunOptions {
                scenario,
                out,
                replicates,
                seed,
                threads,
                overrides: set,
                allow_large,
                force,
                cancel: None,
                look,
            };
            let reporter = progress::Reporter::new("run", quiet);
            let report = job::run(&opts, &|| reporter.inc(), &|n, warnings| {
                for w in warnings {
                    say_err!("warning: {w}");
                }
                reporter.start(n)
            })?;
            reporter.finish();
            if !quiet {
                print::run_report(&report);
            }
        }
        Command::Sweep {
            sweep,
            out,
            threads: Threads { threads },
            resume,
            dry_run,
            shard,
            shard_count,
            quiet: Quiet { quiet },
            allow_large: AllowLarge { allow_large },
            force: Force { force },
            set: Overrides { set },
            points,
            replicates,
            look,
        } => {
            let look = look.asked()?;
            use tokenmaxx::jobs::run::ReplicatesArg;
            if points == Some(0) || replicates == Some(ReplicatesArg::Count(0)) {
                anyhow::bail!("--points and --replicates must be at least 1");
            }
            let (replicates, auto_replicates) = match replicates {
                None => (None, false),
                Some(ReplicatesArg::Count(n)) => (Some(n), false),
                Some(ReplicatesArg::Auto) => (None, true),
            };
            let shard = match shard {
                Some(text) => Some(sweep_job::parse_shard(&text, shard_count, &|k| std::env::var(k).ok())?),
                None => None,
            };
            let opts = sweep_job::SweepOptions {
                sweep,
                out,
                threads,
                resume,
                dry_run,
                shard,
                allow_large,
                force,
                amend: tokenmaxx::scenario::sweep::Amendments {
                    set,
                    points,
                    replicates,
                    auto_replicates,
                },
                source: None,
                cancel: None,
                look,
            };
            let reporter = progress::Reporter::new("sweep", quiet);
            let progress = |done: usize, total: usize| reporter.update(done, total);
            let outcome = sweep_job::run(&opts, &progress)?;
            reporter.finish();
            print::sweep_outcome(outcome, quiet);
        }
        Command::Merge {
            shards,
            out,
            force: Force { force },
        } => {
            let r = sweep_job::merge(&shards, &out, force)?;
            say!(
                "{}: merged {} shards, {} runs, into {}",
                r.spec.name,
                shards.len(),
                r.runs,
                r.out.display()
            );
        }
        Command::Validate {
            files,
            set: Overrides { set },
            allow_large: AllowLarge { allow_large },
        } => {
            let outcomes = tokenmaxx::jobs::validate::validate(&files, &set, allow_large)?;
            for outcome in &outcomes {
                print::validated(outcome);
            }
            let failed = outcomes.iter().filter(|o| o.is_err()).count();
            if failed > 0 {
                let verb = if failed == 1 { "is" } else { "are" };
                anyhow::bail!(
                    "{failed} of {} {verb} invalid",
                    tokenmaxx::output::table::count(files.len(), "file")
                );
            }
        }
        Command::Plot {
            results,
            out,
            format,
            look,
        } => {
            let format = match format {
                FormatArg::Svg => tokenmaxx::plot::Format::Svg,
                FormatArg::Png => tokenmaxx::plot::Format::Png,
                FormatArg::Both => tokenmaxx::plot::Format::Both,
            };
            let written = tokenmaxx::jobs::plot::plot(&results, out.as_deref(), format, &look.asked()?)?;
            let dir = out.unwrap_or(results);
            say!("{} chart files in {}", written.len(), dir.join("charts").display());
        }
        Command::Report {
            results,
            out,
            format,
            look,
        } => {
            let format = match format {
                ReportFormatArg::Html => tokenmaxx::jobs::report::ReportFormat::Html,
                ReportFormatArg::Md => tokenmaxx::jobs::report::ReportFormat::Markdown,
                ReportFormatArg::Pptx => tokenmaxx::jobs::report::ReportFormat::Pptx,
            };
            let written = tokenmaxx::jobs::report::report(&results, out.as_deref(), format, &look.asked()?)?;
            if let Some(report) = written.last() {
                say!("report in {}", report.display());
            }
        }
        Command::Optimize {
            file,
            out,
            threads: Threads { threads },
            resume,
            dry_run,
            set: Overrides { set },
            evaluations,
            worlds,
            population,
            warm_start,
            shard,
            shard_count,
            gather,
            quiet: Quiet { quiet },
            force: Force { force },
            allow_large: AllowLarge { allow_large },
        } => {
            use tokenmaxx::jobs::optimize::{OptimizeOptions, optimize};
            let shard = match shard {
                Some(text) => Some(sweep_job::parse_shard(&text, shard_count, &|k| std::env::var(k).ok())?),
                None => None,
            };
            let opts = OptimizeOptions {
                shard,
                gather,
                file,
                out,
                threads,
                resume,
                force,
                dry_run,
                allow_large,
                amend: tokenmaxx::scenario::optimize::Amendments {
                    set,
                    evaluations,
                    worlds,
                    population,
                },
                warm_start,
            };
            let result = optimize(
                &opts,
                &|plan| {
                    if !quiet || dry_run {
                        say_err!("{plan}");
                    }
                },
                &|p| {
                    if !quiet {
                        print::optimize_generation(p);
                    }
                },
            )?;
            if !quiet {
                print::optimize_outcome(&result);
            }
        }
        Command::Calibrate {
            evidence,
            out,
            particles,
            generations,
            threads: Threads { threads },
            dry_run,
            resume,
            shard,
            shard_count,
            gather,
            quiet: Quiet { quiet },
            force: Force { force },
        } => {
            let shard = match shard {
                Some(text) => Some(sweep_job::parse_shard(&text, shard_count, &|k| std::env::var(k).ok())?),
                None => None,
            };
            let opts = tokenmaxx::jobs::calibrate::CalibrateOptions {
                shard,
                gather,
                evidence,
                out,
                particles,
                generations,
                threads,
                dry_run,
                force,
                resume,
                cancel: None,
            };
            let report = tokenmaxx::jobs::calibrate::calibrate(
                &opts,
                &|plan| {
                    if !quiet || dry_run {
                        say_err!("{plan}");
                    }
                },
                &|g, secs| {
                    if !quiet {
                        print::generation(g, secs);
                    }
                },
            )?;
            if !quiet {
                print::calibrated(&report);
            }
        }
        Command::Discover {
            results,
            policy,
            against,
            metric,
            threshold,
            cases,
            peel_alpha,
            box_index,
            bootstrap,
        } => {
            let d = tokenmaxx::jobs::discover::discover(&tokenmaxx::jobs::discover::DiscoverOptions {
                results,
                policy,
                against,
                metric,
                threshold,
                cases,
                peel_alpha,
                box_index,
                bootstrap,
            })?;
            say!("{}.", d.sentence);
            say!("results in {}", d.out.display());
        }
        Command::Compare {
            a,
            b,
            out,
            force: Force { force },
            quiet: Quiet { quiet },
        } => {
            let c = tokenmaxx::jobs::compare::compare(&tokenmaxx::jobs::compare::CompareOptions { a, b, out, force })?;
            if !quiet {
                print::compared(&c);
            }
        }
        Command::Defaults { toml: true } => say_raw!("{}", tokenmaxx::scenario::DEFAULTS_TOML),
        Command::Defaults { toml: false } => say_raw!("{}", tokenmaxx::output::table::defaults()),
        Command::Columns { csv } => {
            let dictionary = tokenmaxx::output::columns::dictionary();
            if csv {
                let bytes = tokenmaxx::output::columns::to_csv(&dictionary);
                say_raw!("{}", String::from_utf8_lossy(&bytes));
            } else {
                say_raw!("{}", tokenmaxx::output::columns::text(&dictionary));
            }
        }
    }
    Ok(())
}
