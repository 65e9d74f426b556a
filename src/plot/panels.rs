//! Building blocks shared by the charts: the frame (title, subtitle,
//! source line, legend), the mesh look, bands, bars, whiskers, axis ranges,
//! the colour scale, and rendering one drawing to SVG and PNG.

use super::svg::{group, series, slug};
use super::theme::*;
use crate::results::RunData;
pub(crate) use crate::results::sweep::category_at;
use crate::stats::Estimate;
use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

/// A drawing error, with plotters' description of it.
#[derive(Debug)]
pub struct DrawError(pub String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawError(format!("{e:?}"))
    }
}

pub(crate) type ChartResult<T> = Result<T, DrawError>;

/// Draws the frame every chart shares: title, subtitle, source line, and a
/// legend panel on the right. Returns the area left for the data.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    source: &str,
    legend: &[(String, RGBColor)],
) -> ChartResult<DrawingArea<DB, Shift>> {
    frame_titled(root, title, subtitle, source, "Policy", legend)
}

/// [`frame`] with a legend titled `legend_title`.
pub(crate) fn frame_titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    source: &str,
    legend_title: &str,
    legend: &[(String, RGBColor)],
) -> ChartResult<DrawingArea<DB, Shift>> {
    root.fill(&background())?;
    let (top, rest) = root.split_vertically(TITLE_BAND);
    let (body, bottom) = rest.split_vertically(height() - TITLE_BAND - SOURCE_BAND);
    // Titles, subtitles and source lines shrink to fit the width.
    let line = width() - 96;
    group("title", || {
        top.draw(&Text::new(title.to_string(), (48, 22), fitted(title, 42, true, line)))
    })?;
    group("subtitle", || {
        top.draw(&Text::new(
            subtitle.to_string(),
            (48, 72),
            fitted(subtitle, 24, false, line).color(&muted()),
        ))
    })?;
    group("source", || {
        bottom.draw(&Text::new(
            source.to_string(),
            (48, 16),
            fitted(source, 20, false, line).color(&muted()),
        ))
    })?;
    if legend.is_empty() {
        return Ok(body);
    }
    let (plot, panel) = body.split_horizontally(width() - LEGEND_WIDTH);
    group("legend", || -> ChartResult<()> {
        panel.draw(&Text::new(legend_title.to_string(), (20, 30), bold(26)))?;
        for (i, (name, color)) in legend.iter().enumerate() {
            series(name, *color);
            let y = 80 + 46 * i as i32;
            group(&format!("legend-{}", slug(name)), || -> ChartResult<()> {
                panel.draw(&Rectangle::new([(20, y), (48, y + 28)], color.filled()))?;
                panel.draw(&Text::new(
                    name.clone(),
                    (62, y + 1),
                    fitted(name, 24, false, LEGEND_WIDTH - 72),
                ))?;
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(plot)
}

pub(crate) fn legend_of(d: &RunData) -> Vec<(String, RGBColor)> {
    d.policies
        .iter()
        .map(|p| (d.name(p), policy_color(p, &d.policies)))
        .collect()
}

/// The source line of a chart that draws means with 95% confidence
/// intervals.
pub(crate) fn source_line(d: &RunData) -> String {
    format!("{} Means with 95% confidence intervals.", source_of(d))
}

/// The source line of a chart of the runs that draws no intervals: the
/// study, its runs and its seed.
pub(crate) fn source_of(d: &RunData) -> String {
    let seed = if d.seed.is_empty() {
        String::new()
    } else {
        format!(", seed {}", d.seed)
    };
    let reps = replicates_text(d);
    let (what, layout) = if d.points > 1 {
        (
            "sweep",
            format!(
                "{} x {} x {reps}",
                crate::output::table::count(d.points, "point"),
                crate::output::table::count(d.policies.len(), "policy"),
            ),
        )
    } else {
        (
            "scenario",
            format!("{} x {reps}", crate::output::table::count(d.policies.len(), "policy")),
        )
    };
    format!(
        "Source: tokenmaxx {} simulation, {what} \"{}\": {} ({layout}{seed}).",
        env!("CARGO_PKG_VERSION"),
        d.scenario,
        crate::output::table::count(d.n_runs(), "run"),
    )
}

/// "R replicates" when every policy (at every point) ran the same number of
/// replicates; with adaptive replicates (`replicates = "auto"`) the counts
/// differ by policy, and the range is given ("8 to 20 replicates (adaptive)")
/// rather than a misleading runs / policies.
pub(crate) fn replicates_text(d: &RunData) -> String {
    // Runs per (point, policy): a sweep's runs carry their point; an
    // adaptive sweep's points can differ from one another.
    let points: Vec<usize> = match d.runs.num.get("point") {
        Some(p) => p.iter().map(|&x| x as usize).collect(),
        None => vec![0; d.runs.rows],
    };
    let mut per: std::collections::BTreeMap<(usize, &str), usize> = Default::default();
    for (point, policy) in points.iter().zip(d.runs.t("policy")) {
        *per.entry((*point, policy.as_str())).or_default() += 1;
    }
    let counts: Vec<usize> = per.into_values().collect();
    let min = counts.iter().copied().min().unwrap_or(d.replicates);
    let max = counts.iter().copied().max().unwrap_or(d.replicates);
    if min == max {
        crate::output::table::count(min, "replicate")
    } else {
        format!("{min} to {max} replicates (adaptive)")
    }
}

/// Renders one chart in the formats asked for, SVG and PNG from the same
/// drawing code (a macro, as the drawing function is generic over the
/// backend).
macro_rules! render {
    ($name:expr, $draw:ident, $data:expr, $format:expr) => {{
        $crate::plot::theme::register_fonts();
        let name: String = $name.to_string();
        let failed = |message: String| PlotError::Draw {
            chart: name.clone(),
            message,
        };
        let format: Format = $format;
        let mut chart = Chart {
            name: name.clone(),
            svg: None,
            png: None,
        };
        if format != Format::Png {
            $crate::plot::svg::begin();
            let mut svg = String::new();
            {
                let root = $crate::plot::backend::Typeset {
                    inner: SVGBackend::with_string(&mut svg, (width(), height())),
                    raster: false,
                }
                .into_drawing_area();
                $draw(&root, $data).map_err(|e| failed(e.0))?;
                root.present().map_err(|e| failed(format!("{e:?}")))?;
            }
            let svg = $crate::plot::svg::finish(svg, $crate::plot::theme::look().svg_text);
            chart.svg = Some($crate::plot::panels::sized_svg(svg).into_bytes());
        }
        if format != Format::Svg {
            $crate::plot::svg::begin();
            let mut rgb = vec![0u8; (width() * height() * 3) as usize];
            {
                let root = $crate::plot::backend::Typeset {
                    inner: BitMapBackend::with_buffer(&mut rgb, (width(), height())),
                    raster: true,
                }
                .into_drawing_area();
                $draw(&root, $data).map_err(|e| failed(e.0))?;
                root.present().map_err(|e| failed(format!("{e:?}")))?;
            }
            $crate::plot::svg::begin();
            chart.png = Some($crate::plot::panels::sized_png(&rgb));
        }
        chart
    }};
}
pub(crate) use render;

/// The SVG at the look's size: drawn at the layout size, shown at the
/// look's width through a viewBox (vector, so nothing is lost).
pub fn sized_svg(svg: String) -> String {
    let look = crate::plot::theme::look();
    let (w, h) = (width(), height());
    if look.width == w {
        return svg;
    }
    let from = format!("width=\"{w}\" height=\"{h}\"");
    // plotters writes a viewBox of the layout size: only the nominal size
    // changes.
    let to = format!("width=\"{}\" height=\"{}\"", look.width, look.pixel_height());
    svg.replacen(&from, &to, 1)
}

/// The PNG at the look's size: the drawing at the layout size, resampled
/// (Lanczos 3) to the look's width when that differs.
pub fn sized_png(rgb: &[u8]) -> Vec<u8> {
    use rgb::FromSlice;
    let look = crate::plot::theme::look();
    let (w, h) = (width(), height());
    if look.width == w {
        return encode_png(rgb, w, h);
    }
    let (tw, th) = (look.width, look.pixel_height());
    let mut out = vec![0u8; (tw * th * 3) as usize];
    let resized = resize::new(
        w as usize,
        h as usize,
        tw as usize,
        th as usize,
        resize::Pixel::RGB8,
        resize::Type::Lanczos3,
    )
    .and_then(|mut r| r.resize(rgb.as_rgb(), out.as_rgb_mut()));
    match resized {
        Ok(()) => encode_png(&out, tw, th),
        // Sizes are bounded (WIDTH_RANGE), so resizing cannot fail; if it
        // did, the layout-size drawing is still right.
        Err(_) => encode_png(rgb, w, h),
    }
}

/// Encodes an RGB buffer as PNG.
pub fn encode_png(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // Charts are flat colour and text: the strongest deflate with a
        // filter chosen per row makes them several times smaller than the
        // fast default, which keeps reports of many charts small.
        enc.set_compression(png::Compression::Best);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let mut w = enc.write_header().expect("writing a PNG to memory");
        w.write_image_data(rgb).expect("writing a PNG to memory");
    }
    out
}

pub(crate) fn finite(xs: impl IntoIterator<Item = f64>) -> Vec<f64> {
    xs.into_iter().filter(|x| x.is_finite()).collect()
}

pub(crate) fn bounds(xs: &[f64]) -> (f64, f64) {
    let lo = xs.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) }
}

/// A padded linear range including `lo` and `hi`; a range that starts at
/// zero stays at zero.
pub(crate) fn pad(lo: f64, hi: f64) -> (f64, f64) {
    let span = (hi - lo).abs().max(hi.abs() * 0.05).max(1e-9);
    let low = if lo == 0.0 { 0.0 } else { lo - 0.06 * span };
    let high = if hi == 0.0 { 0.0 } else { hi + 0.06 * span };
    (low, high)
}

/// A confidence-interval whisker: a line with end caps, in data
/// coordinates; `vertical` whiskers span y at x = `at`.
pub(crate) fn whisker(
    at: f64,
    lo: f64,
    hi: f64,
    cap: f64,
    vertical: bool,
    style: ShapeStyle,
) -> Vec<PathElement<(f64, f64)>> {
    let p = |a: f64, b: f64| if vertical { (a, b) } else { (b, a) };
    vec![
        PathElement::new(vec![p(at, lo), p(at, hi)], style),
        PathElement::new(vec![p(at - cap, lo), p(at + cap, lo)], style),
        PathElement::new(vec![p(at - cap, hi), p(at + cap, hi)], style),
    ]
}

/// A padded value range covering every policy's means and bands, from zero
/// or below.
pub(crate) fn band_range(series: &[PolicyBand]) -> (f64, f64) {
    let all = finite(
        series
            .iter()
            .flat_map(|(_, s)| s.iter().flat_map(|&(m, lo, hi)| [m, lo, hi])),
    );
    let (lo, hi) = bounds(&all);
    pad(lo.min(0.0), hi)
}

/// The shared mesh look: light horizontal/vertical grid, readable labels.
pub(crate) fn mesh<'a, 'b, DB, X, Y>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
) -> MeshStyle<'a, 'b, X, Y, DB>
where
    DB: DrawingBackend,
    X: Ranged + ValueFormatter<X::ValueType>,
    Y: Ranged + ValueFormatter<Y::ValueType>,
{
    let mut mesh = chart.configure_mesh();
    mesh.light_line_style(background())
        .bold_line_style(grid())
        .axis_style(axis())
        .label_style(font(22))
        .axis_desc_style(font(26));
    mesh
}

/// A policy's weekly (mean, CI low, CI high).
pub(crate) type PolicyBand = (String, Vec<(f64, f64, f64)>);

/// Mean and 95% band per week of `[replicate][week]` series.
pub(crate) fn band(series: &[Vec<f64>]) -> Vec<(f64, f64, f64)> {
    let weeks = series.iter().map(Vec::len).min().unwrap_or(0);
    (0..weeks)
        .map(|w| {
            let xs: Vec<f64> = series.iter().map(|s| s[w]).collect();
            let e = Estimate::of(&xs);
            if e.ci95_low.is_finite() {
                (e.mean, e.ci95_low, e.ci95_high)
            } else {
                (e.mean, e.mean, e.mean)
            }
        })
        .collect()
}

/// A band kept within the range its metric can take.
pub(crate) fn clamped(b: Vec<(f64, f64, f64)>, lo: f64, hi: f64) -> Vec<(f64, f64, f64)> {
    b.into_iter().map(|(m, l, h)| (m, l.max(lo), h.min(hi))).collect()
}

pub(crate) fn cumulative(series: &[Vec<f64>]) -> Vec<Vec<f64>> {
    series
        .iter()
        .map(|s| {
            let mut acc = 0.0;
            s.iter()
                .map(|v| {
                    acc += v;
                    acc
                })
                .collect()
        })
        .collect()
}

/// A panel of lines with 95% bands, one per policy, over weeks.
pub(crate) fn band_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    d: &RunData,
    series: &[PolicyBand],
    y_fmt: &dyn Fn(&f64) -> String,
) -> ChartResult<()> {
    let weeks = series.iter().map(|(_, s)| s.len()).max().unwrap_or(1).max(2);
    let (y0, y1) = band_range(series);
    let mut chart = ChartBuilder::on(area)
        .caption(title, bold(28))
        .margin(18)
        .x_label_area_size(60)
        .y_label_area_size(120)
        .build_cartesian_2d(0f64..(weeks - 1) as f64, y0..y1)?;
    mesh(&mut chart)
        .x_desc("Week")
        .y_desc(y_desc)
        .y_label_formatter(y_fmt)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    for (p, s) in series {
        weekly_band(&mut chart, s, policy_color(p, &d.policies), 0.18)?;
    }
    Ok(())
}

/// A weekly (mean, low, high) series as a band of `alpha` and a line.
pub(crate) fn weekly_band<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    s: &[(f64, f64, f64)],
    c: RGBColor,
    alpha: f64,
) -> ChartResult<()> {
    let mut poly: Vec<(f64, f64)> = s.iter().enumerate().map(|(w, &(_, lo, _))| (w as f64, lo)).collect();
    poly.extend(s.iter().enumerate().rev().map(|(w, &(_, _, hi))| (w as f64, hi)));
    chart.draw_series(std::iter::once(Polygon::new(poly, c.mix(alpha).filled())))?;
    chart.draw_series(LineSeries::new(
        s.iter().enumerate().map(|(w, &(m, _, _))| (w as f64, m)),
        ShapeStyle::from(&c).stroke_width(3),
    ))?;
    Ok(())
}

/// A horizontal bar per policy with a 95% CI whisker.
pub(crate) fn bar_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    d: &RunData,
    estimates: &[(String, Estimate)],
    x_fmt: &dyn Fn(&f64) -> String,
) -> ChartResult<()> {
    let vals = finite(estimates.iter().flat_map(|(_, e)| [e.mean, e.ci95_low, e.ci95_high]));
    let (lo, hi) = bounds(&vals);
    let (x0, x1) = pad(lo.min(0.0), hi.max(0.0));
    let n = estimates.len();
    let names: Vec<String> = estimates.iter().map(|(p, _)| d.name(p)).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(title, bold(28))
        .margin(18)
        .x_label_area_size(60)
        .y_label_area_size(230)
        .build_cartesian_2d(x0..x1, -0.5f64..(n as f64 - 0.5))?;
    let label = |v: &f64| category_at(*v, n).map_or(String::new(), |i| names[n - 1 - i].clone());
    mesh(&mut chart)
        .disable_y_mesh()
        .x_desc(x_desc)
        .x_labels(6)
        .x_label_formatter(x_fmt)
        .y_labels(n * 2 + 1)
        .y_label_formatter(&label)
        .draw()?;
    for (i, (p, e)) in estimates.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        let c = policy_color(p, &d.policies);
        if e.mean.is_finite() {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.32), (e.mean, y + 0.32)],
                c.filled(),
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
    }
    // The zero line.
    chart.draw_series(LineSeries::new(
        [(0.0, -0.5), (0.0, n as f64 - 0.5)],
        ShapeStyle::from(&axis()).stroke_width(2),
    ))?;
    Ok(())
}

/// Viridis, sampled at five points and interpolated: perceptually uniform
/// and readable in greyscale and by colour-blind viewers.
pub(crate) fn viridis(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * 4.0;
    let i = (x.floor() as usize).min(3);
    let f = x - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |u: f64, v: f64| (u + (v - u) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Table;

    fn data(policies_of_runs: &[&str]) -> RunData {
        let mut csv = String::from("policy\n");
        for p in policies_of_runs {
            csv.push_str(p);
            csv.push('\n');
        }
        let runs = Table::parse("runs.csv", csv.as_bytes(), &["policy"], &[]).unwrap();
        let weekly = runs.clone();
        let mut policies: Vec<String> = Vec::new();
        for p in policies_of_runs {
            if !policies.iter().any(|q| q == p) {
                policies.push(p.to_string());
            }
        }
        RunData {
            scenario: "s".into(),
            seed: "1".into(),
            replicates: runs.rows / policies.len(),
            policies,
            points: 1,
            term_weeks: 52,
            runs,
            channels: None,
            weekly,
            enterprises: None,
            verdicts: None,
            labels: Default::default(),
        }
    }

    #[test]
    fn only_a_chart_with_intervals_says_it_has_them() {
        let d = data(&["a", "b"]);
        let (bare, with) = (source_of(&d), source_line(&d));
        assert!(!bare.contains("confidence"), "{bare}");
        assert_eq!(with, format!("{bare} Means with 95% confidence intervals."));
    }

    #[test]
    fn equal_replicates_are_one_count() {
        let d = data(&["a", "b", "a", "b", "a", "b"]);
        let line = source_line(&d);
        assert!(line.contains("6 runs (2 policies x 3 replicates, seed 1)"), "{line}");
    }

    #[test]
    fn adaptive_replicates_give_their_range_not_runs_over_policies() {
        // 2 of a, 5 of b, 3 of c: runs / policies would say "3 replicates".
        let d = data(&["a", "b", "c", "a", "b", "c", "b", "b", "b", "c"]);
        let line = source_line(&d);
        assert!(
            line.contains("10 runs (3 policies x 2 to 5 replicates (adaptive), seed 1)"),
            "{line}"
        );
    }
}
