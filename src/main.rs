//! The tokenmaxx command line: parse arguments, call the library, report.

use anyhow::Result;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use tokenmaxx::job::{self, RunOptions};

#[derive(Parser)]
#[command(
    name = "tokenmaxx",
    version,
    about = "Agent-based simulation of the tokenmaxxing feedback loop"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every policy arm of a scenario with N replicates and write the results.
    Run {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Output directory [default: output/<scenario name>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replicates per arm [default: the scenario's `replicates`].
        #[arg(long)]
        replicates: Option<u32>,
        /// Master seed [default: the scenario's `seed`].
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads [default: all cores]. Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Override a scenario value, e.g. --set policies.usage_leaderboard.token_reward_usd_per_mtok=20
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check scenario files without running them.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Override a value before checking, as for `run`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Redraw the charts of a results directory from its CSV files alone.
    Plot {
        /// A directory written by `tokenmaxx run`.
        results: PathBuf,
        /// Where to write `charts/` [default: RESULTS].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Chart format.
        #[arg(long, value_enum, default_value = "both")]
        format: FormatArg,
    },
    /// Print the built-in defaults every scenario is laid over.
    Defaults,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Svg,
    Png,
    Both,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = dispatch(cli) {
        // Every error message already includes its cause.
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run {
            scenario,
            out,
            replicates,
            seed,
            threads,
            set,
            quiet,
        } => {
            let opts = RunOptions {
                scenario,
                out,
                replicates,
                seed,
                threads,
                overrides: set,
            };
            let bar = if !quiet && std::io::stderr().is_terminal() {
                ProgressBar::new(0)
            } else {
                ProgressBar::hidden()
            };
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {elapsed} elapsed, ETA {eta}")
                    .expect("valid template"),
            );
            let report = job::run(&opts, &|| bar.inc(1), &|n| bar.set_length(n as u64))?;
            bar.finish_and_clear();
            if !quiet {
                let cfg = &report.scenario.config;
                println!(
                    "{}: {} arms x {} replicates, {} task decisions in {:.2} s on {} threads",
                    report.scenario.raw.name,
                    cfg.arms.len(),
                    report.runs.len() / cfg.arms.len(),
                    report.decisions,
                    report.wall_seconds,
                    report.threads
                );
                print!("{}", tokenmaxx::output::summary_table(cfg, &report.summary));
                println!("results in {}", report.out.display());
            }
        }
        Command::Validate { files, set } => {
            let overrides = job::parse_overrides(&set)?;
            let mut failed = 0;
            for f in &files {
                match tokenmaxx::scenario::load(f, &overrides) {
                    Ok(s) => println!(
                        "{}: ok ({} arms, {} enterprises, {} employees, {} weeks)",
                        f.display(),
                        s.config.arms.len(),
                        s.config.enterprises.len(),
                        s.config.enterprises.iter().map(|e| e.employees as u64).sum::<u64>(),
                        s.config.weeks
                    ),
                    Err(e) => {
                        eprintln!("error: {e}");
                        failed += 1;
                    }
                }
            }
            if failed > 0 {
                anyhow::bail!("{failed} of {} scenario files are invalid", files.len());
            }
        }
        Command::Plot { results, out, format } => {
            let format = match format {
                FormatArg::Svg => tokenmaxx::plot::Format::Svg,
                FormatArg::Png => tokenmaxx::plot::Format::Png,
                FormatArg::Both => tokenmaxx::plot::Format::Both,
            };
            let written = job::plot(&results, out.as_deref(), format)?;
            let dir = out.unwrap_or(results);
            println!("{} chart files in {}", written.len(), dir.join("charts").display());
        }
        Command::Defaults => print!("{}", tokenmaxx::scenario::DEFAULTS_TOML),
    }
    Ok(())
}
