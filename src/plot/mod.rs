//! Deck-ready charts, drawn from result CSV files alone.
//!
//! Every chart is 16:9 (1920x1080), rendered both as SVG (vector, text as
//! text, for decks) and PNG. One look across charts: the Okabe-Ito palette
//! with a fixed colour per policy, a title that says what the chart shows,
//! axis labels with units, a legend beside the data (never over it), and a
//! source line. Text uses the bundled DejaVu Sans through ab_glyph, so no
//! system font or fontconfig is needed.
//!
//! Rendering is pure: data in, bytes out. Only the caller writes files.

pub mod data;

use crate::experiment::sensitivity::{Index, Method};
use crate::stats::Estimate;
pub use data::{PlotError, RunData, SweepData};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;

pub const WIDTH: u32 = 1920;
pub const HEIGHT: u32 = 1080;
const FONT: &str = "sans-serif";
const TITLE_BAND: u32 = 110;
const SOURCE_BAND: u32 = 56;
const LEGEND_WIDTH: u32 = 360;

const GRID: RGBColor = RGBColor(232, 232, 232);
const AXIS: RGBColor = RGBColor(90, 90, 90);
const TEXT: RGBColor = RGBColor(30, 30, 30);
const MUTED: RGBColor = RGBColor(110, 110, 110);

/// Okabe-Ito, in the order policies take them: the six presets have fixed
/// colours; other policies take the rest in order of appearance.
const PRESETS: [(&str, RGBColor); 6] = [
    ("laissez_faire", RGBColor(0, 114, 178)),    // blue
    ("usage_leaderboard", RGBColor(213, 94, 0)), // vermillion
    ("usage_quota", RGBColor(230, 159, 0)),      // orange
    ("value_based", RGBColor(0, 158, 115)),      // bluish green
    ("efficiency", RGBColor(86, 180, 233)),      // sky blue
    ("budget_capped", RGBColor(204, 121, 167)),  // reddish purple
];
const EXTRA: [RGBColor; 3] = [RGBColor(0, 0, 0), RGBColor(240, 228, 66), RGBColor(150, 150, 150)];

/// The colour of a policy: fixed for presets, stable by position otherwise.
pub fn policy_color(name: &str, all: &[String]) -> RGBColor {
    if let Some((_, c)) = PRESETS.iter().find(|(n, _)| *n == name) {
        return *c;
    }
    let custom: Vec<&String> = all.iter().filter(|p| !PRESETS.iter().any(|(n, _)| n == p)).collect();
    let i = custom.iter().position(|p| *p == name).unwrap_or(0);
    EXTRA[i % EXTRA.len()]
}

static FONTS: Once = Once::new();

/// Registers the bundled font (once per process).
pub fn register_fonts() {
    FONTS.call_once(|| {
        let regular: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        let bold: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
        // The bundled fonts are valid; a failure here is a build error.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, regular);
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, bold);
    });
}

/// A chart as SVG text and PNG bytes.
pub struct Chart {
    pub name: String,
    pub svg: Vec<u8>,
    pub png: Vec<u8>,
}

/// Output formats of `plot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
    Both,
}

type DrawResult<T> = Result<T, String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Formats USD compactly: $1.2B, $3.4M, $560k, $12.
pub fn money(v: f64) -> String {
    let a = v.abs();
    let sign = if v < 0.0 { "-" } else { "" };
    if a >= 1e9 {
        format!("{sign}${}B", trim(a / 1e9))
    } else if a >= 1e6 {
        format!("{sign}${}M", trim(a / 1e6))
    } else if a >= 1e3 {
        format!("{sign}${}k", trim(a / 1e3))
    } else {
        format!("{sign}${}", trim(a))
    }
}

fn trim(x: f64) -> String {
    let s = if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn font(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&TEXT)
}

fn bold(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().style(FontStyle::Bold).color(&TEXT)
}

/// Draws the frame every chart shares: title, subtitle, source line, and a
/// legend panel on the right. Returns the area left for the data.
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    source: &str,
    legend: &[(String, RGBColor)],
) -> DrawResult<DrawingArea<DB, Shift>> {
    root.fill(&WHITE).map_err(err)?;
    let (top, rest) = root.split_vertically(TITLE_BAND);
    let (body, bottom) = rest.split_vertically(HEIGHT - TITLE_BAND - SOURCE_BAND);
    top.draw(&Text::new(title.to_string(), (48, 22), bold(42)))
        .map_err(err)?;
    top.draw(&Text::new(subtitle.to_string(), (48, 72), font(24).color(&MUTED)))
        .map_err(err)?;
    bottom
        .draw(&Text::new(source.to_string(), (48, 16), font(20).color(&MUTED)))
        .map_err(err)?;
    if legend.is_empty() {
        return Ok(body);
    }
    let (plot, panel) = body.split_horizontally(WIDTH - LEGEND_WIDTH);
    panel
        .draw(&Text::new("Policy".to_string(), (20, 30), bold(26)))
        .map_err(err)?;
    for (i, (name, color)) in legend.iter().enumerate() {
        let y = 80 + 46 * i as i32;
        panel
            .draw(&Rectangle::new([(20, y), (48, y + 28)], color.filled()))
            .map_err(err)?;
        panel
            .draw(&Text::new(name.clone(), (62, y + 1), font(24)))
            .map_err(err)?;
    }
    Ok(plot)
}

fn legend_of(d: &RunData) -> Vec<(String, RGBColor)> {
    d.policies
        .iter()
        .map(|p| (p.clone(), policy_color(p, &d.policies)))
        .collect()
}

fn source_line(d: &RunData) -> String {
    let seed = if d.seed.is_empty() {
        String::new()
    } else {
        format!(", seed {}", d.seed)
    };
    let (what, layout) = if d.points > 1 {
        (
            "sweep",
            format!(
                "{} points x {} policies x {} replicates",
                d.points,
                d.policies.len(),
                d.replicates
            ),
        )
    } else {
        (
            "scenario",
            format!("{} policies x {} replicates", d.policies.len(), d.replicates),
        )
    };
    format!(
        "Source: tokenmaxx {} simulation, {what} \"{}\": {} runs ({layout}{seed}). Means with 95% confidence intervals.",
        env!("CARGO_PKG_VERSION"),
        d.scenario,
        d.n_runs(),
    )
}

/// Renders one chart to SVG and PNG with the same drawing code.
macro_rules! render {
    ($name:expr, $draw:ident, $data:expr) => {{
        register_fonts();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
            $draw(&root, $data).map_err(|message| PlotError::Draw {
                chart: $name.to_string(),
                message,
            })?;
            root.present().map_err(|e| PlotError::Draw {
                chart: $name.to_string(),
                message: err(e),
            })?;
        }
        let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
            $draw(&root, $data).map_err(|message| PlotError::Draw {
                chart: $name.to_string(),
                message,
            })?;
            root.present().map_err(|e| PlotError::Draw {
                chart: $name.to_string(),
                message: err(e),
            })?;
        }
        Chart {
            name: $name.to_string(),
            svg: svg.into_bytes(),
            png: encode_png(&rgb, WIDTH, HEIGHT),
        }
    }};
}

/// Encodes an RGB buffer as PNG.
pub fn encode_png(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().expect("writing a PNG to memory");
        w.write_image_data(rgb).expect("writing a PNG to memory");
    }
    out
}

/// Every chart of a `run`.
pub fn run_charts(d: &RunData) -> Result<Vec<Chart>, PlotError> {
    let mut charts = vec![
        render!("spend_vs_value", draw_spend_vs_value, d),
        render!("weekly", draw_weekly, d),
        render!("policy_comparison", draw_policy_comparison, d),
        render!("commitment", draw_commitment, d),
        render!("verdicts", draw_verdicts, d),
    ];
    if d.enterprises.is_some() {
        charts.push(render!("market", draw_market, d));
    }
    Ok(charts)
}

/// Chart files as (relative path, bytes) for the given format.
pub fn chart_files(charts: &[Chart], format: Format) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for c in charts {
        if format != Format::Png {
            files.push((format!("charts/{}.svg", c.name), c.svg.clone()));
        }
        if format != Format::Svg {
            files.push((format!("charts/{}.png", c.name), c.png.clone()));
        }
    }
    files
}

fn finite(xs: impl IntoIterator<Item = f64>) -> Vec<f64> {
    xs.into_iter().filter(|x| x.is_finite()).collect()
}

fn bounds(xs: &[f64]) -> (f64, f64) {
    let lo = xs.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) }
}

/// A padded linear range including `lo` and `hi`; a range that starts at
/// zero stays at zero.
fn pad(lo: f64, hi: f64) -> (f64, f64) {
    let span = (hi - lo).abs().max(hi.abs() * 0.05).max(1e-9);
    let low = if lo == 0.0 { 0.0 } else { lo - 0.06 * span };
    let high = if hi == 0.0 { 0.0 } else { hi + 0.06 * span };
    (low, high)
}

/// A confidence-interval whisker: a line with end caps, in data
/// coordinates; `vertical` whiskers span y at x = `at`.
fn whisker(at: f64, lo: f64, hi: f64, cap: f64, vertical: bool, style: ShapeStyle) -> Vec<PathElement<(f64, f64)>> {
    let p = |a: f64, b: f64| if vertical { (a, b) } else { (b, a) };
    vec![
        PathElement::new(vec![p(at, lo), p(at, hi)], style),
        PathElement::new(vec![p(at - cap, lo), p(at + cap, lo)], style),
        PathElement::new(vec![p(at - cap, hi), p(at + cap, hi)], style),
    ]
}

/// The shared mesh look: light horizontal/vertical grid, readable labels.
macro_rules! mesh_style {
    ($chart:expr) => {{
        let mut mesh = $chart.configure_mesh();
        mesh.light_line_style(WHITE)
            .bold_line_style(GRID)
            .axis_style(AXIS)
            .label_style(font(22))
            .axis_desc_style(font(26));
        mesh
    }};
}

/// The headline: every run's spend against its delivered value, with the
/// break-even line, ROI guides and each policy's mean with its 95% CI.
fn draw_spend_vs_value<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &RunData) -> DrawResult<()> {
    let plot = frame(
        root,
        &format!("Spend against delivered value, by incentive policy ({})", d.scenario),
        "Each dot is one simulated run over the whole horizon; large markers are policy means with 95% CIs. Above the diagonal, AI pays for itself.",
        &source_line(d),
        &legend_of(d),
    )?;
    let spend = finite(d.runs.n("spend_usd").iter().cloned());
    let value = finite(d.runs.n("value_usd").iter().cloned());
    let (slo, shi) = bounds(&spend);
    let (vlo, vhi) = bounds(&value);
    let positive = slo > 0.0 && vlo > 0.0;
    // Log axes only when the data span orders of magnitude.
    let log = positive && (shi / slo > 50.0 || vhi / vlo > 50.0);
    let ratio_lines = [0.5, 2.0, 5.0];

    macro_rules! body {
        ($chart:ident) => {{
            let mut mesh = mesh_style!($chart);
            mesh.x_desc("Token spend over the run (USD)")
                .y_desc("Delivered value over the run (USD)")
                .x_label_formatter(&|v| money(*v))
                .y_label_formatter(&|v| money(*v))
                .draw()
                .map_err(err)?;
            let (x0, x1) = ($chart.x_range().start, $chart.x_range().end);
            let (y0, y1) = ($chart.y_range().start, $chart.y_range().end);
            // ROI guides: value = r x spend, labelled where they leave the plot.
            for r in std::iter::once(1.0).chain(ratio_lines) {
                let style = if r == 1.0 {
                    ShapeStyle::from(&AXIS).stroke_width(3)
                } else {
                    ShapeStyle::from(&RGBColor(170, 170, 170)).stroke_width(2)
                };
                let n = 60;
                let pts: Vec<(f64, f64)> = (0..=n)
                    .map(|i| {
                        let t = i as f64 / n as f64;
                        let x = if log {
                            x0 * (x1 / x0).powf(t)
                        } else {
                            x0 + (x1 - x0) * t
                        };
                        (x, r * x)
                    })
                    .filter(|&(x, y)| y >= y0.max(0.0) && y <= y1 && x >= 0.0)
                    .collect();
                if pts.len() < 2 {
                    continue;
                }
                if r == 1.0 {
                    $chart.draw_series(LineSeries::new(pts.clone(), style)).map_err(err)?;
                } else {
                    $chart
                        .draw_series(DashedLineSeries::new(pts.clone(), 12, 8, style))
                        .map_err(err)?;
                }
                let label = if r == 1.0 {
                    "break-even (ROI 1)".to_string()
                } else {
                    format!("ROI {r}")
                };
                let at = pts[pts.len() * 4 / 5];
                $chart
                    .draw_series(std::iter::once(Text::new(label, at, font(22).color(&MUTED))))
                    .map_err(err)?;
            }
            for p in &d.policies {
                let c = policy_color(p, &d.policies);
                let xs = d.runs_of(p, "spend_usd");
                let ys = d.runs_of(p, "value_usd");
                $chart
                    .draw_series(
                        xs.iter()
                            .zip(&ys)
                            .filter(|(x, y)| x.is_finite() && y.is_finite())
                            .map(|(&x, &y)| Circle::new((x, y), 6, c.mix(0.45).filled())),
                    )
                    .map_err(err)?;
            }
            for p in &d.policies {
                let c = policy_color(p, &d.policies);
                let ex = Estimate::of(&d.runs_of(p, "spend_usd"));
                let ey = Estimate::of(&d.runs_of(p, "value_usd"));
                let style = ShapeStyle::from(&c).stroke_width(4);
                if ey.ci95_low.is_finite() {
                    // Caps sized in data units: a small share of the other axis.
                    let (cx, cy) = if log {
                        (ex.mean * 0.03, ey.mean * 0.03)
                    } else {
                        ((x1 - x0) * 0.006, (y1 - y0) * 0.01)
                    };
                    $chart
                        .draw_series(whisker(
                            ex.mean,
                            ey.ci95_low.max(y0),
                            ey.ci95_high.min(y1),
                            cx,
                            true,
                            style,
                        ))
                        .map_err(err)?;
                    $chart
                        .draw_series(whisker(
                            ey.mean,
                            ex.ci95_low.max(x0),
                            ex.ci95_high.min(x1),
                            cy,
                            false,
                            style,
                        ))
                        .map_err(err)?;
                }
                $chart
                    .draw_series(std::iter::once(Circle::new((ex.mean, ey.mean), 13, c.filled())))
                    .map_err(err)?;
                $chart
                    .draw_series(std::iter::once(Circle::new(
                        (ex.mean, ey.mean),
                        13,
                        ShapeStyle::from(&WHITE).stroke_width(3),
                    )))
                    .map_err(err)?;
            }
        }};
    }

    if log {
        let x = (slo / 1.4, shi * 1.4);
        let y = (vlo / 1.4, vhi * 1.4);
        let mut chart = ChartBuilder::on(&plot)
            .margin(24)
            .x_label_area_size(80)
            .y_label_area_size(130)
            .build_cartesian_2d((x.0..x.1).log_scale(), (y.0..y.1).log_scale())
            .map_err(err)?;
        body!(chart);
    } else {
        let (x0, x1) = pad(slo.min(0.0), shi);
        let (y0, y1) = pad(vlo.min(0.0), vhi);
        let mut chart = ChartBuilder::on(&plot)
            .margin(24)
            .x_label_area_size(80)
            .y_label_area_size(130)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        body!(chart);
    }
    Ok(())
}

/// A policy's weekly (mean, CI low, CI high).
type PolicyBand = (String, Vec<(f64, f64, f64)>);

/// Mean and 95% band per week of `[replicate][week]` series.
fn band(series: &[Vec<f64>]) -> Vec<(f64, f64, f64)> {
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

fn cumulative(series: &[Vec<f64>]) -> Vec<Vec<f64>> {
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
fn band_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    d: &RunData,
    series: &[PolicyBand],
    y_fmt: &dyn Fn(&f64) -> String,
) -> DrawResult<()> {
    let weeks = series.iter().map(|(_, s)| s.len()).max().unwrap_or(1).max(2);
    let all = finite(
        series
            .iter()
            .flat_map(|(_, s)| s.iter().flat_map(|&(m, lo, hi)| [m, lo, hi])),
    );
    let (lo, hi) = bounds(&all);
    let (y0, y1) = pad(lo.min(0.0), hi);
    let mut chart = ChartBuilder::on(area)
        .caption(title, bold(28))
        .margin(18)
        .x_label_area_size(60)
        .y_label_area_size(120)
        .build_cartesian_2d(0f64..(weeks - 1) as f64, y0..y1)
        .map_err(err)?;
    mesh_style!(chart)
        .x_desc("Week")
        .y_desc(y_desc)
        .y_label_formatter(y_fmt)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(err)?;
    for (p, s) in series {
        let c = policy_color(p, &d.policies);
        let mut poly: Vec<(f64, f64)> = s.iter().enumerate().map(|(w, &(_, lo, _))| (w as f64, lo)).collect();
        poly.extend(s.iter().enumerate().rev().map(|(w, &(_, _, hi))| (w as f64, hi)));
        chart
            .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                s.iter().enumerate().map(|(w, &(m, _, _))| (w as f64, m)),
                ShapeStyle::from(&c).stroke_width(3),
            ))
            .map_err(err)?;
    }
    Ok(())
}

fn draw_weekly<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &RunData) -> DrawResult<()> {
    let plot = frame(
        root,
        &format!("Weekly and cumulative token spend and delivered value ({})", d.scenario),
        "Lines are means across replicates, shaded bands 95% CIs. Spend includes breakage billed at each term's end.",
        &source_line(d),
        &legend_of(d),
    )?;
    let panels = plot.split_evenly((2, 2));
    let per = |col: &str, cum: bool| -> Vec<PolicyBand> {
        d.policies
            .iter()
            .map(|p| {
                let s = d.weekly_of(p, col);
                (p.clone(), band(&if cum { cumulative(&s) } else { s }))
            })
            .collect()
    };
    let m = |v: &f64| money(*v);
    band_panel(
        &panels[0],
        "Spend per week",
        "USD per week",
        d,
        &per("spend_usd", false),
        &m,
    )?;
    band_panel(
        &panels[1],
        "Delivered value per week",
        "USD per week",
        d,
        &per("value_usd", false),
        &m,
    )?;
    band_panel(&panels[2], "Cumulative spend", "USD", d, &per("spend_usd", true), &m)?;
    band_panel(
        &panels[3],
        "Cumulative delivered value",
        "USD",
        d,
        &per("value_usd", true),
        &m,
    )?;
    Ok(())
}

/// A horizontal bar per policy with a 95% CI whisker.
fn bar_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    d: &RunData,
    estimates: &[(String, Estimate)],
    x_fmt: &dyn Fn(&f64) -> String,
) -> DrawResult<()> {
    let vals = finite(estimates.iter().flat_map(|(_, e)| [e.mean, e.ci95_low, e.ci95_high]));
    let (lo, hi) = bounds(&vals);
    let (x0, x1) = pad(lo.min(0.0), hi.max(0.0));
    let n = estimates.len();
    let names: Vec<String> = estimates.iter().map(|(p, _)| p.clone()).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(title, bold(28))
        .margin(18)
        .x_label_area_size(60)
        .y_label_area_size(230)
        .build_cartesian_2d(x0..x1, -0.5f64..(n as f64 - 0.5))
        .map_err(err)?;
    let label = |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
            names[n - 1 - i as usize].clone()
        } else {
            String::new()
        }
    };
    mesh_style!(chart)
        .disable_y_mesh()
        .x_desc(x_desc)
        .x_labels(6)
        .x_label_formatter(x_fmt)
        .y_labels(n * 2 + 1)
        .y_label_formatter(&label)
        .draw()
        .map_err(err)?;
    for (i, (p, e)) in estimates.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        let c = policy_color(p, &d.policies);
        if e.mean.is_finite() {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - 0.32), (e.mean, y + 0.32)],
                    c.filled(),
                )))
                .map_err(err)?;
        }
        if e.ci95_low.is_finite() {
            chart
                .draw_series(whisker(
                    y,
                    e.ci95_low,
                    e.ci95_high,
                    0.12,
                    false,
                    ShapeStyle::from(&TEXT).stroke_width(3),
                ))
                .map_err(err)?;
        }
    }
    // The zero line.
    chart
        .draw_series(LineSeries::new(
            [(0.0, -0.5), (0.0, n as f64 - 0.5)],
            ShapeStyle::from(&AXIS).stroke_width(2),
        ))
        .map_err(err)?;
    Ok(())
}

fn draw_policy_comparison<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &RunData) -> DrawResult<()> {
    let reference = d.policies[0].clone();
    let plot = frame(
        root,
        &format!(
            "Return, waste and value per token, by incentive policy ({})",
            d.scenario
        ),
        &format!(
            "Bars are means, whiskers 95% CIs. Net benefit is paired by replicate against {reference} (common random numbers)."
        ),
        &source_line(d),
        &legend_of(d),
    )?;
    let panels = plot.split_evenly((2, 2));
    let est = |col: &str, scale: f64| -> Vec<(String, Estimate)> {
        d.policies
            .iter()
            .map(|p| {
                let xs: Vec<f64> = d.runs_of(p, col).iter().map(|v| v * scale).collect();
                (p.clone(), Estimate::of(&xs))
            })
            .collect()
    };
    let net = |p: &str| -> Vec<f64> {
        d.runs_of(p, "value_usd")
            .iter()
            .zip(d.runs_of(p, "spend_usd"))
            .map(|(v, s)| v - s)
            .collect()
    };
    let base = net(&reference);
    let diffs: Vec<(String, Estimate)> = d
        .policies
        .iter()
        .map(|p| (p.clone(), Estimate::paired(&net(p), &base)))
        .collect();
    bar_panel(
        &panels[0],
        "Return on AI spend (value / spend)",
        "ROI (x)",
        d,
        &est("roi", 1.0),
        &|v| format!("{v:.1}x"),
    )?;
    bar_panel(
        &panels[1],
        "Waste share of spend",
        "Share of spend on runs that delivered nothing, plus breakage (%)",
        d,
        &est("waste_share", 100.0),
        &|v| format!("{v:.0}%"),
    )?;
    bar_panel(
        &panels[2],
        "Delivered value per million tokens",
        "USD per million tokens",
        d,
        &est("value_per_mtok", 1.0),
        &|v| money(*v),
    )?;
    bar_panel(
        &panels[3],
        &format!("Net benefit (value - spend) vs {reference}"),
        "USD over the run, paired difference",
        d,
        &diffs,
        &|v| money(*v),
    )?;
    Ok(())
}

fn draw_commitment<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &RunData) -> DrawResult<()> {
    let plot = frame(
        root,
        &format!("Commitment escalation and the sunk-cost mandate ({})", d.scenario),
        "Left: annual commitment signed at each renewal. Right: leadership's mandate to use AI (0 = none, 1 = full), which rises with a shortfall against the commitment.",
        &source_line(d),
        &legend_of(d),
    )?;
    let (left, right) = plot.split_horizontally((WIDTH - LEGEND_WIDTH) / 2);
    // Commitment per contract year: the value in force in each term's first week.
    let term = d.term_weeks.max(1);
    let per_policy: Vec<(String, Vec<Estimate>)> = d
        .policies
        .iter()
        .map(|p| {
            let s = d.weekly_of(p, "commitment_usd");
            let weeks = s.iter().map(Vec::len).min().unwrap_or(0);
            let terms = weeks.div_ceil(term);
            let est = (0..terms)
                .map(|t| Estimate::of(&s.iter().map(|r| r[t * term]).collect::<Vec<_>>()))
                .collect();
            (p.clone(), est)
        })
        .collect();
    let terms = per_policy.iter().map(|(_, e)| e.len()).max().unwrap_or(1);
    let vals = finite(
        per_policy
            .iter()
            .flat_map(|(_, e)| e.iter().flat_map(|x| [x.mean, x.ci95_high])),
    );
    let (_, hi) = bounds(&vals);
    let n = d.policies.len() as f64;
    let mut chart = ChartBuilder::on(&left)
        .caption("Annual commitment by contract year", bold(28))
        .margin(18)
        .x_label_area_size(60)
        .y_label_area_size(120)
        .build_cartesian_2d(0.5f64..(terms as f64 + 0.5), 0f64..(hi.max(1.0) * 1.1))
        .map_err(err)?;
    mesh_style!(chart)
        .disable_x_mesh()
        .x_desc("Contract year")
        .y_desc("USD per year")
        .x_labels(terms)
        .x_label_formatter(&|v| {
            if (v - v.round()).abs() < 1e-6 {
                format!("Year {:.0}", v)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| money(*v))
        .draw()
        .map_err(err)?;
    let width = 0.8 / n;
    for (i, (p, est)) in per_policy.iter().enumerate() {
        let c = policy_color(p, &d.policies);
        for (t, e) in est.iter().enumerate() {
            let x0 = t as f64 + 1.0 - 0.4 + i as f64 * width;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, 0.0), (x0 + width * 0.9, e.mean)],
                    c.filled(),
                )))
                .map_err(err)?;
            if e.ci95_low.is_finite() {
                let xm = x0 + width * 0.45;
                chart
                    .draw_series(whisker(
                        xm,
                        e.ci95_low,
                        e.ci95_high,
                        width * 0.2,
                        true,
                        ShapeStyle::from(&TEXT).stroke_width(2),
                    ))
                    .map_err(err)?;
            }
        }
    }
    let mandate: Vec<PolicyBand> = d
        .policies
        .iter()
        .map(|p| (p.clone(), band(&d.weekly_of(p, "mandate"))))
        .collect();
    band_panel(&right, "Mandate level over time", "Mandate (0-1)", d, &mandate, &|v| {
        format!("{v:.2}")
    })?;
    Ok(())
}

fn draw_market<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &RunData) -> DrawResult<()> {
    let plot = frame(
        root,
        &format!("How the usage meme spreads across the market ({})", d.scenario),
        "Left: share of enterprises whose leadership reads token usage as success (lambda > 0.5). Right: each enterprise's spend against value in every run.",
        &source_line(d),
        &legend_of(d),
    )?;
    let (left, right) = plot.split_horizontally((WIDTH - LEGEND_WIDTH) / 2);
    let readers: Vec<PolicyBand> = d
        .policies
        .iter()
        .map(|p| {
            let s: Vec<Vec<f64>> = d
                .weekly_of(p, "usage_readers_share")
                .into_iter()
                .map(|r| r.into_iter().map(|v| v * 100.0).collect())
                .collect();
            (p.clone(), band(&s))
        })
        .collect();
    band_panel(
        &left,
        "Enterprises reading usage as success",
        "Share of enterprises (%)",
        d,
        &readers,
        &|v| format!("{v:.0}%"),
    )?;
    let e = d.enterprises.as_ref().expect("market data");
    let spend = e.n("spend_usd");
    let value = e.n("value_usd");
    let pol = e.t("policy");
    let (slo, shi) = bounds(&finite(spend.iter().cloned()));
    let (vlo, vhi) = bounds(&finite(value.iter().cloned()));
    let (x0, x1) = pad(slo.min(0.0), shi);
    let (y0, y1) = pad(vlo.min(0.0), vhi);
    let mut chart = ChartBuilder::on(&right)
        .caption("Spend against value per enterprise", bold(28))
        .margin(18)
        .x_label_area_size(60)
        .y_label_area_size(120)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    mesh_style!(chart)
        .x_desc("Token spend over the run (USD)")
        .y_desc("Delivered value (USD)")
        .x_label_formatter(&|v| money(*v))
        .y_label_formatter(&|v| money(*v))
        .draw()
        .map_err(err)?;
    let top = x1.min(y1);
    let bottom = x0.max(y0);
    chart
        .draw_series(LineSeries::new(
            [(bottom, bottom), (top, top)],
            ShapeStyle::from(&AXIS).stroke_width(3),
        ))
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(Text::new(
            "break-even".to_string(),
            (top * 0.8, top * 0.8),
            font(22).color(&MUTED),
        )))
        .map_err(err)?;
    for p in &d.policies {
        let c = policy_color(p, &d.policies);
        chart
            .draw_series(
                (0..e.rows)
                    .filter(|&i| &pol[i] == p)
                    .map(|i| Circle::new((spend[i], value[i]), 5, c.mix(0.5).filled())),
            )
            .map_err(err)?;
    }
    Ok(())
}

/// Every chart of a sweep: spend against value for every run, each metric
/// against each swept parameter, and a heatmap over the first two.
pub fn sweep_charts(d: &SweepData) -> Result<Vec<Chart>, PlotError> {
    let mut charts = vec![render!("spend_vs_value", draw_spend_vs_value, &d.runs)];
    for i in 0..d.parameters.len() {
        let job = (d, i);
        charts.push(render!(format!("by_parameter_{}", i + 1), draw_by_parameter, &job));
    }
    if d.parameters.len() >= 2 {
        charts.push(render!("heatmap", draw_heatmap, d));
    }
    Ok(charts)
}

/// Bins of a parameter: its distinct values when there are few, otherwise
/// equal-count bins. Returns the bin of each point and each bin's centre.
fn bins(values: &[f64], max_bins: usize) -> (Vec<usize>, Vec<f64>) {
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
fn binned(d: &SweepData, param: usize, metric: &str) -> (Vec<f64>, Vec<PolicyBand>) {
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
fn param_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    d: &RunData,
    xs: &[f64],
    series: &[PolicyBand],
    y_fmt: &dyn Fn(&f64) -> String,
) -> DrawResult<()> {
    let all = finite(
        series
            .iter()
            .flat_map(|(_, s)| s.iter().flat_map(|&(m, lo, hi)| [m, lo, hi])),
    );
    let (lo, hi) = bounds(&all);
    let (y0, y1) = pad(lo.min(0.0), hi);
    let (xlo, xhi) = bounds(xs);
    let log = xlo > 0.0 && xhi / xlo > 20.0;
    let x_fmt = |v: &f64| {
        if v.abs() >= 1000.0 || (v.abs() < 0.01 && *v != 0.0) {
            format!("{v:.2e}")
        } else {
            trim(*v)
        }
    };
    macro_rules! body {
        ($chart:ident) => {{
            mesh_style!($chart)
                .x_desc(x_desc)
                .y_desc(y_desc)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(y_fmt)
                .draw()
                .map_err(err)?;
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
                $chart
                    .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
                    .map_err(err)?;
                $chart
                    .draw_series(LineSeries::new(
                        pts.iter().map(|&(x, (m, _, _))| (x, m)),
                        ShapeStyle::from(&c).stroke_width(3),
                    ))
                    .map_err(err)?;
                $chart
                    .draw_series(pts.iter().map(|&(x, (m, _, _))| Circle::new((x, m), 6, c.filled())))
                    .map_err(err)?;
            }
        }};
    }
    if log {
        let mut chart = ChartBuilder::on(area)
            .caption(title, bold(28))
            .margin(18)
            .x_label_area_size(60)
            .y_label_area_size(120)
            .build_cartesian_2d((xlo / 1.2..xhi * 1.2).log_scale(), y0..y1)
            .map_err(err)?;
        body!(chart);
    } else {
        let span = (xhi - xlo).max(1e-9);
        let mut chart = ChartBuilder::on(area)
            .caption(title, bold(28))
            .margin(18)
            .x_label_area_size(60)
            .y_label_area_size(120)
            .build_cartesian_2d(xlo - 0.04 * span..xhi + 0.04 * span, y0..y1)
            .map_err(err)?;
        body!(chart);
    }
    Ok(())
}

fn draw_by_parameter<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, job: &(&SweepData, usize)) -> DrawResult<()> {
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
    let (xs, roi) = binned(d, i, "roi");
    param_panel(
        &left,
        "Return on AI spend (value / spend)",
        name,
        "ROI (x)",
        &d.runs,
        &xs,
        &roi,
        &|v| format!("{v:.1}x"),
    )?;
    let (xs, spend) = binned(d, i, "spend_usd");
    param_panel(
        &right,
        "Token spend over the run",
        name,
        "USD",
        &d.runs,
        &xs,
        &spend,
        &|v| money(*v),
    )?;
    Ok(())
}

/// Viridis, sampled at five points and interpolated: perceptually uniform
/// and readable in greyscale and by colour-blind viewers.
fn viridis(t: f64) -> RGBColor {
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

fn draw_heatmap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &SweepData) -> DrawResult<()> {
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
    let fmt_axis = |centres: &[f64], v: f64| -> String {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < centres.len() {
            trim(centres[i as usize])
        } else {
            String::new()
        }
    };
    for (k, p) in d.runs.policies.iter().enumerate() {
        let mut chart = ChartBuilder::on(&panels[k])
            .caption(p, bold(28).color(&policy_color(p, &d.runs.policies)))
            .margin(18)
            .x_label_area_size(70)
            .y_label_area_size(110)
            .build_cartesian_2d(-0.5f64..(cx.len() as f64 - 0.5), -0.5f64..(cy.len() as f64 - 0.5))
            .map_err(err)?;
        mesh_style!(chart)
            .disable_mesh()
            .x_desc(px.as_str())
            .y_desc(py.as_str())
            .x_labels(cx.len() * 2 + 1)
            .y_labels(cy.len() * 2 + 1)
            .x_label_formatter(&|v| fmt_axis(&cx, *v))
            .y_label_formatter(&|v| fmt_axis(&cy, *v))
            .draw()
            .map_err(err)?;
        for (i, col) in grids[k].iter().enumerate() {
            for (j, &v) in col.iter().enumerate() {
                let (x, y) = (i as f64, j as f64);
                let fill = if v.is_finite() {
                    viridis(scale(v))
                } else {
                    RGBColor(240, 240, 240)
                };
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                        fill.filled(),
                    )))
                    .map_err(err)?;
                if v.is_finite() && cx.len() * cy.len() <= 64 {
                    let ink = if scale(v) > 0.6 { TEXT } else { WHITE };
                    let label = format!("{v:.1}x");
                    chart
                        .draw_series(std::iter::once(Text::new(
                            label,
                            (x - 0.2, y + 0.1),
                            font(20).color(&ink),
                        )))
                        .map_err(err)?;
                }
            }
        }
    }
    // The colour bar.
    bar.draw(&Text::new("ROI (x)".to_string(), (20, 30), bold(26)))
        .map_err(err)?;
    let (top, height) = (80, 600);
    for k in 0..height {
        let t = 1.0 - k as f64 / height as f64;
        bar.draw(&Rectangle::new([(20, top + k), (60, top + k + 1)], viridis(t).filled()))
            .map_err(err)?;
    }
    for k in 0..=4 {
        let t = k as f64 / 4.0;
        let v = lo + t * (hi - lo);
        let y = top + ((1.0 - t) * height as f64) as i32;
        bar.draw(&Text::new(format!("{v:.2}x"), (70, y - 10), font(22)))
            .map_err(err)?;
    }
    Ok(())
}

/// What sensitivity charts are drawn from.
pub struct SensitivityData<'a> {
    pub name: &'a str,
    pub source: String,
    pub policies: Vec<String>,
    pub rows: &'a [crate::experiment::sensitivity::SensitivityRow],
}

/// Sensitivity charts: for Morris designs a tornado chart of mu* per
/// metric, for Saltelli designs a bar chart of first-order and total Sobol
/// indices with 95% CIs per metric, parameters ranked, one panel per policy.
pub fn sensitivity_charts_from(d: &SensitivityData) -> Result<Vec<Chart>, PlotError> {
    let mut charts = Vec::new();
    for metric in crate::experiment::KEY_METRICS {
        let method = d.rows.iter().find(|r| r.metric == metric).map(|r| r.method);
        let name = match method {
            Some(Method::Morris) => format!("tornado_{metric}"),
            Some(_) => format!("sobol_{metric}"),
            None => continue,
        };
        let job = (d, metric);
        charts.push(render!(name, draw_sensitivity, &job));
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
    format!(
        "Source: tokenmaxx {} simulation, sweep \"{name}\": {points} points x {policies} policies x {replicates} replicates = {runs} runs, seed {seed}.",
        env!("CARGO_PKG_VERSION"),
    )
}

/// Sensitivity charts of a finished sweep.
pub fn sensitivity_charts(
    spec: &crate::experiment::plan::SweepPlan,
    rows: &[crate::experiment::sensitivity::SensitivityRow],
) -> Result<Vec<Chart>, PlotError> {
    let source = sensitivity_source(
        &spec.name,
        spec.points,
        spec.arms.len(),
        spec.replicates as usize,
        spec.runs(),
        &spec.seed.to_string(),
    );
    sensitivity_charts_from(&SensitivityData {
        name: &spec.name,
        source,
        policies: spec.arms.clone(),
        rows,
    })
}

fn metric_label(metric: &str) -> &'static str {
    match metric {
        "roi" => "return on AI spend (ROI)",
        "spend_usd" => "token spend",
        "value_usd" => "delivered value",
        "waste_share" => "waste share of spend",
        _ => "the metric",
    }
}

fn draw_sensitivity<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    job: &(&SensitivityData, &str),
) -> DrawResult<()> {
    let (d, metric) = *job;
    let rows: Vec<&crate::experiment::sensitivity::SensitivityRow> =
        d.rows.iter().filter(|r| r.metric == metric).collect();
    let morris = rows.first().is_some_and(|r| r.method == Method::Morris);
    let (title, subtitle) = if morris {
        (
            format!("Which levers move {}: Morris screening ({})", metric_label(metric), d.name),
            "Bars are mu*, the mean absolute elementary effect per full range of each parameter; ranked by influence. Black ticks: sigma (interactions).".to_string(),
        )
    } else {
        (
            format!("Which levers move {}: Sobol indices ({})", metric_label(metric), d.name),
            "Light bars: total index ST (with interactions); dark bars: first-order index S1; whiskers: bootstrap 95% CIs. Ranked by ST.".to_string(),
        )
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
        let labels = short_names(&params);
        let mut chart = ChartBuilder::on(&panels[k])
            .caption(policy, bold(28).color(&policy_color(policy, &d.policies)))
            .margin(18)
            .x_label_area_size(60)
            .y_label_area_size(330)
            .build_cartesian_2d(0f64..hi, -0.5f64..(m as f64 - 0.5))
            .map_err(err)?;
        let label = |v: &f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < m {
                labels[m - 1 - i as usize].clone()
            } else {
                String::new()
            }
        };
        let x_desc = if morris {
            "mu* (change in the metric over the parameter's range)"
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
        mesh_style!(chart)
            .disable_y_mesh()
            .x_desc(x_desc)
            .x_labels(5)
            .x_label_formatter(&fmt)
            .y_labels(m * 2 + 1)
            .y_label_formatter(&label)
            .draw()
            .map_err(err)?;
        let c = policy_color(policy, &d.policies);
        for (i, p) in params.iter().enumerate() {
            let y = (m - 1 - i) as f64;
            if morris {
                let mu = get(p, Index::MuStar).map_or(0.0, |r| r.value);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(0.0, y - 0.3), (mu, y + 0.3)],
                        c.filled(),
                    )))
                    .map_err(err)?;
                if let Some(sd) = get(p, Index::Sigma) {
                    let x = sd.value.min(hi);
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(x, y - 0.35), (x, y + 0.35)],
                            ShapeStyle::from(&TEXT).stroke_width(4),
                        )))
                        .map_err(err)?;
                }
            } else {
                for (index, shade, half, at) in
                    [(Index::ST, c.mix(0.45), 0.34, 0.24), (Index::S1, c.mix(1.0), 0.16, 0.0)]
                {
                    if let Some(r) = get(p, index) {
                        let v = r.value.clamp(0.0, hi);
                        chart
                            .draw_series(std::iter::once(Rectangle::new(
                                [(0.0, y - half), (v, y + half)],
                                shade.filled(),
                            )))
                            .map_err(err)?;
                        if r.ci95_low.is_finite() {
                            let (lo, up) = (r.ci95_low.clamp(0.0, hi), r.ci95_high.clamp(0.0, hi));
                            let style = ShapeStyle::from(&TEXT).stroke_width(2);
                            chart
                                .draw_series(whisker(y + at, lo, up, 0.07, false, style))
                                .map_err(err)?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Policy verdicts of a run: who beats whom on ROI, paired by replicate, and
/// how much net value each policy loses against the best one.
fn draw_verdicts<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &RunData) -> DrawResult<()> {
    let plot = frame(
        root,
        &format!(
            "Policy verdicts: which policy wins, and what the others cost ({})",
            d.scenario
        ),
        "Left: probability that the row policy's ROI beats the column policy's, paired by replicate. Right: net value (value - spend) lost against the best policy.",
        &source_line(d),
        &legend_of(d),
    )?;
    let (left, right) = plot.split_horizontally((WIDTH - LEGEND_WIDTH) / 2);
    let n = d.policies.len();
    let roi: Vec<Vec<f64>> = d.policies.iter().map(|p| d.runs_of(p, "roi")).collect();
    let net: Vec<Vec<f64>> = d
        .policies
        .iter()
        .map(|p| {
            d.runs_of(p, "value_usd")
                .iter()
                .zip(d.runs_of(p, "spend_usd"))
                .map(|(v, s)| v - s)
                .collect()
        })
        .collect();
    let names = &d.policies;
    let mut chart = ChartBuilder::on(&left)
        .caption("P(row's ROI > column's ROI); columns numbered as rows", bold(26))
        .x_label_area_size(60)
        .margin(18)
        .y_label_area_size(230)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), -0.5f64..(n as f64 - 0.5))
        .map_err(err)?;
    let label = |v: &f64, flip: bool| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
            // Columns are numbered; rows carry the number and the name.
            if flip {
                format!("{} {}", n - i as usize, names[n - 1 - i as usize])
            } else {
                format!("{}", i as usize + 1)
            }
        } else {
            String::new()
        }
    };
    mesh_style!(chart)
        .disable_mesh()
        .x_labels(n * 2 + 1)
        .y_labels(n * 2 + 1)
        .x_label_formatter(&|v| label(v, false))
        .y_label_formatter(&|v| label(v, true))
        .draw()
        .map_err(err)?;
    for i in 0..n {
        for j in 0..n {
            let (x, y) = (j as f64, (n - 1 - i) as f64);
            let (fill, text) = if i == j {
                (RGBColor(240, 240, 240), String::new())
            } else {
                let p = crate::experiment::verdict::p_beats(&roi[i], &roi[j]);
                (viridis(p), format!("{p:.2}"))
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    fill.filled(),
                )))
                .map_err(err)?;
            if !text.is_empty() {
                let p: f64 = text.parse().unwrap_or(0.0);
                let ink = if p > 0.6 { TEXT } else { WHITE };
                chart
                    .draw_series(std::iter::once(Text::new(
                        text,
                        (x - 0.18, y + 0.08),
                        font(22).color(&ink),
                    )))
                    .map_err(err)?;
            }
        }
    }
    let means: Vec<f64> = net
        .iter()
        .map(|x| x.iter().sum::<f64>() / x.len().max(1) as f64)
        .collect();
    let best = means.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let regrets: Vec<(String, Estimate)> = (0..n)
        .map(|i| {
            let b = means.iter().position(|&m| m == best).unwrap_or(0);
            // Regret per replicate against the best policy on average.
            let r: Vec<f64> = net[b].iter().zip(&net[i]).map(|(x, y)| x - y).collect();
            (names[i].clone(), Estimate::of(&r))
        })
        .collect();
    bar_panel(
        &right,
        "Regret: net value lost against the best policy",
        "USD over the run",
        d,
        &regrets,
        &|v| money(*v),
    )?;
    Ok(())
}

/// The shortest unambiguous names of dotted keys: the last part, or the
/// last two parts where last parts repeat.
fn short_names(keys: &[String]) -> Vec<String> {
    let last = |k: &str| k.rsplit('.').next().unwrap_or(k).to_string();
    keys.iter()
        .map(|k| {
            let l = last(k);
            if keys.iter().filter(|o| last(o) == l).count() > 1 {
                k.rsplit('.')
                    .take(2)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join(".")
            } else {
                l
            }
        })
        .collect()
}
