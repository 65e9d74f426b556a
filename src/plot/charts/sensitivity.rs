//! The charts of a sensitivity study: a Morris tornado of mu*, or Sobol
//! first-order and total indices with 95% CIs, per metric, one panel per
//! policy.

use crate::experiment::sensitivity::{Index, Method};
use crate::plot::PlotError;
use crate::plot::panels::*;
use crate::plot::theme::*;
use crate::plot::{Chart, Format};
use crate::scenario::labels::without_unit;
use plotters::coord::Shift;
use plotters::prelude::*;

/// What sensitivity charts are drawn from.
pub struct SensitivityData<'a> {
    pub name: &'a str,
    pub source: String,
    pub policies: Vec<String>,
    pub rows: &'a [crate::experiment::sensitivity::SensitivityRow],
    /// Display names of the policies and parameters.
    pub labels: crate::scenario::labels::Labels,
}

/// Sensitivity charts: for Morris designs a tornado chart of mu* per
/// metric, for Saltelli designs a bar chart of first-order and total Sobol
/// indices with 95% CIs per metric, parameters ranked, one panel per policy.
pub fn sensitivity_charts_from(d: &SensitivityData, format: Format, look: &Look) -> Result<Vec<Chart>, PlotError> {
    with_look(*look, || sensitivity_charts_from_in_look(d, format))
}

fn sensitivity_charts_from_in_look(d: &SensitivityData, format: Format) -> Result<Vec<Chart>, PlotError> {
    let mut charts = Vec::new();
    for metric in crate::experiment::KEY_METRICS {
        let method = d.rows.iter().find(|r| r.metric == metric).map(|r| r.method);
        let name = match method {
            Some(Method::Morris) => format!("tornado_{metric}"),
            Some(_) => format!("sobol_{metric}"),
            None => continue,
        };
        let job = (d, metric);
        charts.push(render!(name, draw_sensitivity, &job, format));
    }
    Ok(charts)
}

/// The source line of sensitivity charts.
pub fn sensitivity_source(
    name: &str,
    points: usize,
    policies: usize,
    replicates: usize,
    runs: usize,
    seed: &str,
) -> String {
    use crate::output::table::count;
    format!(
        "Source: tokenmaxx {} simulation, sweep \"{name}\": {} x {} x {} = {}, seed {seed}.",
        env!("CARGO_PKG_VERSION"),
        count(points, "point"),
        count(policies, "policy"),
        count(replicates, "replicate"),
        count(runs, "run"),
    )
}

/// Sensitivity charts of a finished sweep.
pub fn sensitivity_charts(
    spec: &crate::experiment::plan::SweepPlan,
    rows: &[crate::experiment::sensitivity::SensitivityRow],
    format: Format,
    look: &Look,
) -> Result<Vec<Chart>, PlotError> {
    let source = sensitivity_source(
        &spec.name,
        spec.points,
        spec.arms.len(),
        spec.replicates as usize,
        spec.runs(),
        &spec.seed.to_string(),
    );
    sensitivity_charts_from(
        &SensitivityData {
            name: &spec.name,
            source,
            policies: spec.arms.clone(),
            rows,
            labels: crate::scenario::labels::Labels::of_plan(spec),
        },
        format,
        look,
    )
}

pub(crate) fn draw_sensitivity<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    job: &(&SensitivityData, &str),
) -> ChartResult<()> {
    let (d, metric) = *job;
    let rows: Vec<&crate::experiment::sensitivity::SensitivityRow> =
        d.rows.iter().filter(|r| r.metric == metric).collect();
    let morris = rows.first().is_some_and(|r| r.method == Method::Morris);
    let (title, subtitle) = if morris {
        (
            format!("Which levers move {}: Morris screening ({})", crate::scenario::labels::metric_phrase(metric), d.name),
            "Bars are mu*, the mean absolute elementary effect per full range of each parameter; ranked by influence. Black ticks: sigma (interactions).".to_string(),
        )
    } else {
        (
            format!("Which levers move {}: Sobol indices ({})", crate::scenario::labels::metric_phrase(metric), d.name),
            "Light bars: total index ST (with interactions); dark bars: first-order index S1; whiskers: bootstrap 95% CIs. Ranked by ST.".to_string(),
        )
    };
    // The finding, when one lever leads under every policy.
    let rank_by = if morris { Index::MuStar } else { Index::ST };
    let leaders: Vec<&str> = d
        .policies
        .iter()
        .filter_map(|p| {
            rows.iter()
                .filter(|r| r.policy == *p && r.index == rank_by && r.value.is_finite())
                .max_by(|a, b| a.value.total_cmp(&b.value))
                .map(|r| r.parameter.as_str())
        })
        .collect();
    let title = match leaders.first() {
        Some(first) if leaders.len() == d.policies.len() && leaders.iter().all(|l| l == first) => {
            let under = if d.policies.len() > 1 {
                " under every policy"
            } else {
                ""
            };
            format!(
                "{} moves {} most{under} ({})",
                without_unit(&d.labels.parameter(first)),
                crate::scenario::labels::metric_phrase(metric),
                d.name
            )
        }
        _ => title,
    };
    let plot = frame(root, &title, &subtitle, &d.source, &[])?;
    let n = d.policies.len();
    let panels = plot.split_evenly((1, n.max(1)));
    let rank_index = if morris { Index::MuStar } else { Index::ST };
    for (k, policy) in d.policies.iter().enumerate() {
        let get = |param: &str, index: Index| {
            rows.iter()
                .find(|r| r.policy == *policy && r.parameter == param && r.index == index)
                .copied()
        };
        let mut params: Vec<String> = Vec::new();
        for r in rows.iter().filter(|r| r.policy == *policy && r.index == rank_index) {
            params.push(r.parameter.clone());
        }
        params.sort_by(|a, b| {
            let va = get(a, rank_index).map_or(0.0, |r| r.value);
            let vb = get(b, rank_index).map_or(0.0, |r| r.value);
            vb.total_cmp(&va)
        });
        let m = params.len();
        let vals = finite(
            rows.iter()
                .filter(|r| r.policy == *policy)
                .flat_map(|r| [r.value, r.ci95_high]),
        );
        let (_, hi) = bounds(&vals);
        // Sobol indices are shares of variance: past 1 is sampling noise.
        let hi = if hi > 0.0 { hi * 1.08 } else { 1.0 };
        let hi = if morris { hi } else { hi.min(1.05) };
        // The label column as wide as the longest label, up to half the
        // panel; longer labels are shortened with an ellipsis.
        let (panel_w, _) = panels[k].dim_in_pixel();
        let (labels, widest) = fit_labels(
            params.iter().map(|p| d.labels.parameter(p)).collect(),
            &font(22),
            (panel_w as i32 / 2 - 30).max(120),
        );
        let mut chart = ChartBuilder::on(&panels[k])
            .caption(
                d.labels.policy(policy),
                bold(28).color(&legible(policy_color(policy, &d.policies))),
            )
            .margin(18)
            .x_label_area_size(60)
            .y_label_area_size((widest + 24) as u32)
            .build_cartesian_2d(0f64..hi, -0.5f64..(m as f64 - 0.5))?;
        let label = |v: &f64| category_at(*v, m).map_or(String::new(), |i| labels[m - 1 - i].clone());
        let x_desc = if morris {
            "mu* (change over the parameter's range)"
        } else {
            "Sobol index (share of variance)"
        };
        let fmt = |v: &f64| {
            if morris && metric.ends_with("usd") {
                money(*v)
            } else {
                format!("{v:.2}")
            }
        };
        mesh(&mut chart)
            .disable_y_mesh()
            .x_desc(x_desc)
            .x_labels(5)
            .x_label_formatter(&fmt)
            .y_labels(m * 2 + 1)
            .y_label_formatter(&label)
            .draw()?;
        let c = policy_color(policy, &d.policies);
        for (i, p) in params.iter().enumerate() {
            let y = (m - 1 - i) as f64;
            if morris {
                let mu = get(p, Index::MuStar).map_or(0.0, |r| r.value);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - 0.3), (mu, y + 0.3)],
                    c.filled(),
                )))?;
                if let Some(sd) = get(p, Index::Sigma) {
                    let x = sd.value.min(hi);
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(x, y - 0.35), (x, y + 0.35)],
                        ShapeStyle::from(&ink()).stroke_width(4),
                    )))?;
                }
            } else {
                for (index, shade, half, at) in
                    [(Index::ST, c.mix(0.45), 0.34, 0.24), (Index::S1, c.mix(1.0), 0.16, 0.0)]
                {
                    if let Some(r) = get(p, index) {
                        let v = r.value.clamp(0.0, hi);
                        chart.draw_series(std::iter::once(Rectangle::new(
                            [(0.0, y - half), (v, y + half)],
                            shade.filled(),
                        )))?;
                        if r.ci95_low.is_finite() {
                            let (lo, up) = (r.ci95_low.clamp(0.0, hi), r.ci95_high.clamp(0.0, hi));
                            let style = ShapeStyle::from(&ink()).stroke_width(2);
                            chart.draw_series(whisker(y + at, lo, up, 0.07, false, style))?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
