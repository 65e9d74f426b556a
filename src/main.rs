//! The tokenmaxx command line: parse arguments, call the library, report.

use anyhow::Result;
use clap::{Parser, Subcommand};
mod progress;

use std::path::PathBuf;
use tokenmaxx::jobs::run::{self as job, RunOptions};
use tokenmaxx::jobs::sweep as sweep_job;
use tokenmaxx::scenario::Presentation;

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
        #[command(flatten)]
        look: LookArgs,
        /// Output directory [default: output/<scenario name>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replicates per arm, or `auto`: as many as the verdicts need (the scenario's `[auto_replicates]`
        /// rule: OCBA batches until every verdict against the first arm is decided) [default: the
        /// scenario's `replicates`].
        #[arg(long, value_name = "N|auto")]
        replicates: Option<job::ReplicatesArg>,
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
        /// Go on past the size limits (memory beyond half the machine's, threads beyond 4 per core).
        #[arg(long)]
        allow_large: bool,
        /// Write even into a folder that holds another result: its files (charts included) are removed first.
        #[arg(long)]
        force: bool,
        /// Run every arm in N plausible worlds (parameter draws), with robust verdicts across them.
        #[arg(long, value_name = "N")]
        worlds: Option<u32>,
        /// Where worlds come from: `prior` (the priors of defaults.toml) or a calibration's posterior.csv (its
        /// parameters drawn together from it, every other from its prior).
        #[arg(
            long,
            value_name = "prior|POSTERIOR.csv",
            requires = "worlds",
            default_value = "prior"
        )]
        from: String,
        /// A parameter to vary across worlds, drawn from its prior (repeat the flag) [default: every
        /// parameter with a prior that the scenario and --set leave at its default, and, with a
        /// posterior, that is not one of its columns].
        #[arg(long, value_name = "KEY", requires = "worlds")]
        vary: Vec<String>,
        /// Finish an interrupted --worlds run in the output directory.
        #[arg(long, requires = "worlds")]
        resume: bool,
    },
    /// Run a parameter sweep: every point of a design, every arm, N replicates.
    Sweep {
        /// Sweep file (TOML).
        sweep: PathBuf,
        #[command(flatten)]
        look: LookArgs,
        /// Output directory [default: output/sweeps/<sweep name>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads [default: all cores]. Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Finish an interrupted sweep in the output directory.
        #[arg(long)]
        resume: bool,
        /// Print the number of points, arms and runs, and estimates of time and disk; run nothing.
        #[arg(long)]
        dry_run: bool,
        /// Run one shard: I/N (0-based), or `auto` from SLURM_ARRAY_TASK_ID / JOB_COMPLETION_INDEX.
        /// Files go to OUT/shard-I-of-N/; join shards with `tokenmaxx merge`.
        #[arg(long)]
        shard: Option<String>,
        /// Shard count for `--shard auto` when the environment does not give it.
        #[arg(long)]
        shard_count: Option<usize>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Go on past the size limits (threads beyond 4 per core).
        #[arg(long)]
        allow_large: bool,
        /// Start even in a folder that holds another result or an interrupted sweep: its files are removed first.
        #[arg(long)]
        force: bool,
        /// Override a value of the base scenario at every point, as for `run` (not a swept key).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Points of the design instead of the file's `points` (trajectories for Morris, base rows for Saltelli; not for a grid).
        #[arg(long)]
        points: Option<u32>,
        /// Replicates per arm and point instead of the file's.
        #[arg(long)]
        replicates: Option<u32>,
    },
    /// Merge the shards of one sweep into the files a single-machine sweep writes.
    Merge {
        /// Shard directories (any order).
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Write even into a folder that holds another result: its files (charts included) are removed first.
        #[arg(long)]
        force: bool,
    },
    /// Check scenario files without running them, with estimates of a run's memory and time.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Override a value before checking, as for `run`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Accept sizes past the limits, as for `run`.
        #[arg(long)]
        allow_large: bool,
    },
    /// Redraw the charts of a results directory from its CSV files alone.
    Plot {
        /// A directory written by `tokenmaxx run`.
        results: PathBuf,
        #[command(flatten)]
        look: LookArgs,
        /// Where to write `charts/` [default: RESULTS].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Chart format.
        #[arg(long, value_enum, default_value = "both")]
        format: FormatArg,
    },
    /// Write a results folder as one report: findings with CIs, tables, every chart with a caption, methods, provenance.
    Report {
        /// A directory written by `run`, `sweep` (its discovery included) or `calibrate`.
        results: PathBuf,
        /// With any of these flags, the report's charts are redrawn in that look (the folder's own
        /// charts are left as they are); without, it embeds the folder's charts.
        #[command(flatten)]
        look: LookArgs,
        /// The report's file [default: RESULTS/report.html, or report.md with --format md].
        #[arg(long)]
        out: Option<PathBuf>,
        /// `html`: one self-contained page, charts inline, opens offline; `md`: Markdown with the charts beside it.
        #[arg(long, value_enum, default_value = "html")]
        format: ReportFormatArg,
    },
    /// Fit uncertain parameters to evidence with ABC-SMC and check the fit on held-out facts.
    Calibrate {
        /// Evidence file (TOML): base scenario, priors, targets.
        evidence: PathBuf,
        /// Output directory [default: output/calibrate/<name>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Particles per generation [default: the evidence file's].
        #[arg(long)]
        particles: Option<usize>,
        /// Most generations [default: the evidence file's].
        #[arg(long)]
        generations: Option<usize>,
        /// Worker threads [default: all cores]. Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Check the evidence file and print the plan; run nothing.
        #[arg(long)]
        dry_run: bool,
        /// Finish an interrupted calibration in --out from its last finished generation.
        #[arg(long)]
        resume: bool,
        /// Simulate one shard of the next batch: I/N (0-based), or `auto` from SLURM_ARRAY_TASK_ID.
        /// Needs a calibration in progress in --out (`--gather` starts one); see scripts/slurm/calibrate.sh.
        #[arg(long, conflicts_with_all = ["resume", "gather", "force"])]
        shard: Option<String>,
        /// Shard count for `--shard auto` when the environment does not give it.
        #[arg(long, requires = "shard")]
        shard_count: Option<usize>,
        /// Absorb the shards' work into --out (starting a calibration there if it is empty), and
        /// finish the calibration when sampling has stopped.
        #[arg(long, conflicts_with_all = ["resume", "force"])]
        gather: bool,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Write even into a folder that holds another result: its files are removed first.
        #[arg(long)]
        force: bool,
    },
    /// Search for the best incentive policy over plausible worlds (ε-NSGA-II over policy levers,
    /// robustness measures as objectives), with out-of-sample validation against the presets.
    Optimize {
        /// Optimization file (TOML): base scenario, [optimize], [[lever]], [[objective]], [[constraint]].
        file: PathBuf,
        /// Output directory [default: output/optimize/<name>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads [default: all cores]. Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Finish an interrupted search in --out: replays its saved evaluations, then goes on.
        #[arg(long)]
        resume: bool,
        /// Check the file and print the plan; run nothing.
        #[arg(long)]
        dry_run: bool,
        /// Override a base-scenario value (KEY=VALUE, repeatable); part of the study's identity.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Evaluation budget [default: the file's].
        #[arg(long)]
        evaluations: Option<u64>,
        /// Worlds per evaluation [default: the file's].
        #[arg(long)]
        worlds: Option<u32>,
        /// Population size [default: the file's].
        #[arg(long)]
        population: Option<u64>,
        /// A front.csv (of an earlier search with the same levers) whose candidates lead the first population.
        #[arg(long)]
        warm_start: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Write even into a folder that holds another result: its files are removed first.
        #[arg(long)]
        force: bool,
        /// Go on past the size limits.
        #[arg(long)]
        allow_large: bool,
    },
    /// Scenario discovery (PRIM): where, in the varied parameters of a `run --worlds` or a sweep,
    /// a policy wins. Writes RESULTS/discovery/.
    Discover {
        /// A results folder of `run --worlds` or `sweep`.
        results: PathBuf,
        /// The policy whose wins are looked for.
        #[arg(long)]
        policy: String,
        /// Compare with this policy: a case of interest is a point where the policy beats it.
        #[arg(long)]
        against: Option<String>,
        /// `net_value` (value - spend) or any column of runs.csv.
        #[arg(long, default_value = "net_value")]
        metric: String,
        /// A case of interest: the policy's metric (minus the other's, with --against) above this.
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        threshold: f64,
        /// Share of the box's points each peeling step removes.
        #[arg(long, default_value_t = 0.05)]
        peel_alpha: f64,
        /// Report step K of the trajectory instead of the chosen box.
        #[arg(long = "box", value_name = "K")]
        box_index: Option<usize>,
        /// Bootstrap resamples for the box's stability.
        #[arg(long, default_value_t = tokenmaxx::jobs::discover::BOOTSTRAP)]
        bootstrap: usize,
    },
    /// Print every built-in default with its plausible range and source.
    Defaults {
        /// Print the defaults file itself (TOML) instead.
        #[arg(long)]
        toml: bool,
    },
}

/// How charts look (run, sweep, plot, report). Each flag overrides the
/// scenario's (or sweep's, or results folder's) `[presentation]` table.
#[derive(clap::Args, Debug, Clone)]
struct LookArgs {
    /// Chart colours: light (slides, screens), dark (dark slide templates) or print (paper) [default: light].
    #[arg(long, value_enum)]
    theme: Option<ThemeArg>,
    /// Chart shape: 16:9, 4:3 or 1:1 [default: 16:9].
    #[arg(long, value_parser = ["16:9", "4:3", "1:1"])]
    aspect: Option<String>,
    /// PNG width in pixels, also the SVG's nominal width (480 to 7680) [default: 1920]. Charts are laid out at 1920 and scaled.
    #[arg(long)]
    width: Option<u32>,
    /// Multiplies every text size in the charts (0.5 to 2.5) [default: 1].
    #[arg(long)]
    font_scale: Option<f64>,
    /// SVG text: `text` (DejaVu Sans, width pinned, editable) or `paths` (outlines: identical in every
    /// viewer, PowerPoint and Keynote included) [default: text].
    #[arg(long, value_enum)]
    svg_text: Option<SvgTextArg>,
    /// Return-and-spend charts for the N swept parameters that move net value most (ranked by
    /// |Spearman rank correlation|), or `all` [default: 6].
    #[arg(long, value_name = "N|all")]
    charts: Option<tokenmaxx::plot::ParameterCharts>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ThemeArg {
    Light,
    Dark,
    Print,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum SvgTextArg {
    Text,
    Paths,
}

impl LookArgs {
    /// The flags given, as a presentation (checked).
    fn presentation(&self) -> Result<Presentation> {
        use tokenmaxx::scenario::presentation::{AspectName, SvgTextName, ThemeName};
        let p = Presentation {
            theme: self.theme.map(|t| match t {
                ThemeArg::Light => ThemeName::Light,
                ThemeArg::Dark => ThemeName::Dark,
                ThemeArg::Print => ThemeName::Print,
            }),
            aspect: self.aspect.as_deref().map(|a| match a {
                "4:3" => AspectName::Standard,
                "1:1" => AspectName::Square,
                _ => AspectName::Wide,
            }),
            width: self.width,
            font_scale: self.font_scale,
            svg_text: self.svg_text.map(|t| match t {
                SvgTextArg::Text => SvgTextName::Text,
                SvgTextArg::Paths => SvgTextName::Paths,
            }),
        };
        p.check()
            .map_err(|(key, message)| anyhow::anyhow!("--{} {message}", key.replace('_', "-")))?;
        Ok(p)
    }

    /// Whether any flag was given.
    fn given(&self) -> bool {
        self.theme.is_some()
            || self.aspect.is_some()
            || self.width.is_some()
            || self.font_scale.is_some()
            || self.svg_text.is_some()
            || self.charts.is_some()
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormatArg {
    Html,
    Md,
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

/// Runs the command with its charts drawn in the look asked for: the
/// flags over the `[presentation]` of the scenario, sweep or results folder.
fn dispatch(cli: Cli) -> Result<()> {
    let asked = match &cli.command {
        Command::Run { look, scenario, .. } => {
            let file = match tokenmaxx::scenario::read_input(scenario) {
                Ok(text) => tokenmaxx::scenario::presentation_of(&text, &scenario.display().to_string())?,
                Err(_) => None, // the run names the unreadable file
            };
            file.unwrap_or_default().overridden_by(&look.presentation()?)
        }
        Command::Sweep { look, sweep, .. } => {
            let file = tokenmaxx::scenario::sweep::presentation_for_file(sweep)?;
            file.unwrap_or_default().overridden_by(&look.presentation()?)
        }
        Command::Plot { look, results, .. } | Command::Report { look, results, .. } => {
            let folder = tokenmaxx::jobs::plot::manifest_presentation(results)?;
            folder.unwrap_or_default().overridden_by(&look.presentation()?)
        }
        _ => Presentation::default(),
    };
    let look = tokenmaxx::plot::Look::from_presentation(&asked);
    let charts = match &cli.command {
        Command::Run { look, .. }
        | Command::Sweep { look, .. }
        | Command::Plot { look, .. }
        | Command::Report { look, .. } => look.charts,
        _ => None,
    }
    .unwrap_or(tokenmaxx::plot::DEFAULT_PARAMETER_CHARTS);
    tokenmaxx::plot::with_look(look, || {
        tokenmaxx::plot::with_parameter_charts(charts, || dispatch_command(cli))
    })
}

fn dispatch_command(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run {
            scenario,
            out,
            replicates,
            seed,
            threads,
            set,
            quiet,
            allow_large,
            force,
            worlds,
            from,
            vary,
            resume,
            ..
        } => {
            if let Some(n) = worlds {
                let replicates = match replicates {
                    None => None,
                    Some(job::ReplicatesArg::Count(r)) => Some(r),
                    Some(job::ReplicatesArg::Auto) => anyhow::bail!(
                        "--replicates auto applies to `run` without --worlds (not yet per world): give --replicates N"
                    ),
                };
                let (path, source) =
                    tokenmaxx::scenario::worlds::sweep_source(&tokenmaxx::scenario::worlds::WorldsRequest {
                        scenario,
                        worlds: n,
                        from,
                        vary,
                        replicates,
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
                    },
                    source: Some(source),
                };
                let reporter = progress::Reporter::new("worlds", quiet);
                let progress = |done: usize, total: usize| reporter.update(done, total);
                let outcome = sweep_job::run(&opts, &progress)?;
                reporter.finish();
                print_sweep_outcome(outcome, quiet);
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
            };
            let reporter = progress::Reporter::new("run", quiet);
            let report = job::run(&opts, &|| reporter.inc(), &|n, warnings| {
                for w in warnings {
                    eprintln!("warning: {w}");
                }
                reporter.start(n)
            })?;
            reporter.finish();
            if !quiet {
                let cfg = &report.scenario.config;
                let replicates = match &report.adaptive {
                    None => format!("{} replicates", report.runs.len() / cfg.arms.len()),
                    Some(o) => format!(
                        "adaptive replicates ({} runs, {} per arm; stopped: {})",
                        report.runs.len(),
                        o.per_arm.iter().map(u32::to_string).collect::<Vec<_>>().join("/"),
                        o.stop.describe()
                    ),
                };
                println!(
                    "{}: {} arms x {replicates}, {} task decisions in {:.2} s on {} threads",
                    report.scenario.raw.name,
                    cfg.arms.len(),
                    report.decisions,
                    report.wall_seconds,
                    report.threads
                );
                let labels = tokenmaxx::scenario::labels::Labels::of(&report.scenario.raw, &[]);
                let names: Vec<String> = cfg.arms.iter().map(|&a| labels.policy(&cfg.policies[a].name)).collect();
                print!("{}", tokenmaxx::output::summary_table(cfg, &report.summary, &names));
                print!("{}", tokenmaxx::output::verdict_table(&names, &report.verdicts));
                println!("results in {}", report.out.display());
            }
        }
        Command::Sweep {
            sweep,
            out,
            threads,
            resume,
            dry_run,
            shard,
            shard_count,
            quiet,
            allow_large,
            force,
            set,
            points,
            replicates,
            ..
        } => {
            if points == Some(0) || replicates == Some(0) {
                anyhow::bail!("--points and --replicates must be at least 1");
            }
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
                },
                source: None,
            };
            let reporter = progress::Reporter::new("sweep", quiet);
            let progress = |done: usize, total: usize| reporter.update(done, total);
            let outcome = sweep_job::run(&opts, &progress)?;
            reporter.finish();
            print_sweep_outcome(outcome, quiet);
        }
        Command::Merge { shards, out, force } => {
            let r = sweep_job::merge(&shards, &out, force)?;
            println!(
                "{}: merged {} shards, {} runs, into {}",
                r.spec.name,
                shards.len(),
                r.runs,
                r.out.display()
            );
        }
        Command::Validate {
            files,
            set,
            allow_large,
        } => {
            let overrides = job::parse_overrides(&set)?;
            let mut failed = 0;
            for f in &files {
                let checked = tokenmaxx::scenario::load(f, &overrides)
                    .map_err(tokenmaxx::jobs::JobError::from)
                    .and_then(|s| {
                        let threads = job::default_threads();
                        let estimate = tokenmaxx::jobs::limits::check_run(
                            f,
                            &s.config,
                            u64::from(match tokenmaxx::scenario::replicates(&s.raw) {
                                tokenmaxx::experiment::adaptive::Replicates::Fixed(n) => n,
                                tokenmaxx::experiment::adaptive::Replicates::Auto(r) => r.max,
                            }),
                            threads,
                            allow_large,
                        )?;
                        Ok((s, estimate))
                    });
                match checked {
                    Ok((s, estimate)) => {
                        for w in tokenmaxx::scenario::override_warnings(&s.config, &overrides) {
                            eprintln!("warning: {}: {w}", f.display());
                        }
                        println!(
                            "{}: ok ({} arms, {} enterprises, {} employees, {} weeks); a run: {}",
                            f.display(),
                            s.config.arms.len(),
                            s.config.enterprises.len(),
                            s.config.enterprises.iter().map(|e| e.employees as u64).sum::<u64>(),
                            s.config.weeks,
                            estimate.describe()
                        );
                    }
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
        Command::Plot {
            results, out, format, ..
        } => {
            let format = match format {
                FormatArg::Svg => tokenmaxx::plot::Format::Svg,
                FormatArg::Png => tokenmaxx::plot::Format::Png,
                FormatArg::Both => tokenmaxx::plot::Format::Both,
            };
            let written = tokenmaxx::jobs::plot::plot(&results, out.as_deref(), format)?;
            let dir = out.unwrap_or(results);
            println!("{} chart files in {}", written.len(), dir.join("charts").display());
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
            };
            let written = tokenmaxx::jobs::report::report(&results, out.as_deref(), format, look.given())?;
            if let Some(report) = written.last() {
                println!("report in {}", report.display());
            }
        }
        Command::Calibrate {
            evidence,
            out,
            particles,
            generations,
            threads,
            dry_run,
            resume,
            shard,
            shard_count,
            gather,
            quiet,
            force,
        } => {
            use tokenmaxx::jobs::calibrate::Calibrated;
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
            };
            let report = tokenmaxx::jobs::calibrate::calibrate(
                &opts,
                &|plan| {
                    if !quiet || dry_run {
                        eprintln!("{plan}");
                    }
                },
                &|g, secs| {
                    if !quiet {
                        eprintln!(
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
                },
            )?;
            match report {
                Calibrated::Finished(r) if !quiet => {
                    print!(
                        "{}",
                        tokenmaxx::jobs::calibrate::table(&r.problem, &r.generations, &r.predictive)
                    );
                    println!(
                        "{} generations ({:?}), {} simulations in {:.1} s on {} threads\nresults in {}",
                        r.generations.len(),
                        r.stop,
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
                } if !quiet => println!(
                    "shard: generation {generation}, proposals {}..{} simulated in {seconds:.1} s into {}",
                    proposals.start,
                    proposals.end,
                    out.display()
                ),
                Calibrated::NothingToDo { out } if !quiet => println!(
                    "shard: sampling has stopped in {}: nothing to simulate; run --gather to finish",
                    out.display()
                ),
                Calibrated::Pending {
                    out,
                    generation,
                    accepted,
                    proposed,
                } if !quiet => println!(
                    "gathered: generation {generation} has {accepted} particles from {proposed} proposals; run the next round of shards into {}",
                    out.display()
                ),
                _ => {}
            }
        }
        Command::Optimize {
            file,
            out,
            threads,
            resume,
            dry_run,
            set,
            evaluations,
            worlds,
            population,
            warm_start,
            quiet,
            force,
            allow_large,
        } => {
            use tokenmaxx::jobs::optimize::{OptimizeOptions, Optimized, optimize};
            let opts = OptimizeOptions {
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
                        eprintln!("{plan}");
                    }
                },
                &|p| {
                    if !quiet {
                        let r = &p.record;
                        let done = r.evaluations as f64 / p.budget as f64;
                        let eta = if p.replayed || done <= 0.0 {
                            String::new()
                        } else {
                            format!(", ETA {:.0} s", p.elapsed * (1.0 - done) / done)
                        };
                        eprintln!(
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
                },
            )?;
            if let Optimized::Finished(r) = result
                && !quiet
            {
                print!("{}", r.summary);
                println!(
                    "{} evaluations in {:.1} s on {} threads\nresults in {}",
                    r.evaluations,
                    r.wall_seconds,
                    r.threads,
                    r.out.display()
                );
            }
        }
        Command::Discover {
            results,
            policy,
            against,
            metric,
            threshold,
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
                peel_alpha,
                box_index,
                bootstrap,
            })?;
            println!("{}.", d.sentence);
            println!("results in {}", d.out.display());
        }
        Command::Defaults { toml: true } => print!("{}", tokenmaxx::scenario::DEFAULTS_TOML),
        Command::Defaults { toml: false } => print!("{}", tokenmaxx::output::table::defaults()),
    }
    Ok(())
}

/// Prints what a sweep (or a `run --worlds`) did; for worlds, the robust
/// verdicts of its summary.md.
fn print_sweep_outcome(outcome: sweep_job::SweepOutcome, quiet: bool) {
    match outcome {
        sweep_job::SweepOutcome::DryRun(d) => println!(
            "{}: {} design, {} points x {} arms x {} replicates = {} runs\nestimated time: {:.0} s on {} threads ({:.3} s per run); estimated disk: {:.1} MB in {}; estimated memory: {:.0} MB",
            d.spec.name,
            d.spec.design.name(),
            d.spec.points,
            d.spec.arms.len(),
            d.spec.replicates,
            d.runs,
            d.estimated_seconds,
            d.threads,
            d.seconds_per_run,
            d.estimated_bytes as f64 / 1e6,
            d.out.display(),
            d.estimated_memory as f64 / 1e6
        ),
        sweep_job::SweepOutcome::AlreadyDone { out } => {
            if !quiet {
                println!("{}: already finished, nothing to do", out.display());
            }
        }
        sweep_job::SweepOutcome::Done(r) => {
            if !quiet {
                let resumed = if r.resumed_at_point > 0 {
                    format!(" (resumed at point {})", r.resumed_at_point)
                } else {
                    String::new()
                };
                println!(
                    "{}: {} runs ({} points x {} arms x {} replicates) in {:.2} s on {} threads{resumed}\nresults in {}",
                    r.spec.name,
                    r.runs,
                    r.spec.points,
                    r.spec.arms.len(),
                    r.spec.replicates,
                    r.wall_seconds,
                    r.threads,
                    r.out.display()
                );
                if let Some((_, robust)) = std::fs::read_to_string(r.out.join("summary.md"))
                    .ok()
                    .as_deref()
                    .and_then(|t| t.split_once("## Across plausible worlds"))
                {
                    print!("{}", robust.replace("```", "").trim_start());
                }
            }
        }
    }
}
