//! The charts of a policy search: the trade-off between its first two
//! objectives (every candidate, the front, the presets), the front's levers
//! and objectives as parallel coordinates, and convergence (hypervolume
//! against evaluations).

use crate::plot::PlotError;
use crate::plot::panels::*;
use crate::plot::theme::*;
use crate::plot::{Chart, Format};
use plotters::prelude::*;

/// What the search charts are drawn from.
#[derive(Debug, Clone)]
pub struct OptimizeData {
    pub name: String,
    /// Objective labels, whether each is money, whether more is better.
    pub objectives: Vec<(String, bool, bool)>,
    pub levers: Vec<String>,
    /// Every candidate's objectives (in their units) and whether feasible.
    pub candidates: Vec<(Vec<f64>, bool)>,
    /// The front: lever values (on [0, 1] of their ranges) and objectives.
    pub front: Vec<(Vec<f64>, Vec<f64>)>,
    /// Presets by name with their in-sample objectives.
    pub presets: Vec<(String, Vec<f64>)>,
    /// (evaluations, hypervolume) per generation.
    pub convergence: Vec<(f64, f64)>,
    pub source: String,
}

const FRONT: RGBColor = RGBColor(0, 0, 0); // black: no preset's colour

pub fn optimize_charts(d: &OptimizeData, format: Format, look: &Look) -> Result<Vec<Chart>, PlotError> {
    with_look(*look, || optimize_charts_in_look(d, format))
}

fn optimize_charts_in_look(d: &OptimizeData, format: Format) -> Result<Vec<Chart>, PlotError> {
    let mut charts = vec![render!("search_convergence", draw_convergence, d, format)];
    if d.objectives.len() >= 2 {
        charts.push(render!("search_tradeoff", draw_tradeoff, d, format));
    }
    if !d.front.is_empty() {
        charts.push(render!("search_levers", draw_levers, d, format));
    }
    Ok(charts)
}

fn axis_label(v: f64, is_money: bool) -> String {
    if is_money { money(v) } else { format!("{v:.3}") }
}

fn draw_tradeoff<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    d: &OptimizeData,
) -> ChartResult<()> {
    let names: Vec<String> = d.presets.iter().map(|p| p.0.clone()).collect();
    let mut legend = vec![("every candidate".to_string(), muted()), ("front".to_string(), FRONT)];
    legend.extend(names.iter().map(|n| (n.clone(), policy_color(n, &names))));
    let (xl, xm, _) = &d.objectives[0];
    let (yl, ym, _) = &d.objectives[1];
    let area = frame_titled(
        root,
        &format!("{}: {} against {}, in the search's worlds", d.name, xl, yl),
        "Each dot a candidate policy, all run in the same worlds; black: the front, which no candidate beats on every objective (those not drawn included); triangles: the presets.",
        &d.source,
        "Candidates",
        &legend,
    )?;
    let pts = d
        .candidates
        .iter()
        .map(|c| (c.0[0], c.0[1]))
        .chain(d.presets.iter().map(|p| (p.1[0], p.1[1])));
    let (xs, ys): (Vec<f64>, Vec<f64>) = pts.unzip();
    let (x0, x1) = pad_range(&xs);
    let (y0, y1) = pad_range(&ys);
    let mut chart = ChartBuilder::on(&area)
        .margin(30)
        .x_label_area_size(80)
        .y_label_area_size(140)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    mesh(&mut chart)
        .x_desc(xl.as_str())
        .y_desc(yl.as_str())
        .x_label_formatter(&|v| axis_label(*v, *xm))
        .y_label_formatter(&|v| axis_label(*v, *ym))
        .draw()?;
    chart.draw_series(d.candidates.iter().map(|c| {
        Circle::new(
            (c.0[0], c.0[1]),
            5,
            if c.1 { muted().filled() } else { muted().stroke_width(1) },
        )
    }))?;
    chart.draw_series(
        d.front
            .iter()
            .map(|f| Circle::new((f.1[0], f.1[1]), 10, FRONT.filled())),
    )?;
    for (n, o) in &d.presets {
        let c = policy_color(n, &names);
        chart.draw_series(std::iter::once(TriangleMarker::new((o[0], o[1]), 14, c.filled())))?;
    }
    Ok(())
}

fn pad_range(v: &[f64]) -> (f64, f64) {
    let (lo, hi) = bounds(&finite(v.iter().copied()));
    pad(lo, hi)
}

fn draw_convergence<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    d: &OptimizeData,
) -> ChartResult<()> {
    let area = frame_titled(
        root,
        &format!("{}: convergence", d.name),
        "Hypervolume of the archive (objectives scaled by the first generation's range; higher is better) after each generation.",
        &d.source,
        "",
        &[],
    )?;
    let xmax = d.convergence.last().map_or(1.0, |c| c.0).max(1.0);
    let ys: Vec<f64> = d.convergence.iter().map(|c| c.1).collect();
    let (_, y1) = pad_range(&ys);
    let mut chart = ChartBuilder::on(&area)
        .margin(30)
        .x_label_area_size(80)
        .y_label_area_size(100)
        .build_cartesian_2d(0.0..xmax * 1.02, 0.0..y1.max(0.1))?;
    mesh(&mut chart)
        .x_desc("evaluations")
        .y_desc("hypervolume")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.2}"))
        .draw()?;
    chart.draw_series(LineSeries::new(d.convergence.iter().copied(), FRONT.stroke_width(3)))?;
    chart.draw_series(d.convergence.iter().map(|&p| Circle::new(p, 6, FRONT.filled())))?;
    Ok(())
}

fn draw_levers<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    d: &OptimizeData,
) -> ChartResult<()> {
    let area = frame_titled(
        root,
        &format!("{}: the front's levers and objectives", d.name),
        "One line per front candidate: each lever on its range (0 = low end, 1 = high end), then each objective from the front's worst (0) to best (1).",
        &d.source,
        "",
        &[],
    )?;
    let axes: Vec<String> = d
        .levers
        .iter()
        .cloned()
        .chain(d.objectives.iter().map(|o| o.0.clone()))
        .collect();
    let n = axes.len();
    // One row per axis, top to bottom: labels sit on the left, readable.
    let mut chart = ChartBuilder::on(&area)
        .margin(30)
        .x_label_area_size(80)
        .y_label_area_size(460)
        .build_cartesian_2d(-0.05..1.05, -0.5..(n as f64 - 0.5))?;
    let row = |i: usize| (n - 1 - i) as f64;
    mesh(&mut chart)
        .y_labels(n)
        .y_label_formatter(&|v| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                axes[n - 1 - i as usize].clone()
            } else {
                String::new()
            }
        })
        .x_label_formatter(&|v| format!("{v:.1}"))
        .x_desc("position on the lever's range; objectives: front's worst (0) to best (1)")
        .draw()?;
    // Objectives scaled across the front, best at 1 (each objective says
    // its own direction in its label; the front's order is what is shown).
    let m = d.objectives.len();
    let ranges: Vec<(f64, f64)> = (0..m)
        .map(|k| bounds(&finite(d.front.iter().map(|f| f.1[k]))))
        .collect();
    for (levers, objs) in &d.front {
        let mut line: Vec<(f64, f64)> = levers.iter().enumerate().map(|(i, &v)| (v, row(i))).collect();
        for (k, &v) in objs.iter().enumerate() {
            let (lo, hi) = ranges[k];
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            let t = if d.objectives[k].2 { t } else { 1.0 - t };
            line.push((t, row(levers.len() + k)));
        }
        chart.draw_series(std::iter::once(PathElement::new(
            line.clone(),
            FRONT.mix(0.5).stroke_width(2),
        )))?;
        chart.draw_series(line.into_iter().map(|p| Circle::new(p, 5, FRONT.filled())))?;
    }
    Ok(())
}
