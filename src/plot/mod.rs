//! Deck-ready charts, drawn from result CSV files alone.
//!
//! Every chart is laid out 1920 pixels wide at the look's aspect ratio (16:9
//! unless `--aspect` says otherwise) and rendered both as SVG (vector, text
//! as text, for decks) and PNG, scaled to the look's width
//! ([`theme::Look`]: theme, aspect, width, font scale). One look across charts: the Okabe-Ito palette
//! with a fixed colour per policy, a title that says what the chart shows,
//! axis labels with units, a legend beside the data (never over it), and a
//! source line. Text uses the bundled DejaVu Sans through ab_glyph, so no
//! system font or fontconfig is needed.
//!
//! Rendering is pure: data in, bytes out. Only the caller writes files.
//!
//! - [`theme`]: size, font, palette, number formats.
//! - [`panels`]: the frame, mesh, bands, bars and rendering shared by charts.
//! - [`charts`]: the charts of a run, a sweep and a sensitivity study.

mod backend;
pub mod charts;
pub mod panels;
mod place;
mod svg;
pub mod theme;

pub use crate::results::{RunData, SweepData};
pub use charts::calibrate::calibration_charts;
pub use charts::compare::{CompareData, compare_charts};
pub use charts::discover::{DiscoveryData, discovery_charts};
pub use charts::optimize::{OptimizeData, optimize_charts};
pub use charts::run::run_charts;
pub use charts::sensitivity::{SensitivityData, sensitivity_charts, sensitivity_charts_from, sensitivity_source};
pub use charts::sweep::{charted_parameters, sweep_charts};

/// A chart that cannot be drawn: its data could not be read back, or
/// drawing failed.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error(transparent)]
    Read(#[from] crate::results::ReadError),
    #[error("cannot draw {chart}: {message}")]
    Draw { chart: String, message: String },
}
pub use panels::encode_png;
pub use theme::{
    DEFAULT_PARAMETER_CHARTS, HEIGHT, Look, ParameterCharts, SvgText, Theme, WIDTH, money, policy_color, register_fonts,
};

/// A chart as SVG text and PNG bytes, each drawn only when asked for.
pub struct Chart {
    pub name: String,
    pub svg: Option<Vec<u8>>,
    pub png: Option<Vec<u8>>,
}

/// Output formats of `plot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
    Both,
}

/// Chart files as (relative path, bytes): each format a chart was drawn in.
pub fn chart_files(charts: Vec<Chart>) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for c in charts {
        if let Some(svg) = c.svg {
            files.push((format!("charts/{}.svg", c.name), svg));
        }
        if let Some(png) = c.png {
            files.push((format!("charts/{}.png", c.name), png));
        }
    }
    files
}
