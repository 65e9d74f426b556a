//! The chart of a comparison of two runs (`tokenmaxx compare`): each
//! policy's mean net value in A and in B with 95% CIs, beside B - A with
//! its 95% CI (paired by seed or Welch's, as the row says).

use crate::experiment::compare::{Method, Row, excludes_zero};
use crate::plot::PlotError;
use crate::plot::panels::*;
use crate::plot::theme::*;
use crate::plot::{Chart, Format};
use crate::scenario::labels::Labels;
use plotters::coord::Shift;
use plotters::prelude::*;

/// What the comparison chart is drawn from.
#[derive(Debug, Clone)]
pub struct CompareData {
    /// The folders' names.
    pub a: String,
    pub b: String,
    /// Policies both ran, in A's order.
    pub policies: Vec<String>,
    /// Display names (A's manifest, then B's).
    pub labels: Labels,
    /// The rows of comparison.csv for policies in both (any metric; the
    /// chart shows `net_value_usd`).
    pub rows: Vec<Row>,
    pub source: String,
}

impl CompareData {
    fn net(&self, p: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.policy == p && r.metric == "net_value_usd")
    }

    fn name(&self, p: &str) -> String {
        self.labels.policy(p)
    }
}

/// The charts of a comparison: `comparison`.
pub fn compare_charts(d: &CompareData, format: Format, look: &Look) -> Result<Vec<Chart>, PlotError> {
    with_look(*look, || compare_charts_in_look(d, format))
}

fn compare_charts_in_look(d: &CompareData, format: Format) -> Result<Vec<Chart>, PlotError> {
    Ok(vec![render!("comparison", draw_comparison, d, format)])
}

/// The title: the largest difference in net value whose CI excludes zero,
/// or that none does.
fn headline(d: &CompareData) -> String {
    let clear = d
        .policies
        .iter()
        .filter_map(|p| d.net(p).map(|r| (p, r.d.diff)))
        .filter(|(_, e)| excludes_zero(e))
        .max_by(|x, y| x.1.mean.abs().total_cmp(&y.1.mean.abs()));
    match clear {
        Some((p, e)) => format!(
            "Under {}, {} delivers {} {} net value than {}",
            d.name(p),
            d.b,
            money(e.mean.abs()),
            if e.mean > 0.0 { "more" } else { "less" },
            d.a
        ),
        None => format!("{} and {}: no clear difference in net value under any policy", d.b, d.a),
    }
}

/// Marker of study A (circle) and B (triangle) at `at`.
fn marker<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    at: (f64, f64),
    b: bool,
    c: RGBColor,
) -> ChartResult<()> {
    if b {
        chart.draw_series(std::iter::once(TriangleMarker::new(at, 15, c.filled())))?;
    } else {
        chart.draw_series(std::iter::once(Circle::new(at, 12, c.filled())))?;
        chart.draw_series(std::iter::once(Circle::new(
            at,
            12,
            ShapeStyle::from(&background()).stroke_width(2),
        )))?;
    }
    Ok(())
}

fn draw_comparison<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &CompareData) -> ChartResult<()> {
    let legend: Vec<(String, RGBColor)> = d
        .policies
        .iter()
        .map(|p| (d.name(p), policy_color(p, &d.policies)))
        .collect();
    let plot = frame(
        root,
        &headline(d),
        &format!(
            "Left: mean net value (value - spend) per policy, \u{25cf} {} and \u{25b2} {}, with 95% CIs. Right: {} - {}, with its 95% CI.",
            d.a, d.b, d.b, d.a
        ),
        &d.source,
        &legend,
    )?;
    let (left, right) = plot.split_horizontally(plot.dim_in_pixel().0 * 11 / 20);
    let n = d.policies.len().max(1);
    let names: Vec<String> = d.policies.iter().map(|p| d.name(p)).collect();
    // Policy i sits at y = n - 1 - i, the first on top.
    let y_of = |i: usize| (n - 1 - i) as f64;
    let label = |v: &f64| category_at(*v, n).map_or(String::new(), |i| names[n - 1 - i].clone());

    // Left: A's and B's means with their intervals.
    let vals = finite(d.policies.iter().filter_map(|p| d.net(p)).flat_map(|r| {
        [
            r.d.a.mean,
            r.d.a.ci95_low,
            r.d.a.ci95_high,
            r.d.b.mean,
            r.d.b.ci95_low,
            r.d.b.ci95_high,
        ]
    }));
    let (lo, hi) = bounds(&vals);
    let (x0, x1) = pad(lo.min(0.0), hi.max(0.0));
    // Room on the right for the folders' names.
    let x1 = x1 + 0.15 * (x1 - x0);
    let mut chart = ChartBuilder::on(&left)
        .caption("Net value per policy", bold(28))
        .margin(18)
        .x_label_area_size(60)
        .y_label_area_size(230)
        .build_cartesian_2d(x0..x1, -0.5f64..(n as f64 - 0.5))?;
    mesh(&mut chart)
        .disable_y_mesh()
        .x_desc("USD over the run")
        .x_labels(6)
        .x_label_formatter(&|v| money(*v))
        .y_labels(n * 2 + 1)
        .y_label_formatter(&label)
        .draw()?;
    chart.draw_series(LineSeries::new(
        [(0.0, -0.5), (0.0, n as f64 - 0.5)],
        ShapeStyle::from(&axis()).stroke_width(2),
    ))?;
    for (i, p) in d.policies.iter().enumerate() {
        let Some(r) = d.net(p) else { continue };
        let c = policy_color(p, &d.policies);
        for (e, b, dy) in [(r.d.a, false, 0.18), (r.d.b, true, -0.18)] {
            let y = y_of(i) + dy;
            if e.ci95_low.is_finite() {
                chart.draw_series(whisker(
                    y,
                    e.ci95_low,
                    e.ci95_high,
                    0.08,
                    false,
                    ShapeStyle::from(&c).stroke_width(3),
                ))?;
            }
            if e.mean.is_finite() {
                marker(&mut chart, (e.mean, y), b, c)?;
                // The folder's name beside its marker, right of its interval.
                let end = if e.ci95_high.is_finite() { e.ci95_high } else { e.mean };
                let at = chart.backend_coord(&(end, y));
                let name = if b { &d.b } else { &d.a };
                root.draw(&Text::new(
                    name.clone(),
                    (at.0 + 12, at.1 - 12),
                    font(20).color(&muted()),
                ))?;
            }
        }
    }

    // Right: B - A with its interval, the method beside each bar.
    let vals = finite(
        d.policies
            .iter()
            .filter_map(|p| d.net(p))
            .flat_map(|r| [r.d.diff.mean, r.d.diff.ci95_low, r.d.diff.ci95_high]),
    );
    let (lo, hi) = bounds(&vals);
    let (x0, x1) = pad(lo.min(0.0), hi.max(0.0));
    // Room on the right for the method's label.
    let x1 = x1 + 0.22 * (x1 - x0);
    let mut chart = ChartBuilder::on(&right)
        .caption(format!("{} - {}", d.b, d.a), bold(28))
        .margin(18)
        .x_label_area_size(60)
        .y_label_area_size(10)
        .build_cartesian_2d(x0..x1, -0.5f64..(n as f64 - 0.5))?;
    mesh(&mut chart)
        .disable_y_mesh()
        .x_desc("Difference in net value, USD")
        .x_labels(5)
        .x_label_formatter(&|v| money(*v))
        .y_labels(0)
        .draw()?;
    chart.draw_series(LineSeries::new(
        [(0.0, -0.5), (0.0, n as f64 - 0.5)],
        ShapeStyle::from(&axis()).stroke_width(2),
    ))?;
    for (i, p) in d.policies.iter().enumerate() {
        let Some(r) = d.net(p) else { continue };
        let y = y_of(i);
        let c = policy_color(p, &d.policies);
        let e = r.d.diff;
        if e.mean.is_finite() {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.28), (e.mean, y + 0.28)],
                c.mix(if excludes_zero(&e) { 1.0 } else { 0.45 }).filled(),
            )))?;
        }
        if e.ci95_low.is_finite() {
            chart.draw_series(whisker(
                y,
                e.ci95_low,
                e.ci95_high,
                0.12,
                false,
                ShapeStyle::from(&ink()).stroke_width(3),
            ))?;
        }
        let how = match r.d.method {
            Method::Paired => format!("paired, n = {}", r.d.pairs),
            Method::Welch => format!("Welch, n = {} + {}", r.d.a.n, r.d.b.n),
        };
        let right_end = [e.mean, e.ci95_high, 0.0]
            .into_iter()
            .filter(|v| v.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        let at = chart.backend_coord(&(right_end, y));
        root.draw(&Text::new(how, (at.0 + 14, at.1 - 12), font(20).color(&muted())))?;
    }
    Ok(())
}
