//! The data dictionary (issue 29): every column of every CSV file tokenmaxx
//! writes, with its unit and meaning, from this one source. `tokenmaxx
//! columns` prints it, every results folder holds the rows of its own files
//! as `columns.csv`, and the Python package returns it as a DataFrame.
//!
//! Metric columns take their meaning from the doc comment of their field
//! in `engine::metrics` where it has one (so a meaning is written once,
//! next to the field), and from [`METRIC_MEANINGS`] otherwise. Columns
//! named by the study (a swept parameter, a lever, an objective) are listed
//! once as a pattern in angle brackets (`<parameter>`, `<objective>_in_sample`);
//! [`Column::matches`] says whether a written header name is one of them.
//! A test (`tests/columns.rs`) runs every job and fails when a header holds
//! a column this dictionary does not describe.
//!
//! This module only describes; it writes nothing.

use crate::engine::metrics::{COUNTS, EnterpriseMetrics, RATIOS, RunMetrics, WeekMetrics};

/// The name of the data dictionary's file in a results folder.
pub const FILE: &str = "columns.csv";

/// One column of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The file's name (`runs.csv`); several jobs may write a file of that name.
    pub file: &'static str,
    /// The column's header name, or a pattern such as `<parameter>_low`.
    pub column: String,
    /// Its unit (`USD`, `tokens`, `share (0-1)`, `text`, ...).
    pub unit: String,
    /// What it holds.
    pub meaning: String,
}

impl Column {
    /// Whether a header name written in `self.file` is this column: equal
    /// to it, or, for a pattern, filled in with a name of the right kind.
    pub fn matches(&self, name: &str) -> bool {
        let Some(open) = self.column.find('<') else {
            return self.column == name;
        };
        let close = self.column.find('>').expect("a pattern closes its bracket");
        let (prefix, kind, suffix) = (
            &self.column[..open],
            &self.column[open + 1..close],
            &self.column[close + 1..],
        );
        let Some(inner) = name
            .strip_prefix(prefix)
            .and_then(|n| n.strip_suffix(suffix))
            .filter(|n| !n.is_empty())
        else {
            return false;
        };
        match kind {
            "parameter" | "lever" => is_parameter_key(inner),
            "objective" => is_objective(inner),
            "i" => inner.bytes().all(|b| b.is_ascii_digit()),
            _ => false,
        }
    }
}

/// A dotted scenario key (`employees.tasks_per_week`) or a top-level
/// number of a scenario (`weeks`): lower-case words, digits, `_`, `-` and dots.
fn is_parameter_key(s: &str) -> bool {
    s.split('.').all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    }) && (s.contains('.') || crate::scenario::priors::value_at(crate::scenario::default_provenance().0, s).is_some())
}

/// `{measure}_{metric}` of a policy search's objective or constraint.
fn is_objective(s: &str) -> bool {
    let metric = ["mean_regret_", "max_regret_", "share_above_", "share_below_", "mean_"]
        .iter()
        .find_map(|m| s.strip_prefix(m))
        .or_else(|| {
            let rest = s.strip_prefix('p')?;
            let (digits, metric) = rest.split_once('_')?;
            digits
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.')
                .then_some(metric)
        });
    metric.is_some_and(|m| m == "net_value_usd" || RunMetrics::NAMES.contains(&m))
}

/// Meanings of metric columns whose field has no doc comment.
pub const METRIC_MEANINGS: &[(&str, &str)] = &[
    ("tokens", "Tokens used, input plus output."),
    ("tokens_in", "Input tokens used."),
    ("tokens_out", "Output tokens used."),
    ("spend_usd", "What the enterprises paid: usage cost plus breakage."),
    ("usage_cost_usd", "Usage at list price, less the contract discount."),
    ("list_cost_usd", "Tokens used at the lab's list price."),
    ("discount_usd", "Contract discount: list cost less usage cost."),
    ("breakage_usd", "Unused commitment billed at term end."),
    ("value_usd", "Value AI added over doing the work by hand."),
    (
        "waste_usd",
        "Spend on runs that delivered nothing (failed, noise, performative), plus breakage.",
    ),
    ("waste_share", "waste_usd over spend_usd."),
    ("roi", "Return on spend: value_usd over spend_usd."),
    ("value_per_mtok", "value_usd per million tokens."),
    ("noise_tokens", "Tokens of runs whose output was polished noise."),
    ("noise_share", "Noise outputs over outputs that looked done."),
    (
        "performative_tokens",
        "Tokens of performative runs (launched to be seen using AI).",
    ),
    ("performative_share", "performative_tokens over tokens."),
    ("tasks", "Tasks that arrived."),
    (
        "tasks_done",
        "Tasks taken up: by hand, with AI (whatever the outcome) or by an automation.",
    ),
    (
        "tasks_dropped",
        "Tasks dropped after waiting backlog_weeks in the backlog.",
    ),
    ("ai_tasks", "Tasks worked with AI (assisted or by an agent)."),
    ("automated_tasks", "Tasks done by an automation employees built."),
    ("automated_share", "automated_tasks over tasks_done."),
    ("automation_builds", "Automation builds launched."),
    ("performative_runs", "Performative runs launched."),
    (
        "commitment_final_usd",
        "Annual commitment in force at the end of the run.",
    ),
    ("utilisation", "Usage cost over the commitment in force."),
    (
        "mandate_mean",
        "Mean usage mandate over the run (weighted by employees).",
    ),
    ("escalation_share", "Escalating renewals over judged renewals."),
    ("lab_revenue_usd", "The labs' revenue (equals spend_usd)."),
    (
        "serving_cost_usd",
        "The labs' cost of serving the tokens (serving_cost_share of list cost).",
    ),
    ("lab_margin_usd", "lab_revenue_usd less serving_cost_usd."),
    (
        "usage_gini",
        "Gini coefficient of token use across employees (0 = equal).",
    ),
    ("tokens_per_employee_month", "Tokens per employee per month."),
    ("spend_per_employee_month", "spend_usd per employee per month."),
    (
        "usage_readers_final",
        "Share of enterprises whose leadership reads usage as success (lambda > 0.5) at the end.",
    ),
    (
        "decisions",
        "Task decisions: an employee choosing a mode for a task, a performative run or a build launched.",
    ),
    ("spend_tasks_usd", "Usage cost of real AI tasks."),
    ("spend_busywork_usd", "Usage cost of performative runs."),
    (
        "spend_automation_usd",
        "Usage cost of automation (builds and automated tasks).",
    ),
    ("employees", "Employees of the enterprise."),
    (
        "spend_signal_weight_final",
        "Weight lambda the leadership gives usage (against measured ROI) at the end.",
    ),
    ("escalations", "Renewals that escalated the commitment."),
    (
        "policy_reviews",
        "Incentive policies replaced by a review after a disappointing term.",
    ),
];

/// The unit of a metric column, from its name.
pub fn metric_unit(name: &str) -> &'static str {
    match name {
        "roi" | "top_to_median_usage" => "ratio",
        "value_per_mtok" => "USD per million tokens",
        "usage_gini" => "index (0-1)",
        "belief_mean" => "multiplier",
        "mandate_mean" | "mandate" => "USD per employee-month",
        "tokens_per_employee_month" => "tokens per employee-month",
        "spend_signal_weight_final" => "weight (0-1)",
        "proficiency_mean" => "index (0-1)",
        "usage_readers_final" | "usage_readers_share" | "utilisation" => "share (0-1)",
        n if n.ends_with("_per_month") || n.ends_with("_per_employee_month") => "USD per person-month",
        n if n.ends_with("_usd") => "USD",
        n if n.starts_with("hours") => "hours",
        n if n.ends_with("_share") || n.ends_with("_share_final") || n.contains("_share_") => "share (0-1)",
        n if n.contains("tokens") => "tokens",
        n if COUNTS.contains(&n) => "count",
        _ => "number",
    }
}

/// A metric's meaning: its field's doc comment, else [`METRIC_MEANINGS`].
pub fn metric_meaning(name: &str) -> Option<String> {
    let doc = RunMetrics::doc(name)
        .or_else(|| WeekMetrics::doc(name))
        .or_else(|| EnterpriseMetrics::doc(name))
        .map(str::to_string)
        .or_else(|| {
            METRIC_MEANINGS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, m)| m.to_string())
        })
        .or_else(|| match name {
            "net_value_usd" => Some("Value less spend (value_usd - spend_usd), per run.".into()),
            "incremental_roi" => Some("Extra value over extra spend against the first arm.".into()),
            _ => None,
        })?;
    let undefined = if RATIOS.contains(&name) {
        " Empty where its denominator is 0 (not defined)."
    } else {
        ""
    };
    Some(format!("{doc}{undefined}"))
}

fn col(file: &'static str, column: &str, unit: &str, meaning: &str) -> Column {
    Column {
        file,
        column: column.into(),
        unit: unit.into(),
        meaning: meaning.into(),
    }
}

fn metrics(out: &mut Vec<Column>, file: &'static str, names: &[&str], scope: &str) {
    for n in names {
        let meaning = metric_meaning(n).unwrap_or_else(|| panic!("metric `{n}` has no meaning in output::columns"));
        out.push(col(file, n, metric_unit(n), &format!("{scope}: {meaning}")));
    }
}

const POLICY: &str = "The incentive policy (arm) by its name in the scenario.";
const REPLICATE: &str =
    "Replicate number within the arm, from 0; replicate r has the same seed in every arm (common random numbers).";
const POINT: &str = "Design point of a sweep (a world of a worlds run), from 0; the row of points.csv (worlds.csv).";

/// The summary columns shared by a run's and a sweep's `summary.csv`.
fn summary(out: &mut Vec<Column>) {
    let f = "summary.csv";
    out.push(col(f, "point", "index", &format!("Sweeps only. {POINT}")));
    out.push(col(f, "policy", "text", POLICY));
    out.push(col(
        f,
        "metric",
        "text",
        "A column of runs.csv, or net_value_usd or incremental_roi (derived); its unit is that column's.",
    ));
    out.push(col(
        f,
        "n",
        "count",
        "Runs that define the metric (ratios with a zero denominator are left out).",
    ));
    out.push(col(f, "mean", "the metric's", "Mean over the policy's runs."));
    out.push(col(
        f,
        "sd",
        "the metric's",
        "Sample standard deviation over the policy's runs.",
    ));
    out.push(col(
        f,
        "ci95_low",
        "the metric's",
        "Lower end of the 95 % Student-t confidence interval of the mean.",
    ));
    out.push(col(
        f,
        "ci95_high",
        "the metric's",
        "Upper end of the 95 % Student-t confidence interval of the mean.",
    ));
    out.push(col(
        f,
        "diff_mean",
        "the metric's",
        "Mean paired difference (same seeds) of this policy less the first arm.",
    ));
    out.push(col(
        f,
        "diff_ci95_low",
        "the metric's",
        "Lower end of the 95 % interval of diff_mean.",
    ));
    out.push(col(
        f,
        "diff_ci95_high",
        "the metric's",
        "Upper end of the 95 % interval of diff_mean.",
    ));
}

/// Every column of every CSV file tokenmaxx writes, file by file.
pub fn dictionary() -> Vec<Column> {
    let mut d = Vec::new();
    // runs.csv (run, sweep, worlds)
    let f = "runs.csv";
    d.push(col(
        f,
        "point",
        "index",
        &format!("Sweeps and worlds runs only. {POINT}"),
    ));
    d.push(col(f, "policy", "text", POLICY));
    d.push(col(f, "replicate", "index", REPLICATE));
    d.push(col(
        f,
        "seed",
        "integer",
        "The run's seed, derived from the master seed, point and replicate (below 2^53).",
    ));
    metrics(&mut d, f, RunMetrics::NAMES, "Over the whole run");
    // weekly.csv
    let f = "weekly.csv";
    d.push(col(f, "policy", "text", POLICY));
    d.push(col(f, "replicate", "index", REPLICATE));
    d.push(col(f, "week", "week", "Week of the run, from 0."));
    metrics(&mut d, f, WeekMetrics::NAMES, "In the week, summed over enterprises");
    // enterprises.csv
    let f = "enterprises.csv";
    d.push(col(f, "policy", "text", POLICY));
    d.push(col(f, "replicate", "index", REPLICATE));
    d.push(col(
        f,
        "enterprise",
        "text",
        "The enterprise by its name in the scenario.",
    ));
    d.push(col(f, "lab", "text", "The AI lab the enterprise buys tokens from."));
    d.push(col(
        f,
        "policy_initial",
        "text",
        "The enterprise's incentive policy at the start.",
    ));
    d.push(col(
        f,
        "policy_final",
        "text",
        "Its incentive policy at the end (after any review).",
    ));
    metrics(&mut d, f, EnterpriseMetrics::NAMES, "The enterprise over the run");
    summary(&mut d);
    // verdicts.csv
    let f = "verdicts.csv";
    d.push(col(f, "point", "index", &format!("Sweeps only. {POINT}")));
    d.push(col(f, "policy", "text", POLICY));
    d.push(col(f, "versus", "text", "The policy it is compared with."));
    d.push(col(
        f,
        "p_beats_roi",
        "probability (0-1)",
        "Share of paired replicates in which policy's ROI beats versus's.",
    ));
    d.push(col(
        f,
        "net_value_usd",
        "USD",
        "The policy's mean net value (value less spend) per run.",
    ));
    d.push(col(
        f,
        "regret_usd",
        "USD",
        "Mean net value of the best policy less this policy's.",
    ));
    d.push(col(
        f,
        "p_beats_net",
        "probability (0-1)",
        "Share of paired replicates in which policy's net value beats versus's.",
    ));
    // points.csv, worlds.csv
    d.push(col(
        "points.csv",
        "point",
        "index",
        "Design point of the sweep, from 0.",
    ));
    d.push(col(
        "points.csv",
        "<parameter>",
        "the parameter's",
        "Value of a swept parameter (its dotted scenario key) at the point; units as in docs/model.md.",
    ));
    d.push(col(
        "worlds.csv",
        "world",
        "index",
        "World (a draw of parameters) of a worlds run, from 0.",
    ));
    d.push(col(
        "worlds.csv",
        "<parameter>",
        "the parameter's",
        "Value of a varied parameter (its dotted scenario key) in the world, drawn from its prior or a posterior.",
    ));
    // telemetry.csv
    let f = "telemetry.csv";
    d.push(col(f, "point", "index", POINT));
    d.push(col(f, "policy", "text", POLICY));
    d.push(col(f, "replicate", "index", REPLICATE));
    d.push(col(f, "seed", "integer", "The run's seed."));
    d.push(col(
        f,
        "wall_time_s",
        "seconds",
        "Wall-clock time of the run (not deterministic).",
    ));
    d.push(col(f, "task_decisions", "count", "Task decisions the run made."));
    // replicates.csv (sweeps and worlds with replicates = "auto")
    let f = "replicates.csv";
    d.push(col(f, "point", "index", POINT));
    d.push(col(f, "policy", "text", POLICY));
    d.push(col(
        f,
        "replicates",
        "count",
        "Replicates the policy received at the point under the adaptive rule (replicates = \"auto\").",
    ));
    d.push(col(
        f,
        "stopped",
        "text",
        "Why the point's rule stopped: verdicts_decided (every paired net-value verdict against the first policy decided), best_selected (the best policy selected with the target probability) or max_reached (no policy may have more).",
    ));
    d.push(col(
        f,
        "batches",
        "count",
        "Batches the point's rule ran (the first: min replicates of every policy).",
    ));
    d.push(col(
        f,
        "pcs",
        "probability (0-1)",
        "Approximate probability of correct selection of the best policy at the point when the rule stopped (Bonferroni, paired).",
    ));
    // sensitivity.csv
    let f = "sensitivity.csv";
    d.push(col(f, "method", "text", "morris or sobol (Saltelli)."));
    d.push(col(
        f,
        "metric",
        "text",
        "The output metric analysed (a runs.csv column).",
    ));
    d.push(col(f, "policy", "text", POLICY));
    d.push(col(
        f,
        "parameter",
        "text",
        "The swept parameter (dotted scenario key).",
    ));
    d.push(col(
        f,
        "index",
        "text",
        "The index: mu_star, mu, sigma (Morris elementary effects) or S1, ST (Sobol first-order and total).",
    ));
    d.push(col(
        f,
        "value",
        "the index's",
        "The index's estimate (Morris: the metric's unit; Sobol: share of variance).",
    ));
    d.push(col(
        f,
        "ci95_low",
        "the index's",
        "Lower end of its 95 % bootstrap interval.",
    ));
    d.push(col(
        f,
        "ci95_high",
        "the index's",
        "Upper end of its 95 % bootstrap interval.",
    ));
    // robust_verdicts.csv
    let f = "robust_verdicts.csv";
    d.push(col(f, "policy", "text", POLICY));
    d.push(col(
        f,
        "against",
        "text",
        "The other policy of a pairwise measure (empty otherwise).",
    ));
    d.push(col(
        f,
        "measure",
        "text",
        "What is measured across worlds (e.g. share of worlds where the policy is best, mean regret).",
    ));
    d.push(col(
        f,
        "estimate",
        "the measure's",
        "The measure's estimate over worlds (shares 0-1, money in USD).",
    ));
    d.push(col(
        f,
        "ci95_low",
        "the measure's",
        "Lower end of its 95 % interval (Wilson for shares).",
    ));
    d.push(col(f, "ci95_high", "the measure's", "Upper end of its 95 % interval."));
    d.push(col(f, "worlds", "count", "Worlds the measure is taken over."));
    // Calibration.
    let f = "posterior.csv";
    d.push(col(
        f,
        "generation",
        "index",
        "ABC-SMC generation, from 0; the last generation is the posterior.",
    ));
    d.push(col(f, "particle", "index", "Particle within the generation, from 0."));
    d.push(col(
        f,
        "weight",
        "weight (0-1)",
        "Normalised importance weight of the particle.",
    ));
    d.push(col(
        f,
        "<parameter>",
        "the parameter's",
        "The particle's value of a calibrated parameter (dotted scenario key).",
    ));
    d.push(col(
        f,
        "distance",
        "number",
        "Distance of the particle's simulation from the evidence (scaled by tolerances).",
    ));
    let f = "generations.csv";
    d.push(col(f, "generation", "index", "ABC-SMC generation, from 0."));
    d.push(col(
        f,
        "epsilon",
        "number",
        "Tolerance on the distance (empty for the first generation, drawn from the prior).",
    ));
    d.push(col(f, "proposed", "count", "Particles proposed (simulated)."));
    d.push(col(f, "accepted", "count", "Particles accepted within epsilon."));
    d.push(col(f, "acceptance_rate", "share (0-1)", "accepted over proposed."));
    d.push(col(f, "ess", "count", "Effective sample size of the weights."));
    d.push(col(
        f,
        "wall_seconds",
        "seconds",
        "Wall-clock time of the generation (not deterministic).",
    ));
    let f = "ppc.csv";
    d.push(col(f, "target", "text", "The evidence target's name."));
    d.push(col(f, "metric", "text", "The runs.csv column it is measured on."));
    d.push(col(f, "policy", "text", POLICY));
    d.push(col(
        f,
        "role",
        "text",
        "fit (used in the distance) or check (held out).",
    ));
    d.push(col(
        f,
        "observed",
        "the metric's",
        "The observed value from the evidence.",
    ));
    d.push(col(
        f,
        "tolerance_low",
        "the metric's",
        "Lower end of the band counted as a fit.",
    ));
    d.push(col(
        f,
        "tolerance_high",
        "the metric's",
        "Upper end of the band counted as a fit.",
    ));
    d.push(col(f, "ppc_mean", "the metric's", "Posterior-predictive mean."));
    d.push(col(f, "ppc_05", "the metric's", "Posterior-predictive 5 % quantile."));
    d.push(col(f, "ppc_50", "the metric's", "Posterior-predictive median."));
    d.push(col(f, "ppc_95", "the metric's", "Posterior-predictive 95 % quantile."));
    d.push(col(
        f,
        "inside",
        "true/false",
        "Whether the observed value lies inside the predictive 5-95 % band.",
    ));
    d.push(col(f, "source", "text", "Where the evidence comes from."));
    // Discovery (in discovery/).
    let f = "trajectory.csv";
    d.push(col(f, "step", "index", "PRIM peeling step, from 0 (the whole space)."));
    d.push(col(
        f,
        "coverage",
        "share (0-1)",
        "Cases of interest inside the box over all cases of interest.",
    ));
    d.push(col(
        f,
        "density",
        "share (0-1)",
        "Cases of interest inside the box over cases inside it.",
    ));
    d.push(col(f, "mass", "share (0-1)", "Cases inside the box over all cases."));
    d.push(col(f, "n", "count", "Cases inside the box."));
    d.push(col(f, "k", "count", "Cases of interest inside the box."));
    d.push(col(
        f,
        "parameters_restricted",
        "count",
        "Parameters the box restricts.",
    ));
    d.push(col(
        f,
        "pasted",
        "true/false",
        "Whether the step came from pasting (widening) rather than peeling.",
    ));
    d.push(col(
        f,
        "chosen",
        "true/false",
        "Whether this step's box is the one reported.",
    ));
    d.push(col(
        f,
        "<parameter>_low",
        "the parameter's",
        "The box's lower limit on a parameter.",
    ));
    d.push(col(
        f,
        "<parameter>_high",
        "the parameter's",
        "The box's upper limit on a parameter.",
    ));
    let f = "boxes.csv";
    d.push(col(f, "step", "index", "The trajectory step of the chosen box."));
    d.push(col(f, "parameter", "text", "A parameter (dotted scenario key)."));
    d.push(col(f, "low", "the parameter's", "The box's lower limit."));
    d.push(col(f, "high", "the parameter's", "The box's upper limit."));
    d.push(col(
        f,
        "restricted",
        "true/false",
        "Whether the box restricts this parameter.",
    ));
    d.push(col(
        f,
        "qp_low",
        "probability (0-1)",
        "Quasi-p-value of the lower limit (empty if not restricted).",
    ));
    d.push(col(
        f,
        "qp_high",
        "probability (0-1)",
        "Quasi-p-value of the upper limit.",
    ));
    d.push(col(
        f,
        "data_low",
        "the parameter's",
        "Lowest value of the parameter in the data.",
    ));
    d.push(col(
        f,
        "data_high",
        "the parameter's",
        "Highest value of the parameter in the data.",
    ));
    d.push(col(
        f,
        "bootstrap_restricted_share",
        "share (0-1)",
        "Share of bootstrap resamples whose box also restricts the parameter (stability).",
    ));
    // Policy search.
    for f in ["front.csv", "archive.csv"] {
        d.push(col(
            f,
            "candidate",
            "index",
            "Candidate policy, numbered in evaluation order from 0.",
        ));
        d.push(col(f, "generation", "index", "Generation that proposed it."));
        d.push(col(f, "kind", "text", "How it was proposed (initial, offspring, ...)."));
        d.push(col(
            f,
            "<lever>",
            "the lever's",
            "The candidate's value of a lever (dotted scenario key of the policy).",
        ));
        d.push(col(
            f,
            "<objective>",
            "the metric's",
            "An objective: its measure across worlds (mean, pN percentile, share_above, share_below, mean_regret, max_regret) of a metric.",
        ));
        d.push(col(
            f,
            "constraint_<i>",
            "the metric's",
            "The measured value of constraint i.",
        ));
        d.push(col(
            f,
            "feasible",
            "true/false",
            "Whether the candidate meets every constraint.",
        ));
    }
    d.push(col(
        "archive.csv",
        "on_front",
        "true/false",
        "Whether the candidate is on the final front.",
    ));
    let f = "convergence.csv";
    d.push(col(f, "generation", "index", "Generation, from 0."));
    d.push(col(f, "kind", "text", "How the generation's candidates were proposed."));
    d.push(col(f, "evaluations", "count", "Candidates evaluated so far."));
    d.push(col(f, "population", "count", "Size of the population."));
    d.push(col(f, "archive", "count", "Size of the epsilon-box archive."));
    d.push(col(
        f,
        "epsilon_progress",
        "count",
        "Improvements of the epsilon archive so far.",
    ));
    d.push(col(
        f,
        "hypervolume",
        "share (0-1)",
        "Hypervolume of the front in the normalised objective space.",
    ));
    let f = "validation.csv";
    d.push(col(
        f,
        "kind",
        "text",
        "front (a candidate of the front) or preset (a bundled reference policy).",
    ));
    d.push(col(f, "name", "text", "The candidate (candidate N) or preset's name."));
    d.push(col(
        f,
        "<objective>_in_sample",
        "the metric's",
        "The objective over the worlds of the search.",
    ));
    d.push(col(
        f,
        "<objective>_out_of_sample",
        "the metric's",
        "The objective over fresh validation worlds.",
    ));
    // Comparison.
    let f = "comparison.csv";
    d.push(col(f, "policy", "text", POLICY));
    d.push(col(f, "metric", "text", "A runs.csv column (or net_value_usd)."));
    d.push(col(f, "a_mean", "the metric's", "Mean in result A."));
    d.push(col(f, "b_mean", "the metric's", "Mean in result B."));
    d.push(col(
        f,
        "difference",
        "the metric's",
        "B less A (mean paired difference when paired).",
    ));
    d.push(col(
        f,
        "ci95_low",
        "the metric's",
        "Lower end of the difference's 95 % interval.",
    ));
    d.push(col(
        f,
        "ci95_high",
        "the metric's",
        "Upper end of the difference's 95 % interval.",
    ));
    d.push(col(
        f,
        "method",
        "text",
        "paired (same seeds in both) or welch (Welch's t).",
    ));
    d.push(col(f, "a_n", "count", "Runs in A that define the metric."));
    d.push(col(f, "b_n", "count", "Runs in B that define the metric."));
    d.push(col(f, "pairs", "count", "Seed-matched pairs (paired method)."));
    // Two sweeps compared point by point.
    let f = "point_comparison.csv";
    d.push(col(
        f,
        "point",
        "index",
        "The point (row of points.csv) both sweeps drew.",
    ));
    d.push(col(f, "policy", "text", POLICY));
    d.push(col(f, "metric", "text", "A runs.csv column (or net_value_usd)."));
    d.push(col(f, "a_mean", "the metric's", "Mean at this point in result A."));
    d.push(col(f, "b_mean", "the metric's", "Mean at this point in result B."));
    d.push(col(
        f,
        "difference",
        "the metric's",
        "B less A at this point (mean paired difference when paired).",
    ));
    d.push(col(
        f,
        "ci95_low",
        "the metric's",
        "Lower end of the difference's 95 % interval (empty with one replicate).",
    ));
    d.push(col(
        f,
        "ci95_high",
        "the metric's",
        "Upper end of the difference's 95 % interval (empty with one replicate).",
    ));
    d.push(col(
        f,
        "method",
        "text",
        "paired (same seeds at this point in both) or welch (Welch's t).",
    ));
    d.push(col(
        f,
        "a_n",
        "count",
        "Runs at this point in A that define the metric.",
    ));
    d.push(col(
        f,
        "b_n",
        "count",
        "Runs at this point in B that define the metric.",
    ));
    d.push(col(f, "pairs", "count", "Seed-matched pairs (paired method)."));
    let f = "differences.csv";
    d.push(col(
        f,
        "key",
        "text",
        "A scenario key (or manifest field) in which A and B differ.",
    ));
    d.push(col(f, "a", "text", "Its value in A."));
    d.push(col(f, "b", "text", "Its value in B."));
    d.push(col(
        f,
        "source",
        "text",
        "Where the difference was found (scenario, run settings, sweep settings).",
    ));
    // The dictionary itself.
    let f = FILE;
    d.push(col(f, "file", "text", "A CSV file of the results folder."));
    d.push(col(
        f,
        "column",
        "text",
        "A column of it (a pattern in <> for columns named by the study).",
    ));
    d.push(col(f, "unit", "text", "The column's unit."));
    d.push(col(f, "meaning", "text", "What the column holds."));
    d
}

/// The entry describing column `name` of file `file`, if any.
pub fn describe<'a>(dict: &'a [Column], file: &str, name: &str) -> Option<&'a Column> {
    dict.iter()
        .filter(|c| c.file == file)
        .find(|c| c.column == name)
        .or_else(|| dict.iter().filter(|c| c.file == file).find(|c| c.matches(name)))
}

/// The dictionary as CSV bytes: file, column, unit, meaning.
pub fn to_csv(columns: &[Column]) -> Vec<u8> {
    super::csv::csv_bytes(
        ["file", "column", "unit", "meaning"].map(String::from).to_vec(),
        columns
            .iter()
            .map(|c| vec![c.file.to_string(), c.column.clone(), c.unit.clone(), c.meaning.clone()]),
    )
}

/// The dictionary for people: each file, then its columns with unit and
/// meaning, aligned.
pub fn text(columns: &[Column]) -> String {
    let width = columns.iter().map(|c| c.column.chars().count()).max().unwrap_or(0);
    let unit_width = columns.iter().map(|c| c.unit.chars().count()).max().unwrap_or(0);
    let mut s = String::new();
    let mut file = "";
    for c in columns {
        if c.file != file {
            file = c.file;
            s.push_str(&format!("{}{file}\n", if s.is_empty() { "" } else { "\n" }));
        }
        s.push_str(&format!(
            "  {:width$}  {:unit_width$}  {}\n",
            c.column, c.unit, c.meaning
        ));
    }
    s
}

/// `columns.csv` of a results folder: the rows of the CSV files among
/// `files` (names as written), and of `columns.csv` itself.
pub fn for_files<'a>(files: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let names: Vec<&str> = files.into_iter().collect();
    let rows: Vec<Column> = dictionary()
        .into_iter()
        .filter(|c| c.file == FILE || names.contains(&c.file))
        .collect();
    to_csv(&rows)
}

/// Adds `columns.csv` to a result's files (before its manifest is made, so
/// the manifest lists it with the rest).
pub fn add_to(files: &mut Vec<(String, Vec<u8>)>) {
    let bytes = for_files(files.iter().map(|(n, _)| n.as_str()));
    files.push((FILE.to_string(), bytes));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_a_unit_and_a_meaning_and_no_file_lists_one_twice() {
        let d = dictionary();
        let mut seen = std::collections::HashSet::new();
        for c in &d {
            assert!(!c.unit.is_empty() && !c.meaning.trim().is_empty(), "{c:?}");
            assert!(seen.insert((c.file, c.column.clone())), "listed twice: {c:?}");
        }
    }

    #[test]
    fn patterns_match_names_of_their_kind_only() {
        let d = dictionary();
        assert!(describe(&d, "points.csv", "employees.tasks_per_week").is_some());
        assert!(describe(&d, "points.csv", "weeks").is_some());
        assert!(describe(&d, "points.csv", "Not A Key").is_none());
        assert!(describe(&d, "trajectory.csv", "agent.noise_prob_agent_low").is_some());
        assert!(describe(&d, "front.csv", "mean_net_value_usd").is_some());
        assert!(describe(&d, "front.csv", "p10_spend_usd").is_some());
        assert!(describe(&d, "front.csv", "mean_no_such_metric").is_none());
        assert!(describe(&d, "front.csv", "constraint_0").is_some());
        assert!(describe(&d, "validation.csv", "mean_roi_out_of_sample").is_some());
        assert!(describe(&d, "runs.csv", "no_such_column").is_none());
    }

    #[test]
    fn a_folders_dictionary_lists_its_own_files_only() {
        let text = String::from_utf8(for_files(["runs.csv", "summary.md"])).unwrap();
        assert!(text.starts_with("file,column,unit,meaning\n"));
        assert!(text.contains("runs.csv,roi,ratio,"));
        assert!(!text.contains("weekly.csv"));
        assert!(text.contains("columns.csv,meaning,"));
    }
}
