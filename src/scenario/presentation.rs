//! The `[presentation]` table: how a scenario's (or sweep's) charts look
//! unless the command line says otherwise. It changes no result, so it is
//! kept apart from the model's parameters (and from the scenario's hash).
//!
//! ```toml
//! [presentation]
//! theme = "dark"        # light | dark | print
//! aspect = "4:3"        # 16:9 | 4:3 | 1:1
//! width = 1280          # PNG width in pixels, 480 to 7680
//! font_scale = 1.2      # 0.5 to 2.5
//! svg_text = "paths"    # text | paths
//! ```

/// Bounds of `width` (`--width`) and `font_scale` (`--font-scale`).
pub const WIDTH_RANGE: (u32, u32) = (480, 7680);
pub const FONT_SCALE_RANGE: (f64, f64) = (0.5, 2.5);
use serde::{Deserialize, Serialize};

/// Chart settings a scenario asks for; each unset one falls back to the
/// command line's default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Presentation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<ThemeName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect: Option<AspectName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font_scale: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svg_text: Option<SvgTextName>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    Light,
    Dark,
    Print,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum AspectName {
    #[serde(rename = "16:9")]
    Wide,
    #[serde(rename = "4:3")]
    Standard,
    #[serde(rename = "1:1")]
    Square,
}

impl AspectName {
    pub fn ratio(self) -> (u32, u32) {
        match self {
            AspectName::Wide => (16, 9),
            AspectName::Standard => (4, 3),
            AspectName::Square => (1, 1),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SvgTextName {
    Text,
    Paths,
}

impl Presentation {
    /// The first value out of range, as (key under `presentation.`, message).
    pub fn check(&self) -> Result<(), (String, String)> {
        match self.problems().into_iter().next() {
            Some(p) => Err(p),
            None => Ok(()),
        }
    }

    /// Every value out of range, as (key under `presentation.`, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(w) = self.width
            && !(WIDTH_RANGE.0..=WIDTH_RANGE.1).contains(&w)
        {
            out.push((
                "width".into(),
                format!("{w} pixels: must be between {} and {}", WIDTH_RANGE.0, WIDTH_RANGE.1),
            ));
        }
        if let Some(f) = self.font_scale
            && !(f.is_finite() && (FONT_SCALE_RANGE.0..=FONT_SCALE_RANGE.1).contains(&f))
        {
            out.push((
                "font_scale".into(),
                format!("{f}: must be between {} and {}", FONT_SCALE_RANGE.0, FONT_SCALE_RANGE.1),
            ));
        }
        out
    }

    /// A valid value for every setting: what a rejected one is replaced
    /// with to look for the table's further errors.
    pub(crate) fn stand_in() -> toml::Value {
        toml::Value::try_from(Presentation {
            theme: Some(ThemeName::Light),
            aspect: Some(AspectName::Wide),
            width: Some(1920),
            font_scale: Some(1.0),
            svg_text: Some(SvgTextName::Text),
        })
        .expect("a presentation serializes")
    }

    /// This presentation with `over`'s settings taking precedence.
    pub fn overridden_by(&self, over: &Presentation) -> Presentation {
        Presentation {
            theme: over.theme.or(self.theme),
            aspect: over.aspect.or(self.aspect),
            width: over.width.or(self.width),
            font_scale: over.font_scale.or(self.font_scale),
            svg_text: over.svg_text.or(self.svg_text),
        }
    }
}
