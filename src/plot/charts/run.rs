//! The charts of a `run`: spend against value (the headline), weekly and
//! cumulative spend and value, the policy comparison, commitment and
//! mandate, the verdicts, and the market.

use crate::plot::PlotError;
use crate::plot::panels::*;
use crate::plot::theme::*;
use crate::plot::{Chart, Format};
use crate::results::RunData;
use crate::stats::Estimate;
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

/// Every chart of a `run`.
/// ROI guides drawn on the headline chart besides break-even.
const RATIO_LINES: [f64; 3] = [0.5, 2.0, 5.0];

pub fn run_charts(d: &RunData, format: Format, look: &Look) -> Result<Vec<Chart>, PlotError> {
    with_look(*look, || run_charts_in_look(d, format))
}

fn run_charts_in_look(d: &RunData, format: Format) -> Result<Vec<Chart>, PlotError> {
    let mut charts = vec![
        render!("spend_vs_value", draw_spend_vs_value, d, format),
        render!("weekly", draw_weekly, d, format),
        render!("policy_comparison", draw_policy_comparison, d, format),
        render!("commitment", draw_commitment, d, format),
    ];
    if d.verdicts.is_some() {
        charts.push(render!("verdicts", draw_verdicts, d, format));
    }
    if d.enterprises.is_some() {
        charts.push(render!("market", draw_market, d, format));
    }
    Ok(charts)
}

/// The headline: every run's spend against its delivered value, with the
/// break-even line, ROI guides and each policy's mean with its 95% CI.
pub(crate) fn draw_spend_vs_value<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &RunData) -> ChartResult<()> {
    let stride = dot_stride(d.runs.rows);
    let dots = if stride == 1 {
        "Each dot is one simulated run over the whole horizon".to_string()
    } else {
        format!(
            "Each dot is one simulated run over the whole horizon (one run in {stride} of {} shown)",
            d.runs.rows
        )
    };
    let plot = frame(
        root,
        &format!("{} ({})", spend_value_headline(d), d.scenario),
        &format!("{dots}; large markers are policy means with 95% CIs. Above the diagonal, AI pays for itself."),
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

    if log {
        let x = (slo / 1.4, shi * 1.4);
        let y = (vlo / 1.4, vhi * 1.4);
        let mut chart = ChartBuilder::on(&plot)
            .margin(24)
            .x_label_area_size(80)
            .y_label_area_size(130)
            .build_cartesian_2d((x.0..x.1).log_scale(), (y.0..y.1).log_scale())?;
        spend_value_body(&mut chart, d, log)?;
    } else {
        let (x0, x1) = pad(slo.min(0.0), shi);
        let (y0, y1) = pad(vlo.min(0.0), vhi);
        let mut chart = ChartBuilder::on(&plot)
            .margin(24)
            .x_label_area_size(80)
            .y_label_area_size(130)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        spend_value_body(&mut chart, d, log)?;
    }
    Ok(())
}

/// The headline chart's title: the finding where the data carry one (the
/// policy that spends most against the reference, when it surely spends
/// more and surely delivers less), else what the chart shows.
fn spend_value_headline(d: &RunData) -> String {
    let plain = "Spend against delivered value, by incentive policy".to_string();
    let Some(reference) = d.policies.first() else {
        return plain;
    };
    let mean = |p: &str, c: &str| Estimate::of(&d.runs_of(p, c)).mean;
    let top = d
        .policies
        .iter()
        .skip(1)
        .max_by(|a, b| mean(a, "spend_usd").total_cmp(&mean(b, "spend_usd")));
    let Some(p) = top else { return plain };
    let ds = Estimate::paired(&d.runs_of(p, "spend_usd"), &d.runs_of(reference, "spend_usd"));
    let dv = Estimate::paired(&d.runs_of(p, "value_usd"), &d.runs_of(reference, "value_usd"));
    let base_value = mean(reference, "value_usd");
    if ds.ci95_low > 0.0 && dv.ci95_high < 0.0 && base_value > 0.0 {
        format!(
            "{} spends {:.1}x as much as {} and delivers {:.0}% less value",
            d.name(p),
            mean(p, "spend_usd") / mean(reference, "spend_usd"),
            d.name(reference),
            -100.0 * dv.mean / base_value
        )
    } else {
        plain
    }
}

/// At most this many runs are drawn as dots: more would only blot the chart
/// and grow the SVG (about 100 bytes a dot) without showing more.
const MAX_DOTS: usize = 5_000;

/// Every how many runs one is drawn as a dot.
fn dot_stride(runs: usize) -> usize {
    runs.div_ceil(MAX_DOTS).max(1)
}

/// The body of the chart, on linear or log axes alike.
fn spend_value_body<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    d: &RunData,
    log: bool,
) -> ChartResult<()>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut mesh = mesh(chart);
    mesh.x_desc("Token spend over the run (USD)")
        .y_desc("Delivered value over the run (USD)")
        .x_label_formatter(&|v| money(*v))
        .y_label_formatter(&|v| money(*v))
        .draw()?;
    let (x0, x1) = (chart.x_range().start, chart.x_range().end);
    let (y0, y1) = (chart.y_range().start, chart.y_range().end);
    // ROI guides: value = r x spend, labelled later where no data lies.
    let mut guides: Vec<(String, Vec<(i32, i32)>)> = Vec::new();
    for r in std::iter::once(1.0).chain(RATIO_LINES) {
        let style = if r == 1.0 {
            ShapeStyle::from(&axis()).stroke_width(3)
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
            chart.draw_series(LineSeries::new(pts.clone(), style))?;
        } else {
            chart.draw_series(DashedLineSeries::new(pts.clone(), 12, 8, style))?;
        }
        let label = if r == 1.0 {
            "break-even (ROI 1)".to_string()
        } else {
            format!("ROI {r}")
        };
        guides.push((label, pts.iter().map(|p| chart.backend_coord(p)).collect()));
    }
    let stride = dot_stride(d.runs.rows);
    // Every drawn point in pixels: labels keep off them.
    let mut occupied: Vec<(i32, i32)> = Vec::new();
    for p in &d.policies {
        let c = policy_color(p, &d.policies);
        let xs = d.runs_of(p, "spend_usd");
        let ys = d.runs_of(p, "value_usd");
        let dots: Vec<(f64, f64)> = xs
            .iter()
            .zip(&ys)
            .step_by(stride)
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|(&x, &y)| (x, y))
            .collect();
        occupied.extend(dots.iter().map(|p| chart.backend_coord(p)));
        chart.draw_series(dots.into_iter().map(|p| Circle::new(p, 6, c.mix(0.45).filled())))?;
    }
    let mut markers: Vec<(String, RGBColor, (i32, i32))> = Vec::new();
    for p in &d.policies {
        let c = policy_color(p, &d.policies);
        let ex = Estimate::of(&d.runs_of(p, "spend_usd"));
        let ey = Estimate::of(&d.runs_of(p, "value_usd"));
        if !(ex.mean.is_finite() && ey.mean.is_finite()) {
            continue;
        }
        let style = ShapeStyle::from(&c).stroke_width(4);
        if ey.ci95_low.is_finite() {
            // Caps sized in data units: a small share of the other axis.
            let (cx, cy) = if log {
                (ex.mean * 0.03, ey.mean * 0.03)
            } else {
                ((x1 - x0) * 0.006, (y1 - y0) * 0.01)
            };
            let (vlo, vhi) = (ey.ci95_low.max(y0), ey.ci95_high.min(y1));
            let (slo, shi) = (ex.ci95_low.max(x0), ex.ci95_high.min(x1));
            chart.draw_series(whisker(ex.mean, vlo, vhi, cx, true, style))?;
            chart.draw_series(whisker(ey.mean, slo, shi, cy, false, style))?;
            for k in 0..=8 {
                let t = k as f64 / 8.0;
                occupied.push(chart.backend_coord(&(ex.mean, vlo + (vhi - vlo) * t)));
                occupied.push(chart.backend_coord(&(slo + (shi - slo) * t, ey.mean)));
            }
        }
        chart.draw_series(std::iter::once(Circle::new((ex.mean, ey.mean), 13, c.filled())))?;
        chart.draw_series(std::iter::once(Circle::new(
            (ex.mean, ey.mean),
            13,
            ShapeStyle::from(&background()).stroke_width(3),
        )))?;
        markers.push((d.name(p), c, chart.backend_coord(&(ex.mean, ey.mean))));
    }
    direct_labels(chart, &markers, &guides, &occupied)
}

/// Names each policy's mean marker and each ROI guide, where the label
/// covers the fewest points and meets no other label or marker: policies
/// whose means coincide get labels apart, each with a leader line.
fn direct_labels<DB, X, Y>(
    chart: &ChartContext<'_, DB, Cartesian2d<X, Y>>,
    markers: &[(String, RGBColor, (i32, i32))],
    guides: &[(String, Vec<(i32, i32)>)],
    occupied: &[(i32, i32)],
) -> ChartResult<()>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    use crate::plot::place::{around, beside_line, nearest_point, place};
    let area = chart.plotting_area();
    let (xr, yr) = area.get_pixel_range();
    let bounds = (xr.start + 4, yr.start + 4, xr.end - 4, yr.end - 4);
    let base = area.get_base_pixel();
    let pixels = area.strip_coord_spec();
    let mut taken: Vec<(i32, i32, i32, i32)> = markers
        .iter()
        .map(|(_, _, (x, y))| (x - 16, y - 16, x + 16, y + 16))
        .collect();
    let draw_text = |text: &str, b: (i32, i32, i32, i32), style: TextStyle| {
        // Glyphs sit from about 0.13 size above the anchor to 0.7 below it.
        let h = b.3 - b.1;
        pixels.draw(&Text::new(
            text.to_string(),
            (b.0 - base.0, b.1 - base.1 + h / 6),
            style,
        ))
    };
    for (name, color, at) in markers {
        let style = bold(22);
        let (w, h) = text_box(name, &style);
        let cands = around(*at, w, h, &[22, 48, 80, 120, 170, 230]);
        let Some(b) = place(&cands, occupied, &taken, bounds) else {
            continue;
        };
        let end = nearest_point(b, *at);
        let (dx, dy) = ((end.0 - at.0) as f64, (end.1 - at.1) as f64);
        let dist = (dx * dx + dy * dy).sqrt();
        if dist > 30.0 {
            // A leader from the marker's rim to the label.
            let from = (at.0 + (dx / dist * 15.0) as i32, at.1 + (dy / dist * 15.0) as i32);
            pixels.draw(&PathElement::new(
                vec![(from.0 - base.0, from.1 - base.1), (end.0 - base.0, end.1 - base.1)],
                ShapeStyle::from(color).stroke_width(2),
            ))?;
        }
        draw_text(name, b, style.color(&legible(*color)))?;
        taken.push(b);
    }
    let grey = muted();
    for (label, line) in guides {
        let style = font(22).color(&grey);
        let (w, h) = text_box(label, &style);
        if let Some(b) = place(&beside_line(line, w, h, 6), occupied, &taken, bounds) {
            draw_text(label, b, style)?;
            taken.push(b);
        }
    }
    Ok(())
}

pub(crate) fn draw_weekly<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &RunData) -> ChartResult<()> {
    let plot = frame(
        root,
        &format!("Weekly and cumulative token spend and delivered value ({})", d.scenario),
        "Means, 95% bands. Weekly spend excludes term-end breakage (cumulative includes it). Value starts below $0: builds and rework cost hours first.",
        &source_line(d),
        &legend_of(d),
    )?;
    let panels = plot.split_evenly((2, 2));
    // Spend cannot fall below $0, so neither does its band; value can.
    let per = |col: &str, cum: bool| -> Vec<PolicyBand> {
        let floor = if col == "value_usd" { f64::NEG_INFINITY } else { 0.0 };
        d.policies
            .iter()
            .map(|p| {
                let s = d.weekly_of(p, col);
                let b = band(&if cum { cumulative(&s) } else { s });
                (p.clone(), clamped(b, floor, f64::INFINITY))
            })
            .collect()
    };
    let m = |v: &f64| money(*v);
    band_panel(
        &panels[0],
        "Spend per week (before breakage)",
        "USD per week",
        d,
        &per("usage_cost_usd", false),
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

/// The comparison chart's title: the policy losing most net value against
/// the reference and the one gaining most, each only when its paired CI
/// excludes zero; else what the chart shows.
fn comparison_headline(d: &RunData) -> String {
    let plain = "Return, waste and value per token, by incentive policy".to_string();
    let Some(reference) = d.policies.first() else {
        return plain;
    };
    let base = d.net_of(reference);
    let diffs: Vec<(&String, Estimate)> = d
        .policies
        .iter()
        .skip(1)
        .map(|p| (p, Estimate::paired(&d.net_of(p), &base)))
        .filter(|(_, e)| e.mean.is_finite())
        .collect();
    let worst = diffs
        .iter()
        .filter(|(_, e)| e.ci95_high < 0.0)
        .min_by(|a, b| a.1.mean.total_cmp(&b.1.mean));
    let best = diffs
        .iter()
        .filter(|(_, e)| e.ci95_low > 0.0)
        .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean));
    let r = d.name(reference);
    match (worst, best) {
        (Some((w, ew)), Some((b, eb))) => format!(
            "{} loses {} net against {r}; {} gains {}",
            d.name(w),
            money(-ew.mean),
            d.name(b),
            money(eb.mean)
        ),
        (Some((w, ew)), None) => format!("{} loses {} net against {r}", d.name(w), money(-ew.mean)),
        (None, Some((b, eb))) => format!("{} gains {} net against {r}", d.name(b), money(eb.mean)),
        (None, None) => plain,
    }
}

pub(crate) fn draw_policy_comparison<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    d: &RunData,
) -> ChartResult<()> {
    let reference = d.policies[0].clone();
    let plot = frame(
        root,
        &format!("{} ({})", comparison_headline(d), d.scenario),
        &format!(
            "Bars are means, whiskers 95% CIs. Net benefit is paired by replicate against {} (common random numbers).",
            d.name(&reference)
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
    let net = |p: &str| d.net_of(p);
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
        &format!("Net benefit (value - spend) vs {}", d.name(&reference)),
        "USD over the run, paired difference",
        d,
        &diffs,
        &|v| money(*v),
    )?;
    Ok(())
}

pub(crate) fn draw_commitment<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &RunData) -> ChartResult<()> {
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
    let plot = frame(
        root,
        &commitment_headline(d, &per_policy),
        "Left: annual commitment signed at each renewal. Right: leadership's mandate to use AI, which rises with a shortfall against the commitment; each policy in colour, the others in grey.",
        &source_line(d),
        &legend_of(d),
    )?;
    let (left, right) = plot.split_horizontally((width() - LEGEND_WIDTH) / 2);
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
        .build_cartesian_2d(0.5f64..(terms as f64 + 0.5), 0f64..(hi.max(1.0) * 1.1))?;
    mesh(&mut chart)
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
        .draw()?;
    let width = 0.8 / n;
    for (i, (p, est)) in per_policy.iter().enumerate() {
        let c = policy_color(p, &d.policies);
        for (t, e) in est.iter().enumerate() {
            let x0 = t as f64 + 1.0 - 0.4 + i as f64 * width;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0, 0.0), (x0 + width * 0.9, e.mean)],
                c.filled(),
            )))?;
            if e.ci95_low.is_finite() {
                let xm = x0 + width * 0.45;
                chart.draw_series(whisker(
                    xm,
                    e.ci95_low,
                    e.ci95_high,
                    width * 0.2,
                    true,
                    ShapeStyle::from(&ink()).stroke_width(2),
                ))?;
            }
        }
    }
    let mandate: Vec<PolicyBand> = d
        .policies
        .iter()
        .map(|p| {
            // The mandate lies in [0, 1]: so does its band.
            (p.clone(), clamped(band(&d.weekly_of(p, "mandate")), 0.0, 1.0))
        })
        .collect();
    mandate_multiples(&right, d, &mandate)?;
    Ok(())
}

/// The mandate over time as small multiples: one panel per policy, its
/// mean and band in colour over the other policies' means in grey, so six
/// crossing lines read one at a time.
fn mandate_multiples<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &RunData,
    mandate: &[PolicyBand],
) -> ChartResult<()> {
    let (title, body) = area.split_vertically(56);
    title.draw(&Text::new(
        "Mandate to use AI over time (0 = none, 1 = full)",
        (20, 6),
        bold(28),
    ))?;
    let cols = if mandate.len() > 4 { 2 } else { 1 };
    let rows = mandate.len().div_ceil(cols).max(1);
    let cells = body.split_evenly((rows, cols));
    let weeks = mandate.iter().map(|(_, s)| s.len()).max().unwrap_or(1).max(2);
    let grey = muted().mix(0.35);
    for (k, (p, s)) in mandate.iter().enumerate() {
        let c = policy_color(p, &d.policies);
        let bottom_row = k + cols >= mandate.len();
        let mut chart = ChartBuilder::on(&cells[k])
            .caption(d.name(p), fitted(&d.name(p), 20, true, 400).color(&legible(c)))
            .margin(8)
            .x_label_area_size(if bottom_row { 44 } else { 8 })
            .y_label_area_size(if k % cols == 0 { 64 } else { 20 })
            .build_cartesian_2d(0f64..(weeks - 1) as f64, 0f64..1.0)?;
        let mut m = chart.configure_mesh();
        m.disable_x_mesh()
            .bold_line_style(grid())
            .light_line_style(TRANSPARENT)
            .axis_style(axis())
            .label_style(font(18))
            .y_labels(3)
            .y_label_formatter(&|v| format!("{v:.1}"))
            .x_labels(4)
            .x_label_formatter(&|v| format!("{v:.0}"));
        if bottom_row {
            m.x_desc("Week").axis_desc_style(font(20));
        } else {
            m.x_label_formatter(&|_| String::new());
        }
        if k % cols != 0 {
            m.y_label_formatter(&|_| String::new());
        }
        m.draw()?;
        for (q, other) in mandate {
            if q != p {
                chart.draw_series(LineSeries::new(
                    other.iter().enumerate().map(|(w, &(m, _, _))| (w as f64, m)),
                    ShapeStyle::from(&grey).stroke_width(2),
                ))?;
            }
        }
        weekly_band(&mut chart, s, c, 0.22)?;
    }
    Ok(())
}

/// The commitment chart's title: the policy whose last-year commitment
/// most exceeds the reference's, when it surely does (CIs apart), else
/// what the chart shows.
fn commitment_headline(d: &RunData, per_policy: &[(String, Vec<Estimate>)]) -> String {
    let plain = format!("Commitment escalation and the sunk-cost mandate ({})", d.scenario);
    let last = |e: &[Estimate]| e.last().copied();
    let Some(reference) = per_policy.first().and_then(|(_, e)| last(e)) else {
        return plain;
    };
    let top = per_policy
        .iter()
        .skip(1)
        .filter_map(|(p, e)| last(e).map(|x| (p, x)))
        .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean));
    match top {
        Some((p, x)) if x.ci95_low > reference.ci95_high && reference.mean > 0.0 && per_policy[0].1.len() > 1 => {
            format!(
                "{} commits {:.1}x as much as {} by year {} ({})",
                d.name(p),
                x.mean / reference.mean,
                d.name(&per_policy[0].0),
                per_policy[0].1.len(),
                d.scenario
            )
        }
        _ => plain,
    }
}

pub(crate) fn draw_market<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &RunData) -> ChartResult<()> {
    let plot = frame(
        root,
        &format!("How the usage meme spreads across the market ({})", d.scenario),
        "Left: share of enterprises whose leadership reads token usage as success (lambda > 0.5), mean over replicates. Right: each enterprise's spend against value in every run.",
        // Means and single runs, no intervals drawn.
        &source_of(d),
        &legend_of(d),
    )?;
    let (left, right) = plot.split_horizontally((width() - LEGEND_WIDTH) / 2);
    let readers: Vec<PolicyBand> = d
        .policies
        .iter()
        .map(|p| {
            let s: Vec<Vec<f64>> = d
                .weekly_of(p, "usage_readers_share")
                .into_iter()
                .map(|r| r.into_iter().map(|v| v * 100.0).collect())
                .collect();
            // Means only: the bands of several policies overlap into one block.
            (p.clone(), band(&s).into_iter().map(|(m, _, _)| (m, m, m)).collect())
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
        .build_cartesian_2d(x0..x1, y0..y1)?;
    mesh(&mut chart)
        .x_desc("Token spend over the run (USD)")
        .y_desc("Delivered value (USD)")
        .x_label_formatter(&|v| money(*v))
        .y_label_formatter(&|v| money(*v))
        .draw()?;
    let top = x1.min(y1);
    let bottom = x0.max(y0);
    chart.draw_series(LineSeries::new(
        [(bottom, bottom), (top, top)],
        ShapeStyle::from(&axis()).stroke_width(3),
    ))?;
    for p in &d.policies {
        let c = policy_color(p, &d.policies);
        chart.draw_series(
            (0..e.rows)
                .filter(|&i| &pol[i] == p)
                .map(|i| Circle::new((spend[i], value[i]), 3, c.mix(0.35).filled())),
        )?;
    }
    // Labelled where the line leaves the plot, clear of the dots below it.
    chart.draw_series(std::iter::once(Text::new(
        "break-even (value = spend)".to_string(),
        (top + (x1 - x0) * 0.02, top * 0.97),
        font(22).color(&muted()),
    )))?;
    Ok(())
}

/// Policy verdicts of a run, on one criterion, net value (value - spend):
/// the share of replicates in which each policy beats each other, paired by
/// replicate, and how much net value each policy loses against the best one
/// (per replicate, for its 95% CI).
pub(crate) fn draw_verdicts<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &RunData) -> ChartResult<()> {
    let n = d.policies.len();
    let net: Vec<Vec<f64>> = d.policies.iter().map(|p| d.net_of(p)).collect();
    let means: Vec<f64> = net
        .iter()
        .map(|x| x.iter().sum::<f64>() / x.len().max(1) as f64)
        .collect();
    let b = (0..n).max_by(|&i, &j| means[i].total_cmp(&means[j])).unwrap_or(0);
    // Share of replicates in which row i's net value beats column j's.
    let beats = |i: usize, j: usize| crate::stats::share_greater(&net[i], &net[j]);
    let sweeps = (0..n).filter(|&j| j != b).all(|j| beats(b, j) == 1.0);
    let title = if n > 1 && sweeps {
        format!(
            "{} has the highest net value, in every replicate",
            d.name(&d.policies[b])
        )
    } else {
        format!("{} has the highest mean net value", d.name(&d.policies[b]))
    };
    let plot = frame(
        root,
        &format!("{title} ({})", d.scenario),
        "Left: share of replicates in which the row policy's net value (value - spend) beats the column's, paired. Right: net value lost against the best policy.",
        &source_line(d),
        &legend_of(d),
    )?;
    let (left, right) = plot.split_horizontally((width() - LEGEND_WIDTH) / 2);
    let (left, key) = left.split_horizontally((width() - LEGEND_WIDTH) / 2 - 130);
    let names = &d.policies;
    let mut chart = ChartBuilder::on(&left)
        .caption("Row beats column on net value", bold(24))
        .x_label_area_size(60)
        .margin(18)
        .y_label_area_size(270)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), -0.5f64..(n as f64 - 0.5))?;
    // Columns are numbered; rows carry the number and the name.
    let label = |v: &f64, flip: bool| {
        category_at(*v, n).map_or(String::new(), |i| {
            if flip {
                format!("{} {}", n - i, d.name(&names[n - 1 - i]))
            } else {
                format!("{}", i + 1)
            }
        })
    };
    mesh(&mut chart)
        .disable_mesh()
        .x_labels(n * 2 + 1)
        .y_labels(n * 2 + 1)
        .x_label_formatter(&|v| label(v, false))
        .y_label_formatter(&|v| label(v, true))
        .draw()?;
    for i in 0..n {
        for j in 0..n {
            let (x, y) = (j as f64, (n - 1 - i) as f64);
            let p = if i == j { f64::NAN } else { beats(i, j) };
            let fill = if p.is_nan() {
                RGBColor(240, 240, 240)
            } else {
                viridis(p)
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                fill.filled(),
            )))?;
            if p.is_finite() {
                let ink = if p > 0.6 { RGBColor(30, 30, 30) } else { WHITE };
                let centred = font(22).color(&ink).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ));
                chart.draw_series(std::iter::once(Text::new(format!("{p:.2}"), (x, y), centred)))?;
            }
        }
    }
    // The colour key: share of replicates, 0 to 1.
    let (top, height) = (110, 520);
    key.draw(&Text::new("Share".to_string(), (10, top - 40), bold(22)))?;
    for k in 0..height {
        let t = 1.0 - k as f64 / height as f64;
        key.draw(&Rectangle::new([(10, top + k), (40, top + k + 1)], viridis(t).filled()))?;
    }
    for k in 0..=4 {
        let t = k as f64 / 4.0;
        let y = top + ((1.0 - t) * height as f64) as i32;
        key.draw(&Text::new(format!("{t:.2}"), (48, y - 10), font(20)))?;
    }
    let regrets: Vec<(String, Estimate)> = (0..n)
        .map(|i| {
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
