//! The `plot` job: redraw the charts of a results folder from its files.

use crate::jobs::error::JobError;
use crate::output;
use crate::plot;
use std::path::Path;

/// Redraws the charts of a results directory from its CSV files alone.
/// Returns the files written, relative to `out`.
pub fn plot(results: &Path, out: Option<&Path>, format: plot::Format) -> Result<Vec<String>, JobError> {
    // A sweep's directory has points.csv; a run's does not.
    let charts = if results.join("points.csv").exists() {
        let data = plot::SweepData::from_dir(results)?;
        let mut charts = plot::sweep_charts(&data, format)?;
        let sens = results.join("sensitivity.csv");
        if sens.exists() {
            let rows = plot::data::read_sensitivity(&sens)?;
            let d = &data.runs;
            let source = plot::sensitivity_source(
                &d.scenario,
                d.points,
                d.policies.len(),
                d.replicates,
                d.n_runs(),
                &d.seed,
            );
            let sd = plot::SensitivityData {
                name: &d.scenario,
                source,
                policies: d.policies.clone(),
                rows: &rows,
            };
            charts.extend(plot::sensitivity_charts_from(&sd, format)?);
        }
        charts
    } else {
        plot::run_charts(&plot::RunData::from_dir(results)?, format)?
    };
    let files = plot::chart_files(charts);
    let out = out.unwrap_or(results);
    output::write_atomically(out, &files)?;
    Ok(files.into_iter().map(|(n, _)| n).collect())
}
