//! Text set from the bundled DejaVu Sans, identically in the PNG and the SVG.
//!
//! plotters lays text out with ab_glyph's advances (a font of size `s` is
//! scaled so ascent minus descent spans `s` pixels) but rasterises each glyph
//! without its left side bearing, which spaces letters unevenly, and it falls
//! back to the regular face for bold. Its SVG writes a generic `sans-serif`
//! at another size, so a viewer's substitute font changes every width. Here
//! one layout (advances and kerning of the face asked for) serves three
//! outputs: pixels for the PNG, a `<text>` in DejaVu Sans at the size that
//! matches the layout, and outlines (`<path>`) that look the same in any
//! viewer, PowerPoint and Keynote included.
//!
//! Placement follows plotters' bitmap rule, so charts keep the layout they
//! were designed in: the baseline sits `s/2` below a top-anchored position,
//! and the layout box is `s/1.24` high.

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve, PxScale, ScaleFont, point};
use std::sync::OnceLock;

/// Where a text's anchor sits on the text, as plotters' anchors say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Start,
    Middle,
    End,
}

/// Vertical anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Valign {
    Top,
    Center,
    Bottom,
}

struct Faces {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

fn faces() -> &'static Faces {
    static FACES: OnceLock<Faces> = OnceLock::new();
    FACES.get_or_init(|| Faces {
        // The bundled fonts are valid TrueType files; a failure is a build error.
        regular: FontRef::try_from_slice(include_bytes!("../assets/fonts/DejaVuSans.ttf")).expect("bundled font"),
        bold: FontRef::try_from_slice(include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf")).expect("bundled font"),
    })
}

fn face(bold: bool) -> &'static FontRef<'static> {
    let f = faces();
    if bold { &f.bold } else { &f.regular }
}

/// A line of text laid out: each glyph with its pen position from the start.
pub struct Line {
    bold: bool,
    size: f32,
    glyphs: Vec<(GlyphId, f32)>,
    /// Advance width in pixels, kerning included.
    pub width: f32,
}

/// Lays `text` out at plotters size `size` (pixels from descent to ascent).
pub fn layout(text: &str, size: f64, bold: bool) -> Line {
    let size = size as f32;
    let font = face(bold).as_scaled(PxScale::from(size));
    let mut glyphs = Vec::with_capacity(text.len());
    let mut pen = 0.0f32;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            pen += font.kern(p, id);
        }
        glyphs.push((id, pen));
        pen += font.h_advance(id);
        prev = Some(id);
    }
    Line {
        bold,
        size,
        glyphs,
        width: pen,
    }
}

/// The em size (CSS `font-size`) at which a browser sets DejaVu Sans as
/// wide as [`layout`] at plotters size `size`.
pub fn em_size(size: f64, bold: bool) -> f64 {
    let f = face(bold);
    let upem = f.units_per_em().unwrap_or(2048.0) as f64;
    size * upem / (f.ascent_unscaled() - f.descent_unscaled()) as f64
}

impl Line {
    /// The pen's start and the baseline for an anchor at `(x, y)` in the
    /// text's own (unrotated) frame.
    pub fn origin(&self, x: f64, y: f64, align: Align, valign: Valign) -> (f32, f32) {
        // Integer offsets, as plotters computes them, keep layouts unchanged.
        let width = self.width as i32;
        let height = (self.size / 1.24) as i32;
        let dx = match align {
            Align::Start => 0,
            Align::Middle => -width / 2,
            Align::End => -width,
        };
        let dy = match valign {
            Valign::Top => 0,
            Valign::Center => -height / 2,
            Valign::Bottom => -height,
        };
        (x as f32 + dx as f32, y as f32 + dy as f32 + self.size / 2.0)
    }

    /// Calls `pixel(x, y, coverage)` for every pixel the text covers, with
    /// the pen starting at `pen` and the baseline at `baseline`.
    pub fn raster(&self, pen: f32, baseline: f32, mut pixel: impl FnMut(i32, i32, f32)) {
        let font = face(self.bold).as_scaled(PxScale::from(self.size));
        for &(id, x) in &self.glyphs {
            let glyph = id.with_scale_and_position(font.scale(), point(pen + x, baseline));
            if let Some(outlined) = font.outline_glyph(glyph) {
                let min = outlined.px_bounds().min;
                outlined.draw(|gx, gy, c| pixel(min.x as i32 + gx as i32, min.y as i32 + gy as i32, c));
            }
        }
    }

    /// The text's outlines as SVG path data, pen at `pen`, baseline at
    /// `baseline`, coordinates to 0.01 pixel.
    pub fn path_data(&self, pen: f32, baseline: f32) -> String {
        let f = face(self.bold);
        let scaled = f.as_scaled(PxScale::from(self.size));
        let (sx, sy) = (scaled.h_scale_factor(), scaled.v_scale_factor());
        let mut d = String::new();
        for &(id, x) in &self.glyphs {
            let Some(outline) = f.outline(id) else { continue };
            let at = |p: ab_glyph::Point| (pen + x + p.x * sx, baseline - p.y * sy);
            let mut end: Option<ab_glyph::Point> = None;
            for curve in &outline.curves {
                let start = match curve {
                    OutlineCurve::Line(a, _) | OutlineCurve::Quad(a, _, _) | OutlineCurve::Cubic(a, _, _, _) => *a,
                };
                if end != Some(start) {
                    if end.is_some() {
                        d.push('Z');
                    }
                    push_cmd(&mut d, 'M', &[at(start)]);
                }
                end = Some(match curve {
                    OutlineCurve::Line(_, b) => {
                        push_cmd(&mut d, 'L', &[at(*b)]);
                        *b
                    }
                    OutlineCurve::Quad(_, c, b) => {
                        push_cmd(&mut d, 'Q', &[at(*c), at(*b)]);
                        *b
                    }
                    OutlineCurve::Cubic(_, c1, c2, b) => {
                        push_cmd(&mut d, 'C', &[at(*c1), at(*c2), at(*b)]);
                        *b
                    }
                });
            }
            if end.is_some() {
                d.push('Z');
            }
        }
        d
    }
}

fn push_cmd(d: &mut String, cmd: char, points: &[(f32, f32)]) {
    d.push(cmd);
    for (i, (x, y)) in points.iter().enumerate() {
        if i > 0 {
            d.push(' ');
        }
        d.push_str(&num(*x));
        d.push(' ');
        d.push_str(&num(*y));
    }
}

/// A coordinate to 0.01 pixel, without trailing zeros.
fn num(v: f32) -> String {
    let s = format!("{:.2}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_is_wider_than_regular_and_width_grows_with_size() {
        let r = layout("Usage leaderboard", 40.0, false).width;
        let b = layout("Usage leaderboard", 40.0, true).width;
        assert!(b > r * 1.05, "bold {b} vs regular {r}");
        let r2 = layout("Usage leaderboard", 80.0, false).width;
        assert!((r2 / r - 2.0).abs() < 0.01);
    }

    #[test]
    fn glyphs_keep_their_side_bearings() {
        // "l" has a left side bearing: its first inked column sits right of
        // the pen, not on it (plotters' bitmap text drops the bearing).
        let line = layout("l", 100.0, false);
        let mut min_x = i32::MAX;
        line.raster(10.0, 100.0, |x, _, c| {
            if c > 0.5 {
                min_x = min_x.min(x)
            }
        });
        assert!(min_x >= 15, "first inked column {min_x}");
    }

    #[test]
    fn paths_cover_the_same_box_as_pixels() {
        let line = layout("Hg", 50.0, true);
        let (mut lo, mut hi) = ((i32::MAX, i32::MAX), (i32::MIN, i32::MIN));
        line.raster(0.0, 100.0, |x, y, c| {
            if c > 0.0 {
                lo = (lo.0.min(x), lo.1.min(y));
                hi = (hi.0.max(x), hi.1.max(y));
            }
        });
        let d = line.path_data(0.0, 100.0);
        let nums: Vec<f32> = d
            .split(|c: char| c.is_ascii_alphabetic() || c == ' ')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        let xs: Vec<f32> = nums.iter().step_by(2).copied().collect();
        let ys: Vec<f32> = nums.iter().skip(1).step_by(2).copied().collect();
        let fmin = |v: &[f32]| v.iter().copied().fold(f32::MAX, f32::min);
        let fmax = |v: &[f32]| v.iter().copied().fold(f32::MIN, f32::max);
        assert!((fmin(&xs) - lo.0 as f32).abs() <= 1.5 && (fmax(&xs) - hi.0 as f32).abs() <= 1.5);
        assert!((fmin(&ys) - lo.1 as f32).abs() <= 1.5 && (fmax(&ys) - hi.1 as f32).abs() <= 1.5);
        assert_eq!(d.matches('M').count(), d.matches('Z').count());
    }

    #[test]
    fn anchors_move_the_pen_by_the_width() {
        let line = layout("abc", 30.0, false);
        let w = line.width as i32 as f32;
        assert_eq!(line.origin(100.0, 50.0, Align::End, Valign::Top).0, 100.0 - w);
        assert_eq!(line.origin(100.0, 50.0, Align::Start, Valign::Top), (100.0, 65.0));
        assert!(em_size(30.0, false) > 25.0 && em_size(30.0, false) < 27.0);
    }
}
