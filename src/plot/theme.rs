//! The look every chart shares: size, font, palette (Okabe-Ito with a fixed
//! colour per preset policy), text styles and number formats.

use plotters::prelude::*;
use std::sync::Once;

pub const WIDTH: u32 = 1920;
pub const HEIGHT: u32 = 1080;
pub(crate) const FONT: &str = "sans-serif";
pub(crate) const TITLE_BAND: u32 = 110;
pub(crate) const SOURCE_BAND: u32 = 56;
pub(crate) const LEGEND_WIDTH: u32 = 360;

pub(crate) const GRID: RGBColor = RGBColor(232, 232, 232);
pub(crate) const AXIS: RGBColor = RGBColor(90, 90, 90);
pub(crate) const TEXT: RGBColor = RGBColor(30, 30, 30);
pub(crate) const MUTED: RGBColor = RGBColor(110, 110, 110);

/// Okabe-Ito, in the order policies take them: the six presets have fixed
/// colours; other policies take the rest in order of appearance.
pub(crate) const PRESETS: [(&str, RGBColor); 6] = [
    ("laissez_faire", RGBColor(0, 114, 178)),    // blue
    ("usage_leaderboard", RGBColor(213, 94, 0)), // vermillion
    ("usage_quota", RGBColor(230, 159, 0)),      // orange
    ("value_based", RGBColor(0, 158, 115)),      // bluish green
    ("efficiency", RGBColor(86, 180, 233)),      // sky blue
    ("budget_capped", RGBColor(204, 121, 167)),  // reddish purple
];
pub(crate) const EXTRA: [RGBColor; 3] = [RGBColor(0, 0, 0), RGBColor(240, 228, 66), RGBColor(150, 150, 150)];

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

pub(crate) fn trim(x: f64) -> String {
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

pub(crate) fn font(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&TEXT)
}

pub(crate) fn bold(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().style(FontStyle::Bold).color(&TEXT)
}
