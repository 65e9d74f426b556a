//! The charts of scenario discovery: PRIM's coverage–density trade-off
//! along its trajectory, and the chosen box's limits on each varied
//! parameter's range.

use crate::experiment::prim::Step;
use crate::plot::PlotError;
use crate::plot::panels::*;
use crate::plot::theme::*;
use crate::plot::{Chart, Format};
use plotters::prelude::*;

/// What the discovery charts are drawn from.
#[derive(Debug, Clone)]
pub struct DiscoveryData {
    /// What a case of interest is, in words.
    pub title: String,
    /// "plausible worlds" or "points".
    pub unit: String,
    pub keys: Vec<String>,
    pub steps: Vec<Step>,
    /// The data's range of each parameter.
    pub init: Vec<(f64, f64)>,
    /// Whether each parameter was drawn on a log scale (shown on one).
    pub log: Vec<bool>,
    pub chosen: Option<usize>,
    /// The chosen step with its insignificant limits dropped.
    pub pruned: Option<Step>,
    pub source: String,
}

const PEEL: RGBColor = RGBColor(0, 114, 178); // blue
const PASTE: RGBColor = RGBColor(0, 158, 115); // green
const CHOSEN: RGBColor = RGBColor(213, 94, 0); // vermillion

pub fn discovery_charts(d: &DiscoveryData, format: Format, look: &Look) -> Result<Vec<Chart>, PlotError> {
    with_look(*look, || discovery_charts_in_look(d, format))
}

fn discovery_charts_in_look(d: &DiscoveryData, format: Format) -> Result<Vec<Chart>, PlotError> {
    let mut charts = vec![render!("tradeoff", draw_tradeoff, d, format)];
    if d.chosen.is_some() {
        charts.push(render!("box", draw_box, d, format));
    }
    Ok(charts)
}

fn draw_tradeoff<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    d: &DiscoveryData,
) -> ChartResult<()> {
    // The legend names only what is drawn: pasting when a step was pasted,
    // the chosen box when there is one.
    let mut legend = vec![("peeling".to_string(), PEEL)];
    if d.steps.iter().any(|s| s.pasted) {
        legend.push(("pasting".to_string(), PASTE));
    }
    if d.pruned.is_some() {
        legend.push(("chosen box".to_string(), CHOSEN));
    }
    let area = frame_titled(
        root,
        &format!("Where {}: PRIM's trade-off", d.title),
        &format!(
            "Each dot a box PRIM peeled or pasted: coverage (share of the {} of interest inside) against density. Labels: parameters restricted.",
            d.unit
        ),
        &d.source,
        "Step",
        &legend,
    )?;
    let mut chart = ChartBuilder::on(&area)
        .margin(30)
        .x_label_area_size(80)
        .y_label_area_size(100)
        .build_cartesian_2d(0.0..1.02, 0.0..1.02)?;
    mesh(&mut chart)
        .x_desc("coverage")
        .y_desc("density")
        .x_label_formatter(&|v| format!("{:.0}%", 100.0 * v))
        .y_label_formatter(&|v| format!("{:.0}%", 100.0 * v))
        .draw()?;
    chart.draw_series(LineSeries::new(
        d.steps.iter().map(|s| (s.coverage, s.density)),
        muted().stroke_width(2),
    ))?;
    for (i, s) in d.steps.iter().enumerate() {
        let color = if s.pasted { PASTE } else { PEEL };
        chart.draw_series(std::iter::once(Circle::new((s.coverage, s.density), 8, color.filled())))?;
        let restricted = s.restricted(&d.init).len();
        let previous = i.checked_sub(1).map(|p| d.steps[p].restricted(&d.init).len());
        if previous != Some(restricted) {
            chart.draw_series(std::iter::once(Text::new(
                format!("{restricted}"),
                (s.coverage - 0.02, s.density + 0.012),
                font(22).color(&color),
            )))?;
        }
    }
    // The chosen box after its insignificant limits were dropped.
    if let Some(p) = &d.pruned {
        chart.draw_series(std::iter::once(Circle::new(
            (p.coverage, p.density),
            16,
            CHOSEN.filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            format!(
                "chosen: {}, density {:.2}, coverage {:.2}",
                crate::human::count(p.restricted(&d.init).len(), "parameter"),
                p.density,
                p.coverage
            ),
            (p.coverage.min(0.62), p.density + 0.05),
            font(24).color(&CHOSEN),
        )))?;
    }
    Ok(())
}

fn draw_box<DB: DrawingBackend>(root: &DrawingArea<DB, plotters::coord::Shift>, d: &DiscoveryData) -> ChartResult<()> {
    let k = d.chosen.expect("drawn only with a chosen box");
    let s = d.pruned.as_ref().expect("a chosen box is pruned");
    let restricted = s.restricted(&d.init);
    let area = frame_titled(
        root,
        &format!("Where {}", d.title),
        &format!(
            "Step {k}, insignificant limits dropped: density {:.2}, coverage {:.2}, mass {:.2}. Bars: the box on each parameter's range in the data.",
            s.density, s.coverage, s.mass
        ),
        &d.source,
        "Box",
        &[("inside the box".to_string(), CHOSEN)],
    )?;
    let (labels, plot) = area.split_horizontally(620);
    let n = restricted.len().max(1);
    let mut chart = ChartBuilder::on(&plot)
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(10)
        .build_cartesian_2d(0.0..1.0, -0.5..(n as f64 - 0.5))?;
    mesh(&mut chart)
        .disable_y_axis()
        .disable_y_mesh()
        .x_desc("position in the parameter's range across the data")
        .x_label_formatter(&|v| format!("{v:.1}"))
        .draw()?;
    let (_, h) = plot.dim_in_pixel();
    let usable = h as f64 - 20.0 - 70.0 - 20.0;
    for (row, &j) in restricted.iter().enumerate() {
        let y = (n - 1 - row) as f64;
        let (lo, hi) = d.init[j];
        let log = d.log[j] && lo > 0.0;
        let t = |v: f64| if log { v.ln() } else { v };
        let at = |v: f64| ((t(v) - t(lo)) / (t(hi) - t(lo))).clamp(0.0, 1.0);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y - 0.08), (1.0, y + 0.08)],
            muted().mix(0.3).filled(),
        )))?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(at(s.limits[j].0), y - 0.3), (at(s.limits[j].1), y + 0.3)],
            CHOSEN.mix(0.8).filled(),
        )))?;
        let py = 20.0 + usable * (row as f64 + 0.5) / n as f64;
        let qp = |q: f64| {
            if q.is_nan() {
                String::new()
            } else if q < 0.001 {
                "< 0.001".to_string()
            } else {
                format!("{q:.3}")
            }
        };
        labels.draw(&Text::new(d.keys[j].clone(), (40, py as i32 - 28), font(22)))?;
        labels.draw(&Text::new(
            format!(
                "{} to {}{}  (quasi-p {}{}{})",
                crate::output::table::limit(s.limits[j].0),
                crate::output::table::limit(s.limits[j].1),
                if log { ", log scale" } else { "" },
                qp(s.qp[j].0),
                if s.qp[j].0.is_nan() || s.qp[j].1.is_nan() {
                    ""
                } else {
                    ", "
                },
                qp(s.qp[j].1)
            ),
            (40, py as i32 + 2),
            font(20).color(&muted()),
        ))?;
    }
    Ok(())
}
