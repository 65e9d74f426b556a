//! The charts of a calibration: each parameter's posterior against its
//! prior, and each fact's posterior predictive against its tolerance, fit
//! and held-out check told apart.

use crate::plot::PlotError;
use crate::plot::panels::*;
use crate::plot::theme::*;
use crate::plot::{Chart, Format};
use crate::results::calibration::pair_correlations;
use crate::results::{CalibrationData, FactCheck, Marginal};
use plotters::prelude::*;

const FIT: RGBColor = RGBColor(0, 114, 178); // blue
const CHECK: RGBColor = RGBColor(213, 94, 0); // vermillion
const PRIOR: RGBColor = RGBColor(200, 200, 200);

/// The grey of priors and tolerances, a step off the background in every
/// theme (the light grey reads as a highlight on dark).
fn prior_fill() -> RGBColor {
    match look().theme {
        Theme::Dark => RGBColor(84, 88, 96),
        _ => PRIOR,
    }
}
const BINS: usize = 20;

/// The marginals, the posterior predictive, and (with two parameters or
/// more) the strongest pairwise correlations.
pub fn calibration_charts(d: &CalibrationData, format: Format, look: &Look) -> Result<Vec<Chart>, PlotError> {
    with_look(*look, || calibration_charts_in_look(d, format))
}

fn calibration_charts_in_look(d: &CalibrationData, format: Format) -> Result<Vec<Chart>, PlotError> {
    let mut charts = vec![
        render!("posterior_marginals", draw_marginals, d, format),
        render!("posterior_predictive", draw_predictive, d, format),
    ];
    if d.marginals.len() >= 2 {
        charts.push(render!("posterior_correlations", draw_correlations, d, format));
    }
    Ok(charts)
}

/// Ticks of a parameter's axis in axis units (the log for log priors),
/// with their labels: 1-2-5 steps, or 1-2-5 times powers of ten.
fn axis_ticks(m: &Marginal) -> Vec<(f64, String)> {
    if m.log {
        return log_ticks(m.low, m.high)
            .into_iter()
            .map(|v| (v.ln(), value_label(v)))
            .collect();
    }
    let range = m.high - m.low;
    let base = 10f64.powf((range / 5.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|k| k * base)
        .find(|s| range / s <= 6.0 + 1e-9)
        .unwrap_or(10.0 * base);
    let first = (m.low / step - 1e-9).ceil() as i64;
    let last = (m.high / step + 1e-9).floor() as i64;
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            (v, value_label(v))
        })
        .collect()
}

fn draw_correlations<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    d: &CalibrationData,
) -> ChartResult<()> {
    let pairs = pair_correlations(&d.marginals);
    let shown: Vec<_> = pairs.iter().take(4).collect();
    let area = frame(
        root,
        &format!("Which parameters the facts trade off ({})", d.name),
        &format!(
            "{} in the posterior (weighted Pearson r on the scale each prior is flat on). Dot size: weight. Axes span each prior.",
            if shown.len() == pairs.len() {
                format!("Every pair of parameters ({})", pairs.len())
            } else {
                format!("The {} most correlated of {} pairs", shown.len(), pairs.len())
            }
        ),
        &d.source,
        &[],
    )?;
    let cols = if shown.len() == 1 { 1 } else { 2 };
    let rows = shown.len().div_ceil(cols);
    let panels = area.split_evenly((rows, cols));
    for (&&(i, j, r), panel) in shown.iter().zip(panels.iter()) {
        let (a, b) = (&d.marginals[i], &d.marginals[j]);
        let t = |m: &Marginal, x: f64| if m.log { x.ln() } else { x };
        let mut chart = ChartBuilder::on(panel)
            .margin(24)
            .caption(format!("r = {r:+.2}"), font(24))
            .x_label_area_size(70)
            .y_label_area_size(100)
            .build_cartesian_2d(t(a, a.low)..t(a, a.high), t(b, b.low)..t(b, b.high))?;
        mesh(&mut chart)
            .x_desc(a.label.clone())
            .y_desc(b.label.clone())
            .x_labels(0)
            .y_labels(0)
            .disable_mesh()
            .draw()?;
        // Ticks drawn by hand at round values of each parameter (the
        // mesh's would fall at round values of its logarithm).
        let (bx, by) = panel.get_base_pixel();
        let (x0, y0) = (t(a, a.low), t(b, b.low));
        for (v, label) in axis_ticks(a) {
            let (px, py) = chart.backend_coord(&(v, y0));
            let (px, py) = (px - bx, py - by);
            panel.draw(&PathElement::new(vec![(px, py), (px, py + 8)], axis().stroke_width(1)))?;
            panel.draw(&Text::new(
                label.clone(),
                (px - 6 * label.len() as i32, py + 12),
                font(22),
            ))?;
        }
        for (v, label) in axis_ticks(b) {
            let (px, py) = chart.backend_coord(&(x0, v));
            let (px, py) = (px - bx, py - by);
            panel.draw(&PathElement::new(vec![(px - 8, py), (px, py)], axis().stroke_width(1)))?;
            panel.draw(&Text::new(
                label.clone(),
                (px - 14 - 12 * label.len() as i32, py - 11),
                font(22),
            ))?;
        }
        let top = a.sample.iter().map(|s| s.1).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
        chart.draw_series(a.sample.iter().zip(&b.sample).map(|(&(x, w), &(y, _))| {
            let size = 2.0 + 6.0 * (w / top).sqrt();
            Circle::new((t(a, x), t(b, y)), size as i32, legible(FIT).mix(0.45).filled())
        }))?;
    }
    Ok(())
}

/// Formats a parameter value compactly.
fn value_label(x: f64) -> String {
    let a = x.abs();
    if a >= 1e6 {
        format!("{}M", trim(x / 1e6))
    } else if a >= 1e3 {
        format!("{}k", trim(x / 1e3))
    } else {
        trim(x)
    }
}

fn draw_marginals<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    d: &CalibrationData,
) -> ChartResult<()> {
    let area = frame(
        root,
        &format!("What the facts say about each parameter ({})", d.name),
        "Grey: the prior (flat on the axis shown). Blue: the posterior, weighted. Log-scale axes for log priors.",
        &d.source,
        &[],
    )?;
    let n = d.marginals.len().max(1);
    let cols = if n <= 2 {
        n
    } else if n <= 4 {
        2
    } else {
        3
    };
    let rows = n.div_ceil(cols);
    let panels = area.split_evenly((rows, cols));
    for (m, panel) in d.marginals.iter().zip(panels.iter()) {
        let t = |x: f64| if m.log { x.ln() } else { x };
        let (lo, hi) = (t(m.low), t(m.high));
        let width = (hi - lo) / BINS as f64;
        let mut bins = [0.0; BINS];
        for &(x, w) in &m.sample {
            let i = (((t(x) - lo) / width) as usize).min(BINS - 1);
            bins[i] += w;
        }
        // Densities on the shown axis: the prior's is 1 / width of the range.
        let prior_density = 1.0 / (hi - lo);
        let densities: Vec<f64> = bins.iter().map(|b| b / width).collect();
        let top = densities.iter().cloned().fold(prior_density, f64::max) * 1.1;
        let mut chart = ChartBuilder::on(panel)
            .margin(18)
            .caption(m.label.clone(), font(24))
            .x_label_area_size(44)
            .y_label_area_size(20)
            .build_cartesian_2d(lo..hi, 0.0..top)?;
        if m.log {
            // Log axes: ticks at 1, 2 and 5 times powers of ten, drawn by hand
            // (the mesh's own ticks would fall at e-powers).
            mesh(&mut chart).disable_y_axis().disable_y_mesh().x_labels(0).draw()?;
            for v in log_ticks(m.low, m.high) {
                let (ax, ay) = chart.backend_coord(&(v.ln(), 0.0));
                let (bx, by) = panel.get_base_pixel();
                let (px, py) = (ax - bx, ay - by);
                panel.draw(&PathElement::new(vec![(px, py), (px, py + 8)], axis().stroke_width(1)))?;
                panel.draw(&Text::new(
                    value_label(v),
                    (px - 6 * value_label(v).len() as i32, py + 12),
                    font(22),
                ))?;
            }
        } else {
            mesh(&mut chart)
                .disable_y_axis()
                .disable_y_mesh()
                .x_labels(5)
                .x_label_formatter(&|v| value_label(*v))
                .draw()?;
        }
        chart.draw_series(std::iter::once(Rectangle::new(
            [(lo, 0.0), (hi, prior_density)],
            prior_fill().mix(0.6).filled(),
        )))?;
        chart.draw_series(densities.iter().enumerate().map(|(i, &dens)| {
            let x0 = lo + width * i as f64;
            Rectangle::new([(x0, 0.0), (x0 + width * 0.92, dens)], FIT.mix(0.85).filled())
        }))?;
    }
    Ok(())
}

fn draw_predictive<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    d: &CalibrationData,
) -> ChartResult<()> {
    let legend = vec![("fit target".to_string(), FIT), ("held-out check".to_string(), CHECK)];
    let area = frame_titled(
        root,
        &format!("Does the calibrated model reproduce the facts? ({})", d.name),
        "Each row: the fact's tolerance (grey), its observed value (bar), the posterior predictive 5-95 % (line) and median (dot).",
        &d.source,
        "Fact",
        &legend,
    )?;
    let (labels, plot) = area.split_horizontally(560);
    let n = d.facts.len();
    // Each row on its own scale: deviation from the observed value in units
    // of the tolerance's half-width, shown within +-6.
    const LIMIT: f64 = 6.0;
    let scale = |f: &FactCheck| ((f.high - f.low) / 2.0).max(f64::MIN_POSITIVE);
    let at = |f: &FactCheck, x: f64| ((x - f.observed) / scale(f)).clamp(-LIMIT, LIMIT);
    let mut chart = ChartBuilder::on(&plot)
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(10)
        .build_cartesian_2d(-LIMIT..LIMIT, -0.5..(n as f64 - 0.5))?;
    mesh(&mut chart)
        .disable_y_axis()
        .disable_y_mesh()
        .x_desc("posterior predictive against the fact, in tolerance half-widths (clipped at 6)")
        .draw()?;
    for (i, f) in d.facts.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        let color = if f.fit { FIT } else { CHECK };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(at(f, f.low), y - 0.3), (at(f, f.high), y + 0.3)],
            prior_fill().mix(0.7).filled(),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(at(f, f.observed), y - 0.35), (at(f, f.observed), y + 0.35)],
            ink().stroke_width(3),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(at(f, f.q05), y), (at(f, f.q95), y)],
            color.stroke_width(5),
        )))?;
        chart.draw_series(std::iter::once(Circle::new((at(f, f.point), y), 10, color.filled())))?;
        // The row's label, in the left panel at the row's height.
        let (_, h) = plot.dim_in_pixel();
        let top = 20.0;
        let usable = h as f64 - 20.0 - 70.0 - top;
        let py = top + usable * (i as f64 + 0.5) / n as f64;
        let inside = f.point >= f.low && f.point <= f.high;
        let mark = if inside { "" } else { "  (miss)" };
        labels.draw(&Text::new(
            format!("{}{mark}", f.name),
            (40, py as i32 - 12),
            font(21).color(&legible(color)),
        ))?;
    }
    Ok(())
}

/// Ticks at 1, 2 and 5 times powers of ten within [low, high] (up to
/// about 2.3 decades, at most seven ticks), else at powers of ten (with 3s
/// in between up to four decades).
pub(crate) fn log_ticks(low: f64, high: f64) -> Vec<f64> {
    let decades = (high / low).log10();
    let steps: &[f64] = if decades > 4.0 {
        &[1.0]
    } else if decades > 2.3 {
        &[1.0, 3.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    let mut out = Vec::new();
    let mut p = 10f64.powf(low.log10().floor());
    while p <= high {
        for s in steps {
            let v = p * s;
            if v >= low && v <= high {
                out.push(v);
            }
        }
        p *= 10.0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_are_1_2_5_over_two_decades() {
        assert_eq!(log_ticks(1.2, 120.0), vec![2.0, 5.0, 10.0, 20.0, 50.0, 100.0]);
        assert_eq!(log_ticks(1.0, 1e5), vec![1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0]);
    }

    #[test]
    fn ticks_are_round() {
        let m = Marginal {
            key: "k".into(),
            label: "K".into(),
            low: 0.2,
            high: 0.8,
            log: false,
            sample: vec![],
        };
        let t: Vec<String> = axis_ticks(&m).into_iter().map(|t| t.1).collect();
        assert_eq!(t, ["0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8"]);
        let l: Vec<String> = axis_ticks(&Marginal {
            low: 0.1,
            high: 100.0,
            log: true,
            ..m
        })
        .into_iter()
        .map(|t| t.1)
        .collect();
        assert_eq!(l, ["0.1", "0.3", "1", "3", "10", "30", "100"]);
    }
}
