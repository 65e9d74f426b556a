//! The charts of a sweep: spend against value for every run, each metric
//! against each swept parameter, and a heatmap over the first two.

use crate::plot::charts::run::draw_spend_vs_value;
use crate::plot::data::{PlotError, RunData, SweepData};
use crate::plot::panels::*;
use crate::plot::theme::*;
use crate::plot::{Chart, Format};
use crate::stats::Estimate;
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

/// Every chart of a sweep: spend against value for every run, each metric
/// against each swept parameter, and a heatmap over the first two.
pub fn sweep_charts(d: &SweepData, format: Format) -> Result<Vec<Chart>, PlotError> {
    let mut charts = vec![render!("spend_vs_value", draw_spend_vs_value, &d.runs, format)];
    for i in 0..d.parameters.len() {
        let job = (d, i);
        charts.push(render!(
            format!("by_parameter_{}", i + 1),
            draw_by_parameter,
            &job,
            format
        ));
    }
    if d.parameters.len() >= 2 {
        charts.push(render!("heatmap", draw_heatmap, d, format));
    }
    Ok(charts)
}

/// Bins of a parameter: its distinct values when there are few, otherwise
/// equal-count bins. Returns the bin of each point and each bin's centre.
pub(crate) fn bins(values: &[f64], max_bins: usize) -> (Vec<usize>, Vec<f64>) {
    let mut distinct: Vec<f64> = values.iter().cloned().filter(|v| v.is_finite()).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() <= max_bins {
        let of = values
            .iter()
            .map(|v| distinct.iter().position(|d| d == v).unwrap_or(0))
            .collect();
        return (of, distinct);
    }
    let mut sorted: Vec<f64> = values.iter().cloned().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let edges: Vec<f64> = (1..max_bins).map(|k| sorted[k * sorted.len() / max_bins]).collect();
    let of: Vec<usize> = values.iter().map(|v| edges.iter().filter(|e| v >= e).count()).collect();
    let centres = (0..max_bins)
        .map(|b| {
            let inside: Vec<f64> = values
                .iter()
                .zip(&of)
                .filter(|(_, o)| **o == b)
                .map(|(v, _)| *v)
                .collect();
            inside.iter().sum::<f64>() / inside.len().max(1) as f64
        })
        .collect();
    (of, centres)
}

/// Mean and 95% CI of a run metric per (policy, bin of one parameter).
pub(crate) fn binned(d: &SweepData, param: usize, metric: &str) -> (Vec<f64>, Vec<PolicyBand>) {
    let per_point: Vec<f64> = d.point_values.iter().map(|v| v[param]).collect();
    let (bin_of_point, centres) = bins(&per_point, 10);
    let pol = d.runs.runs.t("policy");
    let vals = d.runs.runs.n(metric);
    let series = d
        .runs
        .policies
        .iter()
        .map(|p| {
            let mut by_bin: Vec<Vec<f64>> = vec![Vec::new(); centres.len()];
            for i in 0..d.runs.runs.rows {
                if &pol[i] == p && vals[i].is_finite() {
                    by_bin[bin_of_point[d.run_point[i]]].push(vals[i]);
                }
            }
            let band = by_bin
                .iter()
                .map(|xs| {
                    let e = Estimate::of(xs);
                    if e.ci95_low.is_finite() {
                        (e.mean, e.ci95_low, e.ci95_high)
                    } else {
                        (e.mean, e.mean, e.mean)
                    }
                })
                .collect();
            (p.clone(), band)
        })
        .collect();
    (centres, series)
}

/// A panel of lines with 95% bands over a swept parameter.
#[allow(clippy::too_many_arguments)]
pub(crate) fn param_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    d: &RunData,
    xs: &[f64],
    series: &[PolicyBand],
    x_fmt: &dyn Fn(&f64) -> String,
    y_fmt: &dyn Fn(&f64) -> String,
) -> ChartResult<()> {
    let (y0, y1) = band_range(series);
    let (xlo, xhi) = bounds(xs);
    let log = xlo > 0.0 && xhi / xlo > 20.0;
    if log {
        let mut chart = ChartBuilder::on(area)
            .caption(title, bold(28))
            .margin(18)
            .x_label_area_size(60)
            .y_label_area_size(120)
            .build_cartesian_2d(
                (xlo / 1.2..xhi * 1.2)
                    .log_scale()
                    .with_key_points(crate::plot::charts::calibrate::log_ticks(xlo / 1.2, xhi * 1.2)),
                y0..y1,
            )?;
        param_body(&mut chart, x_desc, y_desc, x_fmt, y_fmt, d, xs, series)?;
    } else {
        let span = (xhi - xlo).max(1e-9);
        let mut chart = ChartBuilder::on(area)
            .caption(title, bold(28))
            .margin(18)
            .x_label_area_size(60)
            .y_label_area_size(120)
            .build_cartesian_2d(xlo - 0.04 * span..xhi + 0.04 * span, y0..y1)?;
        param_body(&mut chart, x_desc, y_desc, x_fmt, y_fmt, d, xs, series)?;
    }
    Ok(())
}

/// The body of the chart, on linear or log axes alike.
#[allow(clippy::too_many_arguments)]
fn param_body<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    x_desc: &str,
    y_desc: &str,
    x_fmt: &dyn Fn(&f64) -> String,
    y_fmt: &dyn Fn(&f64) -> String,
    d: &RunData,
    xs: &[f64],
    series: &[PolicyBand],
) -> ChartResult<()>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    mesh(chart)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(y_fmt)
        .draw()?;
    for (p, s) in series {
        let c = policy_color(p, &d.policies);
        let pts: Vec<(f64, (f64, f64, f64))> = xs
            .iter()
            .cloned()
            .zip(s.iter().cloned())
            .filter(|(_, (m, _, _))| m.is_finite())
            .collect();
        let mut poly: Vec<(f64, f64)> = pts.iter().map(|&(x, (_, lo, _))| (x, lo)).collect();
        poly.extend(pts.iter().rev().map(|&(x, (_, _, hi))| (x, hi)));
        chart.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))?;
        chart.draw_series(LineSeries::new(
            pts.iter().map(|&(x, (m, _, _))| (x, m)),
            ShapeStyle::from(&c).stroke_width(3),
        ))?;
        chart.draw_series(pts.iter().map(|&(x, (m, _, _))| Circle::new((x, m), 6, c.filled())))?;
    }
    Ok(())
}

pub(crate) fn draw_by_parameter<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    job: &(&SweepData, usize),
) -> ChartResult<()> {
    let (d, i) = *job;
    let name = &d.parameters[i];
    let plot = frame(
        root,
        &format!("Return and spend as {name} varies ({})", d.runs.scenario),
        "Lines are means over the runs in each bin of the parameter (all other swept parameters pooled), bands 95% CIs.",
        &source_line(&d.runs),
        &legend_of(&d.runs),
    )?;
    let (left, right) = plot.split_horizontally((WIDTH - LEGEND_WIDTH) / 2);
    // Numbers as plain or scientific text; categories by name.
    let numeric = |v: f64| {
        if v.abs() >= 1000.0 || (v.abs() < 0.01 && v != 0.0) {
            format!("{v:.2e}")
        } else {
            trim(v)
        }
    };
    let x_fmt = |v: &f64| d.label(i, *v, numeric);
    let (xs, roi) = binned(d, i, "roi");
    param_panel(
        &left,
        "Return on AI spend (value / spend)",
        name,
        "ROI (x)",
        &d.runs,
        &xs,
        &roi,
        &x_fmt,
        &|v| format!("{v:.1}x"),
    )?;
    let (xs, spend) = binned(d, i, "spend_usd");
    // Spend cannot fall below zero: neither does its band (a t interval
    // over few runs would).
    let spend: Vec<PolicyBand> = spend
        .into_iter()
        .map(|(p, s)| (p, s.into_iter().map(|(m, lo, hi)| (m, lo.max(0.0), hi)).collect()))
        .collect();
    param_panel(
        &right,
        "Token spend over the run",
        name,
        "USD",
        &d.runs,
        &xs,
        &spend,
        &x_fmt,
        &|v| money(*v),
    )?;
    Ok(())
}

pub(crate) fn draw_heatmap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &SweepData) -> ChartResult<()> {
    let (px, py) = (&d.parameters[0], &d.parameters[1]);
    // The colour bar takes the legend's place: each panel is one policy.
    let plot = frame(
        root,
        &format!("Return on AI spend over {px} and {py} ({})", d.runs.scenario),
        "Each cell is the mean ROI (delivered value / spend) of the runs in it, one panel per policy; the colour scale is shared.",
        &source_line(&d.runs),
        &[],
    )?;
    let (panels_area, bar) = plot.split_horizontally(WIDTH - 220);
    let xv: Vec<f64> = d.point_values.iter().map(|v| v[0]).collect();
    let yv: Vec<f64> = d.point_values.iter().map(|v| v[1]).collect();
    let (bx, cx) = bins(&xv, 8);
    let (by, cy) = bins(&yv, 8);
    let pol = d.runs.runs.t("policy");
    let roi = d.runs.runs.n("roi");
    let grids: Vec<Vec<Vec<f64>>> = d
        .runs
        .policies
        .iter()
        .map(|p| {
            let mut sum = vec![vec![(0.0, 0usize); cy.len()]; cx.len()];
            for i in 0..d.runs.runs.rows {
                if &pol[i] == p && roi[i].is_finite() {
                    let pt = d.run_point[i];
                    let cell = &mut sum[bx[pt]][by[pt]];
                    cell.0 += roi[i];
                    cell.1 += 1;
                }
            }
            sum.iter()
                .map(|col| {
                    col.iter()
                        .map(|&(s, n)| if n > 0 { s / n as f64 } else { f64::NAN })
                        .collect()
                })
                .collect()
        })
        .collect();
    let all = finite(grids.iter().flatten().flatten().cloned());
    let (lo, hi) = bounds(&all);
    let scale = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
    let n = d.runs.policies.len();
    let cols = n.min(3);
    let rows = n.div_ceil(cols);
    let panels = panels_area.split_evenly((rows, cols));
    let fmt_axis = |param: usize, centres: &[f64], v: f64| -> String {
        category_at(v, centres.len()).map_or(String::new(), |i| d.label(param, centres[i], trim))
    };
    for (k, p) in d.runs.policies.iter().enumerate() {
        let mut chart = ChartBuilder::on(&panels[k])
            .caption(p, bold(28).color(&policy_color(p, &d.runs.policies)))
            .margin(18)
            .x_label_area_size(70)
            .y_label_area_size(110)
            .build_cartesian_2d(-0.5f64..(cx.len() as f64 - 0.5), -0.5f64..(cy.len() as f64 - 0.5))?;
        mesh(&mut chart)
            .disable_mesh()
            .x_desc(px.as_str())
            .y_desc(py.as_str())
            .x_labels(cx.len() * 2 + 1)
            .y_labels(cy.len() * 2 + 1)
            .x_label_formatter(&|v| fmt_axis(0, &cx, *v))
            .y_label_formatter(&|v| fmt_axis(1, &cy, *v))
            .draw()?;
        for (i, col) in grids[k].iter().enumerate() {
            for (j, &v) in col.iter().enumerate() {
                let (x, y) = (i as f64, j as f64);
                let fill = if v.is_finite() {
                    viridis(scale(v))
                } else {
                    RGBColor(240, 240, 240)
                };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    fill.filled(),
                )))?;
                if v.is_finite() && cx.len() * cy.len() <= 64 {
                    let ink = if scale(v) > 0.6 { TEXT } else { WHITE };
                    let label = format!("{v:.1}x");
                    chart.draw_series(std::iter::once(Text::new(
                        label,
                        (x - 0.2, y + 0.1),
                        font(20).color(&ink),
                    )))?;
                }
            }
        }
    }
    // The colour bar.
    bar.draw(&Text::new("ROI (x)".to_string(), (20, 30), bold(26)))?;
    let (top, height) = (80, 600);
    for k in 0..height {
        let t = 1.0 - k as f64 / height as f64;
        bar.draw(&Rectangle::new([(20, top + k), (60, top + k + 1)], viridis(t).filled()))?;
    }
    for k in 0..=4 {
        let t = k as f64 / 4.0;
        let v = lo + t * (hi - lo);
        let y = top + ((1.0 - t) * height as f64) as i32;
        bar.draw(&Text::new(format!("{v:.2}x"), (70, y - 10), font(22)))?;
    }
    Ok(())
}
