//! The charts of a sweep: spend against value for every run, return and
//! spend against the swept parameters that matter most (ranked by
//! [`crate::experiment::feature_scoring`]), and a heatmap over the top two.

use crate::plot::PlotError;
use crate::plot::charts::run::draw_spend_vs_value;
use crate::plot::panels::*;
use crate::plot::theme::*;
use crate::plot::{Chart, Format};
use crate::results::{RunData, SweepData};
use crate::scenario::labels::without_unit;
use crate::stats::Estimate;
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The swept parameters that get a `by_parameter` chart when `n` are
/// asked for, in rank order.
pub fn charted_parameters(d: &SweepData, n: ParameterCharts) -> Vec<usize> {
    let ranked = d.ranked_parameters().into_iter().map(|s| s.parameter);
    match n {
        ParameterCharts::All => ranked.collect(),
        ParameterCharts::Top(n) => ranked.take(n).collect(),
    }
}

/// Every chart of a sweep: spend against value for every run, return and
/// spend against each of the top-ranked swept parameters, and a heatmap
/// over the top two.
/// The chart name of swept parameter `i`: `by_parameter_` and its key as
/// a slug.
pub fn parameter_chart_name(d: &SweepData, i: usize) -> String {
    format!("by_parameter_{}", crate::plot::svg::slug(&d.parameters[i]))
}

pub fn sweep_charts(d: &SweepData, format: Format, look: &Look) -> Result<Vec<Chart>, PlotError> {
    with_look(*look, || sweep_charts_in_look(d, format))
}

fn sweep_charts_in_look(d: &SweepData, format: Format) -> Result<Vec<Chart>, PlotError> {
    let mut charts = vec![render!("spend_vs_value", draw_spend_vs_value, &d.runs, format)];
    for i in charted_parameters(d, look().parameter_charts) {
        let job = (d, i);
        charts.push(render!(parameter_chart_name(d, i), draw_by_parameter, &job, format));
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

/// The fewest runs of each policy a bin needs for its mean and CI to be
/// drawn: with fewer in any bin, a `by_parameter` chart shows every run as
/// a dot instead (a mean of one or two runs zig-zags, and its t interval
/// spans the chart).
pub const MIN_RUNS_PER_BIN: usize = 5;

/// A run metric over one swept parameter: per policy, its mean and 95% CI
/// in each bin, the runs behind each bin (the fewest of any policy), and
/// every run as an (x, value) point.
pub(crate) struct Binned {
    pub xs: Vec<f64>,
    pub series: Vec<PolicyBand>,
    pub n: Vec<usize>,
    pub points: Vec<(String, Vec<(f64, f64)>)>,
    /// Draw the runs as dots: some bin holds fewer than
    /// [`MIN_RUNS_PER_BIN`] runs of a policy (here or in the chart's other
    /// panel).
    pub dots: bool,
}

impl Binned {
    pub fn thin(&self) -> bool {
        self.dots
    }
}

/// Mean and 95% CI of a run metric per (policy, bin of one parameter).
pub(crate) fn binned(d: &SweepData, param: usize, metric: &str) -> Binned {
    let per_point: Vec<f64> = d.point_values.iter().map(|v| v[param]).collect();
    let (bin_of_point, centres) = bins(&per_point, 10);
    let pol = d.runs.runs.t("policy");
    let vals = d.runs.runs.n(metric);
    let mut n = vec![usize::MAX; centres.len()];
    let mut points = Vec::new();
    let series = d
        .runs
        .policies
        .iter()
        .map(|p| {
            let mut by_bin: Vec<Vec<f64>> = vec![Vec::new(); centres.len()];
            let mut dots = Vec::new();
            for i in 0..d.runs.runs.rows {
                if &pol[i] == p && vals[i].is_finite() {
                    by_bin[bin_of_point[d.run_point[i]]].push(vals[i]);
                    dots.push((per_point[d.run_point[i]], vals[i]));
                }
            }
            for (k, xs) in by_bin.iter().enumerate() {
                n[k] = n[k].min(xs.len());
            }
            points.push((p.clone(), dots));
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
    n.iter_mut().filter(|k| **k == usize::MAX).for_each(|k| *k = 0);
    Binned {
        xs: centres,
        series,
        dots: n.iter().any(|&k| k < MIN_RUNS_PER_BIN),
        n,
        points,
    }
}

/// A panel of lines with 95% bands over a swept parameter.
#[allow(clippy::too_many_arguments)]
pub(crate) fn param_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    d: &RunData,
    b: &Binned,
    x_fmt: &dyn Fn(&f64) -> String,
    y_fmt: &dyn Fn(&f64) -> String,
    categorical: bool,
) -> ChartResult<()> {
    let (y0, y1) = if b.thin() {
        let ys = finite(b.points.iter().flat_map(|(_, p)| p.iter().map(|&(_, y)| y)));
        let (lo, hi) = bounds(&ys);
        pad(lo.min(0.0), hi)
    } else {
        band_range(&b.series)
    };
    let xs = &b.xs;
    let (xlo, xhi) = bounds(xs);
    let log = !categorical && xlo > 0.0 && xhi / xlo > 20.0;
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
        param_body(&mut chart, x_desc, y_desc, x_fmt, y_fmt, d, b, (y0, y1), false)?;
    } else if categorical {
        // Categories sit at 0, 1, ...: half a step of room on each side.
        let mut chart = ChartBuilder::on(area)
            .caption(title, bold(28))
            .margin(18)
            .x_label_area_size(60)
            .y_label_area_size(120)
            .build_cartesian_2d(xlo - 0.5..xhi + 0.5, y0..y1)?;
        param_body(&mut chart, x_desc, y_desc, x_fmt, y_fmt, d, b, (y0, y1), true)?;
    } else {
        let span = (xhi - xlo).max(1e-9);
        let mut chart = ChartBuilder::on(area)
            .caption(title, bold(28))
            .margin(18)
            .x_label_area_size(60)
            .y_label_area_size(120)
            .build_cartesian_2d(xlo - 0.04 * span..xhi + 0.04 * span, y0..y1)?;
        param_body(&mut chart, x_desc, y_desc, x_fmt, y_fmt, d, b, (y0, y1), false)?;
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
    b: &Binned,
    (y0, y1): (f64, f64),
    categorical: bool,
) -> ChartResult<()>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut m = mesh(chart);
    m.x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(y_fmt);
    if categorical {
        // One tick per category (labels fall on whole numbers only).
        m.disable_x_mesh().x_labels(b.xs.len() * 2 + 1);
    }
    m.draw()?;
    let (xs, series) = (&b.xs, &b.series);
    let n_policies = b.points.len().max(1) as f64;
    if b.thin() {
        // Too few runs per bin for a mean: every run as a dot, side by
        // side by policy at a category.
        for (k, (p, dots)) in b.points.iter().enumerate() {
            let c = policy_color(p, &d.policies);
            let dx = if categorical {
                (k as f64 - (n_policies - 1.0) / 2.0) * 0.12
            } else {
                0.0
            };
            chart.draw_series(
                dots.iter()
                    .map(|&(x, y)| Circle::new((x + dx, y), 7, ShapeStyle::from(&c.mix(0.8)).filled())),
            )?;
        }
        return Ok(());
    }
    // The runs behind each bin's mean, along the foot of the panel.
    let foot = y0 + 0.03 * (y1 - y0);
    let grey = muted();
    let n_style = font(17).color(&grey).pos(Pos::new(HPos::Center, VPos::Bottom));
    chart.draw_series(
        xs.iter()
            .zip(&b.n)
            .map(|(&x, &n)| Text::new(format!("n={n}"), (x, foot), n_style.clone())),
    )?;
    if categorical {
        // Categories have no order to draw a line through: each policy's
        // mean and CI, side by side at each category.
        let n = n_policies;
        for (k, (p, s)) in series.iter().enumerate() {
            let c = policy_color(p, &d.policies);
            let dx = (k as f64 - (n - 1.0) / 2.0) * 0.12;
            for (&x, &(mean, lo, hi)) in xs.iter().zip(s.iter()) {
                if !mean.is_finite() {
                    continue;
                }
                if lo.is_finite() && hi.is_finite() {
                    let style = ShapeStyle::from(&c).stroke_width(4);
                    chart.draw_series(whisker(x + dx, lo, hi, 0.03, true, style))?;
                }
                chart.draw_series(std::iter::once(Circle::new((x + dx, mean), 10, c.filled())))?;
            }
        }
        return Ok(());
    }
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
    let name = &d.parameter_name(i);
    let mut roi = binned(d, i, "roi");
    let mut spend = binned(d, i, "spend_usd");
    // Both panels the same way: dots when either's bins are thin.
    let dots = roi.dots || spend.dots;
    (roi.dots, spend.dots) = (dots, dots);
    let subtitle = if roi.thin() {
        format!(
            "Each dot is one run (fewer than {MIN_RUNS_PER_BIN} runs of a policy in some bin: too few for means); all other swept parameters pooled."
        )
    } else if d.categories[i].is_empty() {
        "Lines are means over the runs in each bin of the parameter (all other swept parameters pooled), bands 95% CIs; n = runs of each policy in the bin.".to_string()
    } else {
        "Dots are means over the runs at each value of the parameter (all other swept parameters pooled), whiskers 95% CIs; n = runs of each policy.".to_string()
    };
    let plot = frame(
        root,
        &format!(
            "Return and spend as {} varies ({})",
            without_unit(name),
            d.runs.scenario
        ),
        &subtitle,
        &if dots {
            // No means drawn: the source line says none are.
            source_of(&d.runs)
        } else {
            source_line(&d.runs)
        },
        &legend_of(&d.runs),
    )?;
    let (left, right) = plot.split_horizontally((width() - LEGEND_WIDTH) / 2);
    // Numbers as plain or scientific text; categories by name.
    let numeric = |v: f64| {
        if v.abs() >= 1000.0 || (v.abs() < 0.01 && v != 0.0) {
            format!("{v:.2e}")
        } else {
            trim(v)
        }
    };
    let x_fmt = |v: &f64| d.label(i, *v, numeric);
    let categorical = !d.categories[i].is_empty();
    param_panel(
        &left,
        "Return on AI spend (value / spend)",
        name,
        "ROI (x)",
        &d.runs,
        &roi,
        &x_fmt,
        &|v| format!("{v:.1}x"),
        categorical,
    )?;
    // Spend cannot fall below zero: neither does its band (a t interval
    // over few runs would).
    spend.series = spend
        .series
        .into_iter()
        .map(|(p, s)| (p, s.into_iter().map(|(m, lo, hi)| (m, lo.max(0.0), hi)).collect()))
        .collect();
    param_panel(
        &right,
        "Token spend over the run",
        name,
        "USD",
        &d.runs,
        &spend,
        &x_fmt,
        &|v| money(*v),
        categorical,
    )?;
    Ok(())
}

pub(crate) fn draw_heatmap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &SweepData) -> ChartResult<()> {
    // The two parameters that move the outcome most.
    let top: Vec<usize> = d.ranked_parameters().iter().map(|s| s.parameter).take(2).collect();
    let (pi, pj) = (top[0], top[1]);
    let (px, py) = (d.parameter_name(pi), d.parameter_name(pj));
    let policies = &d.runs.policies;
    let reference = &policies[0];
    // Panels: each policy against the reference (a one-policy sweep shows
    // its own net value).
    let shown: Vec<&String> = if policies.len() > 1 {
        policies.iter().skip(1).collect()
    } else {
        policies.iter().collect()
    };
    let nets = d.net_by_point();
    let xv: Vec<f64> = d.point_values.iter().map(|v| v[pi]).collect();
    let yv: Vec<f64> = d.point_values.iter().map(|v| v[pj]).collect();
    let (bx, cx) = bins(&xv, HEATMAP_BINS);
    let (by, cy) = bins(&yv, HEATMAP_BINS);
    let distinct = |v: &[f64]| {
        let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        s.sort_by(f64::total_cmp);
        s.dedup();
        s.len()
    };
    let scattered = distinct(&xv) > HEATMAP_BINS || distinct(&yv) > HEATMAP_BINS;
    // Mean difference per cell, and how many points it holds.
    let grids: Vec<Vec<Vec<(f64, usize)>>> = shown
        .iter()
        .map(|p| {
            let a = policies.iter().position(|q| q == *p).unwrap_or(0);
            let mut sum = vec![vec![(0.0, 0usize); cy.len()]; cx.len()];
            for (pt, row) in nets.iter().enumerate() {
                let v = if policies.len() > 1 { row[a] - row[0] } else { row[a] };
                if v.is_finite() {
                    let cell = &mut sum[bx[pt]][by[pt]];
                    cell.0 += v;
                    cell.1 += 1;
                }
            }
            sum.iter()
                .map(|col| {
                    col.iter()
                        .map(|&(s, n)| (if n > 0 { s / n as f64 } else { f64::NAN }, n))
                        .collect()
                })
                .collect()
        })
        .collect();
    // The colour scale, centred on zero, reaches the 5th and 95th
    // percentiles of the cells (the larger in size), so one extreme cell
    // does not wash out the rest; cells beyond it take the full colour.
    let cells: Vec<f64> = grids
        .iter()
        .flatten()
        .flatten()
        .filter(|c| c.1 > 0 && c.0.is_finite())
        .map(|c| c.0)
        .collect();
    let (span, clipped) = colour_span(&cells);
    let filled: Vec<usize> = grids
        .iter()
        .map(|g| g.iter().flatten().filter(|c| c.1 > 0).count())
        .collect();
    let wins: Vec<usize> = grids
        .iter()
        .map(|g| g.iter().flatten().filter(|c| c.1 > 0 && c.0 > 0.0).count())
        .collect();
    let title = if policies.len() > 1 && shown.len() == 1 {
        format!(
            "{} beats {} on net value in {} of {} cells",
            d.runs.name(shown[0]),
            d.runs.name(reference),
            wins[0],
            filled[0]
        )
    } else if policies.len() > 1 {
        let best = (0..shown.len()).max_by_key(|&k| wins[k]).unwrap_or(0);
        format!(
            "Where each policy beats {} on net value: {} most widely ({} of {} cells)",
            d.runs.name(reference),
            d.runs.name(shown[best]),
            wins[best],
            filled[best]
        )
    } else {
        format!("Net value of {} over two swept parameters", d.runs.name(reference))
    };
    let binning = if scattered {
        format!(
            "points binned by quantile, {} x {} (axes: bin means)",
            cx.len(),
            cy.len()
        )
    } else {
        "one cell per pair of swept values".to_string()
    };
    let what = if policies.len() > 1 {
        format!(
            "the policy's mean net value minus {}'s (paired)",
            d.runs.name(reference)
        )
    } else {
        "mean net value (value - spend)".to_string()
    };
    let plot = frame(
        root,
        &title,
        &format!(
            "Cell: {what} over its points; {binning}. Blue: gain, orange: loss, blank: no point.{}",
            if clipped {
                " Colours saturate past the 5th-95th percentile of the cells."
            } else {
                ""
            }
        ),
        // Cells of means, no intervals drawn.
        &source_of(&d.runs),
        &[],
    )?;
    let (panels_area, bar) = plot.split_horizontally(width() - 240);
    let n = shown.len();
    let cols = n.min(3);
    let rows = n.div_ceil(cols);
    let panels = panels_area.split_evenly((rows, cols));
    let fmt_axis = |param: usize, centres: &[f64], v: f64| -> String {
        category_at(v, centres.len()).map_or(String::new(), |i| d.label(param, centres[i], trim))
    };
    let (xs, ys) = (without_unit(&px).to_string(), without_unit(&py).to_string());
    for (k, p) in shown.iter().enumerate() {
        let mut chart = ChartBuilder::on(&panels[k])
            .caption(d.runs.name(p), bold(28).color(&legible(policy_color(p, policies))))
            .margin(18)
            .x_label_area_size(70)
            .y_label_area_size(110)
            .build_cartesian_2d(-0.5f64..(cx.len() as f64 - 0.5), -0.5f64..(cy.len() as f64 - 0.5))?;
        mesh(&mut chart)
            .disable_mesh()
            .x_desc(if xs.len() > 48 { &px } else { &xs }.as_str())
            .y_desc(if ys.len() > 40 { &py } else { &ys }.as_str())
            .x_labels(cx.len() * 2 + 1)
            .y_labels(cy.len() * 2 + 1)
            .x_label_formatter(&|v| fmt_axis(pi, &cx, *v))
            .y_label_formatter(&|v| fmt_axis(pj, &cy, *v))
            .draw()?;
        for (i, col) in grids[k].iter().enumerate() {
            for (j, &(v, count)) in col.iter().enumerate() {
                let (x, y) = (i as f64, j as f64);
                let fill = if count > 0 { diverging(v / span) } else { background() };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    fill.filled(),
                )))?;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    ShapeStyle::from(&grid()).stroke_width(1),
                )))?;
                if count > 0 && cx.len() * cy.len() <= 64 && n <= 3 {
                    let ink = if (v / span).abs() > 0.55 {
                        WHITE
                    } else {
                        RGBColor(30, 30, 30)
                    };
                    let centred = font(18).color(&ink).pos(Pos::new(HPos::Center, VPos::Center));
                    chart.draw_series(std::iter::once(Text::new(money(v), (x, y), centred)))?;
                }
            }
        }
    }
    // The colour key.
    bar.draw(&Text::new("Net value".to_string(), (20, 30), bold(24)))?;
    let versus = if policies.len() > 1 {
        format!("vs {}", d.runs.name(reference))
    } else {
        "(value - spend)".into()
    };
    bar.draw(&Text::new(versus, (20, 60), font(20).color(&muted())))?;
    let (top, height) = (100, 560);
    for k in 0..height {
        let t = 1.0 - 2.0 * k as f64 / height as f64;
        bar.draw(&Rectangle::new(
            [(20, top + k), (60, top + k + 1)],
            diverging(t).filled(),
        ))?;
    }
    bar.draw(&Rectangle::new(
        [(20, top), (60, top + height)],
        ShapeStyle::from(&axis()).stroke_width(1),
    ))?;
    for k in 0..=4 {
        let t = 1.0 - k as f64 / 2.0;
        let y = top + (k as f64 / 4.0 * height as f64) as i32;
        let label = match (t, clipped) {
            (0.0, _) => "$0".to_string(),
            (1.0, true) => format!("\u{2265} {}", money(span)),
            (-1.0, true) => format!("\u{2264} {}", money(-span)),
            _ => money(t * span),
        };
        bar.draw(&Text::new(label, (70, y - 10), font(20)))?;
    }
    Ok(())
}

/// The half-width of the heatmap's colour scale (centred on zero): the
/// larger in size of the 5th and 95th percentiles of the cell values, and
/// whether any cell lies beyond it (its colour then saturates). At least $1.
pub(crate) fn colour_span(cells: &[f64]) -> (f64, bool) {
    let mut sorted: Vec<f64> = cells.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return (1.0, false);
    }
    sorted.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        let pos = q * (sorted.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
    };
    let span = quantile(0.05).abs().max(quantile(0.95).abs()).max(1.0);
    let clipped = sorted.iter().any(|v| v.abs() > span * (1.0 + 1e-9));
    (span, clipped)
}

/// Most bins per axis of the heatmap for a scattered (not grid) design.
const HEATMAP_BINS: usize = 6;

/// A diverging colour for t in [-1, 1]: vermillion (losses) through white
/// to blue (gains), the Okabe-Ito pair, readable by colour-blind viewers.
pub(crate) fn diverging(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(-1.0, 1.0) } else { 0.0 };
    let (end, f) = if t >= 0.0 {
        ((0.0, 114.0, 178.0), t)
    } else {
        ((213.0, 94.0, 0.0), -t)
    };
    let mix = |e: f64| (255.0 + (e - 255.0) * f).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_extreme_cell_does_not_set_the_colour_scale() {
        // 35 cells within +-$1M and one at -$8.6M.
        let mut cells: Vec<f64> = (0..35).map(|k| (k as f64 - 17.0) / 17.0 * 1e6).collect();
        cells.push(-8.6e6);
        let (span, clipped) = colour_span(&cells);
        assert!(span < 1.5e6 && clipped, "{span}");
        // Without an outlier nothing is clipped beyond the scale's reach.
        let (span, _) = colour_span(&[-2.0e6, 1.0e6]);
        assert!((span - 1.85e6).abs() < 1.0, "{span}");
    }

    #[test]
    fn chart_counts_parse() {
        assert_eq!("all".parse(), Ok(ParameterCharts::All));
        assert_eq!("3".parse(), Ok(ParameterCharts::Top(3)));
        assert!("many".parse::<ParameterCharts>().is_err());
    }
}
