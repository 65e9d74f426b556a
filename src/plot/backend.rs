//! A backend wrapper that measures text with [`glyphs`] (bold measured as
//! bold) and, for bitmaps, also draws it (side bearings kept, bold drawn
//! bold). Everything else is delegated. The SVG keeps plotters' `<text>`
//! elements, which [`super::svg`] then sets to the same layout.

use super::svg;
use crate::glyphs::{self, Align, Valign};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind, FontStyle,
};

/// A backend whose text is measured (and, with `raster`, drawn) from the
/// bundled fonts.
pub struct Typeset<B> {
    pub inner: B,
    /// Draw text as pixels here (bitmaps) instead of passing it on (SVG).
    pub raster: bool,
}

type Result<E> = std::result::Result<(), DrawingErrorKind<E>>;

/// The anchor of a text style, in [`glyphs`]' terms.
pub(crate) fn anchor<S: BackendTextStyle>(style: &S) -> (Align, Valign) {
    let pos = style.anchor();
    let align = match pos.h_pos {
        HPos::Left => Align::Start,
        HPos::Center => Align::Middle,
        HPos::Right => Align::End,
    };
    let valign = match pos.v_pos {
        VPos::Top => Valign::Top,
        VPos::Center => Valign::Center,
        VPos::Bottom => Valign::Bottom,
    };
    (align, valign)
}

impl<B: DrawingBackend> Typeset<B> {
    /// Writes the group marks queued since the last element as sentinel
    /// pixels ([`svg`]); a bitmap drops them.
    fn flush(&mut self) -> Result<B::ErrorType> {
        for (x, y) in svg::take_pending() {
            if !self.raster {
                let c = svg::SENTINEL;
                self.inner.draw_pixel(
                    (x, y),
                    BackendColor {
                        alpha: 1.0,
                        rgb: (c.0, c.1, c.2),
                    },
                )?;
            }
        }
        Ok(())
    }
}

impl<B: DrawingBackend> DrawingBackend for Typeset<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<Self::ErrorType> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<Self::ErrorType> {
        self.flush()?;
        self.inner.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<Self::ErrorType> {
        self.flush()?;
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<Self::ErrorType> {
        self.flush()?;
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<Self::ErrorType> {
        self.flush()?;
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<Self::ErrorType> {
        self.flush()?;
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<Self::ErrorType> {
        self.flush()?;
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<Self::ErrorType> {
        self.flush()?;
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<Self::ErrorType> {
        self.flush()?;
        self.inner.blit_bitmap(pos, size, src)
    }
    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> std::result::Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let line = glyphs::layout(text, style.size(), matches!(style.style(), FontStyle::Bold));
        Ok((line.width.max(0.0) as u32, (style.size() / 1.24) as u32))
    }

    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> Result<Self::ErrorType> {
        let color = style.color();
        self.flush()?;
        if !self.raster {
            return self.inner.draw_text(text, style, pos);
        }
        if color.alpha == 0.0 {
            return Ok(());
        }
        let line = glyphs::layout(text, style.size(), matches!(style.style(), FontStyle::Bold));
        let (align, valign) = anchor(style);
        // Laid out in the text's own frame around the anchor, then turned.
        let (pen, baseline) = line.origin(0.0, 0.0, align, valign);
        let trans = style.transform();
        let (w, h) = self.get_size();
        let mut failed = None;
        line.raster(pen, baseline, |x, y, coverage| {
            let (x, y) = trans.transform(x, y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if failed.is_none() && x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                let c = BackendColor {
                    alpha: color.alpha * coverage.min(1.0) as f64,
                    rgb: color.rgb,
                };
                if let Err(e) = self.inner.draw_pixel((x, y), c) {
                    failed = Some(e);
                }
            }
        });
        failed.map_or(Ok(()), Err)
    }
}
