//! The command line's flags: one struct per command, the flags several
//! commands share ([`Threads`], [`Quiet`], [`Force`], [`AllowLarge`],
//! [`Overrides`], [`LookArgs`]) declared once and flattened into each. They
//! only parse and check; the commands are run by [`super::run`].

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use tokenmaxx::scenario::Presentation;

#[derive(Parser)]
#[command(
    name = "tokenmaxx",
    version,
    about = "Agent-based simulation of the tokenmaxxing feedback loop"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
        replicates: Option<tokenmaxx::jobs::run::ReplicatesArg>,
        /// Master seed [default: the scenario's `seed`].
        #[arg(long)]
        seed: Option<u64>,
        #[command(flatten)]
        threads: Threads,
        #[command(flatten)]
        set: Overrides,
        #[command(flatten)]
        quiet: Quiet,
        #[command(flatten)]
        allow_large: AllowLarge,
        #[command(flatten)]
        force: Force,
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
        #[command(flatten)]
        threads: Threads,
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
        #[command(flatten)]
        quiet: Quiet,
        #[command(flatten)]
        allow_large: AllowLarge,
        #[command(flatten)]
        force: Force,
        #[command(flatten)]
        set: Overrides,
        /// Points of the design instead of the file's `points` (trajectories for Morris, base rows for Saltelli; not for a grid).
        #[arg(long)]
        points: Option<u32>,
        /// Replicates per arm and point instead of the file's, or `auto`: at each point as many as its
        /// verdicts need (the rule's keys from the sweep's `replicates` table, the base scenario's
        /// `[replicates]` or `[auto_replicates]`; `total_max` caps the whole sweep).
        #[arg(long, value_name = "N|auto")]
        replicates: Option<tokenmaxx::jobs::run::ReplicatesArg>,
    },
    /// Merge the shards of one sweep into the files a single-machine sweep writes.
    Merge {
        /// Shard directories (any order).
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        force: Force,
    },
    /// Check scenario, sweep, evidence and optimization files without running them, each with its own loader and an estimate of its work.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        set: Overrides,
        #[command(flatten)]
        allow_large: AllowLarge,
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
        /// The report's file [default: RESULTS/report.html, or report.md with --format md, report.pptx with --format pptx].
        #[arg(long)]
        out: Option<PathBuf>,
        /// `html`: one self-contained page, charts inline, opens offline; `md`: Markdown with the charts beside it;
        /// `pptx`: a 16:9 PowerPoint deck (title, findings, a slide per chart, methods).
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
        #[command(flatten)]
        threads: Threads,
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
        #[command(flatten)]
        quiet: Quiet,
        #[command(flatten)]
        force: Force,
    },
    /// Search for the best incentive policy over plausible worlds (ε-NSGA-II over policy levers,
    /// robustness measures as objectives), with out-of-sample validation against the presets.
    Optimize {
        /// Optimization file (TOML): base scenario, [optimize], [[lever]], [[objective]], [[constraint]].
        file: PathBuf,
        /// Output directory [default: output/optimize/<name>/].
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        threads: Threads,
        /// Finish an interrupted search in --out: replays its saved evaluations, then goes on.
        #[arg(long)]
        resume: bool,
        /// Check the file and print the plan; run nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        set: Overrides,
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
        /// Evaluate one shard of the next generation: I/N (0-based), or `auto` from SLURM_ARRAY_TASK_ID.
        /// Needs a search in progress in --out (`--gather` starts one); see scripts/slurm/optimize.sh.
        #[arg(long, conflicts_with_all = ["resume", "gather", "force", "dry_run"])]
        shard: Option<String>,
        /// Shard count for `--shard auto` when the environment does not give it.
        #[arg(long, requires = "shard")]
        shard_count: Option<usize>,
        /// Absorb the shards' work into --out (starting a search there if it is empty), and
        /// finish the search when its budget is spent.
        #[arg(long, conflicts_with_all = ["resume", "force", "dry_run"])]
        gather: bool,
        #[command(flatten)]
        quiet: Quiet,
        #[command(flatten)]
        force: Force,
        #[command(flatten)]
        allow_large: AllowLarge,
    },
    /// Scenario discovery (PRIM): where, in the varied parameters of a `run --worlds` or a sweep,
    /// a policy wins. Writes RESULTS/discovery/.
    #[command(
        after_help = "Example, on the bundled worlds study run small (320 runs, about 3 CPU-minutes):\n\n  \
        tokenmaxx sweep scenarios/sweeps/when-incentives-pay.toml --points 80 --replicates 1\n  \
        tokenmaxx discover output/sweeps/when-incentives-pay --policy usage_leaderboard --against laissez_faire \\\n      \
        --metric spend_usd --cases top:0.2\n\n\
        finds where the leaderboard adds the most token spend over laissez-faire (the worlds with large\n\
        busywork launches); `--cases bottom:0.2` on net value finds where it loses the most."
    )]
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
        /// Money as people write it: -5M, -$500k, 1.2B or a plain number.
        #[arg(long, default_value = "0", allow_hyphen_values = true, value_parser = tokenmaxx::human::parse_money)]
        threshold: f64,
        /// Instead of --threshold, a share of the points as the cases of interest: top:0.2 the 20 % where
        /// the policy's metric (minus the other's, with --against) is highest, bottom:0.2 where it is lowest.
        #[arg(long, value_name = "top:SHARE|bottom:SHARE", conflicts_with = "threshold", value_parser = tokenmaxx::jobs::discover::Cases::parse)]
        cases: Option<tokenmaxx::jobs::discover::Cases>,
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
    /// Two results folders side by side (two runs, two sweeps or two worlds runs of one shape): each
    /// policy's net value, spend, value, ROI and waste in A and B, B - A with a 95% CI (paired by seed
    /// when both ran the same seeds, Welch's otherwise), and the scenario or sweep settings that differ.
    /// Two sweeps that drew the same points are also compared point by point (point_comparison.csv).
    /// Writes comparison.csv, differences.csv, summary.md, a chart and report.html.
    Compare {
        /// The first results folder (A), written by `tokenmaxx run` or `tokenmaxx sweep`.
        a: PathBuf,
        /// The second results folder (B); differences are B - A.
        b: PathBuf,
        /// Output directory [default: output/compare/<A>-vs-<B>/, from the folders' names].
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        force: Force,
        #[command(flatten)]
        quiet: Quiet,
    },
    /// Print every built-in default with its plausible range and source.
    Defaults {
        /// Print the defaults file itself (TOML) instead.
        #[arg(long)]
        toml: bool,
    },
    /// Print the data dictionary: every column of every CSV file tokenmaxx writes, its unit and meaning.
    Columns {
        /// Print it as CSV (file,column,unit,meaning), as each results folder holds it in columns.csv.
        #[arg(long)]
        csv: bool,
    },
}

/// How charts look (run, sweep, plot, report). Each flag overrides the
/// scenario's (or sweep's, or results folder's) `[presentation]` table.
#[derive(clap::Args, Debug, Clone)]
pub struct LookArgs {
    /// Chart colours: light (slides, screens), dark (dark slide templates) or print (paper) [default: light].
    #[arg(long, value_enum)]
    pub theme: Option<ThemeArg>,
    /// Chart shape: 16:9, 4:3 or 1:1 [default: 16:9].
    #[arg(long, value_parser = ["16:9", "4:3", "1:1"])]
    pub aspect: Option<String>,
    /// PNG width in pixels, also the SVG's nominal width (480 to 7680) [default: 1920]. Charts are laid out at 1920 and scaled.
    #[arg(long)]
    pub width: Option<u32>,
    /// Multiplies every text size in the charts (0.5 to 2.5) [default: 1].
    #[arg(long)]
    pub font_scale: Option<f64>,
    /// SVG text: `text` (DejaVu Sans, width pinned, editable) or `paths` (outlines: identical in every
    /// viewer, PowerPoint and Keynote included) [default: text].
    #[arg(long, value_enum)]
    pub svg_text: Option<SvgTextArg>,
    /// Return-and-spend charts for the N swept parameters that move net value most (ranked by
    /// |Spearman rank correlation|), or `all` [default: 6].
    #[arg(long, value_name = "N|all")]
    pub charts: Option<tokenmaxx::plot::ParameterCharts>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ThemeArg {
    Light,
    Dark,
    Print,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum SvgTextArg {
    Text,
    Paths,
}

impl LookArgs {
    /// The flags given, as a presentation (checked).
    pub fn presentation(&self) -> Result<Presentation> {
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

    /// What the flags ask of the charts, for a job to put over its file's
    /// or folder's look.
    pub fn asked(&self) -> Result<tokenmaxx::jobs::plot::LookAsked> {
        Ok(tokenmaxx::jobs::plot::LookAsked {
            presentation: self.presentation()?,
            parameter_charts: self.charts,
        })
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ReportFormatArg {
    Html,
    Md,
    Pptx,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Svg,
    Png,
    Both,
}

/// `--threads`.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct Threads {
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// `--quiet`.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct Quiet {
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--force`.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct Force {
    /// Write even into a folder that holds another result (or an interrupted sweep or calibration): its
    /// files (charts included) are removed first.
    #[arg(long)]
    pub force: bool,
}

/// `--allow-large`.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct AllowLarge {
    /// Go on past the size limits (memory beyond half the machine's, threads beyond 4 per core).
    #[arg(long)]
    pub allow_large: bool,
}

/// `--set`.
#[derive(clap::Args, Debug, Clone)]
pub struct Overrides {
    /// Override a scenario value, e.g. --set policies.usage_leaderboard.token_reward_usd_per_mtok=20
    /// (for a sweep: a value of its base scenario at every point, not a swept key).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}
