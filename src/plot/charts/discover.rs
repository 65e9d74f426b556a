//! The charts of scenario discovery: PRIM's coverage–density trade-off
//! along its trajectory, and the chosen box's limits on each varied
//! parameter's range.

use crate::experiment::prim::Step;
use crate::plot::PlotError;
use crate::plot::panels::*;
use crate::plot::theme::*;
use crate::plot::{Chart, Format};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
    // The axes zoom to the boxes drawn (with a margin) rather than always
    // spanning 0 to 100 %: boxes all above 85 % would otherwise sit in a
    // corner. An axis that does not start at 0 says so in its label.
    let points: Vec<(f64, f64)> = d
        .steps
        .iter()
        .chain(d.pruned.as_ref())
        .map(|s| (s.coverage, s.density))
        .filter(|(c, r)| c.is_finite() && r.is_finite())
        .collect();
    let (xr, yr) = (zoom(points.iter().map(|p| p.0)), zoom(points.iter().map(|p| p.1)));
    let (xs, ys) = (xr.1 - xr.0, yr.1 - yr.0);
    let mut chart = ChartBuilder::on(&area)
        .margin(30)
        .x_label_area_size(80)
        .y_label_area_size(100)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)?;
    mesh(&mut chart)
        .x_desc(axis_label("coverage", xr))
        .y_desc(axis_label("density", yr))
        // No tick beyond 100 %: the margin above it is room, not a share.
        .x_label_formatter(&share_tick)
        .y_label_formatter(&share_tick)
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
                (s.coverage - 0.02 * xs, s.density + 0.012 * ys),
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
            // Beside the dot, on the side with room: left of it when it
            // sits in the right half, where the trajectory's dots often are.
            if p.coverage > xr.0 + 0.5 * xs {
                (p.coverage - 0.025 * xs, p.density)
            } else {
                (p.coverage + 0.025 * xs, p.density)
            },
            font(24).color(&CHOSEN).pos(Pos::new(
                if p.coverage > xr.0 + 0.5 * xs {
                    HPos::Right
                } else {
                    HPos::Left
                },
                VPos::Center,
            )),
        )))?;
    }
    Ok(())
}

/// An axis range for shares that holds `values` with a margin of a tenth
/// of their spread (at least 2 points of percentage), within 0 to 102 %;
/// 0 to 102 % when there is nothing to hold.
pub(crate) fn zoom(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.02);
    }
    let margin = (0.1 * (hi - lo)).max(0.02);
    let high = (hi + margin).min(1.02);
    // At least 10 points of percentage, so that ticks fall on whole
    // percents (boxes all at 100 % coverage gave ticks 98, 98, 99, 100,
    // 100 around a lone column of dots).
    let low = (lo - margin).min(high - 0.1);
    // A range that would start below 10 % starts at 0: zooming in gains
    // little there and an axis from 0 needs no warning.
    let low = if low < 0.1 { 0.0 } else { low };
    (low, high)
}

fn share_tick(v: &f64) -> String {
    if *v > 1.0 + 1e-9 {
        String::new()
    } else {
        format!("{:.0}%", 100.0 * v)
    }
}

/// An axis label that says when the axis does not start at 0.
fn axis_label(name: &str, range: (f64, f64)) -> String {
    if range.0 > 0.0 {
        format!(
            "{name} (axis zoomed to {:.0}–{:.0} %, not from 0)",
            100.0 * range.0,
            100.0 * range.1.min(1.0)
        )
    } else {
        name.to_string()
    }
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

#[cfg(test)]
mod tests {
    use super::zoom;

    /// The trade-off's axes: zoomed with a margin, at least 10 points of
    /// percentage wide, never past 102 %, from 0 when they would start
    /// below 10 %.
    #[test]
    fn axes_zoom_to_the_boxes_at_least_ten_points_wide() {
        let close = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 1e-12 && (a.1 - b.1).abs() < 1e-12;
        // Every box at 100 % coverage.
        assert!(close(zoom([1.0, 1.0, 1.0].into_iter()), (0.92, 1.02)));
        // Spread from 20 % to 92 %: a tenth of the spread each side.
        assert!(close(zoom([0.2, 0.5, 0.92].into_iter()), (0.2 - 0.072, 0.92 + 0.072)));
        // Starting near 0: from 0.
        assert!(close(zoom([0.05, 0.5].into_iter()), (0.0, 0.545)));
        // Nothing to hold.
        assert!(close(zoom(std::iter::empty()), (0.0, 1.02)));
    }
}
