//! The look every chart shares: size, font, palette (Okabe-Ito with a fixed
//! colour per preset policy), text styles and number formats.

use plotters::prelude::*;
use std::cell::Cell;
use std::sync::Once;

/// The width every chart is laid out at; `--width` scales the drawing to
/// another size (the SVG by its viewBox, the PNG by resampling).
pub const WIDTH: u32 = 1920;
/// The height of a 16:9 chart at [`WIDTH`].
pub const HEIGHT: u32 = 1080;

/// Colours of a chart's background, text and lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Dark text on white: slides and screens.
    Light,
    /// Light text on near-black: dark slide templates.
    Dark,
    /// Black text and darker grid lines on white: paper.
    Print,
}

/// How the SVG carries its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SvgText {
    /// `<text>` in DejaVu Sans, its width pinned (`textLength`): editable and
    /// searchable; a viewer without the font keeps the width with another.
    #[default]
    Text,
    /// Outlines of the bundled font: the same in every viewer, not editable.
    Paths,
}

/// How many swept parameters get a `by_parameter` chart: the top N by
/// feature score, or every one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterCharts {
    Top(usize),
    All,
}

/// Charts for the six parameters that matter most, unless asked otherwise.
pub const DEFAULT_PARAMETER_CHARTS: ParameterCharts = ParameterCharts::Top(6);

impl std::str::FromStr for ParameterCharts {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "all" => Ok(ParameterCharts::All),
            n => n
                .parse::<usize>()
                .map(ParameterCharts::Top)
                .map_err(|_| format!("`{s}` is neither a number of charts (e.g. 6) nor `all`")),
        }
    }
}

/// How charts look: theme, shape, size and text size, and which
/// parameters of a sweep get a chart. Every chart function takes it as a
/// value, so a chart drawn on any thread is drawn in the look its caller
/// chose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    pub theme: Theme,
    /// Aspect ratio as (width, height): 16:9, 4:3 or 1:1.
    pub aspect: (u32, u32),
    /// Width of the PNG in pixels (the SVG's nominal width).
    pub width: u32,
    /// Multiplies every text size.
    pub font_scale: f64,
    /// Text in the SVG as text or as outlines.
    pub svg_text: SvgText,
    /// How many swept parameters get a `by_parameter` chart (not part of
    /// the recorded presentation: `--charts` is asked per drawing).
    pub parameter_charts: ParameterCharts,
}

impl Default for Look {
    fn default() -> Self {
        Look {
            theme: Theme::Light,
            aspect: (16, 9),
            width: WIDTH,
            font_scale: 1.0,
            svg_text: SvgText::Text,
            parameter_charts: DEFAULT_PARAMETER_CHARTS,
        }
    }
}

use crate::scenario::presentation::{AspectName, Presentation, SvgTextName, ThemeName};
pub use crate::scenario::presentation::{FONT_SCALE_RANGE, WIDTH_RANGE};

impl Look {
    /// The look a scenario's `[presentation]` asks for: each unset setting at
    /// its default (out-of-range values, which `Presentation::check`
    /// refuses, are clamped).
    pub fn from_presentation(p: &Presentation) -> Look {
        let d = Look::default();
        Look {
            theme: match p.theme {
                Some(ThemeName::Light) => Theme::Light,
                Some(ThemeName::Dark) => Theme::Dark,
                Some(ThemeName::Print) => Theme::Print,
                None => d.theme,
            },
            aspect: p.aspect.map_or(d.aspect, AspectName::ratio),
            width: p.width.map_or(d.width, |w| w.clamp(WIDTH_RANGE.0, WIDTH_RANGE.1)),
            font_scale: p
                .font_scale
                .filter(|f| f.is_finite())
                .map_or(d.font_scale, |f| f.clamp(FONT_SCALE_RANGE.0, FONT_SCALE_RANGE.1)),
            svg_text: match p.svg_text {
                Some(SvgTextName::Paths) => SvgText::Paths,
                Some(SvgTextName::Text) => SvgText::Text,
                None => d.svg_text,
            },
            parameter_charts: d.parameter_charts,
        }
    }

    /// The `[presentation]` of this look: each setting that differs from
    /// the default, so a results folder records the look its charts were
    /// drawn in (and `Look::from_presentation` gives this look back).
    pub fn presentation(&self) -> Presentation {
        let d = Look::default();
        let set = |differs: bool| differs.then_some(());
        Presentation {
            theme: set(self.theme != d.theme).map(|()| match self.theme {
                Theme::Light => ThemeName::Light,
                Theme::Dark => ThemeName::Dark,
                Theme::Print => ThemeName::Print,
            }),
            aspect: set(self.aspect != d.aspect).and_then(|()| {
                [AspectName::Wide, AspectName::Standard, AspectName::Square]
                    .into_iter()
                    .find(|a| a.ratio() == self.aspect)
            }),
            width: set(self.width != d.width).map(|()| self.width),
            font_scale: set(self.font_scale != d.font_scale).map(|()| self.font_scale),
            svg_text: set(self.svg_text != d.svg_text).map(|()| match self.svg_text {
                SvgText::Text => SvgTextName::Text,
                SvgText::Paths => SvgTextName::Paths,
            }),
        }
    }

    /// The look as a results folder's manifest records it: `None` for the
    /// default look.
    pub fn recorded(&self) -> Option<Presentation> {
        let p = self.presentation();
        (p != Presentation::default()).then_some(p)
    }

    /// The height of the PNG in pixels.
    pub fn pixel_height(&self) -> u32 {
        (self.width as u64 * self.aspect.1 as u64 / self.aspect.0 as u64) as u32
    }
}

thread_local! {
    static LOOK: Cell<Look> = Cell::new(Look::default());
}

/// Runs `f` with charts drawn in `look` (on this thread), then restores the
/// previous look: how every chart function, given its look as a value,
/// passes it to the drawing helpers below while it draws on the calling
/// thread. Nothing outside `plot` sets or reads it.
pub(crate) fn with_look<T>(look: Look, f: impl FnOnce() -> T) -> T {
    let before = LOOK.with(|l| l.replace(look));
    let out = f();
    LOOK.with(|l| l.set(before));
    out
}

/// The look of the chart being drawn on this thread.
pub(crate) fn look() -> Look {
    LOOK.with(Cell::get)
}

/// The width charts are laid out at (always [`WIDTH`]).
pub(crate) fn width() -> u32 {
    WIDTH
}

/// The height charts are laid out at: [`WIDTH`] over the aspect ratio.
pub(crate) fn height() -> u32 {
    let (w, h) = look().aspect;
    (WIDTH as u64 * h as u64 / w as u64) as u32
}

pub(crate) fn background() -> RGBColor {
    match look().theme {
        Theme::Dark => RGBColor(24, 26, 30),
        _ => RGBColor(255, 255, 255),
    }
}

pub(crate) fn grid() -> RGBColor {
    match look().theme {
        Theme::Light => RGBColor(232, 232, 232),
        Theme::Dark => RGBColor(62, 66, 72),
        Theme::Print => RGBColor(200, 200, 200),
    }
}

pub(crate) fn axis() -> RGBColor {
    match look().theme {
        Theme::Light => RGBColor(90, 90, 90),
        Theme::Dark => RGBColor(170, 174, 180),
        Theme::Print => RGBColor(0, 0, 0),
    }
}

pub(crate) fn ink() -> RGBColor {
    match look().theme {
        Theme::Light => RGBColor(30, 30, 30),
        Theme::Dark => RGBColor(236, 236, 236),
        Theme::Print => RGBColor(0, 0, 0),
    }
}

pub(crate) fn muted() -> RGBColor {
    match look().theme {
        Theme::Light => RGBColor(110, 110, 110),
        Theme::Dark => RGBColor(160, 164, 170),
        Theme::Print => RGBColor(70, 70, 70),
    }
}
pub(crate) const FONT: &str = "sans-serif";
pub(crate) const TITLE_BAND: u32 = 110;
pub(crate) const SOURCE_BAND: u32 = 56;
pub(crate) const LEGEND_WIDTH: u32 = 360;

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
/// Colours of the policies that are not presets (custom and the other
/// built-in policies), in order of appearance, from Paul Tol's "muted"
/// qualitative scheme (P. Tol, "Colour Schemes", SRON technical note
/// SRON/EPS/TN/09-002, https://personal.sron.nl/~pault/): green, olive,
/// purple; then, on white, indigo and wine, and on the dark background
/// (where those two are too dark to read) sand and rose. Each keeps a
/// contrast of at least 3:1 against its background (a test checks it);
/// under simulated deuteranopia, protanopia and tritanopia (Machado et al.
/// 2009, full severity) each but rose stays at least 8 CIELAB units from
/// every Okabe-Ito preset (rose comes within 5.5 of bluish green under
/// deuteranopia, so it is the last one taken). A chart with more than five
/// such policies repeats them.
pub(crate) const EXTRA_LIGHT: [RGBColor; 5] = [
    RGBColor(0x11, 0x77, 0x33), // green
    RGBColor(0x99, 0x99, 0x33), // olive
    RGBColor(0xAA, 0x44, 0x99), // purple
    RGBColor(0x33, 0x22, 0x88), // indigo
    RGBColor(0x88, 0x22, 0x55), // wine
];
pub(crate) const EXTRA_DARK: [RGBColor; 5] = [
    RGBColor(0x11, 0x77, 0x33), // green
    RGBColor(0x99, 0x99, 0x33), // olive
    RGBColor(0xAA, 0x44, 0x99), // purple
    RGBColor(0xDD, 0xCC, 0x77), // sand
    RGBColor(0xCC, 0x66, 0x77), // rose
];

/// The colour of a policy: fixed for presets, stable by position otherwise.
pub fn policy_color(name: &str, all: &[String]) -> RGBColor {
    if let Some((_, c)) = PRESETS.iter().find(|(n, _)| *n == name) {
        return *c;
    }
    let custom: Vec<&String> = all.iter().filter(|p| !PRESETS.iter().any(|(n, _)| n == p)).collect();
    let i = custom.iter().position(|p| *p == name).unwrap_or(0);
    let extra = match look().theme {
        Theme::Dark => &EXTRA_DARK,
        _ => &EXTRA_LIGHT,
    };
    extra[i % extra.len()]
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

/// Money and its rounding for charts: the one formatter of
/// `output::table`, shared by the console, summary.md, reports and charts.
pub use crate::output::table::{money, trim};

/// A text size scaled by the look's font scale.
fn scaled(size: u32) -> f64 {
    (size as f64 * look().font_scale).round()
}

pub(crate) fn font(size: u32) -> TextStyle<'static> {
    (FONT, scaled(size)).into_font().color(&ink())
}

pub(crate) fn bold(size: u32) -> TextStyle<'static> {
    (FONT, scaled(size)).into_font().style(FontStyle::Bold).color(&ink())
}

/// A text style of nominal `size` (scaled by the look), shrunk as needed,
/// to no less than 60 % of it, so `text` fits in `max_width` pixels.
pub(crate) fn fitted(text: &str, size: u32, is_bold: bool, max_width: u32) -> TextStyle<'static> {
    let mut s = scaled(size);
    let w = crate::glyphs::layout(text, s, is_bold).width as f64;
    if w > max_width as f64 {
        s = (s * max_width as f64 / w).max(s * 0.6).floor();
    }
    let weight = if is_bold { FontStyle::Bold } else { FontStyle::Normal };
    (FONT, s).into_font().style(weight).color(&ink())
}

/// The box a line of text in `style` takes, in pixels: its advance width
/// and its size (ascender to descender).
pub(crate) fn text_box(text: &str, style: &TextStyle) -> (i32, i32) {
    let size = style.font.get_size();
    let bold = matches!(style.font.get_style(), FontStyle::Bold);
    let w = crate::glyphs::layout(text, size, bold).width.ceil() as i32;
    (w, size.ceil() as i32)
}

/// Labels shortened (with an ellipsis) to fit `max_width` pixels in
/// `style`, and the width of the widest.
pub(crate) fn fit_labels(labels: Vec<String>, style: &TextStyle, max_width: i32) -> (Vec<String>, i32) {
    let mut widest = 0;
    let out = labels
        .into_iter()
        .map(|l| {
            let mut text = l.clone();
            let mut chars: Vec<char> = l.chars().collect();
            while text_box(&text, style).0 > max_width && chars.len() > 1 {
                chars.pop();
                text = format!("{}…", chars.iter().collect::<String>().trim_end());
            }
            widest = widest.max(text_box(&text, style).0);
            text
        })
        .collect();
    (out, widest)
}

/// A colour made legible as text on the theme's background: on dark,
/// blended 40 % toward white (the darker palette colours lose contrast on
/// near-black); unchanged otherwise.
pub(crate) fn legible(c: RGBColor) -> RGBColor {
    match look().theme {
        Theme::Dark => {
            let up = |v: u8| (v as f64 + (255.0 - v as f64) * 0.4).round() as u8;
            RGBColor(up(c.0), up(c.1), up(c.2))
        }
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG relative luminance of a colour.
    fn luminance(c: RGBColor) -> f64 {
        let lin = |v: u8| {
            let v = v as f64 / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2)
    }

    fn contrast(a: RGBColor, b: RGBColor) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    /// Custom policies get distinct colours, none a preset's, each readable
    /// (3:1) on its theme's background: no black on dark, no yellow on
    /// white (issue 26).
    #[test]
    fn custom_policies_get_distinct_colours_readable_on_their_theme() {
        let all: Vec<String> = ["laissez_faire", "mine", "yours", "theirs", "ours", "rank_prize"]
            .map(String::from)
            .to_vec();
        for theme in [Theme::Light, Theme::Dark, Theme::Print] {
            let look = Look {
                theme,
                ..Look::default()
            };
            with_look(look, || {
                let colours: Vec<RGBColor> = all[1..].iter().map(|p| policy_color(p, &all)).collect();
                for (i, c) in colours.iter().enumerate() {
                    assert!(
                        contrast(*c, background()) >= 3.0,
                        "{theme:?}: {c:?} on {:?}",
                        background()
                    );
                    assert!(!PRESETS.iter().any(|(_, p)| p == c), "{c:?} is a preset's colour");
                    assert!(!colours[..i].contains(c), "{theme:?}: {c:?} twice among five");
                }
            });
        }
    }
}
